// Writes a reply with a model version: the prompt rendered by the dataset's shared template,
// then token-by-token decoding with the KV cache (onnxruntime-node), sampling and stop rules.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UnderstudyError } from '../errors.js';
import { ChatTokenizer } from '../model/chat-tokenizer.js';
import type { ChatMessage } from '../model/prompt.js';
import { type CacheBuffers, OnnxCausalLm } from './onnx-lm.js';
import { applyRepetitionPenalty, endsInLoop, sampleTopP, seededRandom } from './sampling.js';

export interface GenerateOptions {
  maxNewTokens?: number;
  /** 0 = greedy. */
  temperature?: number;
  topP?: number;
  repetitionPenalty?: number;
  seed?: number;
  /**
   * Stop rules apply only from this many new tokens on: end-of-turn tokens are masked before, and
   * loops are not checked (as transformers' min_new_tokens). Benchmarks use it to force a length.
   */
  minNewTokens?: number;
  onToken?: (id: number) => void;
}

export interface Generation {
  text: string;
  ids: number[];
  stoppedBy: 'end_of_turn' | 'max_tokens' | 'repetition';
  promptTokens: number;
  prefillMs: number;
  decodeMs: number;
  tokensPerS: number;
}

/** The model cannot generate this (no ONNX model in the folder, a prompt longer than its context): final. */
export class GeneratorError extends UnderstudyError {
  declare readonly code: 'MODEL_MISSING' | 'PROMPT_TOO_LONG';
  constructor(code: GeneratorError['code'], message: string) {
    super(code, 'final', message, {
      fix:
        code === 'MODEL_MISSING'
          ? 'run understudy model pull (then understudy train) to make a model to draft with'
          : 'raise train.max_seq_len, the context drafting gives the model',
    });
    this.name = 'GeneratorError';
  }
}

/** One loaded model (its ONNX graph and tokenizer); keep one per process and reuse it. */
export class Generator {
  private constructor(
    readonly dir: string,
    readonly lm: OnnxCausalLm,
    readonly tokenizer: ChatTokenizer,
    readonly contextLength: number,
  ) {}

  /** Cache buffer pairs not in use by a generate() call. */
  private readonly idleSlots: [CacheBuffers, CacheBuffers][] = [];

  /**
   * `dir` holds config.json, the tokenizer files and onnx/model.onnx; `threads` and `sessionConfig`
   * as OnnxCausalLm.load, `contextLength` the most positions a prompt and its reply may take
   * (default 2048). Throws GeneratorError MODEL_MISSING when there is no model.
   */
  static async load(
    dir: string,
    options: { threads?: number; contextLength?: number; sessionConfig?: Record<string, string> } = {},
  ): Promise<Generator> {
    if (!existsSync(join(dir, 'onnx', 'model.onnx')))
      throw new GeneratorError('MODEL_MISSING', `no ONNX model in ${dir}`);
    const [lm, tokenizer] = await Promise.all([
      OnnxCausalLm.load(dir, {
        ...(options.threads ? { threads: options.threads } : {}),
        ...(options.sessionConfig ? { sessionConfig: options.sessionConfig } : {}),
      }),
      ChatTokenizer.load(dir),
    ]);
    return new Generator(dir, lm, tokenizer, options.contextLength ?? 2048);
  }

  async reply(messages: readonly ChatMessage[], options: GenerateOptions = {}): Promise<Generation> {
    return this.generate(this.tokenizer.promptIds(messages), options);
  }

  async generate(promptIds: readonly number[], options: GenerateOptions = {}): Promise<Generation> {
    const maxNew = options.maxNewTokens ?? 320;
    if (promptIds.length + 1 > this.contextLength) {
      throw new GeneratorError(
        'PROMPT_TOO_LONG',
        `the prompt has ${promptIds.length} tokens, more than the ${this.contextLength} this model is used with`,
      );
    }
    const temperature = options.temperature ?? 0.7;
    const topP = options.topP ?? 0.9;
    const penalty = options.repetitionPenalty ?? 1.1;
    const minNew = options.minNewTokens ?? 0;
    const random = seededRandom(options.seed ?? 1);
    const stop = new Set(this.tokenizer.endOfTurnIds);
    // The last token the loop may produce: its logits (one more forward pass) are never needed.
    const limit = Math.min(maxNew, this.contextLength - promptIds.length);
    // One cache buffer of fixed capacity when the graph appends rows (the new keys and values are
    // written into it after each pass: no per-token copy of the cache); else two, alternated: each
    // pass reads the cache in one and writes the grown one into the other.
    const slots = this.takeSlots(promptIds.length + limit);
    try {
      const t0 = performance.now();
      let step = await this.lm.forward(promptIds, undefined, { into: slots[0] });
      const prefillMs = performance.now() - t0;
      const ids: number[] = [];
      let stoppedBy: Generation['stoppedBy'] = 'max_tokens';
      const t1 = performance.now();
      while (ids.length < limit) {
        const logits = step.lastLogits;
        applyRepetitionPenalty(logits, ids, penalty);
        if (ids.length < minNew) for (const id of stop) if (id < logits.length) logits[id] = Number.NEGATIVE_INFINITY;
        const next = sampleTopP(logits, temperature, topP, random);
        if (stop.has(next)) {
          stoppedBy = 'end_of_turn';
          break;
        }
        ids.push(next);
        options.onToken?.(next);
        if (ids.length >= minNew && endsInLoop(ids)) {
          stoppedBy = 'repetition';
          break;
        }
        const into = this.lm.appendsRows ? slots[0] : slots[ids.length % 2];
        if (ids.length < limit) step = await this.lm.forward([next], step.cache, { into });
      }
      const decodeMs = performance.now() - t1;
      return {
        text: this.tokenizer.decode(ids),
        ids,
        stoppedBy,
        promptTokens: promptIds.length,
        prefillMs,
        decodeMs,
        tokensPerS: ids.length / Math.max(decodeMs / 1000, 1e-9),
      };
    } finally {
      this.idleSlots.push(slots);
      if (this.idleSlots.length > 2) this.idleSlots.shift(); // keep the memory bounded
    }
  }

  /**
   * Cache buffers for `capacity` positions, reused across calls (concurrent calls get their own);
   * with a graph that appends rows both entries are the same buffers.
   */
  private takeSlots(capacity: number): [CacheBuffers, CacheBuffers] {
    const i = this.idleSlots.findIndex(([a]) => a.capacity >= capacity);
    if (i >= 0) return this.idleSlots.splice(i, 1)[0] as [CacheBuffers, CacheBuffers];
    const first = this.lm.cacheBuffers(capacity);
    return [first, this.lm.appendsRows ? first : this.lm.cacheBuffers(capacity)];
  }

  async close(): Promise<void> {
    await this.lm.release();
  }
}
