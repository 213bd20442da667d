// `draft --message REF`: finds the INBOX message a user names, by IMAP UID or by Message-ID (the
// one a mail client shows in "view source"), in the local store after the sync.
import { normalizeMessageId } from '../mail/headers.js';
import type { Db } from '../store/db.js';
import { stmt } from '../store/db.js';
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
  const row =
    accountId === undefined
      ? undefined
      : byUid
        ? stmt<[number, number], { uid: number }>(
            db,
            `SELECT m.uid FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id
             WHERE b.account_id = ? AND b.special_use = '\\Inbox' AND m.uid = ?`,
          ).get(accountId, Number(text))
        : messageId
          ? stmt<[number, string], { uid: number }>(
              db,
              `SELECT m.uid FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id
               WHERE b.account_id = ? AND b.special_use = '\\Inbox' AND m.message_id = ?
               ORDER BY m.uid DESC LIMIT 1`,
            ).get(accountId, messageId)
          : undefined;
  if (row) return row.uid;
  throw new CliError(
    `no INBOX message with ${byUid ? `UID ${text}` : `Message-ID ${messageId ?? JSON.stringify(text)}`} in the store` +
      '\n  fix: give an INBOX UID or the Message-ID header of a message in your INBOX (run without --no-sync if it just arrived); `understudy draft --dry-run` lists the candidates with their UIDs',
    'MESSAGE_NOT_FOUND',
    EXIT.DATAERR,
  );
}
