// Benchmark: LoRA training throughput of the worker on random weights shaped like SmolLM2-135M
// and Qwen2.5-0.5B (sequence length 512) on this machine's device, against the device's
// practical peak (a large square matmul in the same torch, same run). One JSON line per model.
//   npm run bench:train        (BENCH_STEPS=3 by default)
import { findPython } from '../src/train/python.js';
import { runWorker } from '../src/train/worker.js';

const log = (s: string) => process.stderr.write(`${s}\n`);

async function main() {
  const python = findPython(process.env.UNDERSTUDY_PYTHON).executable;
  const lines: string[] = [];
  await runWorker({
    python,
    command: 'bench',
    config: {
      models: ['smollm2-135m', 'qwen2.5-0.5b'],
      seq_len: 512,
      steps: Number(process.env.BENCH_STEPS ?? 3),
      device: process.env.BENCH_DEVICE ?? 'auto',
    },
    onEvent: (e) => {
      if (e.event !== 'bench') return;
      const line = {
        bench: 'train',
        model: e.model,
        device: e.device,
        tokens_per_s: e.tokens_per_s,
        train_flops_per_s: e.train_flops_per_s,
        peak_matmul_flops_per_s: e.peak_matmul_flops_per_s,
        efficiency: e.efficiency,
        flops_counting: e.flops_counting,
      };
      lines.push(JSON.stringify(line));
      log(
        `${e.model} on ${e.device}: ${Number(e.tokens_per_s).toFixed(0)} tokens/s, efficiency ${Number(e.efficiency).toFixed(2)}`,
      );
    },
    onLog: (l) => log(l),
  }).result;
  for (const l of lines) process.stdout.write(`${l}\n`);
}

main().catch((err) => {
  log(`bench:train failed: ${(err as Error).message}`);
  process.exit(1);
});
