// The IMAP field reproducers (../shared/corpora/field/imap, one per public bug report of another
// mail tool) as tests of the project against real Dovecot: each case's messages are appended as
// they are, synced and drafted with the real sync, triage, compose, journal and APPEND code (only
// the model's text is fixed), and judged by the case's own expect.mjs. Folder cases run on a
// Dovecot with the case's namespace; the expunge race runs through a proxy that holds the FETCH.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import { describe, expect, inject, it } from 'vitest';
import { type Config, parseConfig } from '../../src/config/load.js';
import { draftReplies } from '../../src/drafts/run.js';
import { syncAccount } from '../../src/imap/sync-account.js';
import { type Db, openStore } from '../../src/store/db.js';
import { runCli } from '../helpers/account.js';
import { addUser, type DovecotInfo, startDovecot, TEST_PASSWORD } from '../helpers/dovecot.js';

const FIELD = resolve(import.meta.dirname, '../../../shared/corpora/field/imap');
const shared = inject('dovecot');

/** The reply the "model" writes: generation is not what these cases test. */
const STUB_REPLY = 'Thank you, that works for me. I will send you the details tomorrow.\n\nBest,\nAnna';
const stubModel = {
  mode: 'model' as const,
  version: null,
  dir: 'stub',
  generator: {
    async reply() {
      return {
        text: STUB_REPLY,
        ids: [1, 2, 3],
        stoppedBy: 'end_of_turn',
        promptTokens: 10,
        prefillMs: 1,
        decodeMs: 1,
        tokensPerS: 1,
      };
    },
    async close() {},
  },
};

interface Case {
  server: DovecotInfo;
  user: string;
  dir: string;
  configFile: string;
  config: Config;
  /** Rewrites the config with these `[accounts.folders]` lines (and this port). */
  write(folders?: string, port?: number): Config;
  client(): Promise<ImapFlow>;
  db(): Db;
  sync(onNotice?: (m: string) => void): ReturnType<typeof syncAccount>;
  draft(): ReturnType<typeof draftReplies>;
  close(): void;
}

/** An account "case" whose addresses are anna@example.test, as the reproducers' messages expect. */
function newCase(server: DovecotInfo, user: string, folders = ''): Case {
  const dir = mkdtempSync(join(tmpdir(), 'understudy-field-'));
  const configFile = join(dir, 'config.toml');
  writeFileSync(join(dir, 'imap.pass'), `${TEST_PASSWORD}\n`, { mode: 0o600 });
  let db: Db | null = null;
  const c: Case = {
    server,
    user,
    dir,
    configFile,
    config: undefined as unknown as Config,
    write(f = folders, port = server.port) {
      const text = `data_dir = "${join(dir, 'data')}"
log_level = "warn"

[drafts]
temperature = 0
max_age_days = 30
max_new_tokens = 60
quote_original = true

[[accounts]]
name = "case"
host = "127.0.0.1"
port = ${port}
tls = "none"
user = "${user}"
addresses = ["anna@example.test"]
password_file = "${join(dir, 'imap.pass')}"
${f}
`;
      writeFileSync(configFile, text, { mode: 0o600 });
      c.config = parseConfig(text, configFile);
      return c.config;
    },
    async client() {
      const client = new ImapFlow({
        host: server.host,
        port: server.port,
        secure: false,
        doSTARTTLS: false,
        auth: { user, pass: TEST_PASSWORD },
        logger: false,
      });
      await client.connect();
      return client;
    },
    db() {
      db ??= openStore(c.config.dbPath);
      return db;
    },
    sync(onNotice) {
      const account = c.config.accounts[0];
      if (!account) throw new Error('no account');
      return syncAccount({ db: c.db(), account, settings: c.config.sync, ...(onNotice ? { onNotice } : {}) });
    },
    draft() {
      const account = c.config.accounts[0];
      if (!account) throw new Error('no account');
      return draftReplies({ db: c.db(), config: c.config, account, model: async () => stubModel as never });
    },
    close() {
      db?.close();
      db = null;
    },
  };
  c.write(folders);
  return c;
}

/** A case's .eml as IMAP stores it: CRLF line ends, `Date: DATE` made `minutesAgo` old. */
function eml(file: string, minutesAgo = 0): Buffer {
  let raw = readFileSync(file);
  if (!raw.includes('\r\n')) raw = Buffer.from(raw.toString('latin1').replace(/\n/g, '\r\n'), 'latin1');
  const date = new Date(Date.now() - minutesAgo * 60_000).toUTCString().replace('GMT', '+0000');
  return Buffer.from(raw.toString('latin1').replace(/^Date: DATE\r$/m, `Date: ${date}\r`), 'latin1');
}

async function append(c: Case, mailbox: string, raws: Buffer[], flags: string[] = []): Promise<void> {
  const client = await c.client();
  try {
    for (const raw of raws) await client.append(mailbox, raw, flags);
  } finally {
    await client.logout();
  }
}

/** A mailbox as the reproducers' `imap show` prints it (the shape their expect.mjs reads). */
async function show(c: Case, mailbox: string): Promise<Record<string, unknown>[]> {
  const client = await c.client();
  const out: Record<string, unknown>[] = [];
  try {
    const lock = await client.getMailboxLock(mailbox, { readOnly: true });
    try {
      const uids = (await client.search({ all: true }, { uid: true })) || [];
      if (uids.length)
        for await (const m of client.fetch(uids.join(','), { uid: true, flags: true, source: true }, { uid: true })) {
          const source = m.source as Buffer;
          const p = await simpleParser(source);
          const rawHead = source.toString('latin1').split(/\r?\n\r?\n/)[0] ?? '';
          const raw = (name: string) =>
            (rawHead.match(new RegExp(`^${name}:[^\\r\\n]*(\\r?\\n[ \\t][^\\r\\n]*)*`, 'im')) || [''])[0].replace(
              /\r?\n/g,
              '\\n',
            );
          const addresses = (a: typeof p.to) => (a && !Array.isArray(a) ? a.value : undefined);
          out.push({
            uid: m.uid,
            flags: [...(m.flags ?? [])],
            from: addresses(p.from),
            to: addresses(p.to),
            cc: addresses(p.cc),
            subject: p.subject,
            messageId: p.messageId,
            inReplyTo: p.inReplyTo,
            references: p.references,
            raw: {
              to: raw('To'),
              subject: raw('Subject'),
              inReplyTo: raw('In-Reply-To'),
              references: raw('References'),
              from: raw('From'),
            },
            x: p.headers.get('x-understudy-draft') ?? null,
            size: source.length,
            maxLine: Math.max(
              ...source
                .toString('latin1')
                .split('\r\n')
                .map((l) => l.length),
            ),
            text: (p.text || '').slice(0, 400),
          });
        }
    } finally {
      lock.release();
    }
  } finally {
    await client.logout();
  }
  return out;
}

/** Runs a case's expect.mjs on the run summary and the Drafts mailbox; prints its PASS/FAIL lines. */
function judge(name: string, c: Case, summary: unknown, drafts: Record<string, unknown>[]): number {
  const summaryFile = join(c.dir, 'summary.json');
  const draftsFile = join(c.dir, 'drafts.jsonl');
  writeFileSync(summaryFile, JSON.stringify([summary]));
  writeFileSync(draftsFile, drafts.map((d) => JSON.stringify(d)).join('\n'));
  const r = spawnSync(process.execPath, [join(FIELD, name, 'expect.mjs'), summaryFile, draftsFile], {
    encoding: 'utf8',
  });
  console.log(`${name}:\n${r.stdout}${r.stderr}`);
  return r.status ?? 1;
}

const storedIn = (db: Db, pattern: string) =>
  (
    db
      .prepare('SELECT COUNT(*) AS n FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.path LIKE ?')
      .get(pattern) as { n: number }
  ).n;

describe('field reproducers: message cases (sync, triage, compose, APPEND; judged by each case’s expect.mjs)', () => {
  const cases = [
    'message-id-quirks',
    'reply-to-lists',
    'encoded-headers',
    'subject-prefix-stacking',
    'attachment-only-and-named-bodies',
    'display-name-specials',
    'long-lines',
  ];
  for (const name of cases) {
    it(name, async () => {
      const dir = join(FIELD, name);
      const c = newCase(shared, addUser(shared, 'field').user);
      try {
        const incoming = readdirSync(dir)
          .filter((f) => /^in-.*\.eml$/.test(f))
          .sort();
        // As the case runner does: the first message oldest, one minute apart.
        await append(
          c,
          'INBOX',
          incoming.map((f, i) => eml(join(dir, f), 60 - (i + 1))),
        );
        const sent = readdirSync(dir).filter((f) => /^sent-.*\.eml$/.test(f));
        await append(
          c,
          'Sent',
          sent.map((f) => eml(join(dir, f))),
          ['\\Seen'],
        );
        const synced = await c.sync();
        expect(synced.failed).toEqual([]);
        const summary = await c.draft();
        for (const d of summary.decisions)
          console.log(`  ${name} uid ${d.uid} ${JSON.stringify(d.subject)}: ${d.action} ${d.reason ?? ''}`);
        const drafts = await show(c, 'Drafts');
        expect(judge(name, c, summary, drafts), `${name}: expect.mjs failed`).toBe(0);
        // No draft addresses the user, whatever the case.
        for (const d of drafts) expect(String((d.raw as { to: string }).to)).not.toMatch(/anna@example\.test/i);
      } finally {
        c.close();
      }
    });
  }
});

describe('field reproducers: folders', () => {
  it('inbox-prefix-dot-exclude: "Archive" excludes INBOX.Archive on an INBOX.-prefixed, "."-separated server; a glob matching nothing is reported', async () => {
    const server = await startDovecot({
      namespace: readFileSync(join(FIELD, 'inbox-prefix-dot-exclude/ns.conf'), 'utf8'),
    });
    const c = newCase(server.info, 'anna', '[accounts.folders]\nexclude = ["Archive", "Archive/**"]');
    try {
      const client = await c.client();
      await client.mailboxCreate('INBOX.Archive.Private');
      await client.logout();
      const dir = join(FIELD, 'inbox-prefix-dot-exclude');
      await append(c, 'INBOX', [eml(join(dir, 'work.eml'))], ['\\Seen']);
      await append(c, 'INBOX.Archive', [eml(join(dir, 'private.eml'))], ['\\Seen']);
      await append(c, 'INBOX.Archive.Private', [eml(join(dir, 'private.eml'))], ['\\Seen']);

      const first = await c.sync();
      console.log('synced:', first.mailboxes.map((m) => `${m.path} +${m.added}`).join(', '));
      console.log('skipped:', first.skipped.map((s) => `${s.path} (${s.reason})`).join(', '));
      expect(storedIn(c.db(), 'INBOX.Archive%')).toBe(0);
      expect(storedIn(c.db(), 'INBOX')).toBe(1);
      expect(first.skipped).toContainEqual({ path: 'INBOX.Archive', reason: 'excluded by folders.exclude' });
      expect(first.unmatched).toEqual([]);

      // Not excluded: the Archive (\Archive role) is synced; excluded again by its full path
      // with the server's separator, it leaves the store.
      c.write('');
      await c.sync();
      expect(storedIn(c.db(), 'INBOX.Archive%')).toBe(1);
      c.write('[accounts.folders]\nexclude = ["INBOX.Archive"]');
      const again = await c.sync();
      expect(again.removed.map((r) => r.path)).toEqual(['INBOX.Archive']);
      expect(storedIn(c.db(), 'INBOX.Archive%')).toBe(0);

      // A typo matches nothing: sync and config check say so, naming the glob and what exists.
      c.write('[accounts.folders]\nexclude = ["Archiv/**"]\ninclude = ["Archive/Private"]');
      const typo = await c.sync();
      expect(typo.unmatched.map((u) => [u.key, u.glob])).toEqual([['folders.exclude', 'Archiv/**']]);
      expect(typo.unmatched[0]?.message).toMatch(
        /folders\.exclude "Archiv\/\*\*" matches no mailbox; the server has: .*Archive\/Private/,
      );
      expect(typo.mailboxes.map((m) => m.path)).toContain('INBOX.Archive.Private');
      const check = await runCli(['--config', c.configFile, 'config', 'check']);
      console.log(check.stdout);
      expect(check.code, check.stderr).toBe(0);
      expect(check.stdout).toMatch(/WARNING: folders\.exclude "Archiv\/\*\*" matches no mailbox/);
      const json = JSON.parse((await runCli(['--config', c.configFile, 'config', 'check', '--json'])).stdout);
      expect(json.accounts[0].folderCheck.unmatched.map((u: { glob: string }) => u.glob)).toEqual(['Archiv/**']);
      const cli = await runCli(['--config', c.configFile, 'sync', '--json']);
      expect(JSON.parse(cli.stdout).accounts[0].unmatched.map((u: { glob: string }) => u.glob)).toEqual(['Archiv/**']);
      const human = await runCli(['--config', c.configFile, 'sync', '-q']);
      expect(human.stdout).toMatch(/warning: folders\.exclude "Archiv\/\*\*" matches no mailbox/);
    } finally {
      c.close();
      await server.stop();
    }
  });

  it('glob-special-folder-names: [Gmail]/All Mail excluded, [Gmail]/Important included, \\Noselect parent skipped, a long name deep under Deep/** synced', async () => {
    const server = await startDovecot({
      namespace: readFileSync(join(FIELD, 'glob-special-folder-names/ns.conf'), 'utf8'),
    });
    const long = `Projekt ${'Langer Ordnername '.repeat(10)}Ende`;
    const c = newCase(
      server.info,
      'anna',
      '[accounts.folders]\ninclude = ["[Gmail]/Important", "Deep/**"]\nexclude = ["[Gmail]/All Mail"]',
    );
    try {
      const mail = eml(join(FIELD, 'glob-special-folder-names/all-mail.eml'));
      await append(c, '[Gmail]/All Mail', [mail], ['\\Seen']);
      await append(c, '[Gmail]/Important', [mail], ['\\Seen']);
      const client = await c.client();
      await client.mailboxCreate(`Deep/A/B/C/${long}`);
      await client.logout();
      await append(c, `Deep/A/B/C/${long}`, [mail], ['\\Seen']);
      const r = await c.sync();
      console.log('synced:', r.mailboxes.map((m) => `${m.path.slice(0, 40)} +${m.added}`).join(', '));
      expect(r.failed).toEqual([]);
      expect(r.unmatched).toEqual([]);
      expect(storedIn(c.db(), '[Gmail]/All Mail')).toBe(0);
      expect(storedIn(c.db(), '[Gmail]/Important')).toBe(1);
      expect(storedIn(c.db(), `Deep/A/B/C/${long}`)).toBe(1);
      const parent = r.skipped.find((s) => s.path === '[Gmail]');
      if (parent) expect(parent.reason).toBe('not selectable (\\Noselect)');
    } finally {
      c.close();
      await server.stop();
    }
  });

  for (const [lang, ns, drafts] of [
    ['de', 'ns-de.conf', 'Entwürfe'],
    ['ru', 'ns-ru.conf', 'Черновики'],
  ] as const) {
    it(`utf7-localized-folders (${lang}): UTF-8 names stored, "&" in a name synced, the draft threaded in "${drafts}", once`, async () => {
      const dir = join(FIELD, 'utf7-localized-folders');
      const server = await startDovecot({ namespace: readFileSync(join(dir, ns), 'utf8') });
      const c = newCase(
        server.info,
        'anna',
        lang === 'de' ? '[accounts.folders]\ninclude = ["Archiv/Müller & Söhne"]' : '',
      );
      try {
        await append(c, 'INBOX', [eml(join(dir, 'incoming.eml'))]);
        if (lang === 'de') {
          const client = await c.client();
          await client.mailboxCreate('Archiv/Müller & Söhne');
          await client.logout();
          await append(c, 'Archiv/Müller & Söhne', [eml(join(dir, 'filed.eml'))], ['\\Seen']);
          await append(c, 'Gesendete Elemente', [eml(join(dir, 'sent.eml'))], ['\\Seen']);
        }
        const r = await c.sync();
        expect(r.failed).toEqual([]);
        const paths = (c.db().prepare('SELECT path FROM mailboxes').all() as { path: string }[]).map((p) => p.path);
        console.log(`${lang} mailboxes stored:`, paths.join(', '));
        if (lang === 'de') {
          expect(paths).toContain('Archiv/Müller & Söhne');
          expect(paths).toContain('Gesendete Elemente');
          expect(storedIn(c.db(), 'Archiv/Müller & Söhne')).toBe(1);
        }
        const summary = await c.draft();
        expect(summary.drafted.length, JSON.stringify(summary.decisions)).toBe(1);
        const inDrafts = await show(c, drafts);
        expect(inDrafts).toHaveLength(1);
        expect(String(inDrafts[0]?.inReplyTo)).toContain('angebot-7@kunde.example');
        await c.draft();
        expect(await show(c, drafts)).toHaveLength(1);
      } finally {
        c.close();
        await server.stop();
      }
    });
  }
});

describe('field reproducers: no-uidplus-drafts', () => {
  it("server without UIDPLUS/CONDSTORE/QRESYNC: the stale draft is only flagged \\Deleted, the user's own \\Deleted draft survives, the new draft is journalled with its UID", async () => {
    const dir = join(FIELD, 'no-uidplus-drafts');
    const server = await startDovecot({
      imapCapabilities: 'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ NAMESPACE CHILDREN SPECIAL-USE',
    });
    const c = newCase(server.info, 'anna');
    try {
      await append(c, 'Drafts', [eml(join(dir, 'users-own-draft.eml'))], ['\\Draft', '\\Seen', '\\Deleted']);
      await append(c, 'INBOX', [eml(join(dir, 'in-1.eml'), 2)]);
      await c.sync();
      expect((await c.draft()).drafted).toHaveLength(1);
      await append(c, 'INBOX', [eml(join(dir, 'in-2.eml'), 1)]);
      await c.sync();
      expect((await c.draft()).drafted).toHaveLength(1);
      const drafts = await show(c, 'Drafts');
      for (const d of drafts)
        console.log('  Drafts:', d.uid, JSON.stringify(d.subject), (d.flags as string[]).join(' '), d.inReplyTo);
      const deleted = (d: Record<string, unknown>) => (d.flags as string[]).includes('\\Deleted');
      expect(drafts.filter((d) => String(d.messageId).includes('mine-1@example.test'))).toHaveLength(1);
      expect(drafts.filter((d) => d.inReplyTo === '<uv-1@partner.example>' && deleted(d))).toHaveLength(1);
      expect(drafts.filter((d) => d.inReplyTo === '<uv-2@partner.example>' && !deleted(d))).toHaveLength(1);
      const journalled = c
        .db()
        .prepare("SELECT COUNT(*) AS n FROM drafts WHERE state = 'appended' AND uid IS NOT NULL")
        .get() as {
        n: number;
      };
      expect(journalled.n).toBe(1);
    } finally {
      c.close();
      await server.stop();
    }
  });
});

/**
 * A loopback proxy in front of Dovecot that, the first time the client sends a command matching
 * `trigger`, holds it while `meanwhile` runs (another client expunging), then forwards it. With
 * `refuseWith`, the server's tagged OK for that command reaches the client as this NO instead,
 * the way servers other than Dovecot answer a FETCH that met an expunged message.
 */
async function raceProxy(
  upstream: number,
  trigger: RegExp,
  meanwhile: () => Promise<void>,
  refuseWith?: string,
): Promise<{ port: number; fired: () => boolean; refused: () => boolean; close: () => Promise<void> }> {
  let fired = false;
  let refused = false;
  let heldTag: string | null = null;
  // Tags are per connection: only the connection that sent the held command gets the NO.
  let heldOn: net.Socket | null = null;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const up = net.connect(upstream, '127.0.0.1');
    sockets.add(client);
    sockets.add(up);
    // Server → client, whole lines at a time so that the tagged answer can be rewritten.
    let pending = '';
    up.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      const end = pending.lastIndexOf('\r\n');
      if (end < 0) return;
      let lines = pending.slice(0, end + 2);
      pending = pending.slice(end + 2);
      if (refuseWith && heldTag && !refused && heldOn === client) {
        const tagged = new RegExp(`^${heldTag} OK [^\\r]*`, 'm');
        if (tagged.test(lines)) {
          lines = lines.replace(tagged, `${heldTag} ${refuseWith}`);
          refused = true;
        }
      }
      client.write(Buffer.from(lines, 'latin1'));
    });
    let queue = Promise.resolve();
    client.on('data', (chunk: Buffer) => {
      queue = queue.then(async () => {
        const text = chunk.toString('latin1');
        if (!fired && trigger.test(text)) {
          fired = true;
          heldTag = text.split(' ')[0] ?? null;
          heldOn = client;
          await meanwhile();
        }
        up.write(chunk);
      });
    });
    client.on('close', () => up.destroy());
    up.on('close', () => client.destroy());
    client.on('error', () => up.destroy());
    up.on('error', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    fired: () => fired,
    refused: () => refused,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('field reproducers: expunge-between-search-and-fetch', () => {
  const mk = (i: number) =>
    Buffer.from(
      `From: Sender ${i} <s${i}@partner.example>\r\nTo: anna@example.test\r\nSubject: Message ${i}\r\nMessage-ID: <race-${i}-${Math.random().toString(36).slice(2)}@partner.example>\r\nDate: Mon, 04 Mar 2024 10:0${i % 10}:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBody of message ${i}.\r\n`,
    );
  // [name, command held, UID expunged meanwhile, synced once before, the server answers that
  // UID with empty data (Dovecot does on a first sync; on an incremental one it still serves the
  // message's data, as RFC 2180 §4.1.1 allows, and the expunge is applied after the FETCH)]
  const scenarios: [string, RegExp, number, boolean, boolean, string?][] = [
    ['expunged before the header/BODYSTRUCTURE FETCH', /UID FETCH .*BODYSTRUCTURE/, 3, false, true],
    ['expunged before the text-part FETCH', /UID FETCH .*BODY\.PEEK\[1\]/, 3, false, false],
    ['incremental sync, a new message expunged before the header FETCH', /UID FETCH .*BODYSTRUCTURE/, 7, true, false],
    // Other servers' answers to the same race: a tagged NO (RFC 5530 EXPUNGEISSUED, or words).
    [
      'the header FETCH answered NO [EXPUNGEISSUED]',
      /UID FETCH .*BODYSTRUCTURE/,
      3,
      false,
      false,
      'NO [EXPUNGEISSUED] Some messages in the set were expunged',
    ],
    [
      'the text-part FETCH answered NO "Message has been deleted"',
      /UID FETCH .*BODY\.PEEK\[1\]/,
      2,
      false,
      false,
      'NO Message has been deleted',
    ],
  ];
  const caseServer = shared;
  for (const [name, trigger, victim, preseed, emptyData, refuseWith] of scenarios) {
    it(`${name}: skipped quietly, no reconnect, store equals server`, async () => {
      const c = newCase(caseServer, addUser(caseServer, 'race').user);
      try {
        await append(c, 'INBOX', [1, 2, 3, 4, 5].map(mk), ['\\Seen']);
        if (preseed) {
          await c.sync();
          await append(c, 'INBOX', [6, 7, 8].map(mk), ['\\Seen']);
        }
        const proxy = await raceProxy(
          caseServer.port,
          trigger,
          async () => {
            const other = await c.client();
            const lock = await other.getMailboxLock('INBOX');
            try {
              await other.messageDelete(String(victim), { uid: true });
            } finally {
              lock.release();
              await other.logout();
            }
          },
          refuseWith,
        );
        try {
          c.close();
          c.write('', proxy.port);
          // Every row the sync inserts, even one deleted again before it ends (a TEMP trigger
          // lives on this connection only, the one the sync writes through).
          c.db().exec(
            'CREATE TEMP TABLE inserted (uid INTEGER, message_id TEXT); CREATE TEMP TRIGGER log_insert AFTER INSERT ON messages BEGIN INSERT INTO inserted VALUES (NEW.uid, NEW.message_id); END;',
          );
          const notices: string[] = [];
          const r = await c.sync((m) => notices.push(m));
          expect(proxy.fired(), 'the proxy saw the FETCH').toBe(true);
          if (refuseWith) expect(proxy.refused(), 'the proxy answered NO').toBe(true);
          const inserted = (c.db().prepare('SELECT uid FROM inserted').all() as { uid: number }[]).map((x) => x.uid);
          console.log(`${name}: rows inserted for UIDs ${inserted.join(',')}`);
          // Answered with empty data: never stored, not even for a moment, with empty headers.
          if (emptyData) expect(inserted).not.toContain(victim);
          console.log(`${name}: reconnects ${r.reconnects}, notices ${JSON.stringify(notices)}`);
          expect(r.failed).toEqual([]);
          expect(r.reconnects).toBe(0);
          expect(notices).toEqual([]);
        } finally {
          await proxy.close();
        }
        const stored = () =>
          (
            c
              .db()
              .prepare(
                "SELECT m.uid FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.path = 'INBOX' ORDER BY m.uid",
              )
              .all() as { uid: number }[]
          ).map((r) => r.uid);
        const onServer = (await show(c, 'INBOX')).map((m) => m.uid);
        expect(onServer).not.toContain(victim);
        expect(stored()).toEqual(onServer);
        c.close();
        c.write('');
        await c.sync();
        expect(stored()).toEqual(onServer);
      } finally {
        c.close();
      }
    });
  }
});
