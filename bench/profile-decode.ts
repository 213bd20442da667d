// Profile of one decode: onnxruntime's per-node profiler on an exported model (a ~400-token prompt,
// then N single-token passes with the cache), summed per op type over the decode passes only.
// Prints one JSON line: total ms per decode pass and the top ops with their share.
//
//   npx tsx bench/profile-decode.ts ONNX_DIR [--threads 2] [--tokens 150] [--prompt 400]
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { OnnxCausalLm } from '../src/generate/onnx-lm.js';
import { argmax, seededRandom } from '../src/generate/sampling.js';

interface ProfileEvent {
  cat: string;
  name: string;
  ts: number;
  dur: number;
  args?: { op_name?: string };
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      threads: { type: 'string', default: '2' },
      tokens: { type: 'string', default: '150' },
      prompt: { type: 'string', default: '400' },
    },
  });
  const dir = positionals[0];
  if (!dir) throw new Error('usage: profile-decode.ts ONNX_DIR');
  const prefix = join(tmpdir(), `understudy-profile-${process.pid}`);
  const lm = await OnnxCausalLm.load(dir, { threads: Number(values.threads), profileFilePrefix: prefix });
  const random = seededRandom(7);
  const prompt = Array.from({ length: Number(values.prompt) }, () => Math.floor(random() * lm.shape.vocab));
  const tokens = Number(values.tokens);
  const buffers = [lm.cacheBuffers(prompt.length + tokens + 1), lm.cacheBuffers(prompt.length + tokens + 1)];
  const t0 = performance.now();
  let step = await lm.forward(prompt, undefined, { into: buffers[0] });
  const t1 = performance.now();
  for (let i = 0; i < tokens; i++) {
    const into = lm.appendsRows ? buffers[0] : buffers[(i + 1) % 2];
    step = await lm.forward([argmax(step.lastLogits)], step.cache, { into });
  }
  const t2 = performance.now();
  lm.endProfiling();
  await lm.release();
  const file = readdirSync(tmpdir()).find((f) => f.startsWith(`understudy-profile-${process.pid}`));
  if (!file) throw new Error('onnxruntime wrote no profile');
  const events = JSON.parse(readFileSync(join(tmpdir(), file), 'utf8')) as ProfileEvent[];
  rmSync(join(tmpdir(), file));
  // The first model_run is the prompt's pass: count node events after it.
  const runs = events.filter((e) => e.name === 'model_run').sort((a, b) => a.ts - b.ts);
  const prefillEnd = (runs[0]?.ts ?? 0) + (runs[0]?.dur ?? 0);
  const decodeRuns = runs.slice(1);
  const perOp = new Map<string, number>();
  let nodeUs = 0;
  for (const e of events) {
    if (e.cat !== 'Node' || e.ts < prefillEnd || !e.name.endsWith('_kernel_time')) continue;
    const op = e.args?.op_name ?? '?';
    perOp.set(op, (perOp.get(op) ?? 0) + e.dur);
    nodeUs += e.dur;
  }
  const runUs = decodeRuns.reduce((s, e) => s + e.dur, 0);
  const top = [...perOp.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12);
  process.stdout.write(
    `${JSON.stringify({
      bench: 'profile-decode',
      dir,
      threads: Number(values.threads),
      prompt_tokens: prompt.length,
      decode_passes: decodeRuns.length,
      prefill_ms: Number((t1 - t0).toFixed(1)),
      wall_ms_per_pass: Number(((t2 - t1) / tokens).toFixed(3)),
      model_run_ms_per_pass: Number((runUs / 1000 / decodeRuns.length).toFixed(3)),
      kernels_ms_per_pass: Number((nodeUs / 1000 / decodeRuns.length).toFixed(3)),
      top_ops: Object.fromEntries(top.map(([op, us]) => [op, `${((100 * us) / nodeUs).toFixed(1)}%`])),
    })}\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`profile-decode failed: ${(err as Error).message}\n`);
  process.exit(1);
});
