// A causal language model exported by the trainer (transformers.js layout: config.json +
// onnx/model.onnx), run with onnxruntime-node and an explicit KV cache.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

export interface LmShape {
  layers: number;
  kvHeads: number;
  headDim: number;
  vocab: number;
}

/** Keys and values of every layer for the tokens seen so far. */
export interface KvCache {
  length: number;
  tensors: Record<string, ort.Tensor>;
}

export interface ForwardResult {
  /** Logits of the last position only: [vocab]. */
  lastLogits: Float32Array;
  /** All logits [seq × vocab] when asked for. */
  logits?: Float32Array;
  cache: KvCache;
}

export class OnnxCausalLm {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly shape: LmShape,
  ) {}

  static async load(dir: string, options: { threads?: number } = {}): Promise<OnnxCausalLm> {
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, number | undefined>;
    const heads = config.num_attention_heads ?? 1;
    const shape: LmShape = {
      layers: config.num_hidden_layers ?? 0,
      kvHeads: config.num_key_value_heads ?? heads,
      headDim: config.head_dim ?? (config.hidden_size ?? 0) / heads,
      vocab: config.vocab_size ?? 0,
    };
    const session = await ort.InferenceSession.create(join(dir, 'onnx', 'model.onnx'), {
      intraOpNumThreads: options.threads ?? 0,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
    });
    return new OnnxCausalLm(session, shape);
  }

  emptyCache(): KvCache {
    const tensors: Record<string, ort.Tensor> = {};
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

  /** Runs `ids` (one sequence) after what `cache` holds; returns logits and the grown cache. */
  async forward(
    ids: readonly number[],
    cache: KvCache = this.emptyCache(),
    options: { allLogits?: boolean } = {},
  ): Promise<ForwardResult> {
    const n = ids.length;
    const total = cache.length + n;
    const feeds: Record<string, ort.Tensor> = {
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
    const out = await this.session.run(feeds);
    const logits = out.logits?.data as Float32Array;
    const vocab = this.shape.vocab;
    const next: Record<string, ort.Tensor> = {};
    for (let i = 0; i < this.shape.layers; i++) {
      for (const kind of ['key', 'value'])
        next[`past_key_values.${i}.${kind}`] = out[`present.${i}.${kind}`] as ort.Tensor;
    }
    return {
      lastLogits: logits.slice((n - 1) * vocab, n * vocab),
      ...(options.allLogits ? { logits } : {}),
      cache: { length: total, tensors: next },
    };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
