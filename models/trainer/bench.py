"""The `bench` command: LoRA training throughput on this machine against its own matmul peak.

Random weights shaped like real base models (no download), a few timed training steps after
warm-up, and a large square matmul in the same run for the device's practical peak FLOP/s.
FLOPs are counted exactly for what a LoRA step computes (see `lora_step_flops`), not 6 x params.
"""

import time

import torch

from . import devices
from .lora import inject_lora
from .model import HAS_SDPA, ModelConfig, build_model, init_random
from .protocol import WorkerError, emit, log
from .train import lm_loss_sum

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
    "frozen weights) + LoRA forward/backward + attention scores and values (as computed: full SxS on "
    "the manual path, half for causal SDPA) + LM head at labelled positions only; elementwise ops and "
    "gradient-checkpointing recompute not counted"
)


def lora_step_flops(cfg: ModelConfig, batch, seq, labelled, r, causal_half):
    """Matmul FLOPs of one forward+backward of LoRA training (2 FLOPs per multiply-add)."""
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
        pairs = seq * (seq + 1) / 2 if causal_half else seq * seq
        attn_fwd = 2 * 2 * batch * cfg.num_heads * pairs * hd  # q k^T and p v
        total += attn_fwd * 3  # backward: two matmuls per forward matmul
    total += 2 * labelled * h * cfg.vocab_size * 2  # LM head forward + grad wrt hidden
    return int(total)


def peak_matmul(device, dtype, n, reps=10):
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    for _ in range(3):
        a @ b
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(reps):
        a @ b
    _sync(device)
    return 2 * n**3 * reps / (time.perf_counter() - t0)


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()
    elif device.type == "mps" and hasattr(torch, "mps") and hasattr(torch.mps, "synchronize"):
        torch.mps.synchronize()


def bench(cfg):
    unknown = [m for m in cfg["models"] if m not in PRESETS]
    if unknown:
        raise WorkerError("BAD_CONFIG", f"unknown bench models {unknown} (known: {', '.join(PRESETS)})")
    device = devices.pick_device(cfg["device"])
    threads = devices.set_threads(device, cfg["threads"])
    base_dtype, amp_dtype, precision = devices.pick_precision(device, "auto")
    mm_dtype = amp_dtype or torch.float32
    mm_n = 2048 if device.type == "cpu" else 8192
    # The practical peak is the best of measurements before and after each model (a busy machine
    # only lowers a measurement, so the max keeps the efficiency honest).
    peak = peak_matmul(device, mm_dtype, mm_n)
    for name in cfg["models"]:
        mcfg = ModelConfig.from_hf(PRESETS[name])
        torch.manual_seed(0)
        model = init_random(build_model(mcfg, device, base_dtype), seed=0)
        inject_lora(model, r=cfg["lora_r"], alpha=2 * cfg["lora_r"], dropout=0.05)
        model.gradient_checkpointing = device.type == "cuda"
        model.train()
        params = [p for p in model.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(params, lr=1e-4)
        b, s = cfg["batch_size"], cfg["seq_len"]
        gen = torch.Generator().manual_seed(0)
        input_ids = torch.randint(0, mcfg.vocab_size, (b, s), generator=gen).to(device)
        labels = torch.randint(0, mcfg.vocab_size, (b, s), generator=gen)
        # Rows packed as training packs them (train.collate_packed): `k` examples of s/k tokens
        # each, positions restarting per example, block-diagonal causal attention.
        k = min(cfg["packed_examples"], s)
        bounds = [round(j * s / k) for j in range(k + 1)]
        positions = torch.zeros(b, s, dtype=torch.long)
        segments = torch.zeros(b, s, dtype=torch.long)
        for j in range(k):
            lo, hi = bounds[j], bounds[j + 1]
            positions[:, lo:hi] = torch.arange(hi - lo)
            segments[:, lo:hi] = j + 1
            labels[:, lo : hi - max(1, int(round((hi - lo) * cfg["target_fraction"])))] = -100  # prompt first, reply last
        labelled = int((labels != -100).sum())
        labels = labels.to(device)
        positions, segments = (positions.to(device), segments.to(device)) if k > 1 else (None, None)

        def step():
            with devices.autocast(device, amp_dtype):
                loss = lm_loss_sum(model, input_ids, labels, positions, segments) / labelled
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)

        params_total, params_trainable = model.num_parameters(), model.num_parameters(trainable_only=True)
        for _ in range(cfg["warmup_steps"]):
            step()
        times = []
        for _ in range(cfg["steps"]):
            _sync(device)
            t0 = time.perf_counter()
            step()
            _sync(device)
            times.append(time.perf_counter() - t0)
        times.sort()
        dt = times[len(times) // 2]  # the median step: robust to other load on the machine
        del model, opt
        devices.empty_cache(device)
        peak = max(peak, peak_matmul(device, mm_dtype, mm_n))
        log(f"peak {mm_n}x{mm_n} {precision} matmul on {device}: {peak / 1e9:.1f} GFLOP/s ({threads} threads)")
        causal_half = HAS_SDPA  # SDPA (PyTorch 2) may skip the masked half: count only that half (conservative)
        flops = lora_step_flops(mcfg, b, s, labelled, cfg["lora_r"], causal_half)
        emit(
            "bench",
            model=name,
            device=device.type,
            dtype=precision,
            threads=threads,
            seq_len=s,
            batch_size=b,
            packed_examples=k,
            labelled_positions=labelled,
            params_total=params_total,
            params_trainable=params_trainable,
            step_s=dt,
            step_s_min=times[0],
            tokens_per_s=b * s / dt,
            train_flops_per_step=flops,
            train_flops_per_s=flops / dt,
            six_n_flops_per_s=6 * params_total * b * s / dt,
            peak_matmul_flops_per_s=peak,
            peak_matmul=f"{mm_n}x{mm_n} {precision}",
            efficiency=flops / dt / peak,
            efficiency_best_step=flops / times[0] / peak,
            flops_counting=FLOPS_COUNTING,
        )
    return 0
