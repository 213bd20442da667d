// What `sync` leaves in the store when Ctrl-C stops it: `status` must not say "ok" for a sync that
// did not finish (issue 15). The interrupted mailboxes resume on the next run either way.
import { accountLastSync, recordAccountUnfinished } from '../store/accounts.js';
import type { Db } from '../store/db.js';

/** The error kind `status` shows for a sync stopped by the user (beside 'temporary', 'auth', 'final'). */
export const INTERRUPTED_KIND = 'interrupted';

/** The account's last complete sync (ms since the epoch), or null; read before a sync starts. */
export function lastCompleteSync(db: Db, accountName: string): number | null {
  return accountLastSync(db, accountName);
}

/**
 * Records that the user stopped the account's sync: the last complete sync goes back to
 * `previous` (the run just stopped was not complete) and the account's last error says what was
 * left, so `status` shows "interrupted" until a sync completes. No row (never synced): nothing.
 */
export function recordSyncInterrupted(
  db: Db,
  accountName: string,
  previous: number | null,
  mailboxes: readonly string[],
  at = Date.now(),
): void {
  const left = mailboxes.length ? `; not finished: ${mailboxes.join(', ')}` : '';
  recordAccountUnfinished(db, accountName, previous, {
    message: `stopped by Ctrl-C at ${new Date(at).toISOString().slice(0, 19).replace('T', ' ')} UTC${left}; run understudy sync to finish`,
    kind: INTERRUPTED_KIND,
  });
}
