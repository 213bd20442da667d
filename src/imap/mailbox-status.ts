// Answers "did this mailbox change since the last sync?" from the STATUS data that LIST-STATUS
// (RFC 5819) returns for every mailbox in the one LIST round trip, so an unchanged mailbox is
// never SELECTed: the no-change sync costs one connection and one LIST, as mbsync's does.
import type { ImapFlow, StatusObject, StatusQuery } from 'imapflow';
import type { Db } from '../store/db.js';
import { ensureMailbox, finishMailboxSync } from '../store/mailboxes.js';
import { countMessages } from '../store/messages.js';
import type { MailboxInfo } from './discover.js';
import type { MailboxSyncResult } from './sync-mailbox.js';

/**
 * The STATUS items to ask for with LIST (imapflow's `list({ statusQuery })`), or undefined when
 * the answer could not prove a mailbox unchanged and would only cost round trips:
 * - without LIST-STATUS (RFC 5819, part of IMAP4rev2), imapflow falls back to one STATUS
 *   command per listed mailbox, selected or not;
 * - without CONDSTORE enabled (RFC 7162 §3.1), STATUS has no HIGHESTMODSEQ, and a flag change
 *   leaves MESSAGES, UIDNEXT and UIDVALIDITY as they were.
 * Call after connect (which ENABLEs QRESYNC, and with it CONDSTORE).
 */
export function statusQueryFor(client: ImapFlow): StatusQuery | undefined {
  const listStatus = client.capabilities.has('LIST-STATUS') || client.capabilities.has('IMAP4rev2');
  const condstore = client.enabled.has('CONDSTORE') || client.enabled.has('QRESYNC');
  if (!listStatus || !condstore) return undefined;
  return { messages: true, uidNext: true, uidValidity: true, highestModseq: true };
}

/**
 * When `status` (the mailbox's LIST-STATUS answer) shows nothing changed since the stored sync
 * state, records the sync as done (as syncMailbox does for an unchanged mailbox) and returns
 * its result; otherwise returns null and the caller SELECTs and syncs the mailbox as usual.
 *
 * Unchanged means: the same UIDVALIDITY (RFC 3501 §2.3.1.1), UIDNEXT and HIGHESTMODSEQ (every
 * new message, flag change and expunge raises it: RFC 7162 §3.1.2.1), and as many messages on
 * the server as in the store. A mailbox never synced, or one whose last sync was interrupted
 * (its UIDNEXT/HIGHESTMODSEQ are only stored once everything below them is), never qualifies.
 * Throws what the store throws.
 */
export function skipIfUnchanged(
  db: Db,
  accountId: number,
  box: MailboxInfo,
  status: StatusObject | undefined,
): MailboxSyncResult | null {
  if (
    status?.highestModseq === undefined ||
    status.uidValidity === undefined ||
    status.uidNext === undefined ||
    status.messages === undefined
  )
    return null;
  const row = ensureMailbox(db, accountId, box);
  if (
    row.highestmodseq === null ||
    row.highestmodseq !== status.highestModseq.toString() ||
    row.uidvalidity === null ||
    BigInt(row.uidvalidity) !== status.uidValidity ||
    row.uidnext !== status.uidNext ||
    countMessages(db, row.id) !== status.messages
  )
    return null;
  finishMailboxSync(db, row.id, { uidnext: row.uidnext, highestmodseq: row.highestmodseq, at: Date.now() });
  return {
    path: box.path,
    added: 0,
    flagsChanged: 0,
    expunged: 0,
    reset: false,
    exists: status.messages,
    unchanged: true,
  };
}
