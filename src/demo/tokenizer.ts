// The demo's small vocabulary: a byte-level BPE tokenizer cut down from a real one (Qwen3's) to the
// tokens the sample mailbox needs. A model made from scratch spends nearly all its time and most of
// its learning on the output layer (one row per vocabulary entry): 151,669 rows for Qwen3 against a
// few thousand here makes `understudy demo` train in a minute or two on a laptop CPU, and the model
// learns the persona's form in far fewer steps.
//
// Hand-written because no library we use prunes a BPE vocabulary; the rule it relies on: BPE
// applies, at each step, the lowest-ranked merge among the adjacent pairs present. Every merge the
// full tokenizer applies to the sample text produces a token of that text or a part of one, so
// keeping those tokens, every merge that builds any of them (with its two parts), and all
// single-byte tokens gives the same tokens for the sample text, and still encodes any other text
// (in smaller pieces, down to bytes).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { disableOnnxTelemetry } from '../config/no-telemetry.js';
import { UnderstudyError } from '../errors.js';
import type { ChatMessage } from '../model/prompt.js';

interface TokenizerJson {
  added_tokens: { id: number; content: string }[];
  model: { type: string; vocab: Record<string, number>; merges: (string | [string, string])[] };
}

/** What `pruneTokenizer` wrote. */
export interface PrunedTokenizer {
  /** Entries of the cut-down vocabulary, added (special) tokens included. */
  vocabSize: number;
  /** Entries of the original. */
  originalVocabSize: number;
}

/** Error of the demo's tokenizer step; `code` says which input was wrong. */
export class DemoTokenizerError extends UnderstudyError {
  declare readonly code: 'DEMO_TOKENIZER_UNSUPPORTED' | 'DEMO_TOKENIZER_UNREADABLE';
  constructor(
    message: string,
    code: 'DEMO_TOKENIZER_UNSUPPORTED' | 'DEMO_TOKENIZER_UNREADABLE',
    options?: { cause?: unknown },
  ) {
    super(code, 'final', message, {
      fix:
        code === 'DEMO_TOKENIZER_UNSUPPORTED'
          ? 'use a model with a byte-level BPE tokenizer (Qwen, Llama 3, SmolLM2)'
          : 'the model folder needs tokenizer.json and tokenizer_config.json: download it again with understudy model pull',
      cause: options?.cause,
    });
    this.name = 'DemoTokenizerError';
  }
}

/**
 * Writes into `outDir` a tokenizer.json and tokenizer_config.json (Hugging Face layout) that keep
 * only what encoding the sample with the tokenizer in `srcDir` needs, renumbered from 0 (special
 * tokens last, as in the original). The chat template and special tokens are unchanged. The sample
 * is plain `texts` and `conversations`, rendered with the tokenizer's chat template both as a
 * training example (with the reply) and as a prompt to complete (without the last message).
 *
 * @param srcDir a folder with a byte-level BPE tokenizer.json (GPT-2/Qwen/Llama 3 style) and tokenizer_config.json
 * @param texts the text the model will see: rendered prompts and replies
 * @throws DemoTokenizerError `DEMO_TOKENIZER_UNREADABLE` when the files cannot be read,
 *   `DEMO_TOKENIZER_UNSUPPORTED` when the model is not BPE
 */
export async function pruneTokenizer(
  srcDir: string,
  outDir: string,
  sample: { texts: readonly string[]; conversations: readonly ChatMessage[][] },
): Promise<PrunedTokenizer> {
  const { texts, conversations } = sample;
  let json: TokenizerJson;
  let config: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(join(srcDir, 'tokenizer.json'), 'utf8'));
    config = JSON.parse(readFileSync(join(srcDir, 'tokenizer_config.json'), 'utf8'));
  } catch (err) {
    throw new DemoTokenizerError(
      `cannot read the tokenizer in ${srcDir}: ${(err as Error).message}`,
      'DEMO_TOKENIZER_UNREADABLE',
      {
        cause: err,
      },
    );
  }
  if (json.model?.type !== 'BPE')
    throw new DemoTokenizerError(
      `the tokenizer in ${srcDir} is ${json.model?.type}, not BPE`,
      'DEMO_TOKENIZER_UNSUPPORTED',
    );

  disableOnnxTelemetry(); // transformers.js loads onnxruntime-node
  const lib = await import('@huggingface/transformers');
  lib.env.allowRemoteModels = false;
  lib.env.allowLocalModels = true;
  lib.env.localModelPath = '/';
  const tokenizer = await lib.AutoTokenizer.from_pretrained(srcDir.replace(/\/+$/, ''), { local_files_only: true });

  const byId = new Map<number, string>();
  for (const [token, id] of Object.entries(json.model.vocab)) byId.set(id, token);
  const special = new Set(json.added_tokens.map((t) => t.id));
  const needed = new Set<string>();
  const rendered = conversations.flatMap((messages) => [
    tokenizer.apply_chat_template(messages, { tokenize: false, enable_thinking: false } as Record<string, unknown>),
    tokenizer.apply_chat_template(messages.slice(0, -1), {
      tokenize: false,
      add_generation_prompt: true,
      enable_thinking: false,
    } as Record<string, unknown>),
  ]) as unknown as string[];
  for (const text of [...texts, ...rendered]) {
    for (const id of tokenizer.encode(text, { add_special_tokens: false })) {
      const token = byId.get(id);
      if (token !== undefined && !special.has(id)) needed.add(token);
    }
  }

  const merges = json.model.merges.map((m) => (typeof m === 'string' ? (m.split(' ') as [string, string]) : m));
  const makers = new Map<string, [string, string][]>();
  for (const pair of merges) {
    const made = pair[0] + pair[1];
    const list = makers.get(made);
    if (list) list.push(pair);
    else makers.set(made, [pair]);
  }
  // Single characters of the byte-level alphabet: any text can still be encoded.
  const keep = new Set<string>(Object.keys(json.model.vocab).filter((t) => [...t].length === 1));
  const queue = [...needed];
  const seen = new Set<string>();
  while (queue.length) {
    const token = queue.pop() as string;
    if (seen.has(token)) continue;
    seen.add(token);
    keep.add(token);
    for (const [a, b] of makers.get(token) ?? []) queue.push(a, b);
  }

  const kept = Object.entries(json.model.vocab)
    .filter(([t]) => keep.has(t))
    .sort((x, y) => x[1] - y[1]);
  const newId = new Map<number, number>();
  const vocab: Record<string, number> = {};
  kept.forEach(([token, id], i) => {
    vocab[token] = i;
    newId.set(id, i);
  });
  let next = kept.length;
  const added = [...json.added_tokens].sort((x, y) => x.id - y.id);
  for (const t of added) newId.set(t.id, next++);

  const out = {
    ...json,
    added_tokens: added.map((t) => ({ ...t, id: newId.get(t.id) })),
    model: {
      ...json.model,
      vocab,
      merges: merges.filter(([a, b]) => keep.has(a) && keep.has(b) && keep.has(a + b)),
    },
  };
  const decoder = config.added_tokens_decoder as Record<string, unknown> | undefined;
  const outConfig = {
    ...config,
    ...(decoder
      ? {
          added_tokens_decoder: Object.fromEntries(
            Object.entries(decoder).flatMap(([id, v]) => {
              const n = newId.get(Number(id));
              return n === undefined ? [] : [[String(n), v]];
            }),
          ),
        }
      : {}),
  };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'tokenizer.json'), JSON.stringify(out));
  writeFileSync(join(outDir, 'tokenizer_config.json'), JSON.stringify(outConfig, null, 2));
  return { vocabSize: next, originalVocabSize: Object.keys(json.model.vocab).length + json.added_tokens.length };
}
