// The ONNX export options of every model the generator decodes with (the base model's export at
// `model pull`, each trained version's), passed to the worker's `export` command.

/**
 * attention "gqa": onnxruntime's GroupQueryAttention graph, whose kv_rows.* outputs let the
 * generator keep the KV cache in one fixed buffer and fetch only each token's new rows (see
 * src/generate/onnx-lm.ts). num_logits_to_keep: a prompt's pass computes the last position's logits
 * only (the evaluation asks for all of them when it needs them). Weights stay fp32 (the worker's
 * default): int8 is the benchmark's q8_0 comparison, not yet a user choice.
 */
export const DECODE_EXPORT_OPTIONS = { attention: 'gqa', num_logits_to_keep: true } as const;
