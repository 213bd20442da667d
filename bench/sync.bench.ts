// Benchmark: `understudy sync` against mbsync (isync) on the same Dovecot account of 10,000
// realistic messages, from empty and with nothing changed. Prints one JSON line last; with the
// no-change figures, what of them is starting node (node_start_s) and node plus loading the sync
// command's code (understudy_load_s).
//
//   npm run bench:sync            (BENCH_MESSAGES=2000 for a quick run, BENCH_RUNS=3 by default)
//
// BENCH_BASELINE=/path/to/other/bin/understudy.js (another build of Understudy, e.g. a checkout of
// an earlier commit with `node scripts/build.mjs` run in it) also times that build's no-change
// sync of the same store, alternating with this one's in the same window (baseline_nochange_s):
// on a shared machine only figures taken side by side compare.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { ImapFlow } from 'imapflow';
import { addUser, startDovecot } from '../tests/helpers/dovecot.js';
import { generateMessages, writeMaildir } from './lib/seed-mailbox.js';

const TOTAL = Number(process.env.BENCH_MESSAGES ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CLI = resolve(import.meta.dirname, '../bin/understudy.js');
const BASELINE = process.env.BENCH_BASELINE ? resolve(process.env.BENCH_BASELINE) : null;
const log = (s: string) => process.stderr.write(`${s}\n`);

function requireTool(cmd: string, pkg: string): void {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) {
    log(`${cmd} is not installed: sudo apt-get install ${pkg}`);
    process.exit(2);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
  return seconds;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  requireTool('dovecot', 'dovecot-imapd');
  requireTool('mbsync', 'isync');
  const server = await startDovecot();
  const work = mkdtempSync(join(tmpdir(), 'understudy-bench-'));
  try {
    const { user, password } = addUser(server.info, 'bench');
    const half = Math.floor(TOTAL / 2);
    const owner = { uid: server.info.mailUid, gid: server.info.mailGid };
    const inbox = writeMaildir(
      server.info.mailRoot,
      user,
      'INBOX',
      generateMessages({ count: TOTAL - half, seed: 1, kind: 'inbox', user }),
      owner,
    );
    const sent = writeMaildir(
      server.info.mailRoot,
      user,
      'Sent',
      generateMessages({ count: half, seed: 2, kind: 'sent', user }),
      owner,
    );
    const bytes = inbox.bytes + sent.bytes;
    log(
      `seeded ${inbox.count + sent.count} messages (${(bytes / 1e6).toFixed(0)} MB on the server; mean ${(bytes / TOTAL / 1024).toFixed(1)} KiB)`,
    );

    // Config for both tools: the same account, plaintext on loopback.
    const secretFile = join(work, 'pass');
    writeFileSync(secretFile, `${password}\n`, { mode: 0o600 });
    const configFile = join(work, 'understudy.toml');
    const dataDir = join(work, 'data');
    writeFileSync(
      configFile,
      `data_dir = "${dataDir}"\nlog_level = "warn"\n[[accounts]]\nname = "bench"\nhost = "127.0.0.1"\nport = ${server.info.port}\ntls = "none"\nuser = "${user}"\npassword_file = "${secretFile}"\n`,
    );
    const maildir = join(work, 'maildir');
    // mbsync as a user runs it (its defaults, which fsync every message), and a second config
    // with FSync no, reported beside it so the effect of that default is visible.
    const mbsyncConfig = (fsync: boolean) =>
      `FSync ${fsync ? 'yes' : 'no'}\n\nIMAPAccount bench\nHost 127.0.0.1\nPort ${server.info.port}\nUser ${user}\nPass ${password}\nSSLType None\nAuthMechs LOGIN\n\n` +
      `IMAPStore remote\nAccount bench\n\nMaildirStore local\nPath ${maildir}/\nInbox ${maildir}/INBOX\nSubFolders Verbatim\n\n` +
      `Channel bench\nFar :remote:\nNear :local:\nPatterns INBOX Sent\nSync Pull\nCreate Near\nExpunge None\nSyncState *\n`;
    const mbsyncrc = join(work, 'mbsyncrc');
    const mbsyncrcNoFsync = join(work, 'mbsyncrc-nofsync');
    writeFileSync(mbsyncrc, mbsyncConfig(true), { mode: 0o600 });
    writeFileSync(mbsyncrcNoFsync, mbsyncConfig(false), { mode: 0o600 });
    const understudy = (cli = CLI) => timed(process.execPath, [cli, '--config', configFile, 'sync', '--quiet']);
    const mbsync = (rc = mbsyncrc) => timed('mbsync', ['-q', '-c', rc, 'bench']);
    const fresh = () => {
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(maildir, { recursive: true, force: true });
      mkdirSync(maildir, { recursive: true });
    };
    // Before each timed run: write back what the previous run left dirty, so that no tool
    // pays for another's writes, and wait out mbsync's 1 s same-second guard.
    const settle = async () => {
      execFileSync('sync');
      await sleep(1100);
    };

    // Warm-up: both tools once, so Dovecot's indexes and caches exist before anything is timed.
    fresh();
    understudy();
    mbsync(mbsyncrcNoFsync);

    const full = {
      understudy: [] as number[],
      mbsync: [] as number[],
      mbsyncNoFsync: [] as number[],
    };
    const nochange = { understudy: [] as number[], mbsync: [] as number[], baseline: [] as number[] };
    // Where a no-change sync's time goes: starting node itself, and starting node plus loading
    // the sync command's modules (`sync --help` loads them and stops before the config).
    const startup = { node: [] as number[], load: [] as number[] };
    for (let run = 0; run < RUNS; run++) {
      fresh();
      await settle();
      full.mbsyncNoFsync.push(mbsync(mbsyncrcNoFsync));
      fresh();
      await settle();
      full.understudy.push(understudy());
      await settle();
      full.mbsync.push(mbsync());
      await settle();
      nochange.understudy.push(understudy());
      await settle();
      nochange.mbsync.push(mbsync());
      if (BASELINE) {
        await settle();
        nochange.baseline.push(understudy(BASELINE));
        await settle();
        nochange.understudy.push(understudy());
      }
      startup.node.push(timed(process.execPath, ['-e', '0']));
      startup.load.push(timed(process.execPath, [CLI, 'sync', '--help']));
      const f = (xs: number[]) => (xs.at(-1) ?? 0).toFixed(2);
      log(
        `run ${run + 1}: full: understudy ${f(full.understudy)} s, mbsync ${f(full.mbsync)} s (FSync no: ${f(full.mbsyncNoFsync)} s); no change: ${(nochange.understudy.at(-1) ?? 0).toFixed(3)} s vs ${(nochange.mbsync.at(-1) ?? 0).toFixed(3)} s`,
      );
    }

    // The store must hold exactly the server's messages, and mbsync must have fetched them all.
    const db = new Database(join(dataDir, 'understudy.db'), { readonly: true });
    const client = new ImapFlow({
      host: '127.0.0.1',
      port: server.info.port,
      secure: false,
      doSTARTTLS: false,
      auth: { user, pass: password },
      logger: false,
    });
    client.on('error', () => {}); // a dropped socket fails the next command instead of the process
    await client.connect();
    let checked = 0;
    for (const path of ['INBOX', 'Sent']) {
      const lock = await client.getMailboxLock(path, { readOnly: true });
      const onServer = new Map<number, string | undefined>();
      for await (const m of client.fetch('1:*', { uid: true, envelope: true }))
        onServer.set(m.uid, m.envelope?.messageId);
      lock.release();
      const rows = db
        .prepare(
          'SELECT m.uid, m.message_id FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.path = ? ORDER BY m.uid',
        )
        .all(path) as { uid: number; message_id: string }[];
      if (rows.length !== onServer.size || rows.some((r) => onServer.get(r.uid) !== r.message_id)) {
        throw new Error(`store does not mirror ${path}: ${rows.length} stored vs ${onServer.size} on the server`);
      }
      checked += rows.length;
    }
    await client.logout();
    db.close();
    const mbsyncFiles = ['INBOX', 'Sent'].reduce(
      (n, f) => n + readdirSync(join(maildir, f, 'cur')).length + readdirSync(join(maildir, f, 'new')).length,
      0,
    );
    if (checked !== TOTAL || mbsyncFiles !== TOTAL)
      throw new Error(`expected ${TOTAL} messages: store ${checked}, mbsync ${mbsyncFiles}`);
    log(`verified: the store holds exactly the server's ${checked} messages; mbsync's maildir holds ${mbsyncFiles}`);
    const du = execFileSync('du', ['-sb', dataDir, maildir], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((l) => Number(l.split('\t')[0]));
    log(
      `on disk: understudy store ${((du[0] ?? 0) / 1e6).toFixed(1)} MB, mbsync maildir ${((du[1] ?? 0) / 1e6).toFixed(1)} MB`,
    );

    const u = median(full.understudy);
    const m = median(full.mbsync);
    const round = (x: number) => Math.round(x * 1000) / 1000;
    process.stdout.write(
      `${JSON.stringify({
        bench: 'sync',
        messages: checked,
        understudy_s: round(u),
        mbsync_s: round(m),
        ratio: round(u / m),
        understudy_nochange_s: round(median(nochange.understudy)),
        mbsync_nochange_s: round(median(nochange.mbsync)),
        nochange_ratio: round(median(nochange.understudy) / median(nochange.mbsync)),
        node_start_s: round(median(startup.node)),
        understudy_load_s: round(median(startup.load)),
        mbsync_fsync_off_s: round(median(full.mbsyncNoFsync)),
        ratio_fsync_off: round(u / median(full.mbsyncNoFsync)),
        runs: RUNS,
        ...(BASELINE
          ? {
              baseline_nochange_s: round(median(nochange.baseline)),
              nochange_vs_baseline: round(median(nochange.understudy) / median(nochange.baseline)),
            }
          : {}),
      })}\n`,
    );
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  log(`bench:sync failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
