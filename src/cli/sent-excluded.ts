// `dataset build`'s warning that folders.exclude leaves out the sent-mail folder (every reply the
// user wrote, so no training data): build works offline, so it cannot ask the server which folder is
// \Sent as sync does (src/imap/discover.ts); it warns when the store holds no sent mailbox for the
// account (folders.sent's path when configured, else any \Sent) and an exclude glob matches
// folders.sent or a common sent-folder name.
import type { AccountConfig } from '../config/load.js';
import { type ExcludedSent, excludedSentByName } from '../imap/discover.js';
import { accountIdByName } from '../store/accounts.js';
import type { Db } from '../store/db.js';
import { listMailboxes } from '../store/mailboxes.js';
import { printable } from './printable.js';

/** The excluded sent folder of `account` as far as the store and config tell (empty when its \Sent mailbox is synced). */
export function excludedSentOffline(db: Db, account: AccountConfig): ExcludedSent[] {
  const id = accountIdByName(db, account.name);
  if (id === undefined) return [];
  const boxes = listMailboxes(db, id);
  const sent = account.folders.sent;
  // A configured folders.sent is the folder meant (the server may have a \Sent of its own beside it);
  // stored paths may carry the namespace prefix ("INBOX.Sent" for "Sent").
  const synced = sent
    ? boxes.some((m) => m.path === sent || m.path.endsWith(`${m.delimiter ?? '/'}${sent}`))
    : boxes.some((m) => m.special_use === '\\Sent');
  return synced ? [] : excludedSentByName(account.folders);
}

/** The warning for a person: account, what is excluded and the fix, on stderr's lines. */
export function excludedSentText(account: string, warnings: readonly ExcludedSent[]): string {
  return warnings
    .map((w) => `understudy: warning: ${account}: ${printable(w.message)}\n  fix: ${printable(w.fix)}\n`)
    .join('');
}
