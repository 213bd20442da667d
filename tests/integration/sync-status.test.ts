// The no-change sync against a real Dovecot, seen on the wire: with LIST-STATUS (RFC 5819) and
// CONDSTORE an unchanged mailbox is never SELECTed and one connection does; a changed one is
// synced as before; servers without either extension keep the SELECT-every-mailbox path.
import { once } from 'node:events';
import { createConnection, createServer, type Server } from 'node:net';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { syncAccount } from '../../src/imap/sync-account.js';
import { type Db, openStore } from '../../src/store/db.js';
import { newAccount, type TestAccount } from '../helpers/account.js';
import { type DovecotInfo, startDovecot } from '../helpers/dovecot.js';
import { appendMessages, buildMessage, serverMessages } from '../helpers/mail.js';

const server = inject('dovecot');

/**
 * A loopback TCP proxy in front of Dovecot that records the commands clients send: each
 * connection's lines, without the tag ("EXAMINE \"INBOX\" …").
 */
async function recordingProxy(target: DovecotInfo): Promise<{ port: number; sessions: string[][]; close(): void }> {
  const sessions: string[][] = [];
  const proxy: Server = createServer((downstream) => {
    const lines: string[] = [];
    sessions.push(lines);
    const upstream = createConnection({ host: target.host, port: target.port });
    let partial = '';
    downstream.on('data', (chunk) => {
      partial += chunk.toString('latin1');
      const parts = partial.split('\r\n');
      partial = parts.pop() ?? '';
      for (const line of parts) lines.push(line.replace(/^\S+ /, ''));
      upstream.write(chunk);
    });
    upstream.pipe(downstream);
    const end = () => {
      downstream.destroy();
      upstream.destroy();
    };
    downstream.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  const address = proxy.address();
  if (!address || typeof address === 'string') throw new Error('proxy has no port');
  return { port: address.port, sessions, close: () => proxy.close() };
}

const selects = (sessions: string[][]) =>
  sessions
    .flat()
    .filter((l) => /^(SELECT|EXAMINE) /i.test(l))
    .map((l) => l.split(' ')[1]?.replace(/"/g, ''));
const logins = (sessions: string[][]) => sessions.flat().filter((l) => /^(LOGIN|AUTHENTICATE) /i.test(l)).length;

function storedUids(db: Db, path: string): number[] {
  return (
    db
      .prepare('SELECT m.uid FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.path = ? ORDER BY uid')
      .all(path) as { uid: number }[]
  ).map((r) => r.uid);
}

async function expectMirror(db: Db, client: ImapFlow, path: string): Promise<void> {
  expect(storedUids(db, path), `UIDs of ${path}`).toEqual([...(await serverMessages(client, path)).keys()]);
}

describe('no-change sync with LIST-STATUS and CONDSTORE', () => {
  let account: TestAccount;
  let client: ImapFlow;
  let db: Db;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  const sync = () => {
    proxy.sessions.length = 0;
    return syncAccount({ db, account: account.config.accounts[0]!, settings: account.config.sync });
  };

  beforeAll(async () => {
    proxy = await recordingProxy(server);
    account = newAccount(server);
    account.writeConfig({ port: proxy.port });
    client = await account.client();
    await appendMessages(
      client,
      'INBOX',
      Array.from({ length: 6 }, () => buildMessage()),
    );
    await appendMessages(
      client,
      'Sent',
      Array.from({ length: 4 }, () => buildMessage()),
    );
    db = openStore(account.config.dbPath);
    const first = await sync();
    expect(first.mailboxes.reduce((n, m) => n + m.added, 0)).toBe(10);
    expect(first.unchangedByStatus).toEqual([]);
  });
  afterAll(async () => {
    db?.close();
    await client?.logout();
    proxy?.close();
  });

  it('selects no mailbox and logs in once when nothing changed', async () => {
    const result = await sync();
    const paths = result.mailboxes.map((m) => m.path).sort();
    expect(paths).toEqual(expect.arrayContaining(['INBOX', 'Sent']));
    expect([...result.unchangedByStatus].sort()).toEqual(paths);
    expect(result.mailboxes.every((m) => m.unchanged && m.added + m.flagsChanged + m.expunged === 0)).toBe(true);
    expect(result.mailboxes.find((m) => m.path === 'INBOX')?.exists).toBe(6);
    expect(selects(proxy.sessions)).toEqual([]);
    expect(logins(proxy.sessions)).toBe(1);
    const list = proxy.sessions.flat().find((l) => /^LIST /i.test(l)) ?? '';
    expect(list).toMatch(/STATUS \(.*HIGHESTMODSEQ.*\)/i);
    const synced = db.prepare('SELECT path, last_sync_at FROM mailboxes').all() as { last_sync_at: number | null }[];
    expect(synced.every((r) => r.last_sync_at !== null)).toBe(true);
  });

  it('selects exactly the mailboxes that changed: new mail, a flag, an expunge', async () => {
    await appendMessages(client, 'INBOX', [buildMessage()]);
    let result = await sync();
    expect(selects(proxy.sessions)).toEqual(['INBOX']);
    expect(result.mailboxes.find((m) => m.path === 'INBOX')).toMatchObject({ added: 1, unchanged: false });
    expect(result.unchangedByStatus).toContain('Sent');

    // A flag change leaves MESSAGES, UIDNEXT and UIDVALIDITY alone: only HIGHESTMODSEQ tells.
    let lock = await client.getMailboxLock('Sent');
    try {
      await client.messageFlagsAdd('2', ['\\Flagged']);
    } finally {
      lock.release();
    }
    result = await sync();
    expect(selects(proxy.sessions)).toEqual(['Sent']);
    expect(result.mailboxes.find((m) => m.path === 'Sent')).toMatchObject({ flagsChanged: 1 });
    const flags = db
      .prepare(
        "SELECT COUNT(*) AS n FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.path = 'Sent' AND m.flags LIKE '%Flagged%'",
      )
      .get() as { n: number };
    expect(flags.n).toBe(1);

    lock = await client.getMailboxLock('INBOX');
    try {
      await client.messageDelete('3');
    } finally {
      lock.release();
    }
    result = await sync();
    expect(selects(proxy.sessions)).toEqual(['INBOX']);
    expect(result.mailboxes.find((m) => m.path === 'INBOX')).toMatchObject({ expunged: 1 });
    await expectMirror(db, client, 'INBOX');
    await expectMirror(db, client, 'Sent');

    result = await sync();
    expect(selects(proxy.sessions)).toEqual([]);
  });

  it('syncs a mailbox whose stored state is incomplete (an interrupted run) instead of skipping it', async () => {
    db.prepare("UPDATE mailboxes SET highestmodseq = NULL WHERE path = 'Sent'").run();
    let result = await sync();
    expect(selects(proxy.sessions)).toEqual(['Sent']);
    expect(result.unchangedByStatus).not.toContain('Sent');
    // A message missing from the store (MESSAGES differs) is not "unchanged" either.
    db.prepare(
      "DELETE FROM messages WHERE id = (SELECT m.id FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.path = 'INBOX' ORDER BY m.uid DESC LIMIT 1)",
    ).run();
    db.prepare("UPDATE mailboxes SET uidnext = 1 WHERE path = 'INBOX'").run();
    result = await sync();
    expect(selects(proxy.sessions)).toEqual(['INBOX']);
    await expectMirror(db, client, 'INBOX');
    result = await sync();
    expect(selects(proxy.sessions)).toEqual([]);
  });
});

describe.each([
  {
    name: 'without LIST-STATUS',
    caps: 'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ UIDPLUS NAMESPACE CHILDREN SPECIAL-USE LIST-EXTENDED CONDSTORE QRESYNC',
  },
  {
    name: 'without CONDSTORE',
    caps: 'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ UIDPLUS NAMESPACE CHILDREN SPECIAL-USE LIST-EXTENDED LIST-STATUS',
  },
])('a server $name keeps the SELECT path', ({ caps }) => {
  let dovecot: Awaited<ReturnType<typeof startDovecot>>;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  let account: TestAccount;
  let client: ImapFlow;
  let db: Db;

  beforeAll(async () => {
    dovecot = await startDovecot({ imapCapabilities: caps });
    proxy = await recordingProxy(dovecot.info);
    account = newAccount(dovecot.info);
    account.writeConfig({ port: proxy.port });
    client = await account.client();
    db = openStore(account.config.dbPath);
  });
  afterAll(async () => {
    db?.close();
    await client?.logout();
    proxy?.close();
    await dovecot?.stop();
  });

  it('sends no STATUS, selects every mailbox, and still sees a change', async () => {
    await appendMessages(
      client,
      'INBOX',
      Array.from({ length: 3 }, () => buildMessage()),
    );
    const sync = () => {
      proxy.sessions.length = 0;
      return syncAccount({ db, account: account.config.accounts[0]!, settings: account.config.sync });
    };
    await sync();
    let result = await sync();
    expect(result.unchangedByStatus).toEqual([]);
    expect(proxy.sessions.flat().filter((l) => /STATUS/i.test(l))).toEqual([]);
    expect(selects(proxy.sessions).sort()).toEqual(result.mailboxes.map((m) => m.path).sort());
    await appendMessages(client, 'INBOX', [buildMessage()]);
    result = await sync();
    expect(result.mailboxes.find((m) => m.path === 'INBOX')?.added).toBe(1);
    await expectMirror(db, client, 'INBOX');
  });
});
