// The export option attention: "gqa" (the default: onnxruntime's GroupQueryAttention kernel, the
// cache in fixed buffers and each pass's new rows as outputs kv_rows.*) computes what the trainer's
// torch model computes: logits within 1e-4 without and with the cache (the cache given as
// exact-length tensors, as the Concat graph takes it), the same logits when the rows are appended
// to one reused buffer, and the generator's greedy tokens equal torch's, fp32 and int8 weights, for
// the three families (Qwen3: q/k norm before RoPE). The matmul graph has no kv_rows outputs.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Generator } from '../../src/generate/generator.js';
import { OnnxCausalLm } from '../../src/generate/onnx-lm.js';
import { ChatTokenizer } from '../../src/model/chat-tokenizer.js';
import { runWorker } from '../../src/worker/run.js';
import { TEST_PYTHON, tinyModel } from '../helpers/tiny-model.js';

const work = mkdtempSync(join(tmpdir(), 'understudy-gqa-'));

function maxAbs(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

async function exportGqa(model: string, out: string, weights: 'fp32' | 'int8'): Promise<void> {
  const config = { model_dir: model, out_dir: out, weights, num_logits_to_keep: true, attention: 'gqa' };
  await runWorker({ python: TEST_PYTHON, command: 'export', config }).result;
}

for (const family of ['llama', 'qwen2', 'qwen3'] as const) {
  describe(`GroupQueryAttention export, ${family}`, () => {
    let model: string;
    let dir: string;
    let ids: number[];
    let torchLogits: Float32Array;
    let vocab: number;

    beforeAll(async () => {
      model = tinyModel({ family });
      dir = join(work, `${family}-fp32`);
      await exportGqa(model, dir, 'fp32');
      const tokenizer = await ChatTokenizer.load(model);
      ids = tokenizer.promptIds([
        { role: 'system', content: 'You are Anna.' },
        { role: 'user', content: 'From: Tom\nSubject: lunch\n\nAre you free on Friday?' },
      ]);
      const file = join(work, `${family}-torch.bin`);
      await runWorker({
        python: TEST_PYTHON,
        command: 'logits',
        config: { model_dir: model, input_ids: [ids], out_file: file },
      }).result;
      const raw = readFileSync(file);
      torchLogits = new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
      vocab = torchLogits.length / ids.length;
    }, 120_000);

    it('logits equal torch (1e-4): whole prompt, cache as exact-length tensors, rows appended to one buffer', async () => {
      const lm = await OnnxCausalLm.load(dir, { threads: 1 });
      expect(lm.appendsRows).toBe(true);
      const whole = await lm.forward(ids, undefined, { allLogits: true });
      const k = Math.floor(ids.length / 2);
      // Concat semantics: no buffers, present comes back with exactly k + rest positions.
      const first = await lm.forward(ids.slice(0, k), undefined, { allLogits: true });
      const rest = await lm.forward(ids.slice(k), first.cache, { allLogits: true });
      const stitched = new Float32Array(torchLogits.length);
      stitched.set(first.logits as Float32Array, 0);
      stitched.set(rest.logits as Float32Array, (first.logits as Float32Array).length);
      // Appended: one buffer with room to spare; a chunk of the prompt, then one token at a time.
      const buffers = lm.cacheBuffers(ids.length + 7);
      let step = await lm.forward(ids.slice(0, k), undefined, { into: buffers, allLogits: true });
      const inPlace = [step.logits as Float32Array];
      for (const id of ids.slice(k)) {
        step = await lm.forward([id], step.cache, { into: buffers, allLogits: true });
        inPlace.push(step.logits as Float32Array);
      }
      const joined = new Float32Array(torchLogits.length);
      let at = 0;
      for (const part of inPlace) {
        joined.set(part, at);
        at += part.length;
      }
      await expect(lm.forward([1], first.cache, { into: lm.cacheBuffers(ids.length) })).rejects.toThrow(RangeError);
      await lm.release();
      const d = [whole.logits as Float32Array, stitched, joined].map((x) => maxAbs(x, torchLogits));
      console.log(
        `${family} gqa: max |Δlogit| ${d.map((x) => x.toExponential(2)).join(' / ')} (whole / exact-length cache / appended), ${ids.length} tokens`,
      );
      expect(step.cache.length).toBe(ids.length);
      // The rows in the buffer are present's: the cache a Concat pass builds from the same tokens.
      const name = 'past_key_values.0.key';
      const exact = rest.cache.tensors[name]?.data as Float32Array;
      const kept = buffers.buffers[name] as Float32Array;
      const { kvHeads, headDim } = lm.shape;
      for (let h = 0; h < kvHeads; h++) {
        const row = (a: Float32Array, length: number) =>
          a.subarray(h * length * headDim, (h * length + ids.length) * headDim);
        expect(maxAbs(row(kept, buffers.capacity), row(exact, ids.length))).toBeLessThan(1e-5);
      }
      for (const x of d) expect(x).toBeLessThan(1e-4);
    });

    it('the generator (one buffer, rows appended) decodes what torch decodes, fp32 and int8', async () => {
      const count = 16;
      const torch = await runWorker({
        python: TEST_PYTHON,
        command: 'generate',
        config: { model_dir: model, prompts: [ids], max_new_tokens: count, eos_token_ids: [-1], greedy: true },
      }).result;
      const greedy = { temperature: 0, repetitionPenalty: 1, maxNewTokens: count, minNewTokens: count };
      const generator = await Generator.load(dir, { threads: 1 });
      const fp32 = (await generator.generate(ids, greedy)).ids;
      const again = (await generator.generate(ids, greedy)).ids; // the reused buffer holds the last call's cache
      await generator.close();
      const int8Dir = join(work, `${family}-int8`);
      await exportGqa(model, int8Dir, 'int8');
      const quantised = await Generator.load(int8Dir, { threads: 1 });
      const int8First = (await quantised.generate(ids, { ...greedy, maxNewTokens: 1, minNewTokens: 1 })).ids;
      await quantised.close();
      const expected = (torch.outputs as number[][])[0] as number[];
      console.log(
        `${family} gqa generator: ${JSON.stringify(fp32.slice(0, 6))}…, equal to torch: ${JSON.stringify(fp32) === JSON.stringify(expected)}`,
      );
      expect(fp32).toEqual(expected);
      expect(again).toEqual(expected);
      expect(int8First).toEqual(expected.slice(0, 1));
      expect(vocab).toBeGreaterThan(0);
    }, 120_000);
  });
}

describe('the matmul graph (export option attention: "matmul")', () => {
  it('has no kv_rows outputs, and the generator decodes what torch decodes through two alternating buffers', async () => {
    const model = tinyModel({ family: 'llama' });
    const dir = join(work, 'llama-matmul');
    const config = { model_dir: model, out_dir: dir, num_logits_to_keep: true, attention: 'matmul' };
    await runWorker({ python: TEST_PYTHON, command: 'export', config }).result;
    const ids = [1, 15, 27, 3, 99, 4, 8, 150, 42, 7];
    const count = 12;
    const torch = await runWorker({
      python: TEST_PYTHON,
      command: 'generate',
      config: { model_dir: model, prompts: [ids], max_new_tokens: count, eos_token_ids: [-1], greedy: true },
    }).result;
    const generator = await Generator.load(dir, { threads: 1 });
    expect(generator.lm.appendsRows).toBe(false);
    const out = await generator.generate(ids, {
      temperature: 0,
      repetitionPenalty: 1,
      maxNewTokens: count,
      minNewTokens: count,
    });
    await generator.close();
    expect(out.ids).toEqual((torch.outputs as number[][])[0]);
  }, 120_000);
});
