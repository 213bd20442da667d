// Sync under failure, the mbsync way: servers without CONDSTORE/QRESYNC, a connection killed
// mid-fetch, and the sync process SIGKILLed at random points and rerun until complete.
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ImapError } from '../../src/imap/errors.js';
import { syncAccount } from '../../src/imap/sync-account.js';
import { type Db, openStore } from '../../src/store/db.js';
import { CLI, newAccount, runCli, type TestAccount } from '../helpers/account.js';
import { type DovecotInfo, killImapProcesses, startDovecot } from '../helpers/dovecot.js';
import { appendMessages, buildMessage, serverMessages } from '../helpers/mail.js';

const server = inject('dovecot');

function stored(db: Db, path: string): Map<number, string | null> {
  const rows = db
    .prepare(
      'SELECT m.uid, m.message_id FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.path = ? ORDER BY uid',
    )
    .all(path) as { uid: number; message_id: string | null }[];
  return new Map(rows.map((r) => [r.uid, r.message_id]));
}

async function expectExactMirror(db: Db, client: ImapFlow, paths: string[]): Promise<number> {
  let total = 0;
  for (const path of paths) {
    const onServer = await serverMessages(client, path);
    const local = stored(db, path);
    expect([...local.keys()], `UIDs of ${path}`).toEqual([...onServer.keys()]);
    for (const [uid, m] of onServer) expect(local.get(uid)).toBe(m.messageId);
    const dupes = db
      .prepare(
        'SELECT message_id, COUNT(*) AS n FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.path = ? GROUP BY message_id HAVING n > 1',
      )
      .all(path);
    expect(dupes, `duplicates in ${path}`).toEqual([]);
    total += onServer.size;
  }
  return total;
}

/** Deterministic PRNG (mulberry32) so a failing kill schedule can be replayed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('a server without CONDSTORE and QRESYNC', () => {
  let plain: Awaited<ReturnType<typeof startDovecot>>;
  let info: DovecotInfo;
  let account: TestAccount;
  let client: ImapFlow;
  let db: Db;

  beforeAll(async () => {
    plain = await startDovecot({
      imapCapabilities:
        'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ UIDPLUS NAMESPACE CHILDREN SPECIAL-USE',
    });
    info = plain.info;
    account = newAccount(info);
    client = await account.client();
    db = openStore(account.config.dbPath);
  });
  afterAll(async () => {
    db?.close();
    await client?.logout();
    await plain?.stop();
  });

  it('detects new mail, flag changes and expunges by comparing UID sets', async () => {
    expect(client.capabilities.has('CONDSTORE')).toBe(false);
    await appendMessages(
      client,
      'INBOX',
      Array.from({ length: 20 }, () => buildMessage()),
    );
    const sync = () => syncAccount({ db, account: account.config.accounts[0]!, settings: account.config.sync });
    let result = await sync();
    expect(result.mailboxes.find((m) => m.path === 'INBOX')?.added).toBe(20);
    const lock = await client.getMailboxLock('INBOX');
    try {
      await client.messageFlagsAdd('2:4', ['\\Answered']);
      await client.messageDelete('10:12');
    } finally {
      lock.release();
    }
    await appendMessages(client, 'INBOX', [buildMessage(), buildMessage()]);
    result = await sync();
    expect(result.mailboxes.find((m) => m.path === 'INBOX')).toMatchObject({
      added: 2,
      flagsChanged: 3,
      expunged: 3,
    });
    const answered = db.prepare(`SELECT COUNT(*) AS n FROM messages WHERE flags LIKE '%\\Answered%'`).get() as {
      n: number;
    };
    expect(answered.n).toBe(3);
    expect(await expectExactMirror(db, client, ['INBOX', 'Sent'])).toBe(19);
  });
});

describe('failures during sync', () => {
  let account: TestAccount;
  // Killing the user's IMAP processes also kills this test's own connection, so every check
  // opens a fresh one.
  const fresh = async <T>(fn: (client: ImapFlow) => Promise<T>): Promise<T> => {
    const client = await account.client();
    try {
      return await fn(client);
    } finally {
      await client.logout().catch(() => client.close());
    }
  };

  beforeAll(async () => {
    account = newAccount(server, { top: '[sync]\nbatch_size = 40\nparallel_mailboxes = 1' });
    const client = await account.client();
    const body = `${'A line of a long message that takes some time to move. '.repeat(40)}\r\n`;
    await appendMessages(
      client,
      'INBOX',
      Array.from({ length: 600 }, (_, i) => buildMessage({ subject: `Bulk ${i}`, body })),
    );
    await appendMessages(
      client,
      'Sent',
      Array.from({ length: 300 }, (_, i) => buildMessage({ subject: `Re: Bulk ${i}`, body })),
    );
    await client.logout();
  });

  it('a connection dropped mid-fetch fails the run as temporary, and the next run completes it', async () => {
    const db = openStore(`${account.dir}/drop.db`);
    let killed = 0;
    const settings = { ...account.config.sync, retries: 0, retryWindowMs: 0 };
    const error = await syncAccount({
      db,
      account: account.config.accounts[0]!,
      settings,
      onProgress: (p) => {
        if (p.phase === 'fetch' && p.done >= 80 && killed === 0) killed = killImapProcesses(account.user);
      },
    }).catch((e) => e);
    expect(killed).toBeGreaterThan(0);
    expect(error).toBeInstanceOf(ImapError);
    expect(error.kind).toBe('temporary');
    const partial = stored(db, 'INBOX').size + stored(db, 'Sent').size;
    expect(partial).toBeGreaterThanOrEqual(80);
    expect(partial).toBeLessThan(900);
    console.log(`connection killed after ${partial} messages were stored: ${error.code} — ${error.message}`);

    const result = await syncAccount({ db, account: account.config.accounts[0]!, settings });
    expect(result.reconnects).toBe(0);
    expect(await fresh((client) => expectExactMirror(db, client, ['INBOX', 'Sent']))).toBe(900);
    db.close();
  });

  it('with retries, the same run reconnects and completes', async () => {
    const db = openStore(`${account.dir}/retry.db`);
    let kills = 0;
    const notices: string[] = [];
    const result = await syncAccount({
      db,
      account: account.config.accounts[0]!,
      settings: { ...account.config.sync, retries: 3 },
      onNotice: (m) => notices.push(m),
      onProgress: (p) => {
        if (p.phase === 'fetch' && p.done >= 120 && kills < 2 && p.done % 120 === 0)
          kills += Math.min(1, killImapProcesses(account.user));
      },
    });
    expect(kills).toBeGreaterThan(0);
    expect(result.reconnects).toBeGreaterThanOrEqual(1);
    expect(notices.join('\n')).toMatch(/reconnecting in/);
    expect(await fresh((client) => expectExactMirror(db, client, ['INBOX', 'Sent']))).toBe(900);
    console.log(
      `killed the connection ${kills}× mid-fetch; ${result.reconnects} reconnects; notices: ${notices.join(' | ')}`,
    );
    db.close();
  });

  it('SIGKILL of the sync process at random points, then a rerun, leaves exactly the server’s messages', async () => {
    const random = prng(20261127);
    const dataDir = `${account.dir}/data`;
    const runSync = () =>
      spawn(process.execPath, [CLI, '--config', account.configFile, 'sync', '--quiet'], {
        stdio: 'ignore',
      });
    const killAfter = async (delay: number) => {
      const child = runSync();
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      return exited;
    };
    const storedCount = () => {
      const check = openStore(account.config.dbPath);
      try {
        expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
        return (check.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n;
      } finally {
        check.close();
      }
    };
    // How long a whole first sync takes here, process start included: kills land inside it.
    rmSync(dataDir, { recursive: true, force: true });
    const t0 = Date.now();
    expect((await runCli(['--config', account.configFile, 'sync', '--quiet'])).code).toBe(0);
    const full = Date.now() - t0;

    const log: string[] = [];
    let midSync = 0;
    for (let round = 0; round < 6; round++) {
      rmSync(dataDir, { recursive: true, force: true });
      const kills: string[] = [];
      // One to three kills per round: of a first sync, then of the runs that resume it.
      for (let k = 0; k <= round % 3; k++) {
        const delay = Math.round(full * (0.2 + random() * 0.75));
        const code = await killAfter(delay);
        const n = existsSync(account.config.dbPath) ? storedCount() : 0;
        if (code !== 0 && n > 0 && n < 900) midSync++;
        kills.push(`${delay} ms → ${n}${code === 0 ? ' (had finished)' : ''}`);
      }
      await fresh(async (client) => {
        // Whatever is stored is a true copy: each stored UID has the server's Message-ID.
        const check = openStore(account.config.dbPath);
        for (const path of ['INBOX', 'Sent']) {
          const onServer = await serverMessages(client, path);
          for (const [uid, id] of stored(check, path))
            if (onServer.has(uid)) expect(id).toBe(onServer.get(uid)?.messageId);
        }
        check.close();
        // Between rounds the mailbox keeps changing, as it would in real life.
        const lock = await client.getMailboxLock('INBOX');
        try {
          if (round === 1) await client.messageDelete(`${10 + round}:${20 + round}`);
          if (round === 3) await client.messageFlagsAdd('1:50', ['\\Flagged']);
        } finally {
          lock.release();
        }
        if (round === 2)
          await appendMessages(
            client,
            'INBOX',
            Array.from({ length: 15 }, () => buildMessage()),
          );
      });
      const final = await runCli(['--config', account.configFile, 'sync', '--json']);
      expect(final.code, final.stderr).toBe(0);
      const db = openStore(account.config.dbPath);
      const total = await fresh((client) => expectExactMirror(db, client, ['INBOX', 'Sent']));
      db.close();
      log.push(`round ${round}: killed at ${kills.join(', ')}; rerun → exactly the server's ${total}`);
    }
    // Most kills must have hit a sync in progress, or this test proves little.
    expect(midSync).toBeGreaterThanOrEqual(4);
    const db = openStore(account.config.dbPath);
    const flagged = db
      .prepare(
        `SELECT COUNT(*) AS n FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.path = 'INBOX' AND m.flags LIKE '%Flagged%'`,
      )
      .get() as { n: number };
    expect(flagged.n).toBe(50);
    db.close();
    // And once more: a run after a complete one changes nothing (idempotence).
    const again = JSON.parse((await runCli(['--config', account.configFile, 'sync', '--json'])).stdout);
    expect(again.accounts[0].mailboxes.every((m: { unchanged: boolean }) => m.unchanged)).toBe(true);
    console.log(`full sync ${full} ms; ${midSync} kills landed mid-sync\n${log.join('\n')}`);
  });
});
