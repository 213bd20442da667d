// Read-only summaries of the store for `understudy status`.
import { statSync } from 'node:fs';
import { type Db, stmt } from './db.js';

export interface MailboxStatus {
  path: string;
  specialUse: string | null;
  messages: number;
  uidvalidity: number | null;
  lastSyncAt: number | null;
  lastError: string | null;
}

export interface AccountStatus {
  name: string;
  host: string;
  user: string;
  lastSyncAt: number | null;
  lastError: string | null;
  lastErrorKind: string | null;
  messages: number;
  mailboxes: MailboxStatus[];
}

export function storeStatus(db: Db): AccountStatus[] {
  const accounts = stmt<
    [],
    {
      id: number;
      name: string;
      host: string;
      user: string;
      last_sync_at: number | null;
      last_error: string | null;
      last_error_kind: string | null;
    }
  >(db, 'SELECT * FROM accounts ORDER BY name').all();
  const boxes = stmt<
    [number],
    {
      path: string;
      special_use: string | null;
      uidvalidity: number | null;
      last_sync_at: number | null;
      last_error: string | null;
      n: number;
    }
  >(
    db,
    `SELECT b.path, b.special_use, b.uidvalidity, b.last_sync_at, b.last_error, COUNT(m.id) AS n
     FROM mailboxes b LEFT JOIN messages m ON m.mailbox_id = b.id
     WHERE b.account_id = ? GROUP BY b.id ORDER BY b.path`,
  );
  return accounts.map((a) => {
    const mailboxes = boxes.all(a.id).map((b) => ({
      path: b.path,
      specialUse: b.special_use,
      messages: b.n,
      uidvalidity: b.uidvalidity,
      lastSyncAt: b.last_sync_at,
      lastError: b.last_error,
    }));
    return {
      name: a.name,
      host: a.host,
      user: a.user,
      lastSyncAt: a.last_sync_at,
      lastError: a.last_error,
      lastErrorKind: a.last_error_kind,
      messages: mailboxes.reduce((n, b) => n + b.messages, 0),
      mailboxes,
    };
  });
}

/** Bytes used by the database and its WAL. */
export function storeSize(path: string): number {
  let total = 0;
  for (const file of [path, `${path}-wal`]) {
    try {
      total += statSync(file).size;
    } catch {
      /* not there yet */
    }
  }
  return total;
}
