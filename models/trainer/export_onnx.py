"""The `export` command: merge the LoRA adapter into the base model and export ONNX for transformers.js.

Output layout (what transformers.js v3/v4 and Optimum's "text-generation-with-past" use):

    OUT/config.json, generation_config.json, tokenizer.json, tokenizer_config.json, [special_tokens_map.json]
    OUT/onnx/model.onnx            [+ model.onnx_data when weights go to external data]

Graph inputs:  input_ids int64 [batch, seq], attention_mask int64 [batch, past+seq],
               position_ids int64 [batch, seq],
               past_key_values.{i}.key / .value float32 [batch, kv_heads, past, head_dim]
               [num_logits_to_keep int64 scalar, only with the option of that name: 0 = logits of
                every position, k = of the last k; transformers.js feeds it when the graph has it]
Graph outputs: logits float32 [batch, seq, vocab], present.{i}.key / .value [batch, kv_heads, past+seq, head_dim]
               [kv_rows.{i}.key / .value [batch, kv_heads, seq, head_dim], with attention "gqa" only]

The causal mask is computed in the graph from attention_mask and the cache length, so the first
call may pass an empty cache (past = 0), as transformers.js does.

Option `attention` (default "gqa"): each layer's RoPE, cache append and causal grouped-query
attention are one GroupQueryAttention node (com.microsoft). The inputs and present.* keep their
names and meaning (transformers.js runs the graph as it is). The cache inputs may be longer than
the cached positions (attention_mask's length says how many are valid), and the extra outputs
kv_rows.{i}.* hold this pass's keys (RoPE applied) and values alone: a caller that keeps the cache
in buffers of fixed capacity (as llama.cpp does) feeds them whole, fetches logits and kv_rows, not
present, and writes the rows in after the pass. That is what src/generate/onnx-lm.ts does: with
onnxruntime-node every fetched output is copied into new JavaScript memory (even one bound to
caller memory), so fetching present would copy the whole cache out at every token. No left padding
in attention_mask with this graph (keys 0..sum−1 are the visible ones). "matmul": attention from
MatMul/Softmax nodes, the cache grown by Concat, any attention_mask (left padding too).

The graph is written op by op from the merged weights (not traced through torch.onnx), so that it
holds only what a decoding step needs: a traced graph spent most of a one-token step in shape
arithmetic (Shape/Gather/Unsqueeze/Concat) around every reshape, ~2600 nodes for SmolLM2-135M
against ~800 here. Per layer:

    [residual add +] RMSNorm → one MatMul for q|k|v (+bias) → heads first (Qwen3: q/k RMSNorm) →
    RoPE on q and k together → k, v appended to the cache → grouped-query attention with the query
    heads that share a kv head folded into rows (k and v are not repeated) → o_proj →
    residual add + RMSNorm → one MatMul for gate|up → SiLU(gate)·up → down

It computes what model.py computes (attention(), apply_rope(), build_mask()); the only change in
arithmetic is that 1/sqrt(head_dim) is folded into the q weights (Qwen3: into q_norm), a rounding
difference. Three onnxruntime contrib kernels (domain com.microsoft, in onnxruntime-node and -web)
do what would otherwise take several nodes: SkipSimplifiedLayerNormalization (residual add + RMSNorm),
RotaryEmbedding (rotate-half RoPE from cos/sin tables by position_ids) and, with `weights: "int8"`,
MatMulNBits (8-bit blocks of 32 with one scale each: the numbers of GGUF's q8_0). onnxruntime fuses
the remaining RMSNorm and SiLU patterns and the k transpose itself.
"""

import json
import math
import os
import shutil
import struct
from typing import Any

import numpy as np
import torch

from . import devices, onnx_proto
from .infer import load_for_inference
from .model import rope_inv_freq
from .onnx_proto import LEN, VARINT
from .protocol import WorkerError, emit, log

PROTOBUF_LIMIT = 2**31 - 1  # a single ONNX protobuf file cannot exceed 2 GB
DATA_FILE = "model.onnx_data"
COPIED_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja", "generation_config.json")
IR_VERSION = 8  # ONNX IR of opsets 17-18; onnxruntime reads 3..10

# onnx.proto field numbers not in onnx_proto (ModelProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto)
MODEL_IR_VERSION, MODEL_OPSET_IMPORT, MODEL_PRODUCER_NAME = 1, 8, 2
OPSET_DOMAIN, OPSET_VERSION = 1, 2
GRAPH_NAME = 2
NODE_INPUT, NODE_OUTPUT, NODE_NAME, NODE_DOMAIN = 1, 2, 3, 7
ATTR_NAME, ATTR_F, ATTR_I, ATTR_INTS, ATTR_TYPE = 1, 2, 3, 8, 20
ATTR_FLOAT, ATTR_INT, ATTR_INTS_TYPE = 1, 2, 7
FLOAT, UINT8, INT32, INT64, BOOL = 1, 2, 6, 7, 9  # TensorProto.DataType
NP_TYPES = {np.dtype(np.float32): FLOAT, np.dtype(np.uint8): UINT8, np.dtype(np.int64): INT64}  # pyright: ignore[reportUnhashable] - numpy < 1.25's stubs
MICROSOFT = "com.microsoft"  # onnxruntime's contrib ops (MatMulNBits)
QBLOCK = 32  # int8 weights: values per block with one scale, as GGUF's q8_0


def io_names(num_layers, logits_to_keep=False, attention="matmul"):
    past = [f"past_key_values.{i}.{kind}" for i in range(num_layers) for kind in ("key", "value")]
    present = [f"present.{i}.{kind}" for i in range(num_layers) for kind in ("key", "value")]
    rows = [f"kv_rows.{i}.{kind}" for i in range(num_layers) for kind in ("key", "value")] if attention == "gqa" else []
    extra = ["num_logits_to_keep"] if logits_to_keep else []
    return ["input_ids", "attention_mask", "position_ids"] + past + extra, ["logits"] + present + rows


# --- protobuf encoding ----------------------------------------------------------------------------


def _field(number, wire, value):
    return [number, wire, value]


def _str(number, text):
    return _field(number, LEN, text.encode())


def _attribute(name, value):
    fields = [_str(ATTR_NAME, name)]
    if isinstance(value, float):
        fields += [_field(ATTR_F, onnx_proto.FIXED32, struct.pack("<f", value)), _field(ATTR_TYPE, VARINT, ATTR_FLOAT)]
    elif isinstance(value, int):
        fields += [_field(ATTR_I, VARINT, value & 0xFFFFFFFFFFFFFFFF), _field(ATTR_TYPE, VARINT, ATTR_INT)]
    else:  # a list of ints
        fields += [_field(ATTR_INTS, VARINT, v & 0xFFFFFFFFFFFFFFFF) for v in value] + [_field(ATTR_TYPE, VARINT, ATTR_INTS_TYPE)]
    return onnx_proto.serialize(fields)


def _value_info(name, elem_type, dims):
    shape = []
    for d in dims:
        dim = [_str(onnx_proto.DIM_PARAM, d)] if isinstance(d, str) else [_field(onnx_proto.DIM_VALUE, VARINT, d)]
        shape.append(_field(onnx_proto.SHAPE_DIM, LEN, onnx_proto.serialize(dim)))
    tensor_type = [_field(onnx_proto.TENSOR_TYPE_ELEM, VARINT, elem_type),
                   _field(onnx_proto.TENSOR_TYPE_SHAPE, LEN, onnx_proto.serialize(shape))]
    type_proto = [_field(onnx_proto.TYPE_TENSOR, LEN, onnx_proto.serialize(tensor_type))]
    return onnx_proto.serialize([_str(onnx_proto.VALUE_NAME, name), _field(onnx_proto.VALUE_TYPE, LEN, onnx_proto.serialize(type_proto))])


class Graph:
    """An ONNX graph written node by node: `op` adds a node and returns its output name(s),
    `weight`/`const` add initializers. `save` writes model.onnx (+ model.onnx_data)."""

    def __init__(self, opset):
        self.opset = opset
        self.nodes, self.initializers, self.inputs, self.outputs = [], [], [], []
        self._names = {}
        self._consts = {}
        self.domains = set()

    def _fresh(self, base):
        n = self._names.get(base, 0)
        self._names[base] = n + 1
        return f"{base}_{n}" if n else base

    def weight(self, name, array):
        array = np.ascontiguousarray(array)
        self.initializers.append((name, array))
        return name

    def const(self, values: Any, dtype: Any = np.int64) -> str:
        array = np.asarray(values, dtype=dtype)
        key = (array.dtype.str, array.shape, array.tobytes())
        if key not in self._consts:  # one initializer per distinct constant
            self._consts[key] = self.weight(self._fresh("const"), array)
        return self._consts[key]

    def op(self, op_type, inputs, outputs=1, name=None, domain="", out_names=None, **attrs):
        """Adds a node; `out_names` names its outputs exactly (graph outputs), else they are made
        from `name` (or the op type). An input named "" is an omitted optional input."""
        base = name or op_type.lower()
        outs = list(out_names) if out_names else [self._fresh(f"{base}_out{i}" if outputs > 1 else base) for i in range(outputs)]
        fields = [_str(NODE_INPUT, i) for i in inputs] + [_str(NODE_OUTPUT, o) for o in outs]
        fields += [_str(NODE_NAME, self._fresh(f"n_{base}")), _str(onnx_proto.NODE_OP_TYPE, op_type)]
        fields += [_field(onnx_proto.NODE_ATTRIBUTE, LEN, _attribute(k, v)) for k, v in attrs.items()]
        if domain:
            fields.append(_str(NODE_DOMAIN, domain))
            self.domains.add(domain)
        self.nodes.append(onnx_proto.serialize(fields))
        return outs[0] if outputs == 1 else outs

    def weight_bytes(self):
        return sum(a.nbytes for _, a in self.initializers)

    def save(self, path, external):
        """Write the model; with `external`, every initializer of 1 KiB or more goes to DATA_FILE
        beside it (4 KiB-aligned, as onnx_proto.externalize lays it out)."""
        folder = os.path.dirname(os.path.abspath(path))
        graph = [_field(onnx_proto.GRAPH_NODE, LEN, n) for n in self.nodes] + [_str(GRAPH_NAME, "understudy")]
        data = open(os.path.join(folder, DATA_FILE), "wb") if external else None
        offset = 0
        try:
            for name, array in self.initializers:
                raw = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
                tensor = [_field(onnx_proto.TENSOR_DIMS, VARINT, d) for d in array.shape]
                tensor += [_field(onnx_proto.TENSOR_DATA_TYPE, VARINT, NP_TYPES[array.dtype]), _str(onnx_proto.TENSOR_NAME, name)]
                if data is not None and len(raw) >= 1024:
                    pad = -offset % 4096
                    data.write(b"\0" * pad)
                    offset += pad
                    data.write(raw)
                    for key, value in (("location", DATA_FILE), ("offset", str(offset)), ("length", str(len(raw)))):
                        entry = onnx_proto.serialize([_str(onnx_proto.ENTRY_KEY, key), _str(onnx_proto.ENTRY_VALUE, value)])
                        tensor.append(_field(onnx_proto.TENSOR_EXTERNAL_DATA, LEN, entry))
                    tensor.append(_field(onnx_proto.TENSOR_DATA_LOCATION, VARINT, onnx_proto.LOCATION_EXTERNAL))
                    offset += len(raw)
                else:
                    tensor.append(_field(onnx_proto.TENSOR_RAW_DATA, LEN, raw))
                graph.append(_field(onnx_proto.GRAPH_INITIALIZER, LEN, onnx_proto.serialize(tensor)))
            if data is not None:
                data.flush()
                os.fsync(data.fileno())
        finally:
            if data is not None:
                data.close()
        graph += [_field(onnx_proto.GRAPH_INPUT, LEN, _value_info(*v)) for v in self.inputs]
        graph += [_field(onnx_proto.GRAPH_OUTPUT, LEN, _value_info(*v)) for v in self.outputs]
        model = [
            _field(MODEL_IR_VERSION, VARINT, IR_VERSION),
            _str(MODEL_PRODUCER_NAME, "understudy"),
            _field(onnx_proto.MODEL_GRAPH, LEN, onnx_proto.serialize(graph)),
        ]
        for domain, version in [("", self.opset)] + [(d, 1) for d in sorted(self.domains)]:
            opset = onnx_proto.serialize([_str(OPSET_DOMAIN, domain), _field(OPSET_VERSION, VARINT, version)])
            model.append(_field(MODEL_OPSET_IMPORT, LEN, opset))
        encoded = onnx_proto.serialize(model)
        if len(encoded) > PROTOBUF_LIMIT:
            raise WorkerError("EXPORT_FAILED", "the model is over 2 GB and needs external data: set external_data to auto or true")
        with open(path, "wb") as f:
            f.write(encoded)
            f.flush()
            os.fsync(f.fileno())


# --- the network ----------------------------------------------------------------------------------


def _np(t):
    return t.detach().to(torch.float32).cpu().numpy()


def _rms_norm(g, x, weight, eps):
    """x / sqrt(mean(x²) + eps) · weight over the last axis, in the pattern onnxruntime fuses into
    its SimplifiedLayerNormalization kernel."""
    mean = g.op("ReduceMean", [g.op("Pow", [x, g.const(2.0, np.float32)])], axes=[-1], keepdims=1) if g.opset < 18 else \
        g.op("ReduceMean", [g.op("Pow", [x, g.const(2.0, np.float32)]), g.const([-1])], keepdims=1)
    return g.op("Mul", [g.op("Div", [x, g.op("Sqrt", [g.op("Add", [mean, g.const(eps, np.float32)])])]), weight])


def quantize_int8(w):
    """[out, in] weights as MatMulNBits' 8-bit blocks along `in`: the same numbers as GGUF's q8_0
    (d = max|w| / 127 per 32 values, q = round(w / d) half away from zero, d kept at f16 precision),
    stored as q + 128 (the op's default zero point). `in` is zero-padded to whole blocks."""
    out_dim, in_dim = w.shape
    padded = np.zeros((out_dim, -(-in_dim // QBLOCK) * QBLOCK), np.float32)
    padded[:, :in_dim] = w
    blocks = padded.reshape(out_dim, -1, QBLOCK)
    d = np.abs(blocks).max(axis=-1, keepdims=True) / np.float32(127)
    with np.errstate(divide="ignore"):
        scaled = blocks * np.where(d == 0, np.float32(0), np.float32(1) / d)
    q = np.sign(scaled) * np.floor(np.abs(scaled) + np.float32(0.5))
    return (q + 128).astype(np.uint8), d[..., 0].astype(np.float16).astype(np.float32)


def _linear(g, x, name, w, bias=None, int8=False):
    """x @ w.T (+ bias) for w [out, in]: a MatMul on the stored transpose, or with int8 weights
    MatMulNBits (accuracy level 4: int8 activations per block too, as llama.cpp's q8_0 dot)."""
    if int8:
        q, scales = quantize_int8(w)
        y = g.op("MatMulNBits", [x, g.weight(name + ".q8", q), g.weight(name + ".scales", scales)], domain=MICROSOFT,
                 K=w.shape[1], N=w.shape[0], bits=8, block_size=QBLOCK, accuracy_level=4)
    else:
        y = g.op("MatMul", [x, g.weight(name, np.ascontiguousarray(w.T))])
    return g.op("Add", [y, bias]) if bias is not None else y


def build_graph(model, opset, logits_to_keep, int8=False, attention="matmul"):
    """The decoding graph of `model` (see the module doc). `attention`: "matmul" (attention from
    MatMul/Softmax nodes, the cache grown by Concat: any attention_mask, any onnxruntime) or "gqa"
    (onnxruntime's GroupQueryAttention kernel: see _gqa_attention)."""
    cfg = model.cfg
    sd = {k: v for k, v in model.state_dict().items() if "lora_" not in k}
    nh, kvh, hd, hidden = cfg.num_heads, cfg.num_kv_heads, cfg.head_dim, cfg.hidden_size
    rep = nh // kvh
    scale = np.float32(1.0 / math.sqrt(hd))
    g = Graph(opset)
    names_in, names_out = io_names(cfg.num_layers, logits_to_keep, attention)
    g.inputs = [("input_ids", INT64, ["batch_size", "sequence_length"]),
                ("attention_mask", INT64, ["batch_size", "total_sequence_length"]),
                ("position_ids", INT64, ["batch_size", "sequence_length"])]
    for i in range(cfg.num_layers):
        for kind in ("key", "value"):
            g.inputs.append((f"past_key_values.{i}.{kind}", FLOAT, ["batch_size", kvh, "past_sequence_length", hd]))
    if logits_to_keep:
        g.inputs.append(("num_logits_to_keep", INT64, []))

    embed = g.weight("model.embed_tokens.weight", _np(sd["model.embed_tokens.weight"]))
    x = g.op("Gather", [embed, "input_ids"], axis=0, name="embeddings")

    # RoPE tables for every position the model takes, looked up by position_ids in onnxruntime's
    # RotaryEmbedding kernel (rotate-half, as model.apply_rope).
    inv_freq = rope_inv_freq(cfg).float().numpy()
    max_pos = int(cfg.hf.get("max_position_embeddings") or 4096)
    freqs = np.arange(max_pos, dtype=np.float32)[:, None] * inv_freq[None, :]
    cos_cache = g.weight("rope.cos_cache", np.cos(freqs).astype(np.float32))
    sin_cache = g.weight("rope.sin_cache", np.sin(freqs).astype(np.float32))

    if attention == "gqa":
        seqlens_k, total_len, rows_span = _gqa_lengths(g)
    else:
        # Mask (model.build_mask): key j is visible to query i when j <= i and j is not padding, and a
        # query always sees itself. Repeated `rep` times along the rows for the folded query heads.
        seq = g.op("Gather", [g.op("Shape", ["input_ids"]), g.const(1)], axis=0)
        total = g.op("Gather", [g.op("Shape", ["attention_mask"]), g.const(1)], axis=0)
        kpos = g.op("Range", [g.const(0), total, g.const(1)])
        qpos = g.op("Unsqueeze", [g.op("Range", [g.op("Sub", [total, seq]), total, g.const(1)]), g.const([1])])
        padding_ok = g.op("Unsqueeze", [g.op("Cast", ["attention_mask"], to=BOOL), g.const([1])])
        allowed = g.op("Or", [g.op("And", [g.op("LessOrEqual", [kpos, qpos]), padding_ok]), g.op("Equal", [kpos, qpos])])
        allowed = g.op("Unsqueeze", [allowed, g.const([1])])
        if rep > 1:
            allowed = g.op("Tile", [allowed, g.const([1, 1, rep, 1])])
        allowed = g.op("Identity", [allowed], name="attention_allowed")
        lowest = g.const(np.finfo(np.float32).min, np.float32)

    pending = None  # the last block's output, added to x by the next norm (one fused kernel)
    for i in range(cfg.num_layers):
        p = f"model.layers.{i}."
        w = lambda n: _np(sd[p + n])  # noqa: E731
        h, x = _add_norm(g, x, pending, g.weight(p + "input_layernorm.weight", w("input_layernorm.weight")), cfg.rms_norm_eps)
        q_scale = np.float32(1.0) if cfg.qk_norm else scale  # Qwen3 normalises q first: the scale goes into q_norm
        qkv_w = np.concatenate([w("self_attn.q_proj.weight") * q_scale, w("self_attn.k_proj.weight"), w("self_attn.v_proj.weight")])
        qkv_b = None
        if cfg.qkv_bias:
            qkv_b = g.weight(p + "self_attn.qkv.bias", np.concatenate([w("self_attn.q_proj.bias") * q_scale, w("self_attn.k_proj.bias"), w("self_attn.v_proj.bias")]))
        qkv = _linear(g, h, p + "self_attn.qkv.weight", qkv_w, qkv_b, int8)
        if attention == "gqa":
            y = _gqa_attention(g, cfg, i, qkv, p, w, scale, seqlens_k, total_len, cos_cache, sin_cache, rows_span)
            o_b = g.weight(p + "self_attn.o_proj.bias", w("self_attn.o_proj.bias")) if cfg.o_bias else None
            attn = _linear(g, y, p + "self_attn.o_proj.weight", w("self_attn.o_proj.weight"), o_b, int8)
            h, x = _add_norm(g, x, attn, g.weight(p + "post_attention_layernorm.weight", w("post_attention_layernorm.weight")), cfg.rms_norm_eps)
            pending = _mlp(g, cfg, sd, p, h, int8)
            continue
        qkv = g.op("Reshape", [qkv, g.const([0, 0, nh + 2 * kvh, hd])])
        if cfg.qk_norm:  # Qwen3: RMSNorm over each head of q and k, before RoPE
            q, k, v = g.op("Split", [qkv, g.const([nh, kvh, kvh])], outputs=3, axis=2)
            q = _rms_norm(g, q, g.weight(p + "self_attn.q_norm.weight", w("self_attn.q_norm.weight") * scale), cfg.rms_norm_eps)
            k = _rms_norm(g, k, g.weight(p + "self_attn.k_norm.weight", w("self_attn.k_norm.weight")), cfg.rms_norm_eps)
            qk = g.op("Transpose", [g.op("Concat", [q, k], axis=2)], perm=[0, 2, 1, 3])
            v = g.op("Transpose", [v], perm=[0, 2, 1, 3])
        else:  # heads first: [batch, q|k|v heads, seq, head_dim], one transpose for all three
            qk, v = g.op("Split", [g.op("Transpose", [qkv], perm=[0, 2, 1, 3]), g.const([nh + kvh, kvh])], outputs=2, axis=1)
        qk = g.op("RotaryEmbedding", [qk, "position_ids", cos_cache, sin_cache], domain=MICROSOFT, interleaved=0)
        q, k = g.op("Split", [qk, g.const([nh, kvh])], outputs=2, axis=1)
        k = g.op("Concat", [f"past_key_values.{i}.key", k], axis=2, name=f"present.{i}.key")
        v = g.op("Concat", [f"past_key_values.{i}.value", v], axis=2, name=f"present.{i}.value")
        # Grouped-query attention: the `rep` query heads of a kv head become rows of one matrix.
        q = g.op("Reshape", [q, g.const([0, kvh, -1, hd])])
        scores = g.op("MatMul", [q, g.op("Transpose", [k], perm=[0, 1, 3, 2])])
        scores = g.op("Where", [allowed, scores, lowest])
        y = g.op("MatMul", [g.op("Softmax", [scores], axis=-1), v])
        y = g.op("Reshape", [g.op("Transpose", [g.op("Reshape", [y, g.const([0, nh, -1, hd])])], perm=[0, 2, 1, 3]), g.const([0, 0, nh * hd])])
        o_b = g.weight(p + "self_attn.o_proj.bias", w("self_attn.o_proj.bias")) if cfg.o_bias else None
        attn = _linear(g, y, p + "self_attn.o_proj.weight", w("self_attn.o_proj.weight"), o_b, int8)

        h, x = _add_norm(g, x, attn, g.weight(p + "post_attention_layernorm.weight", w("post_attention_layernorm.weight")), cfg.rms_norm_eps)
        pending = _mlp(g, cfg, sd, p, h, int8)

    return _finish(g, cfg, sd, x, pending, embed, logits_to_keep, int8, names_in, names_out, attention)


def _gqa_lengths(g):
    """GroupQueryAttention's seqlens_k (int32 [batch]: valid keys − 1, i.e. attention_mask's sum − 1)
    and total_sequence_length (int32 scalar: attention_mask's length), from attention_mask; and the
    span [total − seq, total) of this pass's rows in the cache (int64 [1] each, for Slice)."""
    valid = g.op("ReduceSum", ["attention_mask", g.const([1])], keepdims=0)
    seqlens_k = g.op("Cast", [g.op("Sub", [valid, g.const(1)])], to=INT32, name="seqlens_k")
    total = g.op("Gather", [g.op("Shape", ["attention_mask"]), g.const([1])], axis=0, name="total_1d")
    seq = g.op("Gather", [g.op("Shape", ["input_ids"]), g.const([1])], axis=0, name="seq_1d")
    total_len = g.op("Cast", [g.op("Squeeze", [total, g.const([0])])], to=INT32, name="total_sequence_length")
    return seqlens_k, total_len, (g.op("Sub", [total, seq], name="rows_start"), total)


def _gqa_attention(g, cfg, i, qkv, p, w, scale, seqlens_k, total_len, cos_cache, sin_cache, rows_span):
    """Attention of layer i in one GroupQueryAttention node (com.microsoft): RoPE on q and k (from
    the cos/sin tables, positions from seqlens_k), the new k, v written into the cache, causal
    grouped-query attention. Input `qkv` is the packed projection [batch, seq, (nh + 2·kvh)·hd];
    returns [batch, seq, nh·hd].

    The cache: past_key_values.{i}.* are [batch, kv_heads, buffer, head_dim] and present.{i}.* have
    max(buffer, total) positions; kv_rows.{i}.* are present's rows [total − seq, total), this pass's
    own. The kernel copies the valid rows of past into present (a memcpy inside onnxruntime) unless
    present is bound to the very memory of past, when it only writes the new rows (onnxruntime-node
    copies every fetched output out, so that binding saves nothing there: see the module doc). Given
    a past of exactly the cached length it behaves as the Concat graph does. Unlike the MatMul graph it reads no padding from
    attention_mask: keys 0..seqlens_k are visible (right-padded batches only; the generator and the
    evaluation feed one unpadded sequence). The 1/sqrt(head_dim) scale stays folded into the q
    weights (the kernel's `scale` is 1), so the arithmetic is the MatMul graph's."""
    nh, kvh, hd = cfg.num_heads, cfg.num_kv_heads, cfg.head_dim
    if cfg.qk_norm:  # Qwen3: RMSNorm over each head of q and k, before RoPE (the kernel applies RoPE)
        q, k, v = g.op("Split", [qkv, g.const([nh * hd, kvh * hd, kvh * hd])], outputs=3, axis=2)
        q = g.op("Reshape", [q, g.const([0, 0, nh, hd])])
        k = g.op("Reshape", [k, g.const([0, 0, kvh, hd])])
        q = _rms_norm(g, q, g.weight(p + "self_attn.q_norm.weight", w("self_attn.q_norm.weight") * scale), cfg.rms_norm_eps)
        k = _rms_norm(g, k, g.weight(p + "self_attn.k_norm.weight", w("self_attn.k_norm.weight")), cfg.rms_norm_eps)
        qkv_inputs = [g.op("Reshape", [q, g.const([0, 0, nh * hd])]), g.op("Reshape", [k, g.const([0, 0, kvh * hd])]), v]
    else:  # packed: the kernel splits q|k|v itself
        qkv_inputs = [qkv, "", ""]
    y, _, _ = g.op("GroupQueryAttention",
                   qkv_inputs + [f"past_key_values.{i}.key", f"past_key_values.{i}.value", seqlens_k, total_len, cos_cache, sin_cache],
                   outputs=3, domain=MICROSOFT, out_names=[f"attention_{i}", f"present.{i}.key", f"present.{i}.value"],
                   num_heads=nh, kv_num_heads=kvh, do_rotary=1, rotary_interleaved=0, scale=1.0)
    # This pass's keys (RoPE applied) and values alone, [batch, kv_heads, seq, head_dim]: a caller
    # that keeps the cache itself fetches these instead of present (see the module doc).
    for kind in ("key", "value"):
        g.op("Slice", [f"present.{i}.{kind}", rows_span[0], rows_span[1], g.const([2])], out_names=[f"kv_rows.{i}.{kind}"])
    return y


def _add_norm(g, x, pending, weight, eps):
    """(RMSNorm(x + pending) · weight, x + pending): onnxruntime's SkipSimplifiedLayerNormalization,
    the residual add and the norm in one kernel; just the norm when nothing is pending."""
    if pending is None:
        return _rms_norm(g, x, weight, eps), x
    out, _, _, total = g.op("SkipSimplifiedLayerNormalization", [x, pending, weight], outputs=4, domain=MICROSOFT, epsilon=float(eps))
    return out, total


def _mlp(g, cfg, sd, p, h, int8):
    """down(silu(gate(h)) · up(h)), gate and up in one MatMul."""
    w = lambda n: _np(sd[p + n])  # noqa: E731
    gu_w = np.concatenate([w("mlp.gate_proj.weight"), w("mlp.up_proj.weight")])
    gu_b = g.weight(p + "mlp.gate_up.bias", np.concatenate([w("mlp.gate_proj.bias"), w("mlp.up_proj.bias")])) if cfg.mlp_bias else None
    gate, up = g.op("Split", [_linear(g, h, p + "mlp.gate_up.weight", gu_w, gu_b, int8), g.const([cfg.intermediate_size] * 2)], outputs=2, axis=-1)
    act = g.op("Mul", [g.op("Mul", [gate, g.op("Sigmoid", [gate])]), up])
    d_b = g.weight(p + "mlp.down_proj.bias", w("mlp.down_proj.bias")) if cfg.mlp_bias else None
    return _linear(g, act, p + "mlp.down_proj.weight", w("mlp.down_proj.weight"), d_b, int8)


def _finish(g, cfg, sd, x, pending, embed, logits_to_keep, int8, names_in, names_out, attention):
    """Final norm, the LM head (optionally on the last k positions) and the graph outputs."""
    kvh, hd, hidden = cfg.num_kv_heads, cfg.head_dim, cfg.hidden_size
    x, _ = _add_norm(g, x, pending, g.weight("model.norm.weight", _np(sd["model.norm.weight"])), cfg.rms_norm_eps)
    if logits_to_keep:  # the last k positions; k = 0 slices from -0 = 0, i.e. all of them
        start = g.op("Unsqueeze", [g.op("Neg", ["num_logits_to_keep"]), g.const([0])])
        x = g.op("Slice", [x, start, g.const([2**62]), g.const([1])])
    if int8:  # an int8 copy of a tied embedding: the Gather above keeps reading the f32 one
        head = sd["model.embed_tokens.weight"] if cfg.tie_word_embeddings else sd["lm_head.weight"]
        g.op("Identity", [_linear(g, x, "lm_head.weight", _np(head), None, True)], name="logits")
    else:
        # LM head as Gemm(transB=1) on the [vocab, hidden] weight itself, so a tied embedding is stored once.
        head = embed if cfg.tie_word_embeddings else g.weight("lm_head.weight", _np(sd["lm_head.weight"]))
        flat = g.op("Gemm", [g.op("Reshape", [x, g.const([-1, hidden])]), head], transB=1)
        out_shape = g.op("Concat", [g.op("Slice", [g.op("Shape", [x]), g.const([0]), g.const([2])]), g.const([cfg.vocab_size])], axis=0)
        g.op("Reshape", [flat, out_shape], name="logits")

    g.outputs = [("logits", FLOAT, ["batch_size", "sequence_length", cfg.vocab_size])]
    for i in range(cfg.num_layers):
        for kind in ("key", "value"):
            g.outputs.append((f"present.{i}.{kind}", FLOAT, ["batch_size", kvh, "total_sequence_length", hd]))
    if attention == "gqa":
        for i in range(cfg.num_layers):
            for kind in ("key", "value"):
                g.outputs.append((f"kv_rows.{i}.{kind}", FLOAT, ["batch_size", kvh, "sequence_length", hd]))
    assert [v[0] for v in g.inputs] == names_in and [v[0] for v in g.outputs] == names_out
    return g


def export(cfg):
    device = torch.device("cpu")
    devices.set_threads(device, cfg["threads"])
    model_dir, out_dir = cfg["model_dir"], cfg["out_dir"]
    model = load_for_inference(model_dir, cfg["adapter_dir"], device)
    n_layers, hf_config = model.cfg.num_layers, model.cfg.hf
    weight_bytes = sum(p.numel() * 4 for name, p in model.named_parameters() if "lora_" not in name)

    partial = out_dir.rstrip("/\\") + ".partial"  # build beside, then swap in: a crash leaves no half model
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(os.path.join(partial, "onnx"))
    onnx_path = os.path.join(partial, "onnx", "model.onnx")
    opset = cfg["opset"]
    log(f"exporting {model_dir} ({weight_bytes / 1e9:.2f} GB of fp32 weights) at opset {opset}, {cfg['weights']} linear layers")
    with torch.no_grad():
        graph = build_graph(model, opset, cfg["num_logits_to_keep"], cfg["weights"] == "int8", cfg["attention"])
    del model
    external = cfg["external_data"] is True or (cfg["external_data"] == "auto" and graph.weight_bytes() > PROTOBUF_LIMIT - 2**24)
    try:
        graph.save(onnx_path, external)
    except OSError as e:
        raise WorkerError("EXPORT_FAILED", f"cannot write {onnx_path}: {e.strerror}") from None
    del graph

    names_in, names_out = io_names(n_layers, cfg["num_logits_to_keep"], cfg["attention"])
    summary = onnx_proto.summarize(onnx_path)
    got_in, got_out = [v["name"] for v in summary["inputs"]], [v["name"] for v in summary["outputs"]]
    if got_in != names_in or got_out != names_out:
        raise WorkerError("EXPORT_FAILED", f"exported graph signature {got_in} -> {got_out} is not the expected one")

    _copy_model_files(model_dir, partial, hf_config, external)
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    os.replace(partial, out_dir)
    files = sorted(os.path.join(root, f) for root, _, fs in os.walk(out_dir) for f in fs)
    onnx_bytes = sum(os.path.getsize(f) for f in files if "/onnx/" in f.replace("\\", "/"))
    emit(
        "done",
        out_dir=out_dir,
        onnx=os.path.join(out_dir, "onnx", "model.onnx"),
        external_data=external,
        opset=opset,
        weights=cfg["weights"],
        attention=cfg["attention"],
        onnx_bytes=onnx_bytes,
        weight_bytes=weight_bytes,
        files=[os.path.relpath(f, out_dir) for f in files],
    )
    return 0


def _copy_model_files(model_dir, out_dir, hf_config, external):
    config = dict(hf_config)
    # An earlier export's marker for the "gqa" graph: src/generate/onnx-lm.ts now reads the graph's
    # outputs (kv_rows.*) instead.
    config.pop("understudy_kv_cache", None)
    config["use_cache"] = True
    config.pop("torch_dtype", None)
    config.pop("dtype", None)
    js = dict(config.get("transformers.js_config") or {})
    if external:
        js["use_external_data_format"] = True  # transformers.js then loads onnx/model.onnx_data
    else:
        js.pop("use_external_data_format", None)
    if js:
        config["transformers.js_config"] = js
    else:
        config.pop("transformers.js_config", None)
    with open(os.path.join(out_dir, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
    for name in COPIED_FILES:
        src = os.path.join(model_dir, name)
        if os.path.isfile(src):
            shutil.copyfile(src, os.path.join(out_dir, name))
        elif name in ("tokenizer.json", "tokenizer_config.json"):
            log(f"warning: {src} is missing; transformers.js will not find a tokenizer in the export")
    if not os.path.isfile(os.path.join(out_dir, "generation_config.json")):
        generation = {k: hf_config[k] for k in ("bos_token_id", "eos_token_id", "pad_token_id") if k in hf_config}
        with open(os.path.join(out_dir, "generation_config.json"), "w", encoding="utf-8") as f:
            json.dump(generation, f, indent=2)
