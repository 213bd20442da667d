// Errors that name the real cause, against Dovecot: a full disk, a locked or read-only store
// during a sync are local storage errors (exit 74 / 75 / 73 with the storage's own words), never
// "IMAP failure … reconnecting"; a Dovecot that goes away for a few seconds does not fail the sync
// (retries over sync.retry_window_s), and the reconnect log line carries the underlying error.
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { describeError } from '../../src/cli/errors.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import type { Logger } from '../../src/config/logger.js';
import { syncAccount } from '../../src/imap/sync-account.js';
import { openStore } from '../../src/store/db.js';
import { StoreError } from '../../src/store/errors.js';
import { newAccount, type TestAccount } from '../helpers/account.js';
import { startDovecot } from '../helpers/dovecot.js';
import { appendMessages, buildMessage } from '../helpers/mail.js';

const server = inject('dovecot');
const body = 'A line of text that makes the message a realistic size.\n'.repeat(40);

describe('local storage failures during a sync', () => {
  let account: TestAccount;

  beforeAll(async () => {
    account = newAccount(server);
    const client = await account.client();
    await appendMessages(
      client,
      'INBOX',
      Array.from({ length: 300 }, (_, i) => buildMessage({ subject: `Message ${i}`, body })),
    );
    await client.logout();
  });

  const sync = (db: Database.Database) =>
    syncAccount({ db, account: account.config.accounts[0]!, settings: account.config.sync }).catch((e) => e);

  it('a full disk (SQLITE_FULL) is STORE_DISK_FULL, exit 74, "disk is full", not an IMAP failure', async () => {
    const db = openStore(join(account.dir, 'full.db'));
    // The database may not grow past its current size plus a little: SQLite reports SQLITE_FULL
    // exactly as on a full disk.
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages + 20}`);
    const err = await sync(db);
    db.close();
    expect(err).toBeInstanceOf(StoreError);
    expect(err.code).toBe('STORE_DISK_FULL');
    const reported = describeError(err);
    console.log(`disk full during sync: exit ${reported.exitCode}: ${reported.message.split('\n')[0]}`);
    expect(reported.exitCode).toBe(EXIT.IOERR);
    expect(reported.message).toMatch(/disk is full/);
    expect(reported.message).not.toMatch(/IMAP|reconnect|network/i);
  });

  it('a store locked by another writer (SQLITE_BUSY) is STORE_BUSY, exit 75, named as the store', async () => {
    const file = join(account.dir, 'busy.db');
    openStore(file).close();
    const db = openStore(file);
    db.pragma('busy_timeout = 200');
    const other = new Database(file);
    try {
      // Another writer takes the store once the sync is fetching (as a second `sync` did).
      const err = await syncAccount({
        db,
        account: account.config.accounts[0]!,
        settings: { ...account.config.sync, batchSize: 50 },
        onProgress: (p) => {
          if (p.phase === 'fetch' && !other.inTransaction) other.exec('BEGIN IMMEDIATE');
        },
      }).catch((e) => e);
      expect(other.inTransaction, 'the other writer held the store during the sync').toBe(true);
      expect(err).toBeInstanceOf(StoreError);
      expect(err.code).toBe('STORE_BUSY');
      const reported = describeError(err);
      console.log(`store locked during sync: exit ${reported.exitCode}: ${reported.message.split('\n')[0]}`);
      expect(reported.exitCode).toBe(EXIT.TEMPFAIL);
      expect(reported.message).toMatch(/local store is locked/);
      expect(reported.message).not.toMatch(/IMAP|network/i);
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
      db.close();
    }
  });

  it('a read-only store (SQLITE_READONLY) is STORE_READ_ONLY, exit 73, with EROFS wording', async () => {
    const file = join(account.dir, 'ro.db');
    openStore(file).close();
    const copy = join(account.dir, 'ro-copy.db');
    copyFileSync(file, copy);
    const db = new Database(copy, { readonly: true });
    const err = await sync(db);
    db.close();
    expect(err).toBeInstanceOf(StoreError);
    expect(err.code).toBe('STORE_READ_ONLY');
    const reported = describeError(err);
    console.log(`read-only store: exit ${reported.exitCode}: ${reported.message.split('\n')[0]}`);
    expect(reported.exitCode).toBe(EXIT.CANTCREAT);
    expect(reported.message).toMatch(/read-only file system \(EROFS\)/);
  });
});

describe('a Dovecot that goes away for a few seconds', () => {
  let own: Awaited<ReturnType<typeof startDovecot>>;
  let account: TestAccount;

  beforeAll(async () => {
    own = await startDovecot();
    account = newAccount(own.info);
    const client = await account.client();
    await appendMessages(
      client,
      'INBOX',
      Array.from({ length: 600 }, (_, i) => buildMessage({ subject: `Restart ${i}`, body })),
    );
    await client.logout();
  }, 120_000);

  afterAll(async () => {
    await own?.stop();
  });

  it('down 4 s in the middle of a sync: the sync reconnects and completes; the log line says why it reconnected', async () => {
    const db = openStore(join(account.dir, 'restart.db'));
    const warnings: Record<string, unknown>[] = [];
    const logger = {
      warn: (obj: Record<string, unknown>, msg: string) => warnings.push({ ...obj, msg }),
      info: () => {},
      debug: () => {},
      error: () => {},
    } as unknown as Logger;
    let restarting: Promise<void> | null = null;
    const t0 = Date.now();
    // Default retries (3) and window: three quick retries alone are spent in about 3.5 s.
    const result = await syncAccount({
      db,
      account: account.config.accounts[0]!,
      settings: { ...account.config.sync, batchSize: 50, parallelMailboxes: 1 },
      logger,
      onProgress: (p) => {
        if (p.phase === 'fetch' && p.done >= 100 && !restarting) restarting = own.restart(4000);
      },
    });
    await restarting;
    const inbox = result.mailboxes.find((m) => m.path === 'INBOX');
    const stored = (db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n;
    db.close();
    console.log(
      `Dovecot down 4 s: ${result.reconnects} reconnects, ${stored} messages stored in ${((Date.now() - t0) / 1000).toFixed(1)} s; ` +
        `log: ${JSON.stringify(warnings[0])}`,
    );
    expect(restarting, 'the restart happened during the sync').not.toBeNull();
    expect(result.reconnects).toBeGreaterThanOrEqual(1);
    expect(stored).toBe(600);
    expect(inbox).toBeDefined();
    const line = warnings.find((w) => w.msg === 'temporary IMAP failure, reconnecting');
    expect(line?.err, 'the log line carries the error').toEqual(expect.any(String));
    expect(line?.cause, 'and the underlying cause').toMatchObject({ message: expect.any(String) });
  }, 180_000);
});
