// Benchmark: build the dataset from the Enron slice (../shared/corpora/enron) loaded into a
// Dovecot account, against bare mailparser parsing of the same messages in the same run.
// Prints one JSON line last.   npm run bench:dataset
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { simpleParser } from 'mailparser';
import { loadConfig } from '../src/config/load.js';
import { buildDataset } from '../src/dataset/build.js';
import { openStore } from '../src/store/db.js';
import { addUser, startDovecot } from '../tests/helpers/dovecot.js';
import { writeMaildir } from './lib/seed-mailbox.js';

const ENRON = resolve(import.meta.dirname, '../../shared/corpora/enron');
const CLI = resolve(import.meta.dirname, '../bin/understudy.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const log = (s: string) => process.stderr.write(`${s}\n`);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

function cli(args: string[]): { seconds: number; stdout: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`understudy ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return { seconds, stdout: r.stdout };
}

/** Every Enron message file, with the folder role it goes to. */
function enronFiles(): { path: string; mailbox: 'INBOX' | 'Sent' }[] {
  const out: { path: string; mailbox: 'INBOX' | 'Sent' }[] = [];
  for (const user of readdirSync(ENRON, { withFileTypes: true })) {
    if (!user.isDirectory() || user.name === 'licenses') continue;
    for (const folder of readdirSync(join(ENRON, user.name))) {
      const mailbox = folder === 'inbox' ? 'INBOX' : 'Sent';
      for (const file of readdirSync(join(ENRON, user.name, folder)))
        out.push({ path: join(ENRON, user.name, folder, file), mailbox });
    }
  }
  return out;
}

async function main() {
  const files = enronFiles();
  const raw = files.map((f) => ({ ...f, bytes: readFileSync(f.path) }));
  const server = await startDovecot();
  const work = mkdtempSync(join(tmpdir(), 'understudy-bench-dataset-'));
  try {
    const { user, password } = addUser(server.info, 'enron');
    const owner = { uid: server.info.mailUid, gid: server.info.mailGid };
    for (const mailbox of ['INBOX', 'Sent'] as const) {
      const messages = raw
        .filter((f) => f.mailbox === mailbox)
        .map((f) => ({ raw: f.bytes, messageId: '', flags: 'S' }));
      writeMaildir(server.info.mailRoot, user, mailbox, messages, owner);
    }
    const secret = join(work, 'pass');
    writeFileSync(secret, `${password}\n`, { mode: 0o600 });
    const config = join(work, 'config.toml');
    writeFileSync(
      config,
      `data_dir = "${join(work, 'data')}"\nlog_level = "warn"\n[[accounts]]\nname = "enron"\nhost = "127.0.0.1"\nport = ${server.info.port}\ntls = "none"\nuser = "${user}"\n` +
        `addresses = ["kay.mann@enron.com", "phillip.allen@enron.com", "mike.grigsby@enron.com"]\npassword_file = "${secret}"\n`,
    );
    const sync = cli(['--config', config, 'sync', '--quiet', '--json']);
    const synced = JSON.parse(sync.stdout).accounts[0].mailboxes.reduce(
      (n: number, m: { exists: number }) => n + m.exists,
      0,
    );
    log(`loaded and synced ${synced} Enron messages in ${sync.seconds.toFixed(2)} s`);

    // Both measured in this process, alternating: bare parsing is mailparser's simpleParser over
    // the same raw messages; the build is a full one (force, and every message cleaned again).
    const loaded = loadConfig({ configPath: config });
    const account = loaded.accounts[0]!;
    const db = openStore(loaded.dbPath);
    const parseTimes: number[] = [];
    const buildTimes: number[] = [];
    let summary: ReturnType<typeof buildDataset> | undefined;
    for (let run = 0; run < RUNS; run++) {
      const t0 = process.hrtime.bigint();
      for (const f of raw) await simpleParser(f.bytes);
      parseTimes.push(Number(process.hrtime.bigint() - t0) / 1e9);
      const t1 = process.hrtime.bigint();
      summary = buildDataset({ db, account, settings: loaded.dataset, force: true, noCache: true });
      buildTimes.push(Number(process.hrtime.bigint() - t1) / 1e9);
      log(
        `run ${run + 1}: build ${buildTimes.at(-1)?.toFixed(3)} s (${summary.examples} examples), bare mailparser ${parseTimes.at(-1)?.toFixed(3)} s`,
      );
    }
    db.close();
    if (!summary) throw new Error('no build ran');
    // The CLI end to end (process start included), full and unchanged.
    const cliFull = cli(['--config', config, 'dataset', 'build', '--no-cache', '--json']);
    const cliUnchanged = cli(['--config', config, 'dataset', 'build', '--json']);
    log(
      `CLI: full build ${cliFull.seconds.toFixed(2)} s, unchanged rebuild ${cliUnchanged.seconds.toFixed(2)} s; dropped: ${JSON.stringify(summary.dropped)}`,
    );
    const build = median(buildTimes);
    const round = (x: number) => Math.round(x * 1000) / 1000;
    process.stdout.write(
      `${JSON.stringify({
        bench: 'dataset',
        messages: synced,
        pairs: summary.examples,
        pairs_via_headers: summary.pairedByHeaders,
        pairs_via_quotes: summary.pairedByQuote,
        build_s: round(build),
        msgs_per_s: Math.round(synced / build),
        parse_only_s: round(median(parseTimes)),
        ratio: round(build / median(parseTimes)),
        cli_build_s: round(cliFull.seconds),
        cli_unchanged_s: round(cliUnchanged.seconds),
        runs: RUNS,
      })}\n`,
    );
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  log(`bench:dataset failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
