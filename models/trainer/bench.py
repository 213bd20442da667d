"""The `bench` command: LoRA training throughput on this machine against its own matmul peak,
and (reference "hf-peft") against Hugging Face transformers + PEFT on the same device, same run.

Random weights shaped like real base models (no download), a few timed training steps after
warm-up, and a large square matmul in the same run for the device's practical peak FLOP/s.
FLOPs are counted exactly for what a LoRA step computes (see `lora_step_flops`), not 6 x params.

    python3 -m trainer.bench --device cuda --models qwen2.5-0.5b,smollm2-135m --reference hf-peft \
        --batch 8 --seq-len 512 --steps 10          (from models/; one JSON line per model and batch)

The reference is the same architecture built by transformers from a config (random init, bf16
weights on CUDA, SDPA attention), wrapped by peft's LoraConfig with our rank, alpha, dropout and
target modules, fed the same token rows (packed rows: the same position ids, from which
transformers derives the same per-example attention), trained by the same AdamW under the same
autocast, and timed the same way. It computes logits at every position (as transformers does);
its share of the peak counts the same useful FLOPs as ours, so the two shares compare like the
two speeds.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

import torch

from . import devices
from .lora import DEFAULT_TARGETS, inject_lora
from .model import HAS_SDPA, CausalLM, ModelConfig, build_model, compile_blocks, compile_supported, init_random, segment_blocks, uncompile_blocks
from .protocol import WorkerError, emit, log
from .train import lm_loss_sum_at, loss_positions, make_optimizer

LORA_DROPOUT = 0.05

PRESETS = {
    "smollm2-135m": {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 576, "num_hidden_layers": 30,
        "num_attention_heads": 9, "num_key_value_heads": 3, "intermediate_size": 1536, "vocab_size": 49152,
        "tie_word_embeddings": True, "rope_theta": 100000.0, "rms_norm_eps": 1e-5,
    },
    "qwen2.5-0.5b": {
        "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 896, "num_hidden_layers": 24,
        "num_attention_heads": 14, "num_key_value_heads": 2, "intermediate_size": 4864, "vocab_size": 151936,
        "tie_word_embeddings": True, "rope_theta": 1000000.0, "rms_norm_eps": 1e-6,
    },
    "qwen3-0.6b": {
        "architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "hidden_size": 1024, "num_hidden_layers": 28,
        "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 128, "intermediate_size": 3072,
        "vocab_size": 151936, "tie_word_embeddings": True, "rope_theta": 1000000.0, "rms_norm_eps": 1e-6,
    },
}

FLOPS_COUNTING = (
    "exact matmul FLOPs of a LoRA step: frozen-base forward + activation gradients (no gradients for "
    "frozen weights) + LoRA forward/backward + attention scores and values (as computed: on the manual "
    "path each packed example's full LxL block, or the full SxS of an unpacked row; half of SxS for "
    "causal SDPA) + LM head at labelled positions only; elementwise ops and gradient-checkpointing "
    "recompute not counted"
)


def lora_step_flops(
    cfg: ModelConfig, batch: int, seq: int, labelled: int, r: int, causal_half: bool, attention_pairs: Optional[int] = None
) -> int:
    """Matmul FLOPs of one forward+backward of LoRA training (2 FLOPs per multiply-add).

    attention_pairs: the (query, key) pairs whose scores a head computes, summed over the batch's
    rows (see `attention_pairs`); None: batch * seq^2, or half of that with causal_half."""
    t = batch * seq
    h, hd = cfg.hidden_size, cfg.head_dim
    q_out, kv_out = cfg.num_heads * hd, cfg.num_kv_heads * hd
    linears = [("q", h, q_out), ("k", h, kv_out), ("v", h, kv_out), ("o", q_out, h),
               ("gate", h, cfg.intermediate_size), ("up", h, cfg.intermediate_size), ("down", cfg.intermediate_size, h)]
    total = 0
    for layer in range(cfg.num_layers):
        for name, n_in, n_out in linears:
            needs_input_grad = not (layer == 0 and name in ("q", "k", "v"))  # their input is the frozen embedding
            total += 2 * t * n_in * n_out * (2 if needs_input_grad else 1)  # forward (+ grad wrt input)
            lora_fwd = 2 * t * r * (n_in + n_out)
            # backward: grads of B and of the rank-r activation, grad of A (+ grad wrt input)
            total += lora_fwd + 2 * t * r * n_out * 2 + 2 * t * r * n_in * (2 if needs_input_grad else 1)
        if attention_pairs is None:
            pairs = batch * (seq * (seq + 1) / 2 if causal_half else seq * seq)
        else:
            pairs = attention_pairs
        attn_fwd = 2 * 2 * cfg.num_heads * pairs * hd  # q k^T and p v
        total += attn_fwd * 3  # backward: two matmuls per forward matmul
    total += 2 * labelled * h * cfg.vocab_size * 2  # LM head forward + grad wrt hidden
    return int(total)


def attention_pairs(rows: "Rows", sdpa: bool) -> int:
    """The (query, key) pairs per head whose scores our step computes on `rows`: half of each
    row's SxS with SDPA (which may skip the masked half: counted conservatively), else what the
    manual path computes: each packed example's LxL block (model.segment_blocks), or the whole
    SxS of a row that is not packed."""
    b, s = rows.input_ids.shape
    if sdpa:
        return b * s * (s + 1) // 2
    blocks = segment_blocks(rows.segments) if rows.segments is not None else None
    if blocks is None:
        return b * s * s
    return sum(n * n for row in blocks.lengths for n in row)


def peak_matmul(device: torch.device, dtype: torch.dtype, n: int, reps: int = 10) -> float:
    """FLOP/s of an n x n by n x n matmul in `dtype` on `device` (the practical peak)."""
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    for _ in range(3):
        _ = a @ b
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(reps):
        _ = a @ b
    _sync(device)
    return 2 * n**3 * reps / (time.perf_counter() - t0)


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()
    elif device.type == "mps":
        mps = getattr(torch, "mps", None)  # torch.mps: PyTorch >= 2.0
        if mps is not None and hasattr(mps, "synchronize"):
            mps.synchronize()


@dataclass
class Rows:
    """One bench batch on the device: packed rows as training packs them (train.collate_packed)."""

    input_ids: torch.Tensor  # [b, s]
    labels: torch.Tensor  # [b, s], -100 where there is no loss (the prompt part of each example)
    positions: Optional[torch.Tensor]  # [b, s], restarting at 0 per example (None: one example per row)
    segments: Optional[torch.Tensor]  # [b, s], 1..k per example (None: one example per row)
    index: torch.Tensor  # the labelled positions in the flattened rows (train.loss_positions)
    targets: torch.Tensor
    labelled: int
    packed_examples: int


def bench_rows(vocab_size: int, b: int, s: int, packed_examples: int, target_fraction: float, device: torch.device) -> Rows:
    """Random token rows: `packed_examples` examples of s/k tokens per row, positions restarting per
    example, the last `target_fraction` of each example labelled (prompt first, reply last).
    Seeded: the same rows for every model of a vocabulary, ours and the reference's."""
    gen = torch.Generator().manual_seed(0)
    input_ids = torch.randint(0, vocab_size, (b, s), generator=gen)
    labels = torch.randint(0, vocab_size, (b, s), generator=gen)
    k = min(packed_examples, s)
    bounds = [round(j * s / k) for j in range(k + 1)]
    positions = torch.zeros(b, s, dtype=torch.long)
    segments = torch.zeros(b, s, dtype=torch.long)
    for j in range(k):
        lo, hi = bounds[j], bounds[j + 1]
        positions[:, lo:hi] = torch.arange(hi - lo)
        segments[:, lo:hi] = j + 1
        labels[:, lo : hi - max(1, int(round((hi - lo) * target_fraction)))] = -100
    index, targets = loss_positions(labels)
    packed = k > 1
    return Rows(
        input_ids=input_ids.to(device),
        labels=labels.to(device),
        positions=positions.to(device) if packed else None,
        segments=segments.to(device) if packed else None,
        index=index.to(device),
        targets=targets.to(device),
        labelled=int(index.numel()),
        packed_examples=k,
    )


def time_steps(step: Callable[[], None], device: torch.device, warmup: int, steps: int) -> Tuple[List[float], float]:
    """(sorted step times in s, warm-up time in s). Each timed step is bracketed by device syncs;
    the warm-up steps (compilation, allocator, cuBLAS heuristics) are excluded from the times."""
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(warmup):
        step()
    _sync(device)
    warmup_s = time.perf_counter() - t0
    times = []
    for _ in range(steps):
        _sync(device)
        t0 = time.perf_counter()
        step()
        _sync(device)
        times.append(time.perf_counter() - t0)
    times.sort()
    return times, warmup_s


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"


def measure_ours(
    mcfg: ModelConfig, rows: Rows, cfg: Dict[str, Any], device: torch.device, base_dtype: torch.dtype, amp_dtype: Optional[torch.dtype]
) -> Dict[str, Any]:
    """Our LoRA step on `rows`: {"times", "warmup_s", "compiled", "compile_error", "params_total",
    "params_trainable", "fused_adamw"}. Compiles the blocks where compile_supported (or when
    cfg["compile"] is "on"); a compiler failure is reported and the step measured eagerly."""
    torch.manual_seed(0)
    model = init_random(build_model(mcfg, device, base_dtype), seed=0)
    inject_lora(model, r=cfg["lora_r"], alpha=2 * cfg["lora_r"], dropout=LORA_DROPOUT)
    model.gradient_checkpointing = cfg["gradient_checkpointing"]
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = make_optimizer(params, device, 1e-4, 0.0)
    want_compile = cfg["compile"] == "on" or (cfg["compile"] == "auto" and compile_supported(device))
    if want_compile:
        compile_blocks(model)

    def step() -> None:
        with devices.autocast(device, amp_dtype):
            loss = lm_loss_sum_at(model, rows.input_ids, rows.index, rows.targets, rows.positions, rows.segments) / rows.labelled
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    compile_error = None
    try:
        times, warmup_s = time_steps(step, device, max(cfg["warmup_steps"], 2 if want_compile else 0), cfg["steps"])
    except Exception as e:  # noqa: BLE001 - a compiler failure: measure eagerly and say so
        if not want_compile or devices.is_out_of_memory(e):
            raise
        compile_error = _first_line(e)
        log(f"torch.compile failed ({compile_error}); measuring without it")
        uncompile_blocks(model)
        opt.zero_grad(set_to_none=True)
        times, warmup_s = time_steps(step, device, cfg["warmup_steps"], cfg["steps"])
    out = {
        "times": times,
        "warmup_s": warmup_s,
        "compiled": want_compile and compile_error is None,
        "compile_error": compile_error,
        "params_total": model.num_parameters(),
        "params_trainable": model.num_parameters(trainable_only=True),
        "fused_adamw": bool(opt.defaults.get("fused")),
    }
    del model, opt, params
    devices.empty_cache(device)
    return out


def reference_available() -> Optional[str]:
    """None when transformers and peft import, else why not ("unavailable: ...")."""
    try:
        import peft  # noqa: F401  # pyright: ignore[reportMissingImports]
        import transformers  # noqa: F401  # pyright: ignore[reportMissingImports]
    except Exception as e:  # noqa: BLE001 - ImportError, or a broken install raising anything
        return f"unavailable: {_first_line(e)} (pip install transformers peft to compare)"
    return None


def measure_reference(
    name: str, rows: Rows, cfg: Dict[str, Any], device: torch.device, base_dtype: torch.dtype, amp_dtype: Optional[torch.dtype]
) -> Dict[str, Any]:
    """transformers + PEFT's LoRA step on the same rows: {"times", "warmup_s", "versions",
    "params_trainable"}. The preset's config.json through AutoConfig, random init in base_dtype
    on the device, SDPA attention, LoraConfig with our rank, alpha, dropout and targets."""
    import peft  # pyright: ignore[reportMissingImports]
    import transformers  # pyright: ignore[reportMissingImports]

    hf = dict(PRESETS[name])
    hf.pop("architectures", None)
    config = transformers.AutoConfig.for_model(hf.pop("model_type"), **hf)
    torch.manual_seed(0)
    with torch.device(device):  # pyright: ignore[reportGeneralTypeIssues]  # a context manager since PyTorch 2.0
        model = transformers.AutoModelForCausalLM.from_config(config, dtype=base_dtype, attn_implementation="sdpa")
    lora = peft.LoraConfig(
        r=cfg["lora_r"], lora_alpha=2 * cfg["lora_r"], lora_dropout=LORA_DROPOUT, target_modules=list(DEFAULT_TARGETS),
        bias="none", task_type="CAUSAL_LM",
    )
    model = peft.get_peft_model(model, lora)
    if cfg["gradient_checkpointing"]:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.enable_input_require_grads()
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = make_optimizer(params, device, 1e-4, 0.0)  # the same AdamW (fused on CUDA) as ours

    def step() -> None:
        with devices.autocast(device, amp_dtype):
            # labels are already aligned with the inputs (ours predict labels[i] at position i):
            # shift_labels tells transformers' loss not to shift them again
            out = model(
                input_ids=rows.input_ids, position_ids=rows.positions, labels=rows.labels, shift_labels=rows.labels,
                num_items_in_batch=rows.labelled,
            )
        out.loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    times, warmup_s = time_steps(step, device, cfg["warmup_steps"], cfg["steps"])
    out = {
        "times": times,
        "warmup_s": warmup_s,
        "versions": {"transformers": transformers.__version__, "peft": peft.__version__},
        "params_trainable": sum(p.numel() for p in params),
    }
    del model, opt, params
    devices.empty_cache(device)
    return out


def bench(cfg: Dict[str, Any]) -> int:
    """The worker's `bench` command (options.BENCH): one "bench" event per model and batch size.
    Raises WorkerError BAD_CONFIG for an unknown model, DEVICE_UNAVAILABLE for a missing device.
    Returns 0."""
    unknown = [m for m in cfg["models"] if m not in PRESETS]
    if unknown:
        raise WorkerError("BAD_CONFIG", f"unknown bench models {unknown} (known: {', '.join(PRESETS)})")
    device = devices.pick_device(cfg["device"])
    threads = devices.set_threads(device, cfg["threads"])
    base_dtype, amp_dtype, precision = devices.pick_precision(device, "auto")
    mm_dtype = amp_dtype or torch.float32
    mm_n = 2048 if device.type == "cpu" else 8192
    reference = cfg["reference"]
    unavailable = reference_available() if reference == "hf-peft" else None
    if unavailable:
        log(f"reference hf-peft {unavailable}")
    batch_sizes = cfg["batch_sizes"] or [cfg["batch_size"]]
    # The practical peak is the best of measurements before and after each model (a busy machine
    # only lowers a measurement, so the max keeps the efficiency honest).
    peak = peak_matmul(device, mm_dtype, mm_n)
    for n, name in enumerate(cfg["models"]):
        mcfg = ModelConfig.from_hf(PRESETS[name])
        if n > 0:
            _reset_compiler()  # a new shape of model: compile it static, not as a dynamic variant of the last
        for b in batch_sizes:
            s = cfg["seq_len"]
            rows = bench_rows(mcfg.vocab_size, b, s, cfg["packed_examples"], cfg["target_fraction"], device)
            ours = measure_ours(mcfg, rows, cfg, device, base_dtype, amp_dtype)
            ref: Optional[Dict[str, Any]] = None
            ref_status = "none" if reference == "none" else (unavailable or "hf-peft")
            if reference == "hf-peft" and not unavailable:
                try:
                    ref = measure_reference(name, rows, cfg, device, base_dtype, amp_dtype)
                except Exception as e:  # noqa: BLE001 - the comparison must not cost our own numbers
                    if devices.is_out_of_memory(e):
                        devices.empty_cache(device)
                    ref_status = f"failed: {_first_line(e)}"
                    log(f"reference hf-peft for {name} failed: {ref_status}")
            peak = max(peak, peak_matmul(device, mm_dtype, mm_n))
            log(f"peak {mm_n}x{mm_n} {precision} matmul on {device}: {peak / 1e9:.1f} GFLOP/s ({threads} threads)")
            emit("bench", **_line(name, mcfg, rows, cfg, device, precision, threads, peak, f"{mm_n}x{mm_n} {precision}", ours, ref, ref_status))
            del rows
    return 0


def _reset_compiler() -> None:
    dynamo = getattr(torch, "_dynamo", None)
    if dynamo is not None and hasattr(dynamo, "reset"):
        dynamo.reset()


def _line(
    name: str, mcfg: ModelConfig, rows: Rows, cfg: Dict[str, Any], device: torch.device, precision: str, threads: int,
    peak: float, peak_name: str, ours: Dict[str, Any], ref: Optional[Dict[str, Any]], ref_status: str,
) -> Dict[str, Any]:
    b, s = rows.input_ids.shape
    times = ours["times"]
    dt = times[len(times) // 2]  # the median step: robust to other load on the machine
    flops = lora_step_flops(mcfg, b, s, rows.labelled, cfg["lora_r"], HAS_SDPA, attention_pairs(rows, HAS_SDPA))
    line: Dict[str, Any] = {
        "model": name,
        "device": device.type,
        "dtype": precision,
        "threads": threads,
        "seq_len": s,
        "batch_size": b,
        "packed_examples": rows.packed_examples,
        "labelled_positions": rows.labelled,
        "params_total": ours["params_total"],
        "params_trainable": ours["params_trainable"],
        "step_s": dt,
        "step_s_min": times[0],
        "tokens_per_s": b * s / dt,
        "train_flops_per_step": flops,
        "train_flops_per_s": flops / dt,
        "six_n_flops_per_s": 6 * ours["params_total"] * b * s / dt,
        "peak_matmul_flops_per_s": peak,
        "peak_matmul": peak_name,
        "efficiency": flops / dt / peak,
        "efficiency_best_step": flops / times[0] / peak,
        "compiled": ours["compiled"],
        "compile_error": ours["compile_error"],
        "warmup_s": ours["warmup_s"],
        "fused_adamw": ours["fused_adamw"],
        "sdpa": HAS_SDPA,
        "gradient_checkpointing": cfg["gradient_checkpointing"],
        "steps": cfg["steps"],
        "reference": ref_status,
        "flops_counting": FLOPS_COUNTING,
    }
    if ref is not None:
        rt = ref["times"][len(ref["times"]) // 2]
        line.update(
            reference_step_s=rt,
            reference_step_s_min=ref["times"][0],
            reference_tokens_per_s=b * s / rt,
            reference_efficiency=flops / rt / peak,
            reference_warmup_s=ref["warmup_s"],
            reference_params_trainable=ref["params_trainable"],
            reference_versions=ref["versions"],
            ratio=rt / dt,  # ours / reference, in tokens per second
        )
    return line


def main(argv: Optional[List[str]] = None) -> int:
    """`python3 -m trainer.bench ...` without Node: the worker's bench config from flags; prints
    the "bench" events as JSON lines on stdout (logs on stderr). Exit 1 on a bad flag value."""
    from .options import SPECS, validate

    parser = argparse.ArgumentParser(prog="python3 -m trainer.bench", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--device", default="auto", help="auto, cuda, mps or cpu")
    parser.add_argument("--models", default="smollm2-135m,qwen2.5-0.5b", help=f"comma-separated, of {', '.join(PRESETS)}")
    parser.add_argument("--reference", default="none", help="none or hf-peft (transformers + PEFT, same run)")
    parser.add_argument("--batch", type=int, default=1, help="rows per step")
    parser.add_argument("--batch-sizes", default="", help="comma-separated batch sizes to sweep (overrides --batch)")
    parser.add_argument("--seq-len", type=int, default=512)
    parser.add_argument("--steps", type=int, default=3, help="timed steps (the median is reported)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps first (at least 2 when compiling)")
    parser.add_argument("--packed-examples", type=int, default=4)
    parser.add_argument("--compile", default="auto", help="auto (CUDA with PyTorch >= 2.5), on or off")
    parser.add_argument("--gradient-checkpointing", action="store_true", help="recompute activations (both sides)")
    parser.add_argument("--lora-r", type=int, default=16)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    try:
        sizes = [int(x) for x in args.batch_sizes.split(",") if x.strip()]
    except ValueError:
        print(f"--batch-sizes {args.batch_sizes!r} must be comma-separated integers, e.g. 1,2,4,8", file=sys.stderr)
        return 1
    raw = {
        "models": [m for m in args.models.split(",") if m], "device": args.device, "reference": args.reference,
        "batch_size": args.batch, "batch_sizes": sizes or None, "seq_len": args.seq_len, "steps": args.steps,
        "warmup_steps": args.warmup, "packed_examples": args.packed_examples, "compile": args.compile,
        "gradient_checkpointing": args.gradient_checkpointing, "lora_r": args.lora_r, "threads": args.threads,
    }
    try:
        return bench(validate(raw, SPECS["bench"]))
    except WorkerError as e:
        print(f"trainer.bench: {e.message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
