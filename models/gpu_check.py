"""Checks that need what CI does not have: `transformers`, `peft` and a CUDA GPU.

    python3 models/gpu_check.py OUT_DIR

1. Parity with transformers: for each supported family (Llama, Llama with Llama-3 RoPE scaling and
   biases, Qwen2, Qwen3) a small random model made by transformers; our model's logits against
   transformers' (eager attention, fp32), on the CPU and on the GPU, with padding and with a cache.
   Each case is saved as OUT_DIR/golden-<case>.safetensors: the weights, the config (metadata),
   the inputs and transformers' logits, so CI checks the same parity without transformers
   (trainer/tests/test_golden.py).
2. PEFT: an adapter saved by our worker loads with `peft.PeftModel` and gives our logits; an
   adapter saved by peft loads into our model and gives peft's logits.
3. Training on CUDA: the worker's `train` on a tiny model in bf16 (loss falls, adapter written) and
   `bench` (a bf16 LoRA step at sequence length 512 on models shaped like SmolLM2-135M,
   Qwen2.5-0.5B and Qwen3-0.6B, against the device's bf16 matmul peak).

Writes OUT_DIR/report.json; prints one line per check. Exit 1 when a check fails.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import traceback

from typing import Any

import torch
import torch.backends.cuda  # named so the type checker knows torch.backends (old torch's stubs omit it)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from trainer.lora import adapter_config, inject_lora, load_adapter, lora_layers, save_adapter  # noqa: E402
from trainer.model import load_model  # noqa: E402
from trainer.safetensors_io import save_file  # noqa: E402

TOLERANCE = 1e-4
CASES = {
    "llama": {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64, "intermediate_size": 128,
        "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 320,
        "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": True, "max_position_embeddings": 256,
    },
    "llama3-scaled-bias": {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64, "intermediate_size": 96,
        "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 1, "vocab_size": 300,
        "rms_norm_eps": 1e-5, "rope_theta": 500000.0, "tie_word_embeddings": False, "attention_bias": True,
        "mlp_bias": True, "max_position_embeddings": 1024,
        "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 64},
    },
    "qwen2": {
        "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 64, "intermediate_size": 128,
        "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 320,
        "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "tie_word_embeddings": False, "max_position_embeddings": 256,
    },
    "qwen3": {
        "architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "hidden_size": 64, "intermediate_size": 128,
        "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 32, "vocab_size": 320,
        "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "tie_word_embeddings": True, "max_position_embeddings": 256,
    },
}

report = {"torch": torch.__version__, "cuda": torch.cuda.is_available(), "checks": []}
failed = []


def check(name, fn):
    t0 = time.time()
    try:
        result: dict[str, Any] = fn()
        ok = result.pop("ok", True)
    except Exception as e:  # a broken check is reported, the others still run
        result, ok = {"error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()[-2000:]}, False
    result.update(name=name, ok=ok, seconds=round(time.time() - t0, 2))
    report["checks"].append(result)
    if not ok:
        failed.append(name)
    print(("PASS " if ok else "FAIL ") + json.dumps({k: v for k, v in result.items() if k != "trace"}), flush=True)
    if not ok and "trace" in result:
        print(result["trace"], flush=True)


def inputs(vocab):
    """Two rows: a full one and one left-padded by 3 (as transformers.js pads a batch)."""
    gen = torch.Generator().manual_seed(1)
    ids = torch.randint(3, vocab, (2, 12), generator=gen)
    mask = torch.ones(2, 12, dtype=torch.long)
    mask[1, :3] = 0
    ids[1, :3] = 0
    pos = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 1)
    return ids, mask, pos


def hf_model(case):
    from transformers import AutoConfig, AutoModelForCausalLM  # pyright: ignore[reportMissingImports] - GPU machines only

    torch.manual_seed(0)
    config = AutoConfig.for_model(**{k: v for k, v in CASES[case].items() if k != "architectures"})
    config.architectures = CASES[case]["architectures"]
    model = AutoModelForCausalLM.from_config(config, attn_implementation="eager").float()
    with torch.no_grad():  # random norms and biases too, so a wrong norm or bias cannot hide
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1 + 0.1 * torch.randn_like(p))
            elif name.endswith(".bias"):
                p.copy_(0.05 * torch.randn_like(p))
    return model.eval()


def saved_config(model):
    """config.json as this transformers version writes it (v5 moves RoPE settings to rope_parameters)."""
    return json.loads(model.config.to_json_string())


def weights_of(model, tied):
    sd = {k: v.detach().contiguous().clone() for k, v in model.state_dict().items()}
    if tied:
        sd.pop("lm_head.weight", None)
    return sd


def write_model_dir(config, weights):
    d = tempfile.mkdtemp(prefix="gpu-check-model-")
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(config, f)
    save_file(weights, os.path.join(d, "model.safetensors"))
    return d


def our_logits(model, ids, mask, pos, device, split=8):
    """Full-sequence logits, and the same through the cache (prefix of `split`, then the rest)."""
    model = model.to(device)
    ids, mask, pos = ids.to(device), mask.to(device), pos.to(device)
    with torch.no_grad():
        full, _ = model(ids, attention_mask=mask, position_ids=pos)
        first, past = model(ids[:, :split], attention_mask=mask[:, :split], position_ids=pos[:, :split], use_cache=True)
        rest, _ = model(ids[:, split:], attention_mask=mask, position_ids=pos[:, split:], past_key_values=past, use_cache=True)
    return full.float().cpu(), torch.cat([first, rest], 1).float().cpu()


def parity(case, out_dir):
    def run():
        hf = hf_model(case)
        ids, mask, pos = inputs(CASES[case]["vocab_size"])
        with torch.no_grad():
            ref = hf(input_ids=ids, attention_mask=mask, position_ids=pos).logits.float()
        real = mask.bool()
        weights = weights_of(hf, CASES[case]["tie_word_embeddings"])
        config = saved_config(hf)
        ours = load_model(write_model_dir(config, weights))
        result = {"rope": config.get("rope_parameters") or config.get("rope_scaling")}
        for device in ["cpu"] + (["cuda"] if torch.cuda.is_available() else []):
            if device == "cuda":
                torch.backends.cuda.matmul.allow_tf32 = False
            full, cached = our_logits(ours, ids, mask, pos, device)
            result[f"{device}_max_abs_diff"] = (full - ref)[real].abs().max().item()
            result[f"{device}_cached_max_abs_diff"] = (cached - ref)[real].abs().max().item()
        result["ok"] = all(v < TOLERANCE for k, v in result.items() if k.endswith("diff"))
        golden = {f"weights.{k}": v for k, v in weights.items()}
        golden.update(input_ids=ids, attention_mask=mask, position_ids=pos, logits=ref.contiguous())
        import transformers  # pyright: ignore[reportMissingImports] - GPU machines only

        save_file(golden, os.path.join(out_dir, f"golden-{case}.safetensors"), metadata={"config": json.dumps(config), "transformers": transformers.__version__, "torch": torch.__version__})
        return result

    check(f"parity:{case}", run)


def peft_both_ways():
    from peft import LoraConfig, PeftModel, get_peft_model  # pyright: ignore[reportMissingImports] - GPU machines only

    case = "qwen2"
    ids, mask, pos = inputs(CASES[case]["vocab_size"])
    real = mask.bool()
    result = {}
    # Ours -> peft.
    ours = load_model(write_model_dir(saved_config(hf_model(case)), weights_of(hf_model(case), False)))
    targets = inject_lora(ours, r=4, alpha=8, dropout=0.0)
    gen = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for _, m in lora_layers(ours):
            m.lora_A.copy_(0.2 * torch.randn(m.lora_A.shape, generator=gen))
            m.lora_B.copy_(0.2 * torch.randn(m.lora_B.shape, generator=gen))
    ours.eval()
    adapter_dir = tempfile.mkdtemp(prefix="gpu-check-adapter-")
    save_adapter(ours, adapter_dir, adapter_config(4, 8, 0.0, None, "tiny"))
    with torch.no_grad():
        mine, _ = ours(ids, attention_mask=mask, position_ids=pos)
        base = hf_model(case)(input_ids=ids, attention_mask=mask, position_ids=pos).logits
        peft_model = PeftModel.from_pretrained(hf_model(case), adapter_dir).eval()
        theirs = peft_model(input_ids=ids, attention_mask=mask, position_ids=pos).logits
    result["ours_to_peft_max_abs_diff"] = (mine - theirs)[real].abs().max().item()
    result["adapter_effect"] = (theirs - base)[real].abs().max().item()  # the adapter really changed the output
    result["wrapped_modules"] = len(targets)
    # peft -> ours.
    hf = hf_model(case)
    peft_model = get_peft_model(hf, LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]))
    with torch.no_grad():
        for n, p in peft_model.named_parameters():
            if "lora_" in n:
                p.copy_(0.2 * torch.randn(p.shape, generator=gen))
    peft_dir = tempfile.mkdtemp(prefix="gpu-check-peft-")
    peft_model.save_pretrained(peft_dir)
    ours2 = load_model(write_model_dir(saved_config(hf_model(case)), weights_of(hf_model(case), False)))
    load_adapter(ours2, peft_dir)
    with torch.no_grad():
        theirs2 = peft_model.eval()(input_ids=ids, attention_mask=mask, position_ids=pos).logits
        mine2, _ = ours2(ids, attention_mask=mask, position_ids=pos)
    result["peft_to_ours_max_abs_diff"] = (mine2 - theirs2)[real].abs().max().item()
    with open(os.path.join(peft_dir, "adapter_config.json")) as f:
        result["peft_saved_keys_sample"] = sorted(json.load(f).keys())[:8]
    result["ok"] = result["ours_to_peft_max_abs_diff"] < TOLERANCE and result["peft_to_ours_max_abs_diff"] < TOLERANCE and result["adapter_effect"] > 1e-2
    return result


def worker(command, config, timeout=300):
    proc = subprocess.run([sys.executable, os.path.join(HERE, "trainer", "worker.py"), command, "--config", "-"], input=json.dumps(config), capture_output=True, text=True, timeout=timeout)
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    return proc.returncode, events, proc.stderr[-3000:]


def cuda_train():
    from trainer.tests.fixtures import fixed_reply_shards, tiny_model, tmpdir, train_config

    out = tmpdir("cuda-run")
    config = train_config(tiny_model("qwen3"), fixed_reply_shards(tmpdir("data")), out, device="cuda", max_steps=40, eval_every=20, batch_size=8)
    rc, events, stderr = worker("train", config)
    start = next((e for e in events if e["event"] == "start"), {})
    done = next((e for e in events if e["event"] == "done"), {})
    metrics = done.get("metrics", {})
    steps = [e for e in events if e["event"] == "step"]
    return {
        "rc": rc,
        "device": start.get("device"),
        "dtype": start.get("dtype"),
        "base_eval_loss": metrics.get("base_eval_loss"),
        "eval_loss": metrics.get("eval_loss"),
        "median_step_tokens_per_s": sorted(e["tokens_per_s"] for e in steps)[len(steps) // 2] if steps else None,
        "adapter": os.path.isfile(os.path.join(out, "adapter_model.safetensors")),
        "stderr_tail": stderr[-600:] if rc else "",
        "ok": rc == 0 and start.get("device") == "cuda" and metrics.get("eval_loss", 99) < metrics.get("base_eval_loss", 0) - 2,
    }


def cuda_bench():
    rc, events, stderr = worker("bench", {"models": ["smollm2-135m", "qwen2.5-0.5b", "qwen3-0.6b"], "seq_len": 512, "steps": 8, "device": "cuda"}, timeout=400)
    rows = [{k: e.get(k) for k in ("model", "device", "dtype", "batch_size", "seq_len", "step_s", "tokens_per_s", "train_flops_per_s", "peak_matmul_flops_per_s", "peak_matmul", "efficiency")} for e in events if e["event"] == "bench"]
    return {"rc": rc, "rows": rows, "stderr_tail": stderr[-600:] if rc else "", "ok": rc == 0 and len(rows) == 3}


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "gpu-check-out"
    os.makedirs(out_dir, exist_ok=True)
    try:
        import peft  # pyright: ignore[reportMissingImports] - GPU machines only
        import transformers  # pyright: ignore[reportMissingImports]

        report.update(transformers=transformers.__version__, peft=peft.__version__)
    except ImportError as e:
        print(f"gpu_check needs transformers and peft: {e}", file=sys.stderr)
        return 2
    if torch.cuda.is_available():
        report["gpu"] = torch.cuda.get_device_name(0)
    for case in CASES:
        parity(case, out_dir)
    check("peft:both-ways", peft_both_ways)
    if torch.cuda.is_available():
        check("cuda:train-bf16", cuda_train)
        check("cuda:bench-bf16", cuda_bench)
    with open(os.path.join(out_dir, "report.json"), "w") as f:
        json.dump(report, f, indent=2)
    print(f"{len(report['checks']) - len(failed)} of {len(report['checks'])} checks passed" + (f"; failed: {failed}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
