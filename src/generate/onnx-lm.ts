// A causal language model exported by the trainer (transformers.js layout: config.json +
// onnx/model.onnx), run with onnxruntime-node and an explicit KV cache.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { disableOnnxTelemetry } from '../config/no-telemetry.js';

/** onnxruntime-node, loaded on first use (only drafting and evaluation need it). */
let ort: typeof Ort;
async function loadRuntime(): Promise<typeof Ort> {
  // Before any session exists: no telemetry (see no-telemetry.ts).
  disableOnnxTelemetry();
  ort ??= await import('onnxruntime-node');
  return ort;
}

export interface LmShape {
  layers: number;
  kvHeads: number;
  headDim: number;
  vocab: number;
}

/** Keys and values of every layer for the tokens seen so far. */
export interface KvCache {
  length: number;
  tensors: Record<string, Ort.Tensor>;
}

/**
 * Room for the keys and values of up to `capacity` positions. A forward pass given one writes the
 * grown cache straight into it (onnxruntime fills the caller's memory), instead of into fresh
 * memory that the binding then copies out: at a few hundred tokens that is tens of MB per token.
 * A decoding loop alternates two of them: each pass reads the cache in one and writes the other.
 */
export class CacheBuffers {
  constructor(
    readonly capacity: number,
    /** One per cache tensor, by input name (past_key_values.{i}.key / .value). */
    readonly buffers: Readonly<Record<string, Float32Array>>,
  ) {}

  /** True when `cache` lives in these buffers (so a pass reading it must write elsewhere). */
  holds(cache: KvCache): boolean {
    const [name, buffer] = Object.entries(this.buffers)[0] ?? [];
    return name !== undefined && (cache.tensors[name]?.data as Float32Array | undefined)?.buffer === buffer?.buffer;
  }
}

export interface ForwardResult {
  /** Logits of the last position only: [vocab]. */
  lastLogits: Float32Array;
  /** All logits [seq × vocab] when asked for. */
  logits?: Float32Array;
  cache: KvCache;
}

export class OnnxCausalLm {
  /** The graph takes num_logits_to_keep (export option): a prompt's pass then computes one row of logits. */
  private readonly keepsLogits: boolean;

  private constructor(
    private readonly session: Ort.InferenceSession,
    readonly shape: LmShape,
  ) {
    this.keepsLogits = session.inputNames.includes('num_logits_to_keep');
  }

  static async load(dir: string, options: { threads?: number } = {}): Promise<OnnxCausalLm> {
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, number | undefined>;
    const heads = config.num_attention_heads ?? 1;
    const shape: LmShape = {
      layers: config.num_hidden_layers ?? 0,
      kvHeads: config.num_key_value_heads ?? heads,
      headDim: config.head_dim ?? (config.hidden_size ?? 0) / heads,
      vocab: config.vocab_size ?? 0,
    };
    await loadRuntime();
    const session = await ort.InferenceSession.create(join(dir, 'onnx', 'model.onnx'), {
      intraOpNumThreads: options.threads ?? 0,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
    });
    return new OnnxCausalLm(session, shape);
  }

  /** Buffers for a cache of up to `capacity` positions (see CacheBuffers). */
  cacheBuffers(capacity: number): CacheBuffers {
    const buffers: Record<string, Float32Array> = {};
    for (let i = 0; i < this.shape.layers; i++) {
      for (const kind of ['key', 'value']) {
        buffers[`past_key_values.${i}.${kind}`] = new Float32Array(this.shape.kvHeads * capacity * this.shape.headDim);
      }
    }
    return new CacheBuffers(capacity, buffers);
  }

  emptyCache(): KvCache {
    const tensors: Record<string, Ort.Tensor> = {};
    for (let i = 0; i < this.shape.layers; i++) {
      for (const kind of ['key', 'value']) {
        tensors[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [
          1,
          this.shape.kvHeads,
          0,
          this.shape.headDim,
        ]);
      }
    }
    return { length: 0, tensors };
  }

  /**
   * Runs `ids` (one sequence) after what `cache` holds; returns logits and the grown cache. With
   * `into`, the grown cache is written there (overwriting any cache those buffers held before);
   * it must not be the buffers `cache` is in.
   */
  async forward(
    ids: readonly number[],
    cache: KvCache = this.emptyCache(),
    options: { allLogits?: boolean; into?: CacheBuffers } = {},
  ): Promise<ForwardResult> {
    const n = ids.length;
    const total = cache.length + n;
    const { into } = options;
    if (into && (total > into.capacity || into.holds(cache))) {
      throw new RangeError(
        into.holds(cache)
          ? 'forward: `into` holds the cache this pass reads'
          : `forward: ${total} positions do not fit buffers for ${into.capacity}`,
      );
    }
    const feeds: Record<string, Ort.Tensor> = {
      input_ids: new ort.Tensor(
        'int64',
        BigInt64Array.from(ids, (x) => BigInt(x)),
        [1, n],
      ),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
      position_ids: new ort.Tensor(
        'int64',
        BigInt64Array.from({ length: n }, (_, i) => BigInt(cache.length + i)),
        [1, n],
      ),
      ...cache.tensors,
    };
    // 0: logits of every position; 1: of the last only (the LM head of a 400-token prompt is a
    // quarter of its pass, and 240 MB of logits for a 150k vocabulary).
    if (this.keepsLogits)
      feeds.num_logits_to_keep = new ort.Tensor('int64', BigInt64Array.of(options.allLogits ? 0n : 1n), []);
    let out: Ort.InferenceSession.ReturnType;
    if (into) {
      const { kvHeads, headDim } = this.shape;
      const fetches: Record<string, Ort.Tensor | null> = { logits: null };
      for (const [name, buffer] of Object.entries(into.buffers)) {
        fetches[name.replace('past_key_values.', 'present.')] = new ort.Tensor(
          'float32',
          buffer.subarray(0, kvHeads * total * headDim),
          [1, kvHeads, total, headDim],
        );
      }
      out = await this.session.run(feeds, fetches);
    } else {
      out = await this.session.run(feeds);
    }
    const logits = out.logits?.data as Float32Array;
    const vocab = this.shape.vocab;
    const next: Record<string, Ort.Tensor> = {};
    for (let i = 0; i < this.shape.layers; i++) {
      for (const kind of ['key', 'value'])
        next[`past_key_values.${i}.${kind}`] = out[`present.${i}.${kind}`] as Ort.Tensor;
    }
    return {
      lastLogits: logits.length === vocab ? logits : logits.slice(logits.length - vocab),
      ...(options.allLogits ? { logits } : {}),
      cache: { length: total, tensors: next },
    };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
