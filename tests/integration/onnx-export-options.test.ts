// The ONNX export's speed options, checked against the torch model: `num_logits_to_keep` (a
// prompt's pass computes the last position's logits only; the generator feeds it when the graph
// has it) changes no number, and `weights: "int8"` (MatMulNBits, 8-bit blocks of 32 as GGUF's
// q8_0) stays within quantisation error and keeps the greedy choice. And the generator, which
// writes the KV cache into reused buffers, decodes exactly what torch decodes.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Generator } from '../../src/generate/generator.js';
import { OnnxCausalLm } from '../../src/generate/onnx-lm.js';
import { argmax } from '../../src/generate/sampling.js';
import { ChatTokenizer } from '../../src/model/chat-tokenizer.js';
import { runWorker } from '../../src/worker/run.js';
import { TEST_PYTHON, tinyModel } from '../helpers/tiny-model.js';

const work = mkdtempSync(join(tmpdir(), 'understudy-export-options-'));

function maxAbs(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

for (const family of ['llama', 'qwen2'] as const) {
  describe(`ONNX export options, ${family}`, () => {
    let model: string;
    let ids: number[];
    let torchLogits: Float32Array;
    let vocab: number;

    beforeAll(async () => {
      model = tinyModel({ family });
      const tokenizer = await ChatTokenizer.load(model);
      ids = tokenizer.promptIds([
        { role: 'system', content: 'You are Anna.' },
        { role: 'user', content: 'From: Tom\nSubject: lunch\n\nAre you free on Friday?' },
      ]);
      const out = join(work, `${family}-torch.bin`);
      await runWorker({
        python: TEST_PYTHON,
        command: 'logits',
        config: { model_dir: model, input_ids: [ids], out_file: out },
      }).result;
      const raw = readFileSync(out);
      torchLogits = new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
      vocab = torchLogits.length / ids.length;
    }, 120_000);

    async function exported(weights: 'fp32' | 'int8'): Promise<OnnxCausalLm> {
      const dir = join(work, `${family}-${weights}`);
      const config = { model_dir: model, out_dir: dir, weights, num_logits_to_keep: true };
      await runWorker({ python: TEST_PYTHON, command: 'export', config }).result;
      return OnnxCausalLm.load(dir, { threads: 1 });
    }

    it('num_logits_to_keep: one row of logits for a prompt, the same numbers, all rows on request', async () => {
      const lm = await exported('fp32');
      const last = await lm.forward(ids);
      const all = await lm.forward(ids, undefined, { allLogits: true });
      const k = Math.floor(ids.length / 2);
      const first = await lm.forward(ids.slice(0, k));
      const rest = await lm.forward(ids.slice(k), first.cache);
      await lm.release();
      const torchLast = torchLogits.subarray(torchLogits.length - vocab);
      const dLast = maxAbs(last.lastLogits, torchLast);
      const dAll = maxAbs(all.logits as Float32Array, torchLogits);
      const dCached = maxAbs(rest.lastLogits, torchLast);
      console.log(
        `${family}: last-only ${last.lastLogits.length} logits, max |Δ| ${dLast.toExponential(2)}; all ${dAll.toExponential(2)}; cached ${dCached.toExponential(2)}`,
      );
      expect(last.lastLogits.length).toBe(vocab);
      expect((all.logits as Float32Array).length).toBe(ids.length * vocab);
      expect(dLast).toBeLessThan(1e-4);
      expect(dAll).toBeLessThan(1e-4);
      expect(dCached).toBeLessThan(1e-4);
    });

    it('int8 weights: logits within quantisation error, the same greedy token', async () => {
      const lm = await exported('int8');
      const all = await lm.forward(ids, undefined, { allLogits: true });
      await lm.release();
      const logits = all.logits as Float32Array;
      let scale = 0;
      for (const v of torchLogits) scale = Math.max(scale, Math.abs(v));
      const relative = maxAbs(logits, torchLogits) / scale;
      let same = 0;
      for (let i = 0; i < ids.length; i++) {
        const row = (a: Float32Array) => a.subarray(i * vocab, (i + 1) * vocab);
        if (argmax(row(logits)) === argmax(row(torchLogits))) same++;
      }
      console.log(
        `${family}: int8 max |Δlogit| ${(relative * 100).toFixed(2)}% of the largest logit; greedy choice equal at ${same}/${ids.length} positions`,
      );
      expect(relative).toBeLessThan(0.05);
      expect(argmax(all.lastLogits)).toBe(argmax(torchLogits.subarray(torchLogits.length - vocab)));
      expect(same / ids.length).toBeGreaterThan(0.8);
    });
  });
}

describe('Generator with reused cache buffers', () => {
  it('decodes what torch decodes, forced to a length, and concurrent calls do not share buffers', async () => {
    const model = tinyModel({ family: 'qwen2' });
    const dir = join(work, 'generator-qwen2');
    await runWorker({
      python: TEST_PYTHON,
      command: 'export',
      config: { model_dir: model, out_dir: dir, num_logits_to_keep: true },
    }).result;
    const generator = await Generator.load(dir, { threads: 1 });
    const prompts = [
      [151644, 872, 198, 3830, 25, 8364, 151645, 198, 151644, 77091, 198],
      [151644, 872, 198, 13048, 11, 1246, 525, 498, 30, 151645, 198, 151644, 77091, 198],
    ];
    const count = 20;
    const greedy = { temperature: 0, repetitionPenalty: 1, maxNewTokens: count, minNewTokens: count };
    const torch = await runWorker({
      python: TEST_PYTHON,
      command: 'generate',
      config: { model_dir: model, prompts, max_new_tokens: count, eos_token_ids: [-1], greedy: true },
    }).result;
    const sequential = [];
    for (const p of prompts) sequential.push((await generator.generate(p, greedy)).ids);
    const concurrent = (await Promise.all(prompts.map((p) => generator.generate(p, greedy)))).map((g) => g.ids);
    await generator.close();
    console.log(
      `generator: ${JSON.stringify(sequential[0]?.slice(0, 6))}…, ${count} tokens each, equal to torch: ${JSON.stringify(sequential) === JSON.stringify(torch.outputs)}`,
    );
    expect(sequential.map((ids) => ids.length)).toEqual([count, count]);
    expect(sequential).toEqual(torch.outputs);
    expect(concurrent).toEqual(sequential);
  });
});
