"""The `export-gguf` command: merge the LoRA adapter into the base model and write one GGUF v3 file
that llama.cpp (and so node-llama-cpp, Ollama, LM Studio …) loads.

What goes in, per llama.cpp's own converter (convert_hf_to_gguf.py, conversion/{llama,qwen}.py)
and loader (src/llama-model.cpp, src/llama-vocab.cpp):

    general.architecture        "llama" (Llama, SmolLM2, the ELM), "qwen2" (Qwen2/2.5), "qwen3"
    {arch}.*                    context/embedding/feed-forward lengths, block and head counts,
                                RMSNorm epsilon, RoPE base and dimensions (+ linear scaling)
    tokenizer.ggml.*            byte-level BPE ("gpt2"): tokens, token types, merges, special ids,
                                the pre-tokenizer name llama.cpp knows the tokenizer.json regex by
    tokenizer.chat_template     from tokenizer_config.json (or chat_template.jinja)
    tensors                     token_embd, blk.N.{attn_norm, attn_q/k/v(+bias), attn_q/k_norm,
                                attn_output, ffn_norm, ffn_gate/up/down}, output_norm, and output
                                only when the LM head is not tied to the embedding

RoPE layout: Hugging Face rotates the two halves of a head (x_i with x_{i+d/2}); llama.cpp's
"llama" architecture rotates adjacent pairs (x_2i with x_2i+1). The converter therefore permutes
the rows of q and k per head (`permute` below) for Llama, so that the pairs line up; q·k is unchanged
because both get the same permutation. Qwen2/Qwen3 use llama.cpp's NEOX RoPE (halves) and are
written as they are.

File layout (ggml/docs/gguf.md): "GGUF", version 3, tensor count, kv count (u64), the kv pairs,
the tensor infos (name, dims innermost-first, ggml type, offset), padding to 32 bytes, then each
tensor's data 32-byte aligned. Little-endian throughout.

Precisions: f32; f16 (matrices in half precision, norms and biases f32, as the converter does);
q8_0 (blocks of 32 values along a row: one f16 scale d = max|x| / 127, then 32 int8 round(x / d);
a matrix whose rows are not a multiple of 32 falls back to f16).
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from . import devices
from .infer import load_for_inference
from .model import CausalLM, ModelConfig
from .protocol import WorkerError, emit, log

# A key/value of the GGUF header: (key, gguf_type, value).
KeyValue = tuple[str, int, Any]
# A tensor's bytes, produced when the writer reaches it.
Produce = Callable[[], npt.NDArray[Any]]

MAGIC = b"GGUF"
VERSION = 3
ALIGNMENT = 32
QK8_0 = 32  # values per q8_0 block

# gguf_type (ggml/include/gguf.h)
UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64, INT64, FLOAT64 = range(13)
# ggml_type (ggml/include/ggml.h)
GGML_F32, GGML_F16, GGML_Q8_0 = 0, 1, 8
# llama_ftype (include/llama.h): what general.file_type says about the bulk of the weights
FILE_TYPES = {"f32": 0, "f16": 1, "q8_0": 7}
TENSOR_TYPES = {"f32": GGML_F32, "f16": GGML_F16, "q8_0": GGML_Q8_0}
# llama_token_type (include/llama.h)
TOKEN_NORMAL, TOKEN_CONTROL, TOKEN_USER_DEFINED, TOKEN_UNUSED = 1, 3, 4, 5

ARCHS = {"llama": "llama", "qwen2": "qwen2", "qwen3": "qwen3"}  # our family -> llama.cpp architecture

# Pre-tokenizer regexes of tokenizer.json, by the name llama.cpp's llama-vocab.cpp knows them by
# (the converter identifies them by hashing a tokenization; the regex says the same without
# needing the `tokenizers` package).
PRE_TOKENIZER_REGEXES = {
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+": "qwen2",
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+": "llama-bpe",
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+": "qwen35",
}


# --- the file format ------------------------------------------------------------------------------


def _string(s: str | bytes) -> bytes:
    b = s.encode("utf-8") if isinstance(s, str) else bytes(s)
    return struct.pack("<Q", len(b)) + b


_SCALAR = {UINT8: "<B", INT8: "<b", UINT16: "<H", INT16: "<h", UINT32: "<I", INT32: "<i", FLOAT32: "<f",
           BOOL: "<?", UINT64: "<Q", INT64: "<q", FLOAT64: "<d"}


def _value(vtype: int, value: Any) -> bytes:
    if vtype == STRING:
        return _string(value)
    return struct.pack(_SCALAR[vtype], value)


class GgufWriter:
    """Collects typed key/values and tensors (with a function producing each one's bytes, so a large
    model is converted one tensor at a time), then writes the file in one pass."""

    def __init__(self) -> None:
        self.kv: list[tuple[str, bytes]] = []  # (key, encoded type + value)
        # (name, ggml dims innermost-first, ggml type, nbytes, produce)
        self.tensors: list[tuple[str, list[int], int, int, Produce]] = []

    def add(self, key: str, vtype: int, value: Any) -> None:
        """A scalar or string key/value of gguf_type `vtype`."""
        self.kv.append((key, struct.pack("<I", vtype) + _value(vtype, value)))

    def add_array(self, key: str, elem_type: int, values: Sequence[Any]) -> None:
        """An array key/value whose elements are of gguf_type `elem_type`."""
        if elem_type == STRING:
            body = b"".join(_string(v) for v in values)
        else:
            body = np.asarray(values, dtype=np.dtype(_SCALAR[elem_type])).tobytes()
        self.kv.append((key, struct.pack("<IIQ", ARRAY, elem_type, len(values)) + body))

    def add_tensor(self, name: str, shape: Sequence[int], ggml_type: int, produce: Produce) -> None:
        """`shape` in PyTorch order (outermost first); GGUF lists dims innermost first."""
        count = int(np.prod(shape))
        if ggml_type == GGML_Q8_0:
            assert shape[-1] % QK8_0 == 0, (name, shape)
            nbytes = count // QK8_0 * (2 + QK8_0)
        else:
            nbytes = count * (4 if ggml_type == GGML_F32 else 2)
        self.tensors.append((name, list(reversed(shape)), ggml_type, nbytes, produce))

    def write(self, path: str) -> int:
        """Writes `path` (via path.partial, fsynced, then renamed); returns its size in bytes."""
        header = bytearray(MAGIC + struct.pack("<IQQ", VERSION, len(self.tensors), len(self.kv)))
        for key, encoded in self.kv:
            header += _string(key) + encoded
        offset = 0
        for name, dims, ggml_type, nbytes, _ in self.tensors:
            header += _string(name) + struct.pack("<I", len(dims)) + struct.pack(f"<{len(dims)}Q", *dims)
            header += struct.pack("<IQ", ggml_type, offset)
            offset += nbytes + _pad(nbytes)
        header += b"\0" * _pad(len(header))
        partial = path + ".partial"
        with open(partial, "wb") as f:
            f.write(header)
            for name, _, _, nbytes, produce in self.tensors:
                data = produce()
                if data.nbytes != nbytes:
                    raise WorkerError("INTERNAL", f"tensor {name}: {data.nbytes} bytes, {nbytes} announced")
                f.write(np.ascontiguousarray(data).data.cast("B"))
                f.write(b"\0" * _pad(nbytes))
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, path)
        return os.path.getsize(path)


def _pad(n: int) -> int:
    return -n % ALIGNMENT


# --- tensor encodings -----------------------------------------------------------------------------


def to_f16(x: npt.ArrayLike) -> npt.NDArray[np.float16]:
    """`x` in half precision (GGML_F16)."""
    return np.asarray(x, dtype=np.float32).astype(np.float16)


def quantize_q8_0(x: npt.ArrayLike) -> npt.NDArray[np.uint8]:
    """ggml's quantize_row_q8_0_ref: per 32 values, d = max|x| / 127 stored as f16, q = round(x / d)
    (half away from zero) as int8. Returns the raw blocks, 34 bytes each, row-major."""
    blocks = np.asarray(x, dtype=np.float32).reshape(-1, QK8_0)
    d = np.abs(blocks).max(axis=1, keepdims=True) / np.float32(127)
    with np.errstate(divide="ignore"):
        inv = np.where(d == 0, np.float32(0), np.float32(1) / d)
    scaled = blocks * inv
    q = np.sign(scaled) * np.floor(np.abs(scaled) + np.float32(0.5))  # roundf: half away from zero
    out = np.empty((blocks.shape[0], 2 + QK8_0), dtype=np.uint8)
    out[:, :2] = d.astype(np.float16).view(np.uint8)
    out[:, 2:] = q.astype(np.int8).view(np.uint8)
    return out


def dequantize_q8_0(raw: npt.NDArray[np.uint8] | bytes, shape: Sequence[int]) -> npt.NDArray[np.float32]:
    """Inverse of quantize_q8_0 (for tests and checks)."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 2 + QK8_0)
    d = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    q = blocks[:, 2:].copy().view(np.int8).astype(np.float32)
    return (q * d).reshape(shape)


def permute_rope_rows(w: npt.NDArray[Any], n_heads: int) -> npt.NDArray[Any]:
    """Reorder the rows of a q/k projection (weight [heads*d, in] or bias [heads*d]) from Hugging
    Face's rotate-half layout to llama.cpp's interleaved pairs: per head, row 2i takes row i and row
    2i+1 takes row i + d/2 (convert_hf_to_gguf.py's LlamaModel.permute)."""
    shape = w.shape
    return w.reshape(n_heads, 2, shape[0] // n_heads // 2, *shape[1:]).swapaxes(1, 2).reshape(shape)


# --- the tokenizer --------------------------------------------------------------------------------


def _read_json(path: str, required: bool) -> Any:
    if not os.path.isfile(path):
        if required:
            raise WorkerError("MODEL_NOT_FOUND", f"{path} does not exist; GGUF needs the tokenizer in the file")
        return None
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except ValueError as e:
        raise WorkerError("MODEL_CORRUPT", f"{path} is not valid JSON ({e})") from None


def pre_tokenizer_name(tokenizer: dict[str, Any]) -> str:
    """The tokenizer.ggml.pre value for a tokenizer.json, or raise when llama.cpp has no match."""
    pre = tokenizer.get("pre_tokenizer") or {}
    parts = pre.get("pretokenizers", []) if pre.get("type") == "Sequence" else [pre]
    kinds = [p.get("type") for p in parts]
    for p in parts:
        regex = (p.get("pattern") or {}).get("Regex") if p.get("type") == "Split" else None
        if regex is not None:
            if regex in PRE_TOKENIZER_REGEXES:
                return PRE_TOKENIZER_REGEXES[regex]
            raise WorkerError("EXPORT_FAILED", f"the tokenizer's pre-tokenizer regex {regex!r} has no llama.cpp equivalent known to this exporter")
    if kinds == ["Digits", "ByteLevel"] and parts[0].get("individual_digits"):
        return "smollm"  # SmolLM / SmolLM2 (StarCoder's pre-tokenizer)
    if kinds == ["ByteLevel"] and parts[0].get("use_regex", True):
        return "gpt-2"
    raise WorkerError("EXPORT_FAILED", f"the tokenizer's pre-tokenizer {json.dumps(pre)[:200]} is not one llama.cpp knows")


def _looks_special(text: str) -> bool:
    return text.startswith("<|") and text.endswith("|>")  # as convert_hf_to_gguf's does_token_look_special


def _token_content(entry: Any) -> str | None:
    if isinstance(entry, dict):
        entry = entry.get("content")
    return entry if isinstance(entry, str) else None


def tokenizer_metadata(
    model_dir: str, vocab_size: int, hf_config: dict[str, Any]
) -> tuple[list[KeyValue], list[KeyValue], dict[str, Any]]:
    """(key/values to add, summary) for a byte-level BPE tokenizer.json, sized to the embedding."""
    tokenizer = _read_json(os.path.join(model_dir, "tokenizer.json"), True)
    tok_config = _read_json(os.path.join(model_dir, "tokenizer_config.json"), False) or {}
    model = tokenizer.get("model") or {}
    if model.get("type") != "BPE" or model.get("byte_fallback") or not isinstance(model.get("vocab"), dict):
        raise WorkerError(
            "EXPORT_FAILED",
            "only byte-level BPE tokenizers (Qwen, SmolLM2, Llama 3) can be written to GGUF; this one is "
            f"{model.get('type')} with byte_fallback={model.get('byte_fallback')} (SentencePiece style)",
        )
    pre = pre_tokenizer_name(tokenizer)
    vocab = model["vocab"]
    added = {t["id"]: t for t in tokenizer.get("added_tokens", [])}
    tokens: list[str] = []
    types: list[int] = []
    by_id = {i: text for text, i in vocab.items()}
    dropped = sum(1 for i in set(by_id) | set(added) if i >= vocab_size)
    if dropped:
        log(f"note: {dropped} tokenizer entries have ids beyond the model's {vocab_size} embeddings and are left out")
    for i in range(vocab_size):
        if i in added:
            text = added[i]["content"]
            tokens.append(text)
            types.append(TOKEN_CONTROL if added[i].get("special") or _looks_special(text) else TOKEN_USER_DEFINED)
        elif i in by_id:
            tokens.append(by_id[i])
            types.append(TOKEN_NORMAL)
        else:  # the embedding is padded beyond the tokenizer (Qwen2.5: 151936 rows, 151665 tokens)
            tokens.append(f"[PAD{i}]")
            types.append(TOKEN_UNUSED)

    kept = set(tokens)
    merges: list[str] = []
    for m in model.get("merges", []):
        if isinstance(m, str):
            a, _, b = m.partition(" ")
            text = m
        else:  # [a, b] (tokenizers >= 0.20); a space inside a part is written as U+0120+… like the converter
            a, b = m
            text = " ".join("".join(chr(ord(c) + 256) if c == " " else c for c in part) for part in (a, b))
        if a + b in kept:  # a merge whose result is not a token (a truncated vocab) can never apply
            merges.append(text)

    kv: list[KeyValue] = [
        ("tokenizer.ggml.model", STRING, "gpt2"),
        ("tokenizer.ggml.pre", STRING, pre),
    ]
    arrays: list[KeyValue] = [
        ("tokenizer.ggml.tokens", STRING, tokens),
        ("tokenizer.ggml.token_type", INT32, types),
        ("tokenizer.ggml.merges", STRING, merges),
    ]
    # Special ids: tokenizer_config.json's token texts first, config.json's ids as a fallback
    # (gguf-py's SpecialVocab does the same).
    by_content = {t["content"]: t["id"] for t in tokenizer.get("added_tokens", [])}
    specials: dict[str, int] = {}
    for kind, key in (("bos", "bos_token_id"), ("eos", "eos_token_id"), ("pad", "padding_token_id"), ("unk", "unknown_token_id")):
        tid = by_content.get(_token_content(tok_config.get(f"{kind}_token")))
        if tid is None:
            tid = hf_config.get(f"{kind}_token_id")
            if isinstance(tid, list):
                tid = tid[0] if tid else None
        if isinstance(tid, int) and not isinstance(tid, bool) and 0 <= tid < vocab_size:
            kv.append((f"tokenizer.ggml.{key}", UINT32, tid))
            specials[kind] = tid
    add_bos = tok_config.get("add_bos_token")
    if not isinstance(add_bos, bool):
        add_bos = _template_adds_bos(tokenizer, tok_config)
    if add_bos is not None:
        kv.append(("tokenizer.ggml.add_bos_token", BOOL, add_bos))
    if isinstance(tok_config.get("add_eos_token"), bool):
        kv.append(("tokenizer.ggml.add_eos_token", BOOL, tok_config["add_eos_token"]))
    template = tok_config.get("chat_template")
    jinja = os.path.join(model_dir, "chat_template.jinja")
    if template is None and os.path.isfile(jinja):
        with open(jinja, encoding="utf-8") as f:
            template = f.read()
    if isinstance(template, list):  # [{"name": "default", "template": …}, …]
        template = next((t.get("template") for t in template if t.get("name") == "default"), None)
    if isinstance(template, str):
        kv.append(("tokenizer.chat_template", STRING, template))
    summary = {"pre": pre, "tokens": len(tokens), "merges": len(merges), "special_ids": specials, "chat_template": isinstance(template, str)}
    return kv, arrays, summary


def _template_adds_bos(tokenizer: dict[str, Any], tok_config: dict[str, Any]) -> bool | None:
    """True/False when the post-processor's TemplateProcessing starts (or not) with the bos token."""
    post = tokenizer.get("post_processor") or {}
    for p in post.get("processors", [post]):
        if p.get("type") == "TemplateProcessing":
            first = (p.get("single") or [{}])[0]
            special = (first.get("SpecialToken") or {}).get("id")
            return special is not None and special == _token_content(tok_config.get("bos_token"))
    return None


# --- the model ------------------------------------------------------------------------------------


def hyperparameters(cfg: ModelConfig, arch: str) -> list[KeyValue]:
    """The {arch}.* key/values llama.cpp's loader reads (llama_model_base::load_hparams)."""
    hf = cfg.hf
    kv: list[KeyValue] = [
        (f"{arch}.vocab_size", UINT32, cfg.vocab_size),
        (f"{arch}.context_length", UINT32, int(hf.get("max_position_embeddings") or 2048)),
        (f"{arch}.embedding_length", UINT32, cfg.hidden_size),
        (f"{arch}.block_count", UINT32, cfg.num_layers),
        (f"{arch}.feed_forward_length", UINT32, cfg.intermediate_size),
        (f"{arch}.attention.head_count", UINT32, cfg.num_heads),
        (f"{arch}.attention.head_count_kv", UINT32, cfg.num_kv_heads),
        (f"{arch}.attention.layer_norm_rms_epsilon", FLOAT32, cfg.rms_norm_eps),
        (f"{arch}.rope.freq_base", FLOAT32, cfg.rope_theta),
        (f"{arch}.rope.dimension_count", UINT32, cfg.head_dim),
    ]
    if hf.get("head_dim") is not None or cfg.head_dim * cfg.num_heads != cfg.hidden_size:
        kv += [(f"{arch}.attention.key_length", UINT32, cfg.head_dim), (f"{arch}.attention.value_length", UINT32, cfg.head_dim)]
    scaling = cfg.rope_scaling
    if scaling is not None and scaling["rope_type"] == "linear":
        kv += [(f"{arch}.rope.scaling.type", STRING, "linear"), (f"{arch}.rope.scaling.factor", FLOAT32, float(scaling["factor"]))]
    return kv


def llama3_rope_factors(cfg: ModelConfig) -> npt.NDArray[np.float32]:
    """Llama 3.x frequency scaling as llama.cpp's rope_freqs tensor: per frequency, the factor its
    wavelength is divided by (conversion/llama.py, generate_extra_tensors)."""
    s = cfg.rope_scaling
    assert s is not None, "llama3_rope_factors needs rope_scaling"
    d = cfg.head_dim
    freqs = 1.0 / (cfg.rope_theta ** (np.arange(0, d, 2, dtype=np.float32) / d))
    factor, low, high = s["factor"], s.get("low_freq_factor", 1.0), s.get("high_freq_factor", 4.0)
    old = s.get("original_max_position_embeddings", 8192)
    out: list[float] = []
    for f in freqs:
        wavelen = 2 * np.pi / f
        if wavelen < old / high:
            out.append(1.0)
        elif wavelen > old / low:
            out.append(factor)
        else:
            smooth = (old / wavelen - low) / (high - low)
            out.append(1 / ((1 - smooth) / factor + smooth))
    return np.asarray(out, dtype=np.float32)


def model_tensors(model: CausalLM) -> Iterator[tuple[str, tuple[int, ...], Produce]]:
    """(gguf name, fp32 numpy array, is_norm_or_bias) in file order, with Llama's q/k rows permuted."""
    cfg = model.cfg
    state = {k: v for k, v in model.state_dict().items() if "lora_" not in k}
    permute = cfg.family == "llama"

    def get(name: str) -> npt.NDArray[np.float32]:
        return state[name].detach().to(torch.float32).cpu().numpy()

    out = [("token_embd.weight", "model.embed_tokens.weight")]
    parts = [
        ("attn_norm.weight", "input_layernorm.weight"),
        ("attn_q.weight", "self_attn.q_proj.weight"), ("attn_q.bias", "self_attn.q_proj.bias"),
        ("attn_k.weight", "self_attn.k_proj.weight"), ("attn_k.bias", "self_attn.k_proj.bias"),
        ("attn_v.weight", "self_attn.v_proj.weight"), ("attn_v.bias", "self_attn.v_proj.bias"),
        ("attn_q_norm.weight", "self_attn.q_norm.weight"), ("attn_k_norm.weight", "self_attn.k_norm.weight"),
        ("attn_output.weight", "self_attn.o_proj.weight"), ("attn_output.bias", "self_attn.o_proj.bias"),
        ("ffn_norm.weight", "post_attention_layernorm.weight"),
        ("ffn_gate.weight", "mlp.gate_proj.weight"), ("ffn_gate.bias", "mlp.gate_proj.bias"),
        ("ffn_up.weight", "mlp.up_proj.weight"), ("ffn_up.bias", "mlp.up_proj.bias"),
        ("ffn_down.weight", "mlp.down_proj.weight"), ("ffn_down.bias", "mlp.down_proj.bias"),
    ]
    for i in range(cfg.num_layers):
        out += [(f"blk.{i}.{g}", f"model.layers.{i}.{h}") for g, h in parts if f"model.layers.{i}.{h}" in state]
    out.append(("output_norm.weight", "model.norm.weight"))
    if not cfg.tie_word_embeddings:
        out.append(("output.weight", "lm_head.weight"))

    for gguf_name, hf_name in out:
        def load(hf_name: str = hf_name, gguf_name: str = gguf_name) -> npt.NDArray[Any]:
            w = get(hf_name)
            if permute and (".attn_q." in gguf_name or ".attn_k." in gguf_name):
                w = permute_rope_rows(w, cfg.num_heads if ".attn_q." in gguf_name else cfg.num_kv_heads)
            return w

        yield gguf_name, tuple(state[hf_name].shape), load


def export_gguf(cfg: dict[str, Any]) -> int:
    """The export-gguf command: merge, convert and write `out_file`; emits `done`, returns the exit code (0)."""
    device = torch.device("cpu")
    devices.set_threads(device, cfg["threads"])
    precision = cfg["precision"]
    out_file = cfg["out_file"]
    model = load_for_inference(cfg["model_dir"], cfg["adapter_dir"], device)
    mcfg = model.cfg
    arch = ARCHS[mcfg.family]
    if mcfg.rope_scaling is not None and mcfg.rope_scaling["rope_type"] == "llama3" and arch != "llama":
        raise WorkerError("UNSUPPORTED_ARCH", f"llama3 RoPE scaling on {arch} has no GGUF form")

    w = GgufWriter()
    name = os.path.basename(os.path.normpath(cfg["model_dir"]))
    w.add("general.architecture", STRING, arch)
    w.add("general.name", STRING, name)
    w.add("general.file_type", UINT32, FILE_TYPES[precision])
    w.add("general.quantization_version", UINT32, 2)  # GGML_QNT_VERSION
    for key, vtype, value in hyperparameters(mcfg, arch):
        w.add(key, vtype, value)
    kv, arrays, tok_summary = tokenizer_metadata(cfg["model_dir"], mcfg.vocab_size, mcfg.hf)
    for key, vtype, value in kv:
        w.add(key, vtype, value)
    for key, elem, values in arrays:
        w.add_array(key, elem, values)

    counts: dict[int, int] = {}
    if mcfg.rope_scaling is not None and mcfg.rope_scaling["rope_type"] == "llama3":
        factors = llama3_rope_factors(mcfg)
        w.add_tensor("rope_freqs.weight", factors.shape, GGML_F32, lambda: factors)
    for gguf_name, shape, load in model_tensors(model):
        ggml_type = TENSOR_TYPES[precision]
        if len(shape) == 1:
            ggml_type = GGML_F32  # norms and biases stay f32, as llama.cpp expects
        elif ggml_type == GGML_Q8_0 and shape[-1] % QK8_0:
            ggml_type = GGML_F16  # rows not a whole number of blocks (convert_hf_to_gguf falls back the same way)
        counts[ggml_type] = counts.get(ggml_type, 0) + 1
        w.add_tensor(gguf_name, shape, ggml_type, _encoder(load, ggml_type))

    log(f"writing {out_file}: {arch}, {precision}, {len(w.tensors)} tensors, tokenizer pre {tok_summary['pre']}")
    os.makedirs(os.path.dirname(os.path.abspath(out_file)), exist_ok=True)
    try:
        size = w.write(out_file)
    except OSError as e:
        raise WorkerError("EXPORT_FAILED", f"cannot write {out_file}: {e.strerror}") from None
    names = {GGML_F32: "f32", GGML_F16: "f16", GGML_Q8_0: "q8_0"}
    emit(
        "done",
        out_file=out_file,
        bytes=size,
        architecture=arch,
        precision=precision,
        tensors=len(w.tensors),
        tensor_types={names[t]: n for t, n in sorted(counts.items())},
        tokenizer=tok_summary,
    )
    return 0


def _encoder(load: Produce, ggml_type: int) -> Produce:
    if ggml_type == GGML_F32:
        return lambda: np.ascontiguousarray(load(), dtype=np.float32)
    if ggml_type == GGML_F16:
        return lambda: to_f16(load())
    return lambda: quantize_q8_0(load())

