// Mailbox rows and their sync state (UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ).
import { type Db, stmt } from './db.js';

export interface MailboxRow {
  id: number;
  account_id: number;
  path: string;
  delimiter: string | null;
  special_use: string | null;
  uidvalidity: number | null;
  uidnext: number;
  highestmodseq: string | null;
  last_sync_at: number | null;
  last_error: string | null;
}

export function listMailboxes(db: Db, accountId: number): MailboxRow[] {
  return stmt<[number], MailboxRow>(db, 'SELECT * FROM mailboxes WHERE account_id = ? ORDER BY path').all(accountId);
}

/** Returns the mailbox row, creating it (with empty sync state) when new. */
export function ensureMailbox(
  db: Db,
  accountId: number,
  mailbox: { path: string; delimiter?: string | null; specialUse?: string | null },
): MailboxRow {
  const row = stmt<[number, string, string | null, string | null], MailboxRow>(
    db,
    `INSERT INTO mailboxes (account_id, path, delimiter, special_use) VALUES (?, ?, ?, ?)
     ON CONFLICT (account_id, path) DO UPDATE SET delimiter = excluded.delimiter, special_use = excluded.special_use
     RETURNING *`,
  ).get(accountId, mailbox.path, mailbox.delimiter ?? null, mailbox.specialUse ?? null);
  // assert: an INSERT … RETURNING (or upsert) always returns its row
  if (!row) throw new Error(`could not record mailbox ${mailbox.path}`);
  return row;
}

/**
 * Forgets everything stored for a mailbox and starts it over under a new UIDVALIDITY
 * (RFC 3501 §2.3.1.1: a changed UIDVALIDITY means every UID we hold is meaningless).
 */
export function resetMailbox(db: Db, mailboxId: number, uidvalidity: number): void {
  db.transaction(() => {
    stmt(db, 'DELETE FROM messages WHERE mailbox_id = ?').run(mailboxId);
    stmt(db, 'UPDATE mailboxes SET uidvalidity = ?, uidnext = 1, highestmodseq = NULL WHERE id = ?').run(
      uidvalidity,
      mailboxId,
    );
  })();
}

/** Removes a mailbox and its messages (it left the selection or the server). */
export function deleteMailbox(db: Db, mailboxId: number): number {
  return db.transaction(() => {
    const removed = stmt(db, 'DELETE FROM messages WHERE mailbox_id = ?').run(mailboxId).changes;
    stmt(db, 'DELETE FROM mailboxes WHERE id = ?').run(mailboxId);
    return removed;
  })();
}

/** Records a completed sync: from now on, changes are asked for relative to this state. */
export function finishMailboxSync(
  db: Db,
  mailboxId: number,
  state: { uidnext: number; highestmodseq: string | null; at: number },
): void {
  stmt(db, 'UPDATE mailboxes SET uidnext = ?, highestmodseq = ?, last_sync_at = ?, last_error = NULL WHERE id = ?').run(
    state.uidnext,
    state.highestmodseq,
    state.at,
    mailboxId,
  );
}

export function recordMailboxError(db: Db, accountId: number, path: string, message: string): void {
  stmt(db, 'UPDATE mailboxes SET last_error = ? WHERE account_id = ? AND path = ?').run(message, accountId, path);
}

/**
 * Deletes contents no message points at any more (every copy was expunged). Run once after an
 * account's mailboxes are synced, never while they are: a batch being fetched in one mailbox
 * may be about to reuse a content whose last other copy was just expunged elsewhere.
 */
export function deleteOrphanContents(db: Db): number {
  return stmt(
    db,
    'DELETE FROM contents WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.content_id = contents.id)',
  ).run().changes;
}
