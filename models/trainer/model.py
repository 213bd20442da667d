"""Decoder-only transformers — Llama, Qwen2/Qwen2.5 and Qwen3 — in one file, loading HF checkpoints.

All three families are the same network with small switches:

    Llama (SmolLM2, Llama 2 incl. the Erasmian Language Model, Llama 3.x)
        RMSNorm, RoPE (optionally "llama3" frequency scaling), grouped-query attention, SwiGLU MLP.
    Qwen2 / Qwen2.5: as Llama, with a bias on the q, k and v projections.
    Qwen3: as Llama, with an RMSNorm over each head of q and k (before RoPE) and an explicit head_dim.

Parameter names are exactly those of Hugging Face transformers (`model.layers.0.self_attn.q_proj.weight`
…), so a checkpoint's safetensors load without renaming and a PEFT adapter's keys line up.

References:
  - nanoGPT, model.py (Karpathy): the shape of this file.
  - litgpt, litgpt/model.py: grouped-query attention, KV cache, RoPE.
  - Hugging Face transformers, models/{llama,qwen2,qwen3}/modeling_*.py and
    modeling_rope_utils.py (`_compute_llama3_parameters`): names and numerics we must match.
  - Su et al. 2021, "RoFormer" (RoPE); Zhang & Sennrich 2019 (RMSNorm); Shazeer 2020 (SwiGLU);
    Ainslie et al. 2023 (GQA).
"""

from __future__ import annotations

import inspect
import json
import math
import os
from dataclasses import dataclass, field
from collections.abc import Iterator, Sequence
from typing import Any, Optional, Protocol, cast

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint

from .protocol import WorkerError
from .safetensors_io import Checkpoint

# architectures[0] / model_type of config.json -> our family name
ARCHITECTURES = {"LlamaForCausalLM": "llama", "Qwen2ForCausalLM": "qwen2", "Qwen3ForCausalLM": "qwen3"}
MODEL_TYPES = {"llama": "llama", "qwen2": "qwen2", "qwen3": "qwen3"}

HAS_SDPA = hasattr(F, "scaled_dot_product_attention")  # PyTorch >= 2.0
try:  # PyTorch >= 2.5 shares kv heads inside SDPA; older versions need them repeated
    SDPA_GQA = HAS_SDPA and "enable_gqa" in inspect.signature(F.scaled_dot_product_attention).parameters  # pyright: ignore[reportAttributeAccessIssue] - PyTorch >= 2.0
except (TypeError, ValueError):
    SDPA_GQA = False


@dataclass
class ModelConfig:
    family: str  # "llama" | "qwen2" | "qwen3"
    vocab_size: int
    hidden_size: int
    intermediate_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    rms_norm_eps: float
    rope_theta: float
    rope_scaling: Optional[dict]
    tie_word_embeddings: bool
    qkv_bias: bool  # bias on q_proj, k_proj, v_proj
    o_bias: bool  # bias on o_proj
    mlp_bias: bool
    qk_norm: bool  # Qwen3's per-head RMSNorm on q and k
    hf: dict = field(default_factory=dict, repr=False)  # the raw config.json

    @classmethod
    def from_hf(cls, hf: dict[str, Any]) -> ModelConfig:
        """Read a Hugging Face config.json dict; unsupported families raise UNSUPPORTED_ARCH."""
        archs = hf.get("architectures") or []
        arch = archs[0] if archs else None
        if arch is not None:
            if arch not in ARCHITECTURES:
                raise WorkerError(
                    "UNSUPPORTED_ARCH",
                    f"architecture {arch} is not supported (supported: {', '.join(ARCHITECTURES)})",
                )
            family = ARCHITECTURES[arch]
        elif hf.get("model_type") in MODEL_TYPES:
            family = MODEL_TYPES[hf["model_type"]]
        else:
            raise WorkerError(
                "UNSUPPORTED_ARCH",
                f"model_type {hf.get('model_type')!r} is not supported (supported: {', '.join(MODEL_TYPES)})",
            )
        missing = [k for k in ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads") if k not in hf]
        if missing:
            raise WorkerError("MODEL_CORRUPT", f"config.json lacks {', '.join(missing)}")
        if hf.get("hidden_act", "silu") != "silu":
            raise WorkerError("UNSUPPORTED_ARCH", f"{arch or family} with hidden_act {hf['hidden_act']!r} is not supported (only silu)")
        rope_params = hf.get("rope_parameters") or {}  # transformers >= 5 moves theta and scaling here
        rope_scaling = hf.get("rope_scaling") or (rope_params if rope_params.get("rope_type", "default") != "default" else None)
        if rope_scaling is not None:
            kind = rope_scaling.get("rope_type", rope_scaling.get("type"))
            if kind not in ("default", "linear", "llama3"):
                raise WorkerError("UNSUPPORTED_ARCH", f"rope_scaling type {kind!r} is not supported (default, linear, llama3)")
            rope_scaling = None if kind == "default" else {**rope_scaling, "rope_type": kind}
        heads = hf["num_attention_heads"]
        attention_bias = bool(hf.get("attention_bias", False))
        return cls(
            family=family,
            vocab_size=hf["vocab_size"],
            hidden_size=hf["hidden_size"],
            intermediate_size=hf["intermediate_size"],
            num_layers=hf["num_hidden_layers"],
            num_heads=heads,
            num_kv_heads=hf.get("num_key_value_heads") or heads,
            head_dim=hf.get("head_dim") or hf["hidden_size"] // heads,
            rms_norm_eps=float(hf.get("rms_norm_eps", 1e-6)),
            rope_theta=float(hf.get("rope_theta", rope_params.get("rope_theta", 10000.0))),
            rope_scaling=rope_scaling,
            tie_word_embeddings=bool(hf.get("tie_word_embeddings", False)),
            qkv_bias=True if family == "qwen2" else attention_bias,  # Qwen2 always has q/k/v bias
            o_bias=False if family == "qwen2" else attention_bias,
            mlp_bias=bool(hf.get("mlp_bias", False)),
            qk_norm=family == "qwen3",
            hf=hf,
        )


class RMSNorm(nn.Module):
    """x / rms(x) * weight, computed in float32 like transformers' LlamaRMSNorm."""

    def __init__(self, dim: int, eps: float, device: torch.device | str | None = None) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim, device=device))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dtype = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dtype)


def rope_inv_freq(cfg: ModelConfig) -> torch.Tensor:
    """RoPE inverse frequencies theta^(-2i/d), with Llama 3's or linear frequency scaling if configured."""
    d = cfg.head_dim
    inv_freq = 1.0 / (cfg.rope_theta ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))
    scaling = cfg.rope_scaling
    if scaling is None:
        return inv_freq
    if scaling["rope_type"] == "linear":  # positions divided by factor == frequencies divided by factor
        return inv_freq / scaling["factor"]
    # llama3: keep high frequencies, divide low ones by `factor`, blend smoothly in between.
    factor = scaling["factor"]
    low, high = scaling.get("low_freq_factor", 1.0), scaling.get("high_freq_factor", 4.0)
    old_len = scaling.get("original_max_position_embeddings", 8192)
    low_wavelen, high_wavelen = old_len / low, old_len / high
    wavelen = 2 * math.pi / inv_freq
    scaled = torch.where(wavelen > low_wavelen, inv_freq / factor, inv_freq)
    smooth = (old_len / wavelen - low) / (high - low)
    blended = (1 - smooth) * scaled / factor + smooth * scaled
    medium = (wavelen >= high_wavelen) & (wavelen <= low_wavelen)
    return torch.where(medium, blended, scaled)


class RotaryEmbedding(nn.Module):
    """RoPE's cos and sin for given positions (the `model.rotary_emb` of transformers' models)."""

    def __init__(self, cfg: ModelConfig, device: torch.device | str | None = None) -> None:
        super().__init__()
        self.cfg = cfg
        self.register_buffer("inv_freq", rope_inv_freq(cfg).to(device), persistent=False)

    def reset(self, device: torch.device | str) -> None:
        """Recomputes the inverse frequencies on `device` (after a model was built on the meta device)."""
        self.inv_freq = rope_inv_freq(self.cfg).to(device)

    def forward(self, position_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """cos and a signed sin, each [batch, seq, head_dim] in float32 (see apply_rope)."""
        freqs = position_ids[:, :, None].float() * self.inv_freq[None, None, :]
        # HF's layout: the two halves of a head share frequencies. The first half of sin is negated
        # so that apply_rope needs no negation of its own.
        sin = freqs.sin()
        return torch.cat((freqs, freqs), dim=-1).cos(), torch.cat((-sin, sin), dim=-1)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, signed_sin: torch.Tensor) -> torch.Tensor:
    """Rotate [batch, heads, seq, head_dim] by position: x*cos + rotate_half(x)*sin, where
    rotate_half(x) = (-x2, x1) for the halves x1, x2 of a head (transformers' convention)."""
    x1, x2 = x.chunk(2, dim=-1)
    return x * cos[:, None].to(x.dtype) + torch.cat((x2, x1), dim=-1) * signed_sin[:, None].to(x.dtype)


@dataclass
class SegmentBlocks:
    """Packed rows cut into their segments, for the manual attention path (`attention`).

    lengths: per row, the lengths of its runs of one segment id, in order (summing to the width).
    Each run attends only within itself, causally, so attention is computed block by block: per
    row sum(L^2) scores instead of s^2, and no [s, s] mask to fill and to carry through backward.
    """

    lengths: list[list[int]]
    biases: dict[int, torch.Tensor] = field(default_factory=dict)  # L -> additive causal bias [1, 1, L, L]

    def bias(self, n: int, device: torch.device) -> torch.Tensor:
        """The additive causal mask of one run of n tokens, built once per forward and shared by the layers."""
        if n not in self.biases:
            self.biases[n] = causal_bias(causal_mask(n, n, device))
        return self.biases[n]


def segment_blocks(segment_ids: torch.Tensor) -> SegmentBlocks | None:
    """The runs of equal ids of each row of `segment_ids` [b, s], or None when an id recurs after
    another one (then the runs are not the whole of packed_mask's block structure: callers use it)."""
    lengths: list[list[int]] = []
    for row in segment_ids.tolist():  # b * s ints: microseconds against a forward pass
        runs: list[int] = []
        seen: set[int] = set()
        prev = None
        for x in row:
            if x == prev:
                runs[-1] += 1
                continue
            if x in seen:
                return None
            seen.add(x)
            runs.append(1)
            prev = x
        lengths.append(runs)
    return SegmentBlocks(lengths)


def causal_bias(mask: torch.Tensor) -> torch.Tensor:
    """A bool mask (True = may attend) as the additive float32 one SDPA also takes: 0 where
    allowed, float32's lowest finite value where not. Added to the scores it gives what
    masked_fill gives: the allowed scores unchanged and, after the softmax, exactly 0 elsewhere
    (float32 scores, or bf16/fp16 ones promoted by the add: the softmax runs in float32 anyway)."""
    return torch.zeros(mask.shape, dtype=torch.float32, device=mask.device).masked_fill_(~mask, torch.finfo(torch.float32).min)


def attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    mask: torch.Tensor | SegmentBlocks | None,
    causal: bool,
    use_sdpa: bool,
) -> torch.Tensor:
    """softmax(q k^T / sqrt(d) + mask) v for q [b, h, s, d] and k, v [b, kv_h, t, d] (grouped-query).

    `mask` is a bool [b or 1, 1, s, t] (True = may attend), a float one of the same shape added to
    the scores (causal_bias), a SegmentBlocks (packed rows on the manual path: each run attends
    causally within itself), or None with `causal` for plain causal attention over a fresh
    sequence (the training path: right padding needs no mask, since a real token never sees a
    later pad).
    """
    if isinstance(mask, SegmentBlocks):
        return _attention_by_segment(q, k, v, mask)
    b, h, s, d = q.shape
    kv_h, t = k.shape[1], k.shape[2]
    rep = h // kv_h
    if use_sdpa:
        if rep > 1 and SDPA_GQA:
            return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal and mask is None, enable_gqa=True)  # pyright: ignore[reportAttributeAccessIssue] - PyTorch >= 2.0
        if rep > 1:  # each kv head serves `rep` consecutive query heads (transformers' repeat_kv)
            k = k[:, :, None].expand(b, kv_h, rep, t, d).reshape(b, h, t, d)
            v = v[:, :, None].expand(b, kv_h, rep, t, d).reshape(b, h, t, d)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal and mask is None)  # pyright: ignore[reportAttributeAccessIssue] - PyTorch >= 2.0
    # Manual path (PyTorch 1.x, ONNX export). Fold the `rep` query heads sharing a kv head into the
    # row dimension so k and v are used in place instead of being copied `rep` times; scale q
    # (smaller than the scores) instead of the scores.
    q = (q * (1.0 / math.sqrt(d))).reshape(b, kv_h, rep * s, d)  # scaled first: one pass, also for a strided q
    scores = torch.matmul(q, k.transpose(-1, -2)).view(b, kv_h, rep, s, t)
    if mask is None and causal:
        mask = causal_mask(s, t, q.device)
    if mask is not None and mask.dtype == torch.bool:
        # in place: matmul's backward needs its inputs, not its output (inference; training passes
        # an additive mask: masked_fill_ on this view would make autograd copy the scores' gradient
        # in and out of a buffer of the whole [b, kv_h, rep * s, t] and mask it again, per layer)
        scores = scores.masked_fill_(~mask.view(mask.shape[0], 1, 1, s, t), torch.finfo(scores.dtype).min)
    elif mask is not None:
        scores = scores + mask.view(mask.shape[0], 1, 1, s, t)  # an add's backward is the gradient itself
    probs = F.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
    return torch.matmul(probs.view(b, kv_h, rep * s, t), v).view(b, h, s, d)


def _attention_by_segment(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, blocks: SegmentBlocks) -> torch.Tensor:
    """attention() of packed rows, one segment at a time: what packed_mask's block-diagonal causal
    mask computes, without the scores of one example against another (all masked) — on the bench's
    4 examples per row, a quarter of the attention matmuls, softmax and mask work."""
    rows = []
    for qr, kr, vr, lengths in zip(q.unbind(0), k.unbind(0), v.unbind(0), blocks.lengths):
        parts = [
            attention(qs[None], ks[None], vs[None], blocks.bias(n, q.device), False, False)
            for qs, ks, vs, n in zip(qr.split(lengths, 1), kr.split(lengths, 1), vr.split(lengths, 1), lengths)
        ]
        rows.append(torch.cat(parts, dim=2) if len(parts) > 1 else parts[0])
    return torch.cat(rows) if len(rows) > 1 else rows[0]


def causal_mask(s: int, t: int, device: torch.device | str | None) -> torch.Tensor:
    """Bool [1, 1, s, t]: query i (the last s of t positions) may see keys up to its own position."""
    return torch.ones(s, t, dtype=torch.bool, device=device).tril(diagonal=t - s)[None, None]


class Attention(nn.Module):
    """Grouped-query self-attention with RoPE (and Qwen3's q/k norms), returning the new key/value cache."""

    def __init__(self, cfg: ModelConfig, device: torch.device | str | None = None) -> None:
        super().__init__()
        self.cfg = cfg
        hd, nh, nkv = cfg.head_dim, cfg.num_heads, cfg.num_kv_heads
        self.q_proj = nn.Linear(cfg.hidden_size, nh * hd, bias=cfg.qkv_bias, device=device)
        self.k_proj = nn.Linear(cfg.hidden_size, nkv * hd, bias=cfg.qkv_bias, device=device)
        self.v_proj = nn.Linear(cfg.hidden_size, nkv * hd, bias=cfg.qkv_bias, device=device)
        self.o_proj = nn.Linear(nh * hd, cfg.hidden_size, bias=cfg.o_bias, device=device)
        if cfg.qk_norm:
            self.q_norm = RMSNorm(hd, cfg.rms_norm_eps, device=device)
            self.k_norm = RMSNorm(hd, cfg.rms_norm_eps, device=device)
        self.use_sdpa = HAS_SDPA

    def forward(
        self,
        x: torch.Tensor,
        cos: torch.Tensor,
        sin: torch.Tensor,
        mask: torch.Tensor | SegmentBlocks | None,
        causal: bool,
        past: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        b, s, _ = x.shape
        hd = self.cfg.head_dim
        q = self.q_proj(x).view(b, s, -1, hd)
        k = self.k_proj(x).view(b, s, -1, hd)
        v = self.v_proj(x).view(b, s, -1, hd).transpose(1, 2)
        if self.cfg.qk_norm:  # Qwen3: normalise each head of q and k before RoPE
            q, k = self.q_norm(q), self.k_norm(k)
        q = apply_rope(q.transpose(1, 2), cos, sin)
        k = apply_rope(k.transpose(1, 2), cos, sin)
        if past is not None:  # the cache holds keys after RoPE, as transformers' DynamicCache does
            k = torch.cat((past[0], k), dim=2)
            v = torch.cat((past[1], v), dim=2)
        y = attention(q, k, v, mask, causal, self.use_sdpa)
        return self.o_proj(y.transpose(1, 2).reshape(b, s, -1)), (k, v)


class MLP(nn.Module):
    """SwiGLU: down(silu(gate(x)) * up(x))."""

    def __init__(self, cfg: ModelConfig, device: torch.device | str | None = None) -> None:
        super().__init__()
        h, i, bias = cfg.hidden_size, cfg.intermediate_size, cfg.mlp_bias
        self.gate_proj = nn.Linear(h, i, bias=bias, device=device)
        self.up_proj = nn.Linear(h, i, bias=bias, device=device)
        self.down_proj = nn.Linear(i, h, bias=bias, device=device)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Block(nn.Module):
    """One decoder layer: pre-norm attention and pre-norm SwiGLU, each added to the residual stream."""

    def __init__(self, cfg: ModelConfig, device: torch.device | str | None = None) -> None:
        super().__init__()
        self.input_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps, device=device)
        self.self_attn = Attention(cfg, device=device)
        self.post_attention_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps, device=device)
        self.mlp = MLP(cfg, device=device)

    def forward(
        self,
        x: torch.Tensor,
        cos: torch.Tensor,
        sin: torch.Tensor,
        mask: torch.Tensor | SegmentBlocks | None,
        causal: bool,
        past: tuple[torch.Tensor, torch.Tensor] | None = None,
        recompute: bool = False,
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """recompute: gradient checkpointing — keep only the block's input and recompute the rest
        in backward. Inside the block (not around it) so that a compiled block (compile_blocks)
        compiles the checkpoint too instead of running under autograd hooks it cannot trace."""
        if recompute:
            return torch.utils.checkpoint.checkpoint(self._forward, x, cos, sin, mask, causal, past, use_reentrant=False)
        return self._forward(x, cos, sin, mask, causal, past)

    def _forward(
        self,
        x: torch.Tensor,
        cos: torch.Tensor,
        sin: torch.Tensor,
        mask: torch.Tensor | SegmentBlocks | None,
        causal: bool,
        past: tuple[torch.Tensor, torch.Tensor] | None,
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        h, present = self.self_attn(self.input_layernorm(x), cos, sin, mask, causal, past)
        x = x + h
        x = x + self.mlp(self.post_attention_layernorm(x))
        return x, present


class BlockList(Protocol):
    """`Decoder.layers` as the type checker should see it: an nn.ModuleList of Blocks (a plain ModuleList yields
    nn.Module, whose attributes are untyped)."""

    def __getitem__(self, i: int) -> Block: ...
    def __iter__(self) -> Iterator[Block]: ...
    def __len__(self) -> int: ...


class Decoder(nn.Module):
    """The `model.` part of a *ForCausalLM checkpoint: embeddings, blocks, final norm."""

    def __init__(self, cfg: ModelConfig, device: torch.device | str | None = None) -> None:
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size, device=device)
        self.layers = cast(BlockList, nn.ModuleList(Block(cfg, device=device) for _ in range(cfg.num_layers)))
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps, device=device)
        self.rotary_emb = RotaryEmbedding(cfg, device=device)


def build_mask(
    attention_mask: torch.Tensor | None, seq_len: int, past_len: int, device: torch.device | str | None
) -> torch.Tensor:
    """Bool [b or 1, 1, seq, past+seq]: causal by index, minus padded keys.

    Built from tensor shapes only, so an exported ONNX graph computes it for any lengths
    (including an empty cache). A query may always see its own position, so no row is all
    masked (that would give NaN, e.g. for left padding) — those rows' outputs are unused.
    """
    total = past_len + seq_len
    kpos = torch.arange(total, device=device)
    qpos = kpos[past_len:]  # absolute positions of the new tokens
    allowed = kpos[None, :] <= qpos[:, None]
    if attention_mask is not None:
        allowed = (allowed[None] & attention_mask[:, None, :].bool()) | (kpos[None, :] == qpos[:, None])[None]
        return allowed[:, None]
    return allowed[None, None]


def packed_mask(segment_ids: torch.Tensor) -> torch.Tensor:
    """Bool [b, 1, s, s] for packed rows: query i may see key j iff j <= i and both lie in the same
    segment (block-diagonal causal), so packed examples never see each other. Padding (segment 0)
    sees only earlier padding: no row is all masked (no NaN), and no real token sees padding."""
    s = segment_ids.shape[1]
    causal = torch.ones(s, s, dtype=torch.bool, device=segment_ids.device).tril()
    same = segment_ids[:, :, None] == segment_ids[:, None, :]
    return (same & causal[None])[:, None]


class CausalLM(nn.Module):
    """A *ForCausalLM model: the decoder and the (possibly tied) LM head, with transformers' parameter names."""

    def __init__(self, cfg: ModelConfig, device: torch.device | str | None = None) -> None:
        super().__init__()
        self.cfg = cfg
        self.model = Decoder(cfg, device=device)
        self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False, device=device)
        self.tie_weights()
        self.gradient_checkpointing = False
        # packed rows on the manual attention path: attend segment by segment (SegmentBlocks);
        # False: through packed_mask's dense [s, s] mask (the same numbers; tests compare the two)
        self.segment_attention = True

    def tie_weights(self) -> None:
        """Shares the embedding with the LM head when the config ties them."""
        if self.cfg.tie_word_embeddings:
            self.lm_head.weight = self.model.embed_tokens.weight

    def set_use_sdpa(self, flag: bool) -> None:
        """Attention through torch's SDPA (where this PyTorch has it) or the manual path (ONNX export)."""
        for layer in self.model.layers:
            layer.self_attn.use_sdpa = flag and HAS_SDPA

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        past_key_values: Sequence[tuple[torch.Tensor, torch.Tensor]] | None = None,
        use_cache: bool = False,
        logits_mask: torch.Tensor | None = None,
        return_hidden: bool = False,
        segment_ids: torch.Tensor | None = None,
        logits_index: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, list[tuple[torch.Tensor, torch.Tensor]] | None]:
        """Logits [b, s, vocab] (or [n, vocab] at the True places of `logits_mask` [b, s]) and presents.

        attention_mask: [b, past+s], 1 for real tokens (None: no padding).
        position_ids: [b, s] (default: cumsum of attention_mask, or past..past+s-1).
        past_key_values: per layer (key, value), each [b, kv_heads, past, head_dim].
        return_hidden: return the final-norm hidden states instead of logits (the trainer applies
        the LM head itself, in chunks, only where there are labels).
        segment_ids: [b, s] int, for packed training rows (several examples in one row): a token
        attends only to earlier tokens of its own segment (block-diagonal causal attention). 0 marks
        the padding at a row's end. Pass position_ids that restart at 0 for each segment. Only for
        a fresh sequence (no past_key_values, no attention_mask); None (inference) changes nothing.
        logits_index: int64 [n] positions into the flattened [b * s] rows, instead of logits_mask:
        the same rows in the same order as logits_mask's True places, but computed by the caller
        (the trainer, on the CPU), so the device never has to report how many there are (a
        boolean index is a host sync on CUDA).
        """
        b, s = input_ids.shape
        past_len = past_key_values[0][0].shape[2] if past_key_values is not None else 0
        if position_ids is None:
            if attention_mask is not None:  # left padding: real tokens count from 0 (as transformers.js)
                pos = attention_mask.long().cumsum(-1) - 1
                position_ids = pos.masked_fill(attention_mask == 0, 1)[:, past_len:]
            else:
                position_ids = torch.arange(past_len, past_len + s, device=input_ids.device)[None].expand(b, s)
        manual = not self.model.layers[0].self_attn.use_sdpa
        mask: torch.Tensor | SegmentBlocks | None
        if segment_ids is not None:
            if attention_mask is not None or past_len:
                raise ValueError("segment_ids (packed rows) cannot be combined with attention_mask or past_key_values")
            blocks = segment_blocks(segment_ids) if manual and self.segment_attention else None
            mask, causal = (blocks if blocks is not None else packed_mask(segment_ids)), False
        elif attention_mask is None and past_len == 0:
            mask, causal = None, True  # plain causal attention: SDPA's fast path
            if manual:
                mask, causal = causal_mask(s, s, input_ids.device), False  # build once, not per layer
        else:
            mask, causal = build_mask(attention_mask, s, past_len, input_ids.device), False
        if manual and isinstance(mask, torch.Tensor) and torch.is_grad_enabled():
            mask = causal_bias(mask)  # training: the additive form, once for all layers (see attention)

        x = self.model.embed_tokens(input_ids)
        cos, sin = self.model.rotary_emb(position_ids)
        presents: list[tuple[torch.Tensor, torch.Tensor]] = []
        for i, layer in enumerate(self.model.layers):
            past = past_key_values[i] if past_key_values is not None else None
            recompute = self.gradient_checkpointing and self.training and torch.is_grad_enabled()
            x, present = layer(x, cos, sin, mask, causal, past, recompute) if recompute else layer(x, cos, sin, mask, causal, past)
            if use_cache:
                presents.append(present)
        x = self.model.norm(x)
        if logits_index is not None:
            x = x.reshape(-1, x.shape[-1]).index_select(0, logits_index)
        elif logits_mask is not None:
            x = x[logits_mask]  # only the positions that need logits: the LM head dominates small models
        if return_hidden:
            return x, (presents if use_cache else None)
        return self.project(x), (presents if use_cache else None)

    def project(self, x: torch.Tensor) -> torch.Tensor:
        """The LM head: [..., hidden] -> [..., vocab] against the (possibly tied) [vocab, hidden] weight.

        For ONNX the product is written as a 2-D linear with a (zero) bias, which the exporter emits
        as Gemm(transB=1) on the weight itself; a plain matmul would get a constant-folded
        transposed copy, storing a tied embedding twice.
        """
        weight = self.lm_head.weight
        if torch.onnx.is_in_onnx_export():
            flat = x.reshape(-1, x.shape[-1])
            bias = torch.zeros(1, dtype=weight.dtype, device=weight.device)  # broadcast: a 4-byte constant
            return F.linear(flat, weight, bias).view(x.shape[:-1] + (self.cfg.vocab_size,))
        return F.linear(x, weight)

    def num_parameters(self, trainable_only: bool = False) -> int:
        """Parameters of the model (a tied weight once), or only those being trained."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)


def compile_supported(device: torch.device) -> bool:
    """Whether `compile_blocks` may compile on `device`: CUDA with PyTorch >= 2.5 and Triton.

    Never on the CPU: PyTorch 1.13 (Debian's) has no compiler, and on the CPU the step is bound by
    its matmuls, not by Python overhead. 2.5 is where a compiled block's code is shared by all
    the layers (nn.Module inlining), so a model compiles once instead of once per layer.
    UNDERSTUDY_COMPILE=0 turns it off (to measure without it, or to work around a compiler bug).
    """
    if device.type != "cuda" or os.environ.get("UNDERSTUDY_COMPILE") == "0" or not hasattr(nn.Module, "compile"):
        return False
    try:
        major, minor = (int(p) for p in torch.__version__.split("+")[0].split(".")[:2])
        from torch.utils._triton import has_triton  # pyright: ignore[reportMissingImports]  # private, stable since 2.1

        return (major, minor) >= (2, 5) and has_triton()
    except (ImportError, ValueError):
        return False


def compile_blocks(model: "CausalLM", dynamic: Optional[bool] = None) -> None:
    """torch.compile each decoder block in place (parameter names unchanged, so checkpoints and
    adapters keep their keys). What it buys on a GPU: the norms, RoPE, SwiGLU and LoRA's
    elementwise work fuse into a few kernels, so a step launches far fewer of them and stops being
    bound by Python's per-op overhead. Blocks only: the loss indexing and the chunked LM head
    outside them stay eager. Compilation happens at the first call; a compiler failure surfaces
    there (callers catch it and call `uncompile_blocks`)."""
    for layer in model.model.layers:
        # dynamic None: static for the first shape, dynamic once a second one appears; True: dynamic
        # from the start (one compile when every batch has another width)
        layer.compile(dynamic=dynamic)  # pyright: ignore[reportAttributeAccessIssue, reportCallIssue] - PyTorch >= 2.2


def uncompile_blocks(model: "CausalLM") -> None:
    """Undo compile_blocks: the blocks run eagerly again."""
    for layer in model.model.layers:
        layer._compiled_call_impl = None  # pyright: ignore[reportAttributeAccessIssue, reportArgumentType] - PyTorch >= 2.2
    try:
        import torch._dynamo  # pyright: ignore[reportMissingImports]

        torch._dynamo.reset()
    except ImportError:
        pass


def is_compiled(model: "CausalLM") -> bool:
    """Whether compile_blocks compiled the model's blocks (and uncompile_blocks has not undone it)."""
    return any(getattr(layer, "_compiled_call_impl", None) is not None for layer in model.model.layers)


def read_config(model_dir: str) -> dict[str, Any]:
    """model_dir/config.json as a dict; MODEL_NOT_FOUND or MODEL_CORRUPT when it is missing or not JSON."""
    path = os.path.join(model_dir, "config.json")
    if not os.path.isdir(model_dir):
        raise WorkerError("MODEL_NOT_FOUND", f"model folder {model_dir} does not exist")
    if not os.path.isfile(path):
        raise WorkerError("MODEL_NOT_FOUND", f"{path} does not exist (is {model_dir} a Hugging Face model folder?)")
    try:
        with open(path, encoding="utf-8") as f:
            hf = json.load(f)
        if not isinstance(hf, dict):
            raise ValueError("not a JSON object")
    except (ValueError, UnicodeDecodeError) as e:
        raise WorkerError("MODEL_CORRUPT", f"{path} is not valid JSON ({e})") from None
    return hf


def build_model(cfg: ModelConfig, device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32) -> CausalLM:
    """An uninitialised model on `device` (allocated without the cost of random init)."""
    model = CausalLM(cfg, device="meta").to(dtype)  # shapes only: no memory, no init
    model = model.to_empty(device=device)
    model.tie_weights()  # to_empty gives each module its own tensor: tie again
    model.model.rotary_emb.reset(device)  # buffers on meta had no values
    return model


def init_random(model: CausalLM, seed: int, std: float = 0.02) -> CausalLM:
    """Random weights like transformers' _init_weights (normal(0, std), zero bias, unit norms)."""
    gen = torch.Generator(device="cpu").manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.fill_(1.0)
            elif name.endswith(".bias"):
                p.zero_()
            else:
                p.copy_(torch.randn(p.shape, generator=gen) * std)
    return model


def load_model(model_dir: str, device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32) -> CausalLM:
    """Build the model described by model_dir/config.json and load its safetensors weights."""
    cfg = ModelConfig.from_hf(read_config(model_dir))
    ckpt = Checkpoint(model_dir)
    model = build_model(cfg, device, dtype)
    with torch.no_grad():
        for name, param in model.named_parameters():  # a tied lm_head.weight is listed once, as embed_tokens
            if name not in ckpt:
                raise WorkerError("MODEL_CORRUPT", f"{model_dir}: checkpoint lacks tensor {name}")
            if tuple(ckpt.shape(name)) != tuple(param.shape):
                raise WorkerError(
                    "MODEL_CORRUPT",
                    f"{model_dir}: tensor {name} has shape {list(ckpt.shape(name))}, config.json implies {list(param.shape)}",
                )
            param.copy_(ckpt.get(name).to(dtype))
    model.requires_grad_(False)
    model.eval()
    return model
