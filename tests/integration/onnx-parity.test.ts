// The exported ONNX model computes what the trainer's torch model computes: logits from
// onnxruntime-node equal the worker's (1e-4), with and without the KV cache, and transformers.js
// greedy decoding equals torch greedy decoding.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoModelForCausalLM } from '@huggingface/transformers';
import { beforeAll, describe, expect, it } from 'vitest';
import { OnnxCausalLm } from '../../src/generate/onnx-lm.js';
import { ChatTokenizer } from '../../src/model/chat-tokenizer.js';
import { runWorker } from '../../src/worker/run.js';
import { TEST_PYTHON, tinyModel } from '../helpers/tiny-model.js';

const work = mkdtempSync(join(tmpdir(), 'understudy-parity-'));

async function worker(command: 'export' | 'logits' | 'generate', config: unknown) {
  return runWorker({ python: TEST_PYTHON, command, config }).result;
}

function readLogits(file: string): Float32Array {
  const b = readFileSync(file);
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

for (const family of ['llama', 'qwen2', 'qwen3'] as const) {
  describe(`ONNX parity, ${family}`, () => {
    let model: string;
    let exported: string;
    let ids: number[];

    beforeAll(async () => {
      model = tinyModel({ family });
      exported = join(work, family);
      await worker('export', { model_dir: model, adapter_dir: null, out_dir: exported });
      const tokenizer = await ChatTokenizer.load(model);
      ids = tokenizer.promptIds([
        { role: 'system', content: 'You are Anna.' },
        { role: 'user', content: 'From: Tom\nSubject: lunch\n\nAre you free on Friday?' },
      ]);
    }, 120_000);

    it('exports the transformers.js layout, with a tied embedding stored once', () => {
      for (const f of [
        'config.json',
        'generation_config.json',
        'tokenizer.json',
        'tokenizer_config.json',
        'onnx/model.onnx',
      ])
        expect(existsSync(join(exported, f)), f).toBe(true);
      const weights = statSync(join(model, 'model.safetensors')).size;
      const onnx = statSync(join(exported, 'onnx', 'model.onnx')).size;
      expect(onnx).toBeLessThan(weights * 1.2);
      console.log(`${family}: safetensors ${weights} bytes, onnx ${onnx} bytes`);
    });

    it('logits equal the torch logits without and with the KV cache (1e-4)', async () => {
      const full = join(work, `${family}-full.bin`);
      await worker('logits', { model_dir: model, input_ids: [ids], out_file: full });
      const torchLogits = readLogits(full);
      const lm = await OnnxCausalLm.load(exported, { threads: 1 });
      const whole = await lm.forward(ids, undefined, { allLogits: true });
      const noCache = maxAbsDiff(whole.logits as Float32Array, torchLogits);
      // With the cache: the first k tokens, then the rest on top of their keys and values.
      const k = Math.floor(ids.length / 2);
      const first = await lm.forward(ids.slice(0, k), undefined, { allLogits: true });
      const rest = await lm.forward(ids.slice(k), first.cache, { allLogits: true });
      const stitched = new Float32Array(torchLogits.length);
      stitched.set(first.logits as Float32Array, 0);
      stitched.set(rest.logits as Float32Array, (first.logits as Float32Array).length);
      const withCache = maxAbsDiff(stitched, torchLogits);
      await lm.release();
      console.log(
        `${family}: max |Δlogit| ${noCache.toExponential(2)} without cache, ${withCache.toExponential(2)} with cache (${ids.length} tokens)`,
      );
      expect(noCache).toBeLessThan(1e-4);
      expect(withCache).toBeLessThan(1e-4);
    });

    it('transformers.js greedy output equals torch greedy output', async () => {
      const done = await worker('generate', {
        model_dir: model,
        prompts: [ids],
        max_new_tokens: 24,
        eos_token_ids: [],
        greedy: true,
      });
      const torchOut = (done.outputs as number[][])[0];
      const tjs = await AutoModelForCausalLM.from_pretrained(exported, { local_files_only: true, dtype: 'fp32' });
      const { Tensor } = await import('@huggingface/transformers');
      const input = new Tensor(
        'int64',
        BigInt64Array.from(ids, (x) => BigInt(x)),
        [1, ids.length],
      );
      const mask = new Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]);
      const out = (await tjs.generate({
        input_ids: input,
        attention_mask: mask,
        max_new_tokens: 24,
        do_sample: false,
        eos_token_id: [],
        min_new_tokens: 24,
      } as never)) as { tolist(): bigint[][] };
      const generated = out.tolist()[0]?.slice(ids.length).map(Number);
      await tjs.dispose();
      console.log(
        `${family}: greedy ${JSON.stringify(torchOut?.slice(0, 8))}… equal: ${JSON.stringify(generated) === JSON.stringify(torchOut)}`,
      );
      expect(generated).toEqual(torchOut);
    });
  });
}

// Keep the worker honest about where it runs from.
execFileSync(TEST_PYTHON, ['-c', 'import torch']);
