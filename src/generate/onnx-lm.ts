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
 * Room for the keys and values of up to `capacity` positions, [1, kvHeads, capacity, headDim] per
 * cache tensor, as llama.cpp's cache. With a graph that outputs this pass's rows (export option
 * attention "gqa", see OnnxCausalLm.appendsRows) one is enough: each pass reads the cache from it
 * whole and the new rows are written into it after the pass; per token only those rows come back
 * from onnxruntime. With a Concat graph a decoding loop alternates two: each pass reads the cache in
 * one and has onnxruntime write the grown cache into the other (which onnxruntime-node then still
 * copies out whole, see forward()).
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
  /**
   * The graph outputs this pass's keys and values alone (kv_rows.{i}.*, the exporter's
   * GroupQueryAttention graph) and reads a cache longer than the cached positions: forward() with
   * `into` then keeps the cache in those buffers and fetches only the new rows. Read from the
   * graph's outputs, so a model exported before (Concat graph, or without kv_rows) keeps working.
   */
  readonly appendsRows: boolean;
  /** Outputs fetched by a pass that appends rows: logits and kv_rows.*, never present.*. */
  private readonly rowFetches: Record<string, null>;
  /** Tensors over each CacheBuffers' whole memory, made once per buffers. */
  private readonly wholeTensors = new WeakMap<CacheBuffers, Record<string, Ort.Tensor>>();

  private constructor(
    private readonly session: Ort.InferenceSession,
    readonly shape: LmShape,
  ) {
    this.keepsLogits = session.inputNames.includes('num_logits_to_keep');
    this.appendsRows = session.outputNames.includes('kv_rows.0.key');
    this.rowFetches = { logits: null };
    for (const name of session.outputNames) if (name.startsWith('kv_rows.')) this.rowFetches[name] = null;
  }

  /**
   * Loads `dir` (config.json + onnx/model.onnx). `threads`: onnxruntime's intra-op threads (0: its
   * default, one per core). `profileFilePrefix`: record onnxruntime's per-node profile, written to
   * `<prefix>_<date>.json` by endProfiling() (benchmarks only). `sessionConfig`: onnxruntime
   * session config entries (e.g. "session.intra_op.allow_spinning": "0"), for benchmarks comparing them.
   */
  static async load(
    dir: string,
    options: { threads?: number; profileFilePrefix?: string; sessionConfig?: Record<string, string> } = {},
  ): Promise<OnnxCausalLm> {
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
      ...(options.profileFilePrefix ? { enableProfiling: true, profileFilePrefix: options.profileFilePrefix } : {}),
      ...(options.sessionConfig ? { extra: options.sessionConfig } : {}),
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
   * `into`, the grown cache is written there. Graph that appends rows (`appendsRows`): `cache` must
   * be empty or in `into` (the new rows are written after it; an earlier cache taken from the same
   * buffers is then stale). Concat graph: `into` must not be the buffers `cache` is in (any cache
   * they held is overwritten). Throws RangeError when the cache does not fit or the buffers conflict.
   *
   * Why not bind present.* to the cache's memory (IO binding): onnxruntime-node 1.30 has no IO
   * binding for CPU tensors, and copies every fetched output, pre-allocated or not, into a new
   * ArrayBuffer (OrtValueToNapiValue in js/node/src/tensor_helper.cc: ArrayBuffer::New + memcpy):
   * the whole cache, allocated and copied once per token. Fetching kv_rows.* instead brings back
   * only this pass's rows.
   */
  async forward(
    ids: readonly number[],
    cache: KvCache = this.emptyCache(),
    options: { allLogits?: boolean; into?: CacheBuffers } = {},
  ): Promise<ForwardResult> {
    const n = ids.length;
    const total = cache.length + n;
    const { into } = options;
    if (into && this.appendsRows) return this.forwardAppending(ids, cache, into, options.allLogits ?? false);
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
      out = await this.session.run(
        feeds,
        this.session.outputNames.filter((name) => !name.startsWith('kv_rows.')),
      );
    }
    const next: Record<string, Ort.Tensor> = {};
    for (let i = 0; i < this.shape.layers; i++) {
      for (const kind of ['key', 'value'])
        next[`past_key_values.${i}.${kind}`] = out[`present.${i}.${kind}`] as Ort.Tensor;
    }
    return this.result(out.logits as Ort.Tensor, options.allLogits ?? false, { length: total, tensors: next });
  }

  /**
   * The appending pass: the cache tensors are fed whole ([1, kvHeads, capacity, headDim] over
   * `into`; attention_mask's length tells the graph how many rows are valid), only logits and
   * kv_rows.* are fetched, and the rows are written into `into` after the cached ones.
   */
  private async forwardAppending(
    ids: readonly number[],
    cache: KvCache,
    into: CacheBuffers,
    allLogits: boolean,
  ): Promise<ForwardResult> {
    const n = ids.length;
    const past = cache.length;
    const total = past + n;
    if (total > into.capacity || (past > 0 && !into.holds(cache))) {
      // assert: the generator sizes `into` for the whole context and passes the cache it holds
      throw new RangeError(
        total > into.capacity
          ? `forward: ${total} positions do not fit buffers for ${into.capacity}`
          : 'forward: with a graph that appends rows the cache must be in `into` (or empty)',
      );
    }
    const whole = this.wholeTensorsOf(into);
    const out = await this.session.run(this.feeds(ids, past, whole, allLogits), this.rowFetches);
    const { kvHeads, headDim } = this.shape;
    const rowsPerHead = n * headDim;
    for (const [name, buffer] of Object.entries(into.buffers)) {
      const rows = out[name.replace('past_key_values.', 'kv_rows.')]?.data as Float32Array; // [1, kvHeads, n, headDim]
      for (let h = 0; h < kvHeads; h++) {
        buffer.set(rows.subarray(h * rowsPerHead, (h + 1) * rowsPerHead), (h * into.capacity + past) * headDim);
      }
    }
    return this.result(out.logits as Ort.Tensor, allLogits, { length: total, tensors: whole });
  }

  private wholeTensorsOf(into: CacheBuffers): Record<string, Ort.Tensor> {
    let whole = this.wholeTensors.get(into);
    if (!whole) {
      const { kvHeads, headDim } = this.shape;
      whole = {};
      for (const [name, buffer] of Object.entries(into.buffers))
        whole[name] = new ort.Tensor('float32', buffer, [1, kvHeads, into.capacity, headDim]);
      this.wholeTensors.set(into, whole);
    }
    return whole;
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
