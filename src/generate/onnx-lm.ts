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
 * With a Concat graph a decoding loop alternates two of them: each pass reads the cache in one and
 * writes the other (the whole cache is still copied once per token). With a shared-buffer graph
 * (export option attention: "gqa", see OnnxCausalLm.sharesCache) one is enough: the pass reads the
 * cache from it and writes only the new rows into it.
 */
export class CacheBuffers {
  constructor(
    readonly capacity: number,
    /** One per cache tensor, by input name (past_key_values.{i}.key / .value). */
    readonly buffers: Readonly<Record<string, Float32Array>>,
  ) {}

  /** True when `cache` lives in these buffers (a Concat graph's pass reading it must write elsewhere). */
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
    /**
     * Past and present may be one buffer (the exporter's GroupQueryAttention graph, marked in
     * config.json): forward() with `into` then reads and extends the cache in place.
     */
    readonly sharesCache: boolean,
  ) {
    this.keepsLogits = session.inputNames.includes('num_logits_to_keep');
  }

  /**
   * Loads `dir` (config.json + onnx/model.onnx). `threads`: onnxruntime's intra-op threads (0: its
   * default, one per core). `profileFilePrefix`: record onnxruntime's per-node profile, written to
   * `<prefix>_<date>.json` by endProfiling() (benchmarks only).
   */
  static async load(
    dir: string,
    options: { threads?: number; profileFilePrefix?: string } = {},
  ): Promise<OnnxCausalLm> {
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, number | undefined>;
    const sharesCache = (config as Record<string, unknown>).understudy_kv_cache === 'shared-buffer';
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
      ...(options.profileFilePrefix ? { enableProfiling: true, profileFilePrefix: options.profileFilePrefix } : {}),
    });
    return new OnnxCausalLm(session, shape, sharesCache);
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
   * `into`, the grown cache is written there. Concat graph: `into` must not be the buffers `cache`
   * is in (any cache they held is overwritten). Shared-buffer graph (`sharesCache`): `cache` must be
   * empty or in `into` (the new rows are appended in place; an earlier cache taken from the same
   * buffers is then stale). Throws RangeError when the cache does not fit or the buffers conflict.
   */
  async forward(
    ids: readonly number[],
    cache: KvCache = this.emptyCache(),
    options: { allLogits?: boolean; into?: CacheBuffers } = {},
  ): Promise<ForwardResult> {
    const n = ids.length;
    const total = cache.length + n;
    const { into } = options;
    if (into && this.sharesCache) return this.forwardInPlace(ids, cache, into, options.allLogits ?? false);
    if (into && (total > into.capacity || into.holds(cache))) {
      // assert: the generator sizes `into` for the whole context and alternates two buffer pairs
      throw new RangeError(
        into.holds(cache)
          ? 'forward: `into` holds the cache this pass reads'
          : `forward: ${total} positions do not fit buffers for ${into.capacity}`,
      );
    }
    const feeds = this.feeds(ids, cache.length, cache.tensors, options.allLogits ?? false);
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
    const next: Record<string, Ort.Tensor> = {};
    for (let i = 0; i < this.shape.layers; i++) {
      for (const kind of ['key', 'value'])
        next[`past_key_values.${i}.${kind}`] = out[`present.${i}.${kind}`] as Ort.Tensor;
    }
    return this.result(out.logits as Ort.Tensor, options.allLogits ?? false, { length: total, tensors: next });
  }

  /**
   * The shared-buffer pass: past and present are bound to the same [1, kvHeads, capacity, headDim]
   * tensors over `into`, so GroupQueryAttention reads the first `cache.length` rows and writes the
   * new ones after them; nothing else of the cache is touched (no per-token copy).
   */
  private async forwardInPlace(
    ids: readonly number[],
    cache: KvCache,
    into: CacheBuffers,
    allLogits: boolean,
  ): Promise<ForwardResult> {
    const total = cache.length + ids.length;
    if (total > into.capacity || (cache.length > 0 && !into.holds(cache))) {
      throw new RangeError(
        total > into.capacity
          ? `forward: ${total} positions do not fit buffers for ${into.capacity}`
          : 'forward: with a shared-buffer graph the cache must be in `into` (or empty)',
      );
    }
    const { kvHeads, headDim } = this.shape;
    const bound: Record<string, Ort.Tensor> = {};
    for (const [name, buffer] of Object.entries(into.buffers))
      bound[name] = new ort.Tensor('float32', buffer, [1, kvHeads, into.capacity, headDim]);
    const fetches: Record<string, Ort.Tensor | null> = { logits: null };
    for (const [name, tensor] of Object.entries(bound)) fetches[name.replace('past_key_values.', 'present.')] = tensor;
    const out = await this.session.run(this.feeds(ids, cache.length, bound, allLogits), fetches);
    return this.result(out.logits as Ort.Tensor, allLogits, { length: total, tensors: bound });
  }

  /** The graph's inputs for `ids` after `past` cached positions held in `cacheTensors`. */
  private feeds(
    ids: readonly number[],
    past: number,
    cacheTensors: Record<string, Ort.Tensor>,
    allLogits: boolean,
  ): Record<string, Ort.Tensor> {
    const n = ids.length;
    const total = past + n;
    const feeds: Record<string, Ort.Tensor> = {
      input_ids: new ort.Tensor(
        'int64',
        BigInt64Array.from(ids, (x) => BigInt(x)),
        [1, n],
      ),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
      position_ids: new ort.Tensor(
        'int64',
        BigInt64Array.from({ length: n }, (_, i) => BigInt(past + i)),
        [1, n],
      ),
      ...cacheTensors,
    };
    // 0: logits of every position; 1: of the last only (the LM head of a 400-token prompt is a
    // quarter of its pass, and 240 MB of logits for a 150k vocabulary).
    if (this.keepsLogits) feeds.num_logits_to_keep = new ort.Tensor('int64', BigInt64Array.of(allLogits ? 0n : 1n), []);
    return feeds;
  }

  private result(logitsTensor: Ort.Tensor, allLogits: boolean, cache: KvCache): ForwardResult {
    const logits = logitsTensor.data as Float32Array;
    const vocab = this.shape.vocab;
    return {
      lastLogits: logits.length === vocab ? logits : logits.slice(logits.length - vocab),
      ...(allLogits ? { logits } : {}),
      cache,
    };
  }

  /** Writes the profile started by load({ profileFilePrefix }). */
  endProfiling(): void {
    this.session.endProfiling();
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
