// GGUF export for llama.cpp: the tiny test model of each family written as f32 GGUF. The file's
// header is checked always. With node-llama-cpp in bench/.reference/ (`npm run bench:generate`
// installs it; CI does not have it), llama.cpp must compute what the torch model computes: the same
// greedy tokens, the same next-token log-probabilities (which a wrong RoPE row order for Llama, a
// lost Qwen2 bias or Qwen3 q/k norm would break), and the same tokenization of the prompt text.
// The Ollama Modelfile written beside it must give, through Ollama's template, the very prompt
// Understudy trains and drafts with (chat template or, without one, Alpaca's layout).
import { closeSync, cpSync, mkdtempSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LLAMACPP_VERSION, REFERENCE_DIR, ReferenceModel, referenceInstalled } from '../../bench/lib/llamacpp.js';
import { ChatTokenizer } from '../../src/model/chat-tokenizer.js';
import { exportGguf } from '../../src/model/export-gguf.js';
import { writeModelfile } from '../../src/model/modelfile.js';
import { type PromptInput, renderConversation } from '../../src/model/prompt.js';
import { runWorker } from '../../src/worker/run.js';
import { TEST_PYTHON, tinyModel } from '../helpers/tiny-model.js';

const work = mkdtempSync(join(tmpdir(), 'understudy-gguf-'));
const haveLlamaCpp = referenceInstalled();
const GREEDY_TOKENS = 24;

if (!haveLlamaCpp) {
  console.log(
    `gguf.test: skipping the llama.cpp checks: node-llama-cpp ${LLAMACPP_VERSION} is not installed in ${REFERENCE_DIR} ` +
      '(npm run bench:generate installs it there)',
  );
}

function header(file: string): { magic: string; version: number; tensors: number; kv: number } {
  const fd = openSync(file, 'r');
  const b = Buffer.alloc(24);
  readSync(fd, b, 0, 24, 0);
  closeSync(fd);
  return {
    magic: b.toString('latin1', 0, 4),
    version: b.readUInt32LE(4),
    tensors: Number(b.readBigUInt64LE(8)),
    kv: Number(b.readBigUInt64LE(16)),
  };
}

const MAIL: PromptInput = {
  user: { name: 'Anna de Vries', addresses: ['anna@example.test'] },
  now: Date.UTC(2025, 0, 6, 10),
  incoming: {
    from: [{ name: 'Tom Baker', address: 'tom@example.test' }],
    to: [{ name: 'Anna de Vries', address: 'anna@example.test' }],
    cc: [],
    date: Date.UTC(2025, 0, 6, 9),
    subject: 'lunch',
    body: 'Are you free on Friday? Café at 12:30, 2 of us.',
  },
  context: [],
};

/** A Modelfile's triple-quoted field. */
function field(modelfile: string, name: string): string {
  const start = modelfile.indexOf(`\n${name} """`);
  if (start < 0) throw new Error(`no ${name} in\n${modelfile}`);
  const from = start + name.length + 5;
  return modelfile.slice(from, modelfile.indexOf('"""', from));
}

/** What Ollama sends the model for a first turn: the template with .System and .Prompt filled, cut at .Response. */
function ollamaPrompt(modelfile: string, prompt: string): string {
  const template = field(modelfile, 'TEMPLATE');
  const cut = template.indexOf('{{ .Response }}');
  return template.slice(0, cut).replace('{{ .System }}', field(modelfile, 'SYSTEM')).replace('{{ .Prompt }}', prompt);
}

async function modelfileFor(model: string, ggufFile: string, system: string): Promise<string> {
  const path = await writeModelfile({
    ggufFile,
    modelDir: model,
    system,
    temperature: 0.7,
    topP: 0.9,
    maxNewTokens: 300,
    contextLength: 1024,
  });
  expect(path).toBe(ggufFile.replace(/\.gguf$/, '.Modelfile'));
  return readFileSync(path, 'utf8');
}

describe('Ollama Modelfile without a chat template (Alpaca layout)', () => {
  it('renders the Alpaca prompt Understudy trains with, and stops at EOS', async () => {
    const model = join(work, 'alpaca-model');
    cpSync(tinyModel({ family: 'llama' }), model, { recursive: true });
    const config = JSON.parse(readFileSync(join(model, 'tokenizer_config.json'), 'utf8'));
    delete config.chat_template;
    writeFileSync(join(model, 'tokenizer_config.json'), JSON.stringify(config));
    const messages = renderConversation(MAIL);
    const text = await modelfileFor(model, join(work, 'alpaca.gguf'), messages[0]?.content as string);
    const tokenizer = await ChatTokenizer.load(model);
    expect(tokenizer.hasChatTemplate).toBe(false);
    expect(ollamaPrompt(text, messages[1]?.content as string)).toBe(tokenizer.promptText(messages));
    expect(field(text, 'TEMPLATE')).toBe(
      '### Instruction:\n{{ .System }}\n\n### Input:\n{{ .Prompt }}\n\n### Response:\n{{ .Response }}',
    );
    expect(text).toContain('PARAMETER stop "<|im_end|>"'); // the tokenizer's EOS
  });
});

function logSoftmax(row: Float32Array): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of row) max = Math.max(max, v);
  let sum = 0;
  for (const v of row) sum += Math.exp(v - max);
  const lse = max + Math.log(sum);
  return Float64Array.from(row, (v) => v - lse);
}

for (const family of ['llama', 'qwen2', 'qwen3'] as const) {
  describe(`GGUF export, ${family}`, () => {
    let model: string;
    let file: string;
    let bytes: number;
    let tokenizer: ChatTokenizer;
    let ids: number[];
    const messages = [
      { role: 'system' as const, content: 'You are Anna.' },
      {
        role: 'user' as const,
        content: 'From: Tom\nSubject: lunch\n\nAre you free on Friday? Café at 12:30, 2 of us.',
      },
    ];

    beforeAll(async () => {
      model = tinyModel({ family });
      file = join(work, `${family}.gguf`);
      ({ bytes } = await exportGguf({
        python: TEST_PYTHON,
        modelDir: model,
        adapterDir: null,
        outFile: file,
        precision: 'f32',
      }));
      tokenizer = await ChatTokenizer.load(model);
      ids = tokenizer.promptIds(messages);
    }, 120_000);

    it('writes a GGUF v3 file holding the f32 weights once, plus the tokenizer', () => {
      const h = header(file);
      const weights = statSync(join(model, 'model.safetensors')).size;
      console.log(
        `${family}: ${bytes} bytes, ${h.tensors} tensors, ${h.kv} metadata keys (safetensors ${weights} bytes)`,
      );
      expect(h.magic).toBe('GGUF');
      expect(h.version).toBe(3);
      expect(bytes).toBe(statSync(file).size);
      // token_embd + per layer (2 norms, q, k, v, o, gate, up, down [+ 3 biases | + 2 q/k norms]) + output_norm; tied: no output
      const perLayer = 9 + (family === 'qwen2' ? 3 : family === 'qwen3' ? 2 : 0);
      expect(h.tensors).toBe(1 + 2 * perLayer + 1);
      // the tied embedding is not stored twice; the rest is the tokenizer (151k tokens and merges)
      expect(bytes).toBeGreaterThan(weights);
      expect(bytes).toBeLessThan(weights + 8_000_000);
    });

    it('writes an Ollama Modelfile beside it whose template gives the prompt Understudy drafts with', async () => {
      const conversation = renderConversation(MAIL);
      const text = await modelfileFor(model, file, conversation[0]?.content as string);
      console.log(`${family}: Modelfile\n${text}`);
      expect(text).toContain(`\nFROM ./${family}.gguf\n`);
      expect(ollamaPrompt(text, conversation[1]?.content as string)).toBe(tokenizer.promptText(conversation));
      expect(text).toContain('PARAMETER stop "<|im_end|>"');
      expect(field(text, 'TEMPLATE').endsWith('{{ .Response }}<|im_end|>')).toBe(true);
      expect(text).toContain('\nPARAMETER temperature 0.7\n');
      expect(text).toContain('\nPARAMETER num_ctx 1024\n');
    });

    it.skipIf(!haveLlamaCpp)('llama.cpp tokenizes the prompt text as the model tokenizer does', async () => {
      const llama = await ReferenceModel.load(file, { threads: 2, exactF32: true });
      const text = tokenizer.promptText(messages);
      const theirs = await llama.tokenize(text);
      await llama.close();
      console.log(`${family}: ${ids.length} prompt tokens, equal: ${JSON.stringify(theirs) === JSON.stringify(ids)}`);
      expect(theirs).toEqual(ids);
    });

    it.skipIf(!haveLlamaCpp)("llama.cpp's next-token log-probabilities equal torch's (1e-4)", async () => {
      const out = join(work, `${family}-logits.bin`);
      await runWorker({
        python: TEST_PYTHON,
        command: 'logits',
        config: { model_dir: model, input_ids: [ids], out_file: out },
      }).result;
      const raw = readFileSync(out);
      const all = new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
      const vocab = all.length / ids.length;
      const torchLogProbs = logSoftmax(all.subarray(all.length - vocab));
      const llama = await ReferenceModel.load(file, { threads: 2, exactF32: true });
      const theirs = await llama.nextLogProbs(ids, 20);
      await llama.close();
      let max = 0;
      for (const [token, logp] of theirs) max = Math.max(max, Math.abs(logp - (torchLogProbs[token] as number)));
      console.log(`${family}: max |Δ log p| over llama.cpp's top 20 next tokens ${max.toExponential(2)}`);
      expect(theirs).toHaveLength(20);
      expect(max).toBeLessThan(1e-4);
    });

    it.skipIf(!haveLlamaCpp)('llama.cpp greedy output equals torch greedy output', async () => {
      const done = await runWorker({
        python: TEST_PYTHON,
        command: 'generate',
        config: { model_dir: model, prompts: [ids], max_new_tokens: GREEDY_TOKENS, eos_token_ids: [-1], greedy: true },
      }).result;
      const torchOut = (done.outputs as number[][])[0];
      const llama = await ReferenceModel.load(file, { threads: 2, exactF32: true });
      const theirs = await llama.greedy(ids, GREEDY_TOKENS);
      await llama.close();
      console.log(
        `${family}: greedy ${JSON.stringify(torchOut?.slice(0, 8))}… equal: ${JSON.stringify(theirs.tokens) === JSON.stringify(torchOut)}`,
      );
      expect(theirs.tokens).toEqual(torchOut);
    });
  });
}
