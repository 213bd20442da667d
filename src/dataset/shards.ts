// Writes tokenized examples as compact binary shards the Python trainer reads with numpy.memmap,
// without any tokenizer: per split, token ids (uint32), loss mask (uint8) and an index of
// (offset, length) pairs (int64), all little-endian, plus meta.json.
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ChatTokenizer } from '../model/chat-tokenizer.js';
import { type ChatMessage, type PromptInput, renderConversation } from '../model/prompt.js';
import type { StoredExample } from '../store/examples.js';

export const SHARD_FORMAT = { format: 'understudy-shards', version: 1 } as const;

export interface ShardSummary {
  dir: string;
  splits: Record<'train' | 'eval', { examples: number; tokens: number; targetTokens: number }>;
  /** Examples that did not fit in maxSeqLen even with all thread context dropped. */
  tooLong: number;
  /** Examples that fit only after dropping earlier thread messages. */
  contextDropped: number;
}

/** Renders one stored example as variants with less and less thread context (oldest dropped first). */
export function contextVariants(example: Pick<StoredExample, 'source'>): ChatMessage[][] {
  const { input, reply } = JSON.parse(example.source) as { input: PromptInput; reply: string };
  const variants: ChatMessage[][] = [];
  for (let keep = input.context.length; keep >= 0; keep--) {
    variants.push(renderConversation({ ...input, context: input.context.slice(input.context.length - keep) }, reply));
  }
  return variants;
}

export function writeShards(
  dir: string,
  examples: readonly StoredExample[],
  tokenizer: ChatTokenizer,
  maxSeqLen: number,
): ShardSummary {
  // Written into a fresh temp folder and renamed into place, so a reader never sees half a set.
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true, mode: 0o700 });
  const summary: ShardSummary = {
    dir,
    splits: { train: { examples: 0, tokens: 0, targetTokens: 0 }, eval: { examples: 0, tokens: 0, targetTokens: 0 } },
    tooLong: 0,
    contextDropped: 0,
  };
  for (const split of ['train', 'eval'] as const) {
    const tokens = openSync(join(tmp, `${split}.tokens.bin`), 'w', 0o600);
    const masks = openSync(join(tmp, `${split}.mask.bin`), 'w', 0o600);
    const index: bigint[] = [];
    let offset = 0;
    try {
      for (const example of examples) {
        if (example.split !== split) continue;
        const encoded = tokenizer.example(contextVariants(example), maxSeqLen);
        if (!encoded) {
          summary.tooLong++;
          continue;
        }
        if (encoded.droppedContext > 0) summary.contextDropped++;
        writeSync(tokens, Buffer.from(new Uint32Array(encoded.ids).buffer));
        writeSync(masks, encoded.mask);
        index.push(BigInt(offset), BigInt(encoded.ids.length));
        offset += encoded.ids.length;
        const s = summary.splits[split];
        s.examples++;
        s.tokens += encoded.ids.length;
        s.targetTokens += encoded.mask.reduce((n, v) => n + v, 0);
      }
    } finally {
      closeSync(tokens);
      closeSync(masks);
    }
    writeFileSync(join(tmp, `${split}.index.bin`), Buffer.from(new BigInt64Array(index).buffer), { mode: 0o600 });
  }
  const meta = {
    ...SHARD_FORMAT,
    vocab_size: tokenizer.vocabSize,
    eos_token_id: tokenizer.eosTokenId,
    pad_token_id: tokenizer.padTokenId,
    end_of_turn_ids: tokenizer.endOfTurnIds,
    max_seq_len: maxSeqLen,
    splits: {
      train: { examples: summary.splits.train.examples, tokens: summary.splits.train.tokens },
      eval: { examples: summary.splits.eval.examples, tokens: summary.splits.eval.tokens },
    },
  };
  writeFileSync(join(tmp, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`, { mode: 0o600 });
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return summary;
}
