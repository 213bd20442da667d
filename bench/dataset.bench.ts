// Benchmark: build the dataset from the Enron slice (../shared/corpora/enron) loaded into a
// Dovecot account, against bare mailparser parsing of the same messages in the same run.
// Prints one JSON line last.   npm run bench:dataset
import { simpleParser } from 'mailparser';
import { loadConfig } from '../src/config/load.js';
import { buildDataset } from '../src/dataset/build.js';
import { openStore } from '../src/store/db.js';
import { cli, enronFiles, syncedEnronAccount } from './lib/enron.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const log = (s: string) => process.stderr.write(`${s}\n`);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

async function main() {
  const raw = enronFiles();
  const enron = await syncedEnronAccount(raw);
  const { config, synced } = enron;
  try {
    log(`loaded and synced ${synced} Enron messages in ${enron.syncSeconds.toFixed(2)} s`);

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
        pairs_reconstructed: summary.pairedByReconstruction,
        pairs_via_subject: summary.pairedBySubject,
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
    await enron.stop();
  }
}

main().catch((err) => {
  log(`bench:dataset failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
