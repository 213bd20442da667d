// Hostile messages through the real path at a real Dovecot: every file of tests/fixtures/hostile (the field/hostile
// five and the generated families) is appended to INBOX, with the user's replies to some of them in Sent; then the
// built CLI syncs, builds the dataset and triages drafts (`draft --dry-run`). Each message must be stored with its
// threading headers, the replies paired by those headers, and every message get a decision with a reason; the test's
// timeout is the bound on time (the budgets are in bench:fuzz).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FuzzGenerator } from '../fixtures/hostile/fuzz-gen.js';
import { newAccount, runCli, type TestAccount } from '../helpers/account.js';
import { appendMessages } from '../helpers/mail.js';

const server = inject('dovecot');
const FIXTURES = resolve(import.meta.dirname, '../fixtures/hostile');

const files = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.eml'))
  .sort();

/** The Message-ID each fixture was written with (read with a plain scan: that is what the test checks the code for). */
function fixtureId(raw: Buffer): string {
  const m = /\r?\nMessage-ID: (<[^<>\s]+>)\r?\n/i.exec(raw.toString('latin1'));
  if (!m?.[1]) throw new Error('fixture without a Message-ID');
  return m[1];
}

/** The user's reply to a hostile message, threaded by In-Reply-To only. */
function reply(user: string, parentId: string, n: number): string {
  return [
    `From: Me <${user}@example.test>`,
    'To: Ann <ann@example.test>',
    `Subject: Re: hostile ${n}`,
    `Date: ${new Date(Date.now() - 3_600_000 + n * 60_000).toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <reply-${n}@example.test>`,
    `In-Reply-To: ${parentId}`,
    `References: ${parentId}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Thanks Ann, that works for me. I will send the numbers on Friday (${n}).`,
    '',
  ].join('\r\n');
}

describe('hostile messages at Dovecot: sync → dataset build → draft --dry-run', () => {
  let account: TestAccount;
  const ids = new Map<string, string>();
  const timings: Record<string, number> = {};
  const cli = async (name: string, ...args: string[]) => {
    const started = Date.now();
    const result = await runCli(['--config', account.configFile, ...args], {}, 240_000);
    timings[name] = Date.now() - started;
    return result;
  };

  beforeAll(async () => {
    account = newAccount(server, { top: '[drafts]\nmax_age_days = 30\nreply_when_cc = true\n' });
    // The fixtures are addressed to "Me <me@example.test>": make that one of this user's addresses, or triage
    // rightly skips them all as not addressed to the user.
    const config = readFileSync(account.configFile, 'utf8');
    writeFileSync(
      account.configFile,
      config.replace(/addresses = \["([^"]+)"\]/, 'addresses = ["$1", "me@example.test"]'),
    );
    const client = await account.client();
    const raws = files.map((f) => readFileSync(join(FIXTURES, f)));
    for (const [i, f] of files.entries()) ids.set(f, fixtureId(raws[i] as Buffer));
    // Dated yesterday, so that triage reads them all instead of passing them over as too old; a hostile Date (longer
    // than a real one) is kept as it is.
    const yesterday = new Date(Date.now() - 86_400_000).toUTCString().replace('GMT', '+0000');
    await appendMessages(
      client,
      'INBOX',
      raws.map((r) => r.toString('latin1').replace(/\r\nDate: [^\r\n]{1,100}\r\n/, `\r\nDate: ${yesterday}\r\n`)),
      [],
    );
    // Replies to the messages whose headers are the hardest to read: they must pair by In-Reply-To.
    const answered = ['subject-1mb-then-message-id.eml', 'references-8000-ids.eml', 'from-unclosed-quotes-60k.eml'];
    await appendMessages(
      client,
      'Sent',
      answered.map((f, n) => reply(account.user, ids.get(f) as string, n)),
    );
    await client.logout();
  }, 120_000);

  afterAll(() => {
    console.log(`hostile path timings (ms): ${JSON.stringify(timings)}`);
  });

  it('sync stores every message with its Message-ID and From, however huge its headers', async () => {
    const sync = await cli('sync', 'sync', '--json', '--quiet');
    expect(sync.code, sync.stderr).toBe(0);
    expect(sync.stderr).not.toMatch(/\n\s+at /);
    const db = new Database(join(account.dir, 'data', 'understudy.db'), { readonly: true, fileMustExist: true });
    try {
      const rows = db
        .prepare(
          "SELECT m.message_id AS id, m.from_addr AS sender FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.path = 'INBOX'",
        )
        .all() as { id: string | null; sender: string | null }[];
      const stored = new Set(rows.map((r) => r.id));
      expect(rows).toHaveLength(files.length);
      for (const f of files) expect(stored.has(ids.get(f) as string), `${f}: ${ids.get(f)}`).toBe(true);
      for (const r of rows) {
        const from = JSON.parse(r.sender ?? '[]') as { address?: string }[];
        expect(from[0]?.address, `From of ${r.id}`).toMatch(/@example\.test$/);
      }
    } finally {
      db.close();
    }
  }, 240_000);

  it('dataset build pairs the replies by their In-Reply-To, hostile parents included', async () => {
    const build = await cli('dataset', 'dataset', 'build', '--json');
    expect(build.code, build.stderr).toBe(0);
    const summary = JSON.parse(build.stdout).accounts[0];
    console.log(`hostile dataset build: ${JSON.stringify(summary)}`);
    expect(summary.sent).toBe(3);
    expect(summary.pairedByHeaders).toBe(3);
  }, 240_000);

  it('draft --dry-run gives every message a decision, and every skip a reason', async () => {
    const dry = await cli('draft', 'draft', '--dry-run', '--json');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).not.toMatch(/\n\s+at /);
    const parsed = JSON.parse(dry.stdout);
    const summary = Array.isArray(parsed) ? parsed[0] : (parsed.accounts?.[0] ?? parsed);
    const decisions = summary.decisions as { uid: number; action: string; reason?: string }[];
    console.log(
      `hostile triage: ${JSON.stringify(decisions.map((d) => `${d.uid}:${d.action}${d.reason ? `:${d.reason}` : ''}`))}`,
    );
    expect(decisions.length).toBe(files.length);
    for (const d of decisions) {
      expect(['draft', 'skip']).toContain(d.action);
      if (d.action === 'skip') expect(d.reason, `uid ${d.uid}`).toMatch(/^[a-z_]+$/);
    }
    // At least the plain ones among them are drafted: hostility in one part does not make a message unanswerable.
    expect(decisions.filter((d) => d.action === 'draft').length).toBeGreaterThan(0);
  }, 240_000);
});

describe('generated hostile messages at Dovecot: sync → draft --dry-run', () => {
  /** Seeded like the fuzz suite, at its sizes; what Dovecot refuses to APPEND (NUL bytes, no header) is left out. */
  const COUNT = 150;
  let account: TestAccount;
  let appended = 0;

  beforeAll(async () => {
    account = newAccount(server, { top: '[drafts]\nmax_age_days = 30\nreply_when_cc = true\n' });
    const client = await account.client();
    const gen = new FuzzGenerator(1616, 0.25);
    const recent = new Date(Date.now() - 86_400_000);
    for (let i = 0; i < COUNT; i++) {
      const input = gen.next();
      try {
        const r = await client.append('INBOX', input.raw, [], recent);
        if (r && typeof r === 'object' && r.uid) appended++;
      } catch {
        // A message the server will not store is not ours to sync.
      }
    }
    await client.logout();
  }, 180_000);

  it('every message the server holds is synced and triaged with a reason, nothing thrown', async () => {
    const cli = (...args: string[]) => runCli(['--config', account.configFile, ...args], {}, 240_000);
    const started = Date.now();
    const sync = await cli('sync', '--quiet');
    expect(sync.code, sync.stderr).toBe(0);
    const synced = Date.now();
    const dry = await cli('draft', '--dry-run', '--json', '--no-sync');
    expect(dry.code, dry.stderr).toBe(0);
    expect(`${sync.stderr}${dry.stderr}`).not.toMatch(/\n\s+at /);
    console.log(
      `generated hostile: ${appended}/${COUNT} appended; sync ${synced - started} ms, draft --dry-run ${Date.now() - synced} ms`,
    );
    const db = new Database(join(account.dir, 'data', 'understudy.db'), { readonly: true, fileMustExist: true });
    try {
      const stored = db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number };
      expect(stored.n).toBe(appended);
    } finally {
      db.close();
    }
    const decisions = JSON.parse(dry.stdout).accounts[0].decisions as { action: string; reason?: string }[];
    expect(decisions.length).toBeGreaterThan(0);
    for (const d of decisions) if (d.action === 'skip') expect(d.reason).toMatch(/^[a-z_]+$/);
  }, 300_000);
});
