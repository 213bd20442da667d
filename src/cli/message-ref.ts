// `draft --message REF`: finds the INBOX message a user names, by IMAP UID or by Message-ID (the
// one a mail client shows in "view source"), in the local store after the sync.
import { normalizeMessageId } from '../mail/headers.js';
import type { Db } from '../store/db.js';
import { inboxUid } from '../store/messages.js';
import { CliError } from './errors.js';
import { EXIT } from './exit-codes.js';

/**
 * The INBOX UID of the message `ref` names in account `accountId`: a number is a UID, anything
 * else a Message-ID (RFC 5322 §3.6.4), with or without its angle brackets.
 * @throws CliError MESSAGE_NOT_FOUND (exit 65) when the INBOX in the store has no such message,
 *   naming what was looked for and how to find a valid reference.
 */
export function resolveMessageRef(db: Db, accountId: number | undefined, ref: string): number {
  const text = ref.trim();
  const byUid = /^\d+$/.test(text);
  const messageId = byUid ? null : normalizeMessageId(text.startsWith('<') ? text : `<${text}>`);
  const uid =
    accountId === undefined
      ? undefined
      : byUid
        ? inboxUid(db, accountId, { uid: Number(text) })
        : messageId
          ? inboxUid(db, accountId, { messageId })
          : undefined;
  if (uid !== undefined) return uid;
  throw new CliError(
    `no INBOX message with ${byUid ? `UID ${text}` : `Message-ID ${messageId ?? JSON.stringify(text)}`} in the store` +
      '\n  fix: give an INBOX UID or the Message-ID header of a message in your INBOX (run without --no-sync if it just arrived); `understudy draft --dry-run` lists the candidates with their UIDs',
    'MESSAGE_NOT_FOUND',
    EXIT.DATAERR,
  );
}
