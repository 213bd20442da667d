// Benchmark: what the daemon's training tick costs, before and after src/train/schedule.ts, on a
// store with nothing new and on one where a little mail came since the last tick (what IDLE makes
// the usual case). Before, every tick ran buildDataset for each account (a rebuild whenever any
// mail had come) and loaded every stored example to count them; now a quiet tick compares
// tallies, and a tick with too little new mail to reach daemon.min_new_examples rebuilds nothing.
// A synthetic store (BENCH_EXCHANGES question/answer pairs, default 3000) in a temporary folder;
// both measured in this process, alternating. One JSON line on stdout.
//   npx tsx bench/schedule.bench.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../src/config/load.js';
import { buildDataset } from '../src/dataset/build.js';
import { ensureAccount } from '../src/store/accounts.js';
import { openStore } from '../src/store/db.js';
import { storedExamples } from '../src/store/examples.js';
import { ensureMailbox } from '../src/store/mailboxes.js';
import { insertMessages } from '../src/store/messages.js';
import { TrainingSchedule } from '../src/train/schedule.js';
import { plainTextMessage } from '../tests/helpers/new-message.js';

const EXCHANGES = Number(process.env.BENCH_EXCHANGES ?? 3000);
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const log = (s: string) => process.stderr.write(`${s}\n`);
const WORDS = 'figures budget meeting contract draft review offsite printer lawyers numbers Tuesday Friday'.split(' ');

function message(uid: number, id: string, from: string, to: string, text: string, date: number, parent?: string) {
  const subject = parent ? `Re: topic ${uid}` : `topic ${uid}`;
  return plainTextMessage({ uid, id, from, to, subject, text, date, inReplyTo: parent ?? null });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

const dir = mkdtempSync(join(tmpdir(), 'understudy-bench-schedule-'));
try {
  const config = parseConfig(
    `data_dir = "${dir}"\n[[accounts]]\nname = "work"\nhost = "imap.example.com"\nuser = "ann@example.com"\naddresses = ["ann@example.com"]\npassword_command = "true"\n[daemon]\nmin_new_examples = 50\n`,
    join(dir, 'config.toml'),
    { HOME: dir },
  );
  const account = config.accounts[0]!;
  const db = openStore(join(dir, 'understudy.db'));
  const accountId = ensureAccount(db, { name: 'work', host: account.host, user: account.user });
  const inbox = ensureMailbox(db, accountId, { path: 'INBOX' });
  const sent = ensureMailbox(db, accountId, { path: 'Sent', specialUse: '\\Sent' });
  const start = Date.UTC(2024, 0, 1);
  db.transaction(() => {
    for (let n = 1; n <= EXCHANGES; n++) {
      const at = start + n * 6 * 3_600_000;
      const w = (k: number) => WORDS[(n * 7 + k) % WORDS.length];
      const q = `<q${n}@example.org>`;
      const who = `person${n % 200}@example.org`;
      insertMessages(db, accountId, inbox.id, [
        message(
          n,
          q,
          who,
          'ann@example.com',
          `Hi Ann,\n\nabout the ${w(1)} and the ${w(2)} (item ${n}): any news?\n\nP`,
          at,
        ),
      ]);
      insertMessages(db, accountId, sent.id, [
        message(
          n,
          `<a${n}@example.com>`,
          'ann@example.com',
          who,
          `Hello,\n\nthe ${w(3)} for item ${n} is done; the ${w(4)} follows after the ${w(5)}.\n\nBest, Ann`,
          at + 3_600_000,
          q,
        ),
      ]);
    }
  })();
  let t = performance.now();
  const built = buildDataset({ db, account, settings: config.dataset });
  const fullBuildMs = performance.now() - t;
  log(`${EXCHANGES * 2} messages, ${built.examples} examples; full build ${fullBuildMs.toFixed(0)} ms`);

  // Before: trainingBlocker in daemon/main.ts, every tick.
  const before = () => {
    buildDataset({ db, account, settings: config.dataset });
    return storedExamples(db, accountId).length;
  };
  const schedule = new TrainingSchedule({ gpuBusy: () => null });
  t = performance.now();
  schedule.decide(db, config);
  const firstTickMs = performance.now() - t;
  const beforeMs: number[] = [];
  const afterMs: number[] = [];
  const beforeNewMs: number[] = [];
  const afterNewMs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    t = performance.now();
    before();
    beforeMs.push(performance.now() - t);
    t = performance.now();
    const d = schedule.decide(db, config);
    afterMs.push(performance.now() - t);
    if (d.built.length) throw new Error('a quiet tick rebuilt (bench assertion)');
  }
  // One new message per tick (a newsletter: no example), as IDLE brings mail between ticks.
  for (let i = 0; i < RUNS; i++) {
    const uid = EXCHANGES + 1 + i;
    insertMessages(db, accountId, inbox.id, [
      message(uid, `<news${i}@example.net>`, 'news@example.net', 'ann@example.com', `Issue ${i}`, Date.now()),
    ]);
    t = performance.now();
    before();
    beforeNewMs.push(performance.now() - t);
    t = performance.now();
    const d = schedule.decide(db, config);
    afterNewMs.push(performance.now() - t);
    if (d.built.length) throw new Error('a tick with one new message rebuilt (bench assertion)');
  }
  db.close();
  const result = {
    bench: 'training-schedule-quiet-tick',
    messages: EXCHANGES * 2,
    examples: built.examples,
    full_build_ms: Math.round(fullBuildMs),
    first_tick_ms: Math.round(firstTickMs),
    before_tick_ms: Number(median(beforeMs).toFixed(2)),
    after_tick_ms: Number(median(afterMs).toFixed(2)),
    speedup: Number((median(beforeMs) / median(afterMs)).toFixed(1)),
    before_new_mail_tick_ms: Number(median(beforeNewMs).toFixed(2)),
    after_new_mail_tick_ms: Number(median(afterNewMs).toFixed(2)),
    new_mail_speedup: Number((median(beforeNewMs) / median(afterNewMs)).toFixed(1)),
    runs: RUNS,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
