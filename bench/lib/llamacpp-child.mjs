// The llama.cpp side of bench/lib/llamacpp.ts, in a process of its own so that its thread pool and
// onnxruntime's never share a process (a spinning idle pool of one would slow the other down).
//   node llamacpp-child.mjs NODE_LLAMA_CPP_INDEX_JS MODEL.gguf THREADS EXACT_F32(0|1)
// Reads one JSON request per line on stdin, answers one JSON line each on stdout:
//   {"op":"greedy","ids":[…],"count":N}   -> {"tokens":[…],"times":[ms since the call, per token],"cpuMs":…}
//   {"op":"logprobs","ids":[…],"top":K}   -> {"pairs":[[token, log p], …]}
//   {"op":"tokenize","text":"…"}          -> {"ids":[…]}
// First line out: {"ready":true}. Errors: {"error":"…"}.
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

const [entry, modelPath, threadsArg, exactArg] = process.argv.slice(2);
const threads = Number(threadsArg);
const exact = exactArg === '1';
const { getLlama, LlamaLogLevel } = await import(pathToFileURL(entry).href);
const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, maxThreads: threads });
const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
// exact: keys and values in f32 and no flash attention (whose CPU kernel rounds through f16), so
// an f32 model computes what the f32 ONNX model computes. llama.cpp's defaults keep them in f16.
const precision = exact
  ? { flashAttention: false, experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32' }
  : {};

async function withContext(length, fn) {
  const context = await model.createContext({
    contextSize: Math.max(256, length + 16),
    batchSize: Math.max(512, length),
    threads,
    ...precision,
  });
  try {
    return await fn(context.getSequence());
  } finally {
    await context.dispose();
  }
}

async function handle(req) {
  if (req.op === 'greedy') {
    return withContext(req.ids.length + req.count, async (sequence) => {
      const tokens = [];
      const times = [];
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for await (const token of sequence.evaluate(req.ids, { temperature: 0, yieldEogToken: true })) {
        tokens.push(token);
        times.push(performance.now() - t0);
        if (tokens.length >= req.count) break;
      }
      const cpu = process.cpuUsage(cpu0);
      return { tokens, times, cpuMs: (cpu.user + cpu.system) / 1000 };
    });
  }
  if (req.op === 'logprobs') {
    return withContext(req.ids.length, async (sequence) => {
      const options = { temperature: 1, topK: 0, topP: 1, minP: 0 };
      const input = req.ids.map((t, i) =>
        i === req.ids.length - 1 ? [t, { generateNext: { probabilities: true, options } }] : t,
      );
      const out = await sequence.controlledEvaluate(input);
      const probabilities = out.at(-1)?.next?.probabilities;
      if (!probabilities) throw new Error('llama.cpp returned no probabilities');
      return { pairs: [...probabilities.entries()].slice(0, req.top).map(([t, p]) => [t, Math.log(p)]) };
    });
  }
  if (req.op === 'tokenize') return { ids: Array.from(model.tokenize(req.text, true)) };
  throw new Error(`unknown op ${req.op}`);
}

process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  try {
    process.stdout.write(`${JSON.stringify(await handle(JSON.parse(line)))}\n`);
  } catch (err) {
    process.stdout.write(`${JSON.stringify({ error: String(err?.stack ?? err) })}\n`);
  }
}
await model.dispose();
await llama.dispose();
