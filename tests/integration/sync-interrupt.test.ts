// Ctrl-C during `understudy sync` stops after the batch being written, not after the whole mailbox
// (a first sync of a large INBOX took minutes to stop): the batches stored stay, the mailbox is
// reported interrupted, and the next sync fetches the rest without duplicates.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { syncAccount } from '../../src/imap/sync-account.js';
import { accountLastSync } from '../../src/store/accounts.js';
import { type Db, openStore } from '../../src/store/db.js';
import { newAccount, type TestAccount } from '../helpers/account.js';
import { appendMessages, buildMessage } from '../helpers/mail.js';

const server = inject('dovecot');
const TOTAL = 40;

const storedUids = (db: Db) =>
  (
    db
      .prepare(
        "SELECT m.uid FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.path = 'INBOX' ORDER BY uid",
      )
      .all() as { uid: number }[]
  ).map((r) => r.uid);

describe('sync stopped by its signal', () => {
  let account: TestAccount;
  let db: Db;

  beforeAll(async () => {
    account = newAccount(server, { top: '[sync]\nbatch_size = 5\nparallel_mailboxes = 1\n' });
    const client = await account.client();
    await appendMessages(
      client,
      'INBOX',
      Array.from({ length: TOTAL }, () => buildMessage()),
    );
    await client.logout();
    db = openStore(account.config.dbPath);
  });

  afterAll(() => db?.close());

  it('stops between batches of a mailbox, and the next sync finishes it without duplicates', async () => {
    const controller = new AbortController();
    const first = await syncAccount({
      db,
      account: account.config.accounts[0]!,
      settings: account.config.sync,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.mailbox === 'INBOX' && p.phase === 'fetch' && p.done >= 5) controller.abort();
      },
    });
    const afterStop = storedUids(db);
    console.log(`stopped after ${afterStop.length} of ${TOTAL} INBOX messages; interrupted: ${first.interrupted}`);
    expect(first.interrupted).toContain('INBOX');
    expect(afterStop.length).toBeGreaterThanOrEqual(5);
    expect(afterStop.length).toBeLessThan(TOTAL);
    // Not a complete sync: the account keeps its last complete sync (none yet), for status to show.
    expect(accountLastSync(db, 'test')).toBeNull();

    const second = await syncAccount({ db, account: account.config.accounts[0]!, settings: account.config.sync });
    expect(second.interrupted).toEqual([]);
    const all = storedUids(db);
    expect(all).toHaveLength(TOTAL);
    expect(new Set(all).size).toBe(TOTAL);
    expect(accountLastSync(db, 'test')).not.toBeNull();
  });
});
