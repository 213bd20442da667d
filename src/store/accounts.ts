// Account rows: one per configured account, found by name.
import { type Db, stmt } from './db.js';

export interface AccountRow {
  id: number;
  name: string;
  host: string;
  user: string;
  created_at: number;
  last_sync_at: number | null;
  last_error: string | null;
  last_error_kind: string | null;
}

/** Returns the account's id, creating the row or updating its host/user. */
export function ensureAccount(db: Db, account: { name: string; host: string; user: string }): number {
  const row = stmt<[string, string, string, number], { id: number }>(
    db,
    `INSERT INTO accounts (name, host, user, created_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET host = excluded.host, user = excluded.user
     RETURNING id`,
  ).get(account.name, account.host, account.user, Date.now());
  // assert: an INSERT … RETURNING (or upsert) always returns its row
  if (!row) throw new Error(`could not record account ${account.name}`);
  return row.id;
}

export function listAccounts(db: Db): AccountRow[] {
  return stmt<[], AccountRow>(db, 'SELECT * FROM accounts ORDER BY name').all();
}

export function recordAccountSync(
  db: Db,
  accountId: number,
  result: { at: number; error?: { message: string; kind: string } },
): void {
  if (result.error) {
    stmt(db, 'UPDATE accounts SET last_error = ?, last_error_kind = ? WHERE id = ?').run(
      result.error.message,
      result.error.kind,
      accountId,
    );
  } else {
    stmt(db, 'UPDATE accounts SET last_sync_at = ?, last_error = NULL, last_error_kind = NULL WHERE id = ?').run(
      result.at,
      accountId,
    );
  }
}

/** The account's last complete sync (ms since the epoch); null when it never completed or there is no such account. */
export function accountLastSync(db: Db, name: string): number | null {
  return (
    stmt<[string], { last_sync_at: number | null }>(db, 'SELECT last_sync_at FROM accounts WHERE name = ?').get(name)
      ?.last_sync_at ?? null
  );
}

/**
 * Sets the account's last complete sync back to `lastSyncAt` and records why the sync did not
 * finish (`error`, shown by `status`, of `kind`). No row for `name`: nothing happens.
 */
export function recordAccountUnfinished(
  db: Db,
  name: string,
  lastSyncAt: number | null,
  error: { message: string; kind: string },
): void {
  stmt(db, 'UPDATE accounts SET last_sync_at = ?, last_error = ?, last_error_kind = ? WHERE name = ?').run(
    lastSyncAt,
    error.message,
    error.kind,
    name,
  );
}

/** The id of the account named `name`; undefined before its first sync. */
export function accountIdByName(db: Db, name: string): number | undefined {
  return stmt<[string], { id: number }>(db, 'SELECT id FROM accounts WHERE name = ?').get(name)?.id;
}
