// The dataset_builds table: what the last build of each account saw (a fingerprint of its
// stored mail and settings) and its summary, so an unchanged store is not rebuilt.
import { type Db, stmt } from './db.js';

/** The account's last build: its fingerprint, when (ms since the epoch) and its summary (JSON); undefined before the first. */
export function lastBuild(
  db: Db,
  accountId: number,
): { fingerprint: string; built_at: number; summary: string } | undefined {
  return stmt<[number], { fingerprint: string; built_at: number; summary: string }>(
    db,
    'SELECT fingerprint, built_at, summary FROM dataset_builds WHERE account_id = ?',
  ).get(accountId);
}

/** Records a finished build of the account (replacing the previous record); `summary` is stored as JSON. */
export function recordBuild(db: Db, accountId: number, fingerprint: string, summary: unknown): void {
  stmt(
    db,
    'INSERT OR REPLACE INTO dataset_builds (account_id, fingerprint, built_at, summary) VALUES (?, ?, ?, ?)',
  ).run(accountId, fingerprint, Date.now(), JSON.stringify(summary));
}

/** Changes whenever a message is added to or removed from the account's mailboxes. */
export function storeFingerprint(db: Db, accountId: number): string {
  const row = stmt<[number], { n: number; max_id: number | null; sum_content: number | null }>(
    db,
    `SELECT COUNT(*) AS n, MAX(m.id) AS max_id, SUM(m.content_id) AS sum_content
     FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.account_id = ?`,
  ).get(accountId);
  return `${row?.n ?? 0}:${row?.max_id ?? 0}:${row?.sum_content ?? 0}`;
}
