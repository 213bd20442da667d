#!/usr/bin/env python3
"""Proof that the trainer's CUDA path trains: the worker's `train` on a tiny random model, on the GPU.

    python3 bench/device/train_cuda_smoke.py [--device cuda|cpu] [--steps 40]     (from the repo root)

Makes the Python tests' tiny Llama-shaped model and their fixed-reply shards (models/trainer/tests/
fixtures.py: no Node, no download), runs `worker.py train` on the device with the default
precision (bf16 on a recent GPU), then checks what a user relies on: exit 0, a "done" event,
the eval loss well below the base model's, the adapter files written. Prints one JSON line
({"check": "train-smoke", "ok": ...}); exit 1 when a check fails. --device cpu is the dry run.
"""

import argparse
import json
import os
import statistics
import sys
import time

MODELS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "models")
sys.path.insert(0, MODELS)

from trainer.tests.fixtures import fixed_reply_shards, run_worker, tiny_model, tmpdir, train_config  # noqa: E402  # pyright: ignore[reportMissingImports]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--timeout", type=int, default=240, help="seconds for the worker")
    args = parser.parse_args()
    t0 = time.perf_counter()
    model, data, out = tiny_model("llama"), fixed_reply_shards(tmpdir("data")), tmpdir("run")
    every = max(1, args.steps // 2)
    config = train_config(model, data, out, device=args.device, precision="auto", max_steps=args.steps, eval_every=every,
                          checkpoint_every=every, batch_size=8)
    rc, events, stderr = run_worker("train", config, timeout=args.timeout)
    done = [e for e in events if e["event"] == "done"]
    steps = [e for e in events if e["event"] == "step"]
    metrics = done[-1]["metrics"] if done else {}
    base, final = metrics.get("base_eval_loss"), metrics.get("eval_loss")
    adapter = all(os.path.isfile(os.path.join(out, f)) for f in ("adapter_config.json", "adapter_model.safetensors"))
    checks = {
        "exit_0": rc == 0,
        "done_event": bool(done),
        "loss_fell": base is not None and final is not None and final < base - 1.0,
        "adapter_saved": adapter,
        "every_step_reported": [e["step"] for e in steps] == list(range(1, args.steps + 1)),
    }
    line = {
        "check": "train-smoke",
        "ok": all(checks.values()),
        "checks": checks,
        "device": metrics.get("device"),
        "dtype": metrics.get("dtype"),
        "base_eval_loss": base,
        "eval_loss": final,
        "train_loss_first": steps[0]["loss"] if steps else None,
        "train_loss_last": steps[-1]["loss"] if steps else None,
        "steps": len(steps),
        "median_step_tokens_per_s": statistics.median(e["tokens_per_s"] for e in steps[len(steps) // 2 :]) if steps else None,
        "compiled": "compiling the decoder blocks" in stderr and "torch.compile failed" not in stderr,
        "compile_fallback": "torch.compile failed" in stderr,
        "seconds": round(time.perf_counter() - t0, 2),
        "stderr_tail": stderr[-1500:] if rc != 0 or "torch.compile failed" in stderr else "",
    }
    print(json.dumps(line), flush=True)
    return 0 if line["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
