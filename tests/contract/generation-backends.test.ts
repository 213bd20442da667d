// One contract for the two generation backends (hono's runTest pattern: the same describe/it for
// each implementation, from a factory): ONNX in Node (src/generate/onnx-lm.ts with the KV cache,
// what drafting runs) and torch in the Python worker (models/trainer/infer.py, what evaluation
// runs). Both decode greedily on the tiny model and must give the same tokens and log-probs.
//
// The referee is a third path: the torch model's logits over the whole sequence in one pass
// without a cache (the worker's `logits` command). Tolerance: 1e-4 absolute on log-probs (the
// exported graph's logits match torch to 1e-4, tests/integration/onnx-parity.test.ts; a
// log-softmax moves by at most twice the largest logit difference).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxCausalLm } from '../../src/generate/onnx-lm.js';
import { argmax } from '../../src/generate/sampling.js';
import { runWorker } from '../../src/worker/run.js';
import { TEST_PYTHON, tinyModel } from '../helpers/tiny-model.js';

const TOLERANCE = 1e-4;
const NEW_TOKENS = 16;

/** A greedy decode: the new tokens and, for each, its log-probability under the model. */
interface Greedy {
  tokens: number[];
  logprobs: number[];
}

/** What a generation backend must do for the contract. */
interface GenerationBackend {
  name: string;
  /** Greedy decoding of exactly `n` new tokens after `prompt` (no stop token). */
  greedy(prompt: readonly number[], n: number): Promise<Greedy>;
  close?(): Promise<void>;
}

interface Setup {
  /** The tiny model in Hugging Face layout (torch) and its ONNX export. */
  modelDir: string;
  onnxDir: string;
  prompt: number[];
}

const work = mkdtempSync(join(tmpdir(), 'understudy-contract-gen-'));

function logSoftmaxAt(row: Float32Array, id: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of row) max = Math.max(max, v);
  let sum = 0;
  for (const v of row) sum += Math.exp(v - max);
  return (row[id] as number) - max - Math.log(sum);
}

/** Torch logits for every position of `ids` [seq × vocab]; `split`: the cached path after that many tokens. */
async function torchLogits(modelDir: string, ids: readonly number[], vocab: number, split?: number) {
  const outFile = join(work, `logits-${process.pid}-${Math.random().toString(36).slice(2)}.bin`);
  await runWorker({
    python: TEST_PYTHON,
    command: 'logits',
    config: { model_dir: modelDir, input_ids: [ids], out_file: outFile, ...(split ? { past_len_split: split } : {}) },
  }).result;
  const b = readFileSync(outFile);
  const all = new Float32Array(b.buffer, b.byteOffset, b.length / 4);
  return (position: number) => all.subarray(position * vocab, (position + 1) * vocab);
}

/** The ONNX backend: onnx-lm.ts with its KV cache, one token per pass, argmax as the generator's. */
function onnxBackend(setup: () => Setup): GenerationBackend {
  let lm: OnnxCausalLm | undefined;
  return {
    name: 'ONNX (onnxruntime-node, KV cache)',
    async greedy(prompt, n) {
      lm ??= await OnnxCausalLm.load(setup().onnxDir, { threads: 1 });
      const tokens: number[] = [];
      const logprobs: number[] = [];
      let step = await lm.forward(prompt);
      while (tokens.length < n) {
        const next = argmax(step.lastLogits);
        tokens.push(next);
        logprobs.push(logSoftmaxAt(step.lastLogits, next));
        if (tokens.length < n) step = await lm.forward([next], step.cache);
      }
      return { tokens, logprobs };
    },
    async close() {
      await lm?.release();
    },
  };
}

/**
 * The torch backend: the worker's `generate` (greedy, KV cache); the log-probs of those tokens
 * from the worker's cached forward pass (`logits` with past_len_split at the prompt's end).
 */
function torchBackend(setup: () => Setup, vocab: () => number): GenerationBackend {
  return {
    name: 'torch (Python worker)',
    async greedy(prompt, n) {
      const { modelDir } = setup();
      const done = await runWorker({
        python: TEST_PYTHON,
        command: 'generate',
        config: { model_dir: modelDir, prompts: [prompt], max_new_tokens: n, eos_token_ids: [-1], greedy: true },
      }).result;
      const tokens = (done.outputs as number[][])[0] ?? [];
      const rows = await torchLogits(modelDir, [...prompt, ...tokens.slice(0, -1)], vocab(), prompt.length);
      const logprobs = tokens.map((id, i) => logSoftmaxAt(rows(prompt.length - 1 + i), id));
      return { tokens, logprobs };
    },
  };
}

/** The contract, registered once per backend. `results` collects each backend's decode for the cross-check. */
function runGenerationContract(
  family: string,
  makeBackend: () => GenerationBackend,
  setup: () => Setup,
  vocab: () => number,
  results: Map<string, Greedy>,
): void {
  const backend = makeBackend();
  describe(`${family}: ${backend.name}`, () => {
    let first: Greedy;
    beforeAll(async () => {
      first = await backend.greedy(setup().prompt, NEW_TOKENS);
      results.set(backend.name, first);
    }, 180_000);
    afterAll(async () => {
      await backend.close?.();
    });

    it(`decodes exactly ${NEW_TOKENS} tokens, each inside the vocabulary, log-probs ≤ 0`, () => {
      expect(first.tokens).toHaveLength(NEW_TOKENS);
      expect(first.logprobs).toHaveLength(NEW_TOKENS);
      for (const t of first.tokens) expect(t >= 0 && t < vocab()).toBe(true);
      for (const l of first.logprobs) expect(l).toBeLessThanOrEqual(1e-6);
    });

    it('is deterministic: the same prompt gives the same tokens', async () => {
      const again = await backend.greedy(setup().prompt, NEW_TOKENS);
      expect(again.tokens).toEqual(first.tokens);
    }, 120_000);

    it(`each token is the referee's argmax and its log-prob the referee's (±${TOLERANCE})`, async () => {
      const { modelDir, prompt } = setup();
      const rows = await torchLogits(modelDir, [...prompt, ...first.tokens.slice(0, -1)], vocab());
      first.tokens.forEach((id, i) => {
        const row = rows(prompt.length - 1 + i);
        const best = argmax(row);
        // A near-tie may fall either way between two graphs; anything else is a wrong token.
        if (id !== best) expect((row[best] as number) - (row[id] as number), `step ${i}`).toBeLessThan(TOLERANCE);
        expect(Math.abs((first.logprobs[i] as number) - logSoftmaxAt(row, id)), `step ${i}`).toBeLessThan(TOLERANCE);
      });
    }, 120_000);
  });
}

for (const family of ['llama', 'qwen3'] as const) {
  let shape: Setup;
  let vocabSize = 0;
  const setup = () => shape;
  const vocab = () => vocabSize;
  const results = new Map<string, Greedy>();

  describe(`generation backends, ${family}`, () => {
    beforeAll(async () => {
      const modelDir = tinyModel({ family });
      const onnxDir = join(work, family);
      await runWorker({
        python: TEST_PYTHON,
        command: 'export',
        config: { model_dir: modelDir, adapter_dir: null, out_dir: onnxDir },
      }).result;
      vocabSize = (JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')) as { vocab_size: number })
        .vocab_size;
      // A fixed prompt of ids spread over the vocabulary (no tokenizer: the contract is about ids).
      const prompt = Array.from({ length: 24 }, (_, i) => (i * 7919 + 13) % vocabSize);
      shape = { modelDir, onnxDir, prompt };
    }, 180_000);

    runGenerationContract(family, () => onnxBackend(setup), setup, vocab, results);
    runGenerationContract(family, () => torchBackend(setup, vocab), setup, vocab, results);

    it(`both backends agree: the same tokens, log-probs within ${TOLERANCE}`, () => {
      const [a, b] = [...results.values()];
      expect(results.size).toBe(2);
      expect(a?.tokens).toEqual(b?.tokens);
      const worst = Math.max(...(a?.logprobs ?? []).map((l, i) => Math.abs(l - ((b?.logprobs[i] as number) ?? 0))));
      console.log(
        JSON.stringify({
          contract: 'generation-backends',
          family,
          tokens: a?.tokens.length,
          max_abs_logprob_diff: worst,
        }),
      );
      expect(worst).toBeLessThan(TOLERANCE);
    });
  });
}
