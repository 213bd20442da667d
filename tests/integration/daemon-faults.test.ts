// The daemon under faults, on a Dovecot of its own (this file restarts it): SIGKILL at random
// moments of sync, drafting and training (20 runs, checked after each), a Dovecot restart under a
// running daemon, a UIDVALIDITY change under it, and a run under strace that records every
// outbound connection and every child's argv and environment (egress and secrets).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, newAccount, runCli, type TestAccount } from '../helpers/account.js';
import { doveadm, startDovecot, TEST_PASSWORD } from '../helpers/dovecot.js';
import { dnsOrForeignTraffic } from '../helpers/egress.js';
import { appendMessages, serverMessages } from '../helpers/mail.js';
import { type PersonaThread, personaThreads, seedPersonaMailbox } from '../helpers/persona.js';
import { tinyModel, tinyTrainSection } from '../helpers/tiny-model.js';
import { personaTrainSection, sharedPersonaVersion } from '../helpers/trained-version.js';

const DAY = 86_400_000;
const RUNS = 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | null | undefined | false> | T | null | undefined | false,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

interface Daemon {
  child: ChildProcess;
  log: () => string;
  exited: Promise<number | null>;
}

describe('the daemon under faults', () => {
  let dovecot: Awaited<ReturnType<typeof startDovecot>>;
  let account: TestAccount;
  let me: string;
  let fresh: PersonaThread[];
  const model = tinyModel();
  const dbFile = () => join(account.config.dataDir, 'understudy.db');

  const configTop = (o: { steps: number; minNew: number; syncCron?: string; trainCron?: string; train?: string }) =>
    (o.train ?? tinyTrainSection(model, { max_steps: o.steps, eval_samples: 2 })) +
    `[drafts]\ntemperature = 0\nmax_age_days = 60\nmax_new_tokens = 40\n` +
    `[daemon]\nsync_cron = "${o.syncCron ?? '*/4 * * * * *'}"\ntrain_cron = "${o.trainCron ?? '*/3 * * * * *'}"\nmin_new_examples = ${o.minNew}\nshutdown_timeout_s = 10\n`;

  const start = (command: string[] = [process.execPath, CLI], env: Record<string, string> = {}): Daemon => {
    let out = '';
    const child = spawn(
      command[0]!,
      [...command.slice(1), '--config', account.configFile, '--log-level', 'info', 'daemon'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...env },
      },
    );
    child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    return { child, log: () => out, exited };
  };
  const status = () => {
    try {
      return JSON.parse(readFileSync(join(account.config.dataDir, 'daemon-status.json'), 'utf8'));
    } catch {
      return null;
    }
  };
  const running = (): string[] =>
    (status()?.jobs ?? []).filter((j: { running: boolean }) => j.running).map((j: { kind: string }) => j.kind);

  /** Drafts on the server: In-Reply-To of each. */
  async function draftsByParent(): Promise<Map<string, number>> {
    const client = await account.client();
    const out = new Map<string, number>();
    const lock = await client.getMailboxLock('Drafts');
    try {
      const uids = (await client.search({ all: true }, { uid: true })) || [];
      if (uids.length) {
        for await (const m of client.fetch(uids.join(','), { uid: true, headers: ['in-reply-to'] }, { uid: true })) {
          const parent = /in-reply-to:\s*(<[^>]+>)/i.exec(m.headers?.toString() ?? '')?.[1] ?? '?';
          out.set(parent, (out.get(parent) ?? 0) + 1);
        }
      }
    } finally {
      lock.release();
      await client.logout();
    }
    return out;
  }

  /** What must hold after any crash: a sound store, no duplicate drafts, a promoted model whose files are there. */
  async function checkInvariants(label: string, promotedBefore: number | null): Promise<number | null> {
    const db = new Database(dbFile(), { readonly: true, fileMustExist: true });
    try {
      expect(db.pragma('integrity_check', { simple: true }), label).toBe('ok');
      const dupRows = db
        .prepare('SELECT COUNT(*) AS n FROM (SELECT mailbox_id, uid FROM messages GROUP BY 1, 2 HAVING COUNT(*) > 1)')
        .get() as { n: number };
      expect(dupRows.n, `${label}: duplicated message rows`).toBe(0);
      const live = db
        .prepare(
          "SELECT parent_message_id AS p, COUNT(*) AS n FROM drafts WHERE state IN ('planned', 'appended') GROUP BY 1 HAVING COUNT(*) > 1",
        )
        .all();
      expect(live, `${label}: two live drafts for one message in the journal`).toEqual([]);
      const promoted = db.prepare("SELECT id, dir FROM model_versions WHERE status = 'promoted'").get() as
        | { id: number; dir: string }
        | undefined;
      if (promotedBefore !== null)
        expect(promoted?.id, `${label}: the promoted model is still promoted`).toBeGreaterThanOrEqual(promotedBefore);
      if (promoted) {
        for (const f of ['model/onnx/model.onnx', 'model/config.json', 'adapter/adapter_model.safetensors'])
          expect(existsSync(join(promoted.dir, f)), `${label}: ${f} of the promoted version`).toBe(true);
      }
      const dups = [...(await draftsByParent())].filter(([, n]) => n > 1);
      expect(dups, `${label}: duplicate drafts on the server`).toEqual([]);
      return promoted?.id ?? null;
    } finally {
      db.close();
    }
  }

  const trainProcesses = () => {
    const r = spawnSync('pgrep', ['-f', `${account.configFile} train`], { encoding: 'utf8' });
    return r.stdout.split('\n').filter(Boolean);
  };

  beforeAll(async () => {
    dovecot = await startDovecot();
    account = newAccount(dovecot.info, { top: configTop({ steps: 600, minNew: 2, train: personaTrainSection() }) });
    const client = await account.client();
    ({ me } = await seedPersonaMailbox(client, `${account.user}@example.test`, 96));
    await client.logout();
    // New mail for the runs: the persona's correspondents, dated over the last 40 days.
    fresh = personaThreads(me, 140, Date.now() - 139 * DAY - 3_600_000).slice(100);
    expect((await runCli(['--config', account.configFile, 'sync', '--quiet'])).code).toBe(0);
    // A promoted version trained on this persona: trained here by `understudy train`, or the copy
    // of the one another test file trained on the same mailbox in this run.
    await sharedPersonaVersion(account, personaTrainSection(), 'persona-96');
    // From here on each retraining is short, so that kills land in every phase of it.
    account.writeConfig({ top: configTop({ steps: 30, minNew: 2 }) });
  }, 1_200_000);

  afterAll(async () => {
    await dovecot?.stop();
  });

  it(`SIGKILL at ${RUNS} random moments across sync, drafting and training: no duplicates, nothing lost, the model still loads`, async () => {
    const seed = Number(process.env.FAULT_SEED ?? Date.now() % 100_000);
    const random = prng(seed);
    const phases = ['sync', 'draft', 'train'] as const;
    const hit: Record<string, number> = {};
    let promoted: number | null = 1;
    for (let run = 0; run < RUNS; run++) {
      // Two new messages per run; from the third run on, Anna "replies" to an earlier one (new
      // training examples, and feedback for its draft).
      const client = await account.client();
      await appendMessages(client, 'INBOX', [fresh[2 * run]!.incomingRaw, fresh[2 * run + 1]!.incomingRaw], []);
      if (run >= 2) await appendMessages(client, 'Sent', [fresh[2 * (run - 2)]!.replyRaw]);
      await client.logout();

      const target = phases[run % 3]!;
      const daemon = start();
      const t0 = Date.now();
      let at = 'startup';
      try {
        if (target === 'sync') {
          await sleep(200 + random() * 1500); // the first sync runs right after start
        } else {
          // Wait (bounded) until that job runs, then a random moment inside it.
          await waitFor(`${target} to start`, target === 'train' ? 25_000 : 15_000, () =>
            running().includes(target),
          ).catch(() => {});
          await sleep(random() * (target === 'train' ? 6000 : 1500));
        }
        at = running().join('+') || 'idle';
      } finally {
        daemon.child.kill('SIGKILL');
        await daemon.exited;
      }
      hit[at] = (hit[at] ?? 0) + 1;
      // A training the dead daemon started notices and stops on its own (checkpoint kept).
      await waitFor('orphaned training to stop', 30_000, () => trainProcesses().length === 0);
      promoted = await checkInvariants(`run ${run + 1} (killed during ${at})`, promoted);
      console.log(`run ${run + 1}: SIGKILL after ${((Date.now() - t0) / 1000).toFixed(1)} s during ${at}`);
    }
    console.log(`seed ${seed}; killed during: ${JSON.stringify(hit)}`);
    const killedIn = (kind: string) =>
      Object.entries(hit)
        .filter(([k]) => k.split('+').includes(kind))
        .reduce((n, [, v]) => n + v, 0);
    expect(killedIn('sync') + killedIn('draft'), 'kills during sync or drafting').toBeGreaterThan(0);
    expect(killedIn('train'), 'kills during training').toBeGreaterThan(0);

    // A clean run catches up: every new message Anna has not answered gets exactly one draft.
    account.writeConfig({ top: configTop({ steps: 30, minNew: 100_000 }) });
    const daemon = start();
    await waitFor('a full drafting pass', 120_000, () => {
      const jobs = status()?.jobs ?? [];
      const draft = jobs.find((j: { kind: string }) => j.kind === 'draft');
      return status()?.pid === daemon.child.pid && draft && draft.runs >= 1 && !draft.running;
    });
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    await checkInvariants('after the clean run', promoted);

    const db = new Database(dbFile(), { readonly: true });
    const refused = new Set(
      (db.prepare("SELECT parent_message_id AS p FROM drafts WHERE state = 'failed'").all() as { p: string }[]).map(
        (r) => r.p,
      ),
    );
    db.close();
    const answered = new Set(
      fresh
        .slice(0, 2 * (RUNS - 2))
        .filter((_, i) => i % 2 === 0)
        .map((t) => t.messageId),
    );
    const drafts = await draftsByParent();
    const missing = fresh
      .slice(0, 2 * RUNS)
      .filter((t) => !answered.has(t.messageId) && !refused.has(t.messageId) && drafts.get(t.messageId) !== 1);
    console.log(`drafts: ${drafts.size} messages drafted; refused by the output checks: ${refused.size}`);
    expect(missing.map((t) => t.messageId)).toEqual([]);
    expect(refused.size).toBeLessThan(RUNS / 2);

    // The store mirrors the server: no row lost or duplicated.
    const verify = new Database(dbFile(), { readonly: true });
    const client = await account.client();
    for (const path of ['INBOX', 'Sent']) {
      const rows = verify
        .prepare(
          'SELECT m.uid, m.message_id FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.path = ? ORDER BY uid',
        )
        .all(path) as { uid: number; message_id: string }[];
      const onServer = await serverMessages(client, path);
      expect(
        rows.map((r) => r.uid),
        path,
      ).toEqual([...onServer.keys()]);
      expect(rows.map((r) => r.message_id)).toEqual([...onServer.values()].map((m) => m.messageId));
    }
    verify.close();
    await client.logout();
  }, 1_500_000);

  it('reconnects after Dovecot restarts under it and drafts the mail that came meanwhile', async () => {
    const daemon = start();
    try {
      await waitFor('IDLE', 60_000, () => status()?.pid === daemon.child.pid && status()?.accounts?.[0]?.idle);
      await dovecot.restart(3000);
      const client = await account.client();
      const extra = personaThreads(me, 150, Date.now() - 149 * DAY - 3_600_000)[145]!;
      await appendMessages(client, 'INBOX', [extra.incomingRaw], []);
      await client.logout();
      const t0 = Date.now();
      await waitFor(
        'a draft for the mail that came after the restart',
        120_000,
        async () => (await draftsByParent()).get(extra.messageId) === 1,
      );
      console.log(`Dovecot restarted (down 3 s): draft ${((Date.now() - t0) / 1000).toFixed(1)} s after the new mail`);
      expect(daemon.log()).toMatch(/reconnect|connection/i);
    } finally {
      daemon.child.kill('SIGTERM');
      expect(await daemon.exited).toBe(0);
    }
  }, 300_000);

  it('a UIDVALIDITY change under it: resync, no duplicate rows, no second draft', async () => {
    const daemon = start();
    try {
      await waitFor('IDLE', 60_000, () => status()?.pid === daemon.child.pid && status()?.accounts?.[0]?.idle);
      const before = await draftsByParent();
      const client = await account.client();
      const inbox = await client.status('INBOX', { uidValidity: true });
      await client.logout();
      if (!inbox) throw new Error('STATUS INBOX failed');
      const next = Number(inbox.uidValidity) + 1000;
      doveadm(dovecot.info, ['mailbox', 'update', '-u', account.user, '--uid-validity', String(next), 'INBOX']);
      await waitFor('the store to take the new UIDVALIDITY', 60_000, () => {
        const db = new Database(dbFile(), { readonly: true });
        try {
          const row = db.prepare("SELECT uidvalidity FROM mailboxes WHERE path = 'INBOX'").get() as {
            uidvalidity: number;
          };
          return row.uidvalidity === next;
        } finally {
          db.close();
        }
      });
      await sleep(6000); // a drafting pass over the "new" UIDs
      expect(await draftsByParent()).toEqual(before);
      const verify = new Database(dbFile(), { readonly: true });
      const check = await account.client();
      const rows = verify
        .prepare(
          "SELECT m.uid FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.path = 'INBOX' ORDER BY uid",
        )
        .all() as { uid: number }[];
      expect(rows.map((r) => r.uid)).toEqual([...(await serverMessages(check, 'INBOX')).keys()]);
      verify.close();
      await check.logout();
    } finally {
      daemon.child.kill('SIGTERM');
      expect(await daemon.exited).toBe(0);
    }
  }, 300_000);

  it('egress and secrets: the only peer is the IMAP server, no DNS query, no telemetry files (daemon, its training child, sync, draft, export); the password is in no log, store row, argv or environment', async () => {
    // The secret comes from a password_command; training runs under the trace too.
    const secretFile = join(account.dir, 'imap.pass');
    const base = readFileSync(account.configFile, 'utf8')
      .replace(/^password_file = .*$/m, `password_command = "cat ${secretFile}"`)
      .replace(/^min_new_examples = .*$/m, 'min_new_examples = 1');
    writeFileSync(account.configFile, base, { mode: 0o600 });
    const client = await account.client();
    const extra = personaThreads(me, 150, Date.now() - 149 * DAY - 3_600_000);
    await appendMessages(client, 'INBOX', [extra[146]!.incomingRaw], []);
    await appendMessages(client, 'Sent', [extra[145]!.replyRaw]);
    await client.logout();
    const trace = join(account.dir, 'strace.log');
    // A HOME of its own: onnxruntime's telemetry would leave ~/.cache/Microsoft/… there.
    const home = join(account.dir, 'home');
    mkdirSync(home, { recursive: true });
    const traced = (out: string) => [
      'strace',
      '-f',
      '--seccomp-bpf',
      '-qq',
      '-s',
      '8192',
      '-v',
      // connect: every peer; sendto/sendmsg/sendmmsg and reading /etc/resolv.conf: DNS lookups.
      '-e',
      'trace=connect,execve,sendto,sendmsg,sendmmsg,openat',
      '-o',
      out,
      process.execPath,
      CLI,
    ];
    // The user's environment even asks for telemetry: the code must turn it off by itself.
    const env = { HOME: home, XDG_CACHE_HOME: '', ORT_DISABLE_TELEMETRY: '0' };
    const daemon = start(traced(trace), env);
    try {
      await waitFor(
        'a draft for the new mail',
        120_000,
        async () => (await draftsByParent()).get(extra[146]!.messageId) === 1,
      );
      await waitFor('a training run', 240_000, () => /"msg":"training finished"/.test(daemon.log()));
    } finally {
      const pid = status()?.pid;
      if (pid) process.kill(pid, 'SIGTERM');
      await daemon.exited;
    }
    const lines = readFileSync(trace, 'utf8').split('\n');
    const peers = new Set<string>();
    for (const l of lines) {
      const m = /connect\(\d+, \{sa_family=(AF_INET6?|AF_UNIX|AF_NETLINK|[A-Z_0-9]+)(.*?)\}, \d+\)/.exec(l);
      if (!m) continue;
      if (m[1] === 'AF_INET') {
        const port = /sin_port=htons\((\d+)\)/.exec(m[2]!)?.[1];
        const addr = /inet_addr\("([^"]+)"\)/.exec(m[2]!)?.[1];
        peers.add(`${addr}:${port}`);
      } else if (m[1] === 'AF_INET6') {
        peers.add(
          `[${/inet_pton\(AF_INET6, "([^"]+)"/.exec(m[2]!)?.[1]}]:${/sin6_port=htons\((\d+)\)/.exec(m[2]!)?.[1]}`,
        );
      } else peers.add(m[1] === 'AF_UNIX' ? `unix:${/sun_path="([^"]*)"/.exec(m[2]!)?.[1] ?? '?'}` : m[1]!);
    }
    const execs = lines.filter((l) => / execve\(/.test(l));
    console.log(`peers: ${JSON.stringify([...peers])}; ${execs.length} execve calls`);
    const inet = [...peers].filter((p) => !p.startsWith('unix:'));
    expect(inet.length).toBeGreaterThan(0);
    expect(inet).toEqual([`127.0.0.1:${dovecot.info.port}`]);
    const imap = [`127.0.0.1:${dovecot.info.port}`];
    expect(dnsOrForeignTraffic(lines.join('\n'), imap), 'DNS lookups or other peers of the daemon').toEqual([]);

    // The same for sync, a drafting pass (dry run: it generates, touches nothing) and export,
    // each run by hand under the trace.
    const runs: [string, string[]][] = [
      ['sync', ['--config', account.configFile, 'sync', '--quiet']],
      ['draft', ['--config', account.configFile, 'draft', '--dry-run', '--limit', '2']],
      ['export', ['--config', account.configFile, 'model', 'export', '--gguf', join(account.dir, 'out.gguf')]],
    ];
    for (const [label, args] of runs) {
      const out = join(account.dir, `strace-${label}.log`);
      const [cmd, ...rest] = traced(out);
      const r = spawnSync(cmd!, [...rest, ...args], {
        encoding: 'utf8',
        env: { ...process.env, ...env },
        timeout: 300_000,
      });
      // A dry run exits 1 when the output checks refuse a draft: it still generated under the trace.
      expect(r.status, `${label}: ${r.stderr}`).toBe(label === 'draft' && r.status === 1 ? 1 : 0);
      const found = dnsOrForeignTraffic(readFileSync(out, 'utf8'), imap);
      console.log(`${label} under strace: ${found.length} DNS lookups or foreign connects`);
      expect(found, `${label}: DNS lookups or other peers`).toEqual([]);
    }
    const telemetry = join(home, '.cache', 'Microsoft');
    expect(existsSync(telemetry), `${telemetry}: onnxruntime telemetry ran`).toBe(false);
    expect(
      execs.some((l) => /understudy\.js", "--config", "[^"]+", "train"/.test(l)),
      'the training child was traced',
    ).toBe(true);
    expect(
      execs.some((l) => /worker\.py/.test(l)),
      'the Python worker was traced',
    ).toBe(true);
    // The secret: not in any child's argv or environment, the log, or the store.
    expect(execs.filter((l) => l.includes(TEST_PASSWORD))).toEqual([]);
    expect(daemon.log()).not.toContain(TEST_PASSWORD);
    expect(daemon.log()).toMatch(/"msg":"draft written"/);
    for (const f of readdirSync(account.config.dataDir)) {
      const path = join(account.config.dataDir, f);
      if (statSync(path).isFile()) expect(readFileSync(path).includes(TEST_PASSWORD), f).toBe(false);
    }
  }, 600_000);
});
