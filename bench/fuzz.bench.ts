// Benchmark: the fuzz suite at full size. Generates many seeded hostile messages (the same generator as
// tests/unit/fuzz.test.ts, at four times its sizes: hostile parts up to ~80 KB, thousands of MIME parts, 5000-id
// References) and runs each through the pure byte-to-draft path. Prints one JSON line last: inputs, crashes, the
// milliseconds per input (p50, p99, max), the slowest family (highest mean) and the slowest single input.
//
//   npm run bench:fuzz              (FUZZ_INPUTS=10000 FUZZ_SEED=16 by default; FUZZ_VERBOSE=1 lists each crash)
import { FuzzGenerator } from '../tests/fixtures/hostile/fuzz-gen.js';
import { byteToDraft } from '../tests/fixtures/hostile/pipeline.js';

const INPUTS = Number(process.env.FUZZ_INPUTS ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? 16);
const SCALE = 1;
const VERBOSE = process.env.FUZZ_VERBOSE === '1';
const log = (s: string) => process.stderr.write(`${s}\n`);

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

const gen = new FuzzGenerator(SEED, SCALE);
const times: number[] = [];
const byFamily = new Map<string, { n: number; total: number; max: number }>();
let crashes = 0;
let refused = 0;
let slowest = { ms: 0, family: '', bytes: 0, index: -1 };
const started = performance.now();
for (let index = 0; index < INPUTS; index++) {
  const input = gen.next();
  const t = performance.now();
  try {
    if (byteToDraft(input.raw, input.generated).refused !== null) refused++;
  } catch (err) {
    crashes++;
    if (VERBOSE) log(`crash #${index} (${input.family}): ${(err as Error).stack ?? err}`);
  }
  const ms = performance.now() - t;
  times.push(ms);
  const family = input.family.split(':').slice(0, 2).join(':');
  const f = byFamily.get(family) ?? { n: 0, total: 0, max: 0 };
  f.n++;
  f.total += ms;
  f.max = Math.max(f.max, ms);
  byFamily.set(family, f);
  if (ms > slowest.ms) slowest = { ms, family: input.family, bytes: input.raw.length, index };
  if (index % 1000 === 999) log(`${index + 1}/${INPUTS} inputs, ${crashes} crashes`);
}
const totalS = (performance.now() - started) / 1000;
times.sort((a, b) => a - b);
const families = [...byFamily.entries()]
  .filter(([, f]) => f.n >= 5)
  .sort((a, b) => b[1].total / b[1].n - a[1].total / a[1].n);
const [slowFamily, slowStats] = families[0] ?? ['', { n: 0, total: 0, max: 0 }];
if (VERBOSE)
  for (const [name, f] of families.slice(0, 15))
    log(`${name}: n=${f.n} mean=${round(f.total / f.n)} ms max=${round(f.max)} ms`);
console.log(
  JSON.stringify({
    bench: 'fuzz',
    seed: SEED,
    inputs: INPUTS,
    crashes,
    refused,
    p50_ms: round(percentile(times, 50)),
    p99_ms: round(percentile(times, 99)),
    max_ms: round(times.at(-1) ?? 0),
    slowest_family: slowFamily,
    slowest_family_mean_ms: round(slowStats.total / Math.max(1, slowStats.n)),
    slowest_input: { index: slowest.index, family: slowest.family, bytes: slowest.bytes, ms: round(slowest.ms) },
    total_s: Math.round(totalS * 10) / 10,
  }),
);
process.exitCode = crashes > 0 ? 1 : 0;
