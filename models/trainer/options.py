"""Each command's config keys, defaults and checks. Every problem is collected, then reported at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .protocol import WorkerError

REQUIRED = object()


class Opt:
    """One config key: accepted types, default (REQUIRED if none), an optional check and its hint."""

    def __init__(
        self,
        types: type | tuple[type, ...],
        default: Any = REQUIRED,
        check: Callable[[Any], bool] | None = None,
        hint: str = "",
        nullable: bool = False,
        spec: dict[str, Opt] | None = None,
    ) -> None:
        self.types = types if isinstance(types, tuple) else (types,)
        self.default, self.check, self.hint, self.nullable, self.spec = default, check, hint, nullable, spec


def _type_ok(value: Any, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool):
        return bool in types  # bool is an int subclass: never accept it as a number
    if isinstance(value, int) and float in types:
        return True
    return isinstance(value, types)


def _type_name(types: tuple[type, ...]) -> str:
    return " or ".join({int: "integer", float: "number", str: "string", bool: "boolean", list: "array", dict: "object"}[t] for t in types)


def validate(config: Any, spec: dict[str, Opt], where: str = "") -> dict[str, Any]:
    """Return config with defaults filled in, or raise BAD_CONFIG listing every problem."""
    problems = []
    out = _validate(config, spec, where, problems)
    if problems:
        raise WorkerError("BAD_CONFIG", "; ".join(problems))
    return out


def _validate(config: Any, spec: dict[str, Opt], where: str, problems: list[str]) -> dict[str, Any]:
    if not isinstance(config, dict):
        problems.append(f"{where or 'config'} must be a JSON object")
        return {}
    out: dict[str, Any] = {}
    for key in sorted(set(config) - set(spec)):
        problems.append(f"unknown key {where}{key} (known: {', '.join(sorted(spec))})")
    for key, opt in spec.items():
        name = where + key
        if key not in config:
            if opt.default is REQUIRED:
                problems.append(f"{name} is required")
            elif opt.spec is not None:  # a missing section gets all its defaults
                out[key] = _validate({}, opt.spec, name + ".", problems)
            else:
                out[key] = opt.default() if callable(opt.default) else opt.default
            continue
        value = config[key]
        if value is None:
            if not opt.nullable:
                problems.append(f"{name} must not be null")
            out[key] = None
            continue
        if not _type_ok(value, opt.types):
            problems.append(f"{name} must be a {_type_name(opt.types)}, got {type(value).__name__}")
            continue
        if opt.spec is not None:
            value = _validate(value, opt.spec, name + ".", problems)
        elif opt.check is not None and not opt.check(value):
            problems.append(f"{name} = {value!r} is invalid: {opt.hint}")
            continue
        out[key] = value
    return out


def _positive(v: float) -> bool:
    return v > 0


def _non_negative(v: float) -> bool:
    return v >= 0


def _int_lists(v: list[Any]) -> bool:
    return len(v) > 0 and all(isinstance(row, list) and all(isinstance(t, int) and not isinstance(t, bool) and t >= 0 for t in row) for row in v)


DEVICE = Opt(str, "auto", lambda v: v in ("auto", "cuda", "mps", "cpu"), "one of auto, cuda, mps, cpu")
THREADS = Opt(int, None, _positive, "a positive number of CPU threads", nullable=True)

LORA = {
    "r": Opt(int, 16, _positive, "the LoRA rank must be positive"),
    "alpha": Opt(float, 32, _positive, "must be positive"),
    "dropout": Opt(float, 0.05, lambda v: 0 <= v < 1, "must be in [0, 1)"),
    "target_modules": Opt((list, str), None, lambda v: isinstance(v, str) or (len(v) > 0 and all(isinstance(x, str) for x in v)),
                          "a non-empty list of module names such as q_proj, or a regex", nullable=True),
}

TRAIN = {
    "model_dir": Opt(str),
    "data_dir": Opt(str),
    "out_dir": Opt(str),
    "device": DEVICE,
    "precision": Opt(str, "auto", lambda v: v in ("auto", "fp32", "bf16", "fp16"), "one of auto, fp32, bf16, fp16"),
    "seed": Opt(int, 1234),
    "lora": Opt(dict, dict, spec=LORA),
    "lr": Opt(float, 2e-4, _positive, "must be positive"),
    "min_lr_ratio": Opt(float, 0.0, lambda v: 0 <= v <= 1, "the cosine floor as a fraction of lr, in [0, 1]"),
    "weight_decay": Opt(float, 0.0, _non_negative, "must be >= 0"),
    "warmup_steps": Opt(int, 10, _non_negative, "must be >= 0"),
    "max_steps": Opt(int, None, _positive, "must be positive (or null to use epochs)", nullable=True),
    "epochs": Opt(float, 1.0, _positive, "must be positive"),
    "batch_size": Opt(int, 4, _positive, "must be positive"),
    "grad_accum": Opt(int, 1, _positive, "must be positive"),
    "pack": Opt(bool, True),  # several examples per row (block-diagonal attention) instead of padding
    "max_grad_norm": Opt(float, 1.0, _non_negative, "must be >= 0 (0 disables clipping)"),
    "max_seq_len": Opt(int, None, lambda v: v >= 2, "must be at least 2 (null: the data's max_seq_len)", nullable=True),
    "eval_every": Opt(int, None, _positive, "must be positive (or null)", nullable=True),
    "eval_batch_size": Opt(int, None, _positive, "must be positive (null: batch_size)", nullable=True),
    "checkpoint_every": Opt(int, 50, _positive, "must be positive"),
    "gradient_checkpointing": Opt((bool, str), "auto", lambda v: v in (True, False, "auto"), "true, false or auto (CUDA only)"),
    "resume": Opt(bool, False),
    "threads": THREADS,
}

EXPORT = {
    "model_dir": Opt(str),
    "adapter_dir": Opt(str, None, nullable=True),
    "out_dir": Opt(str),
    "opset": Opt(int, 17, lambda v: 14 <= v <= 20, "an ONNX opset between 14 and 20"),
    "external_data": Opt((bool, str), "auto", lambda v: v in (True, False, "auto"),
                         "true (always write onnx/model.onnx_data), false, or auto (only above 2 GB)"),
    "num_logits_to_keep": Opt(bool, False),  # add transformers.js's optional input: logits of the last k positions only
    "weights": Opt(str, "fp32", lambda v: v in ("fp32", "int8"),
                   "fp32, or int8 (linear layers in 8-bit blocks of 32, onnxruntime's MatMulNBits: a quarter of the memory traffic)"),
    "attention": Opt(str, "gqa", lambda v: v in ("matmul", "gqa"),
                     "gqa (the default: onnxruntime's GroupQueryAttention, the cache kept in fixed buffers with the new "
                     "rows as outputs kv_rows.*; no left padding), or matmul (MatMul/Softmax nodes, cache grown by Concat; "
                     "any attention_mask)"),
    "threads": THREADS,
}

EXPORT_GGUF = {
    "model_dir": Opt(str),
    "adapter_dir": Opt(str, None, nullable=True),
    "out_file": Opt(str),
    "precision": Opt(str, "f16", lambda v: v in ("f32", "f16", "q8_0"), "one of f32, f16, q8_0"),
    "threads": THREADS,
}

LOGITS = {
    "model_dir": Opt(str),
    "adapter_dir": Opt(str, None, nullable=True),
    "input_ids": Opt(list, check=_int_lists, hint="a non-empty list of rows of token ids, all the same length"),
    "attention_mask": Opt(list, None, _int_lists, "rows of 0/1 shaped like input_ids", nullable=True),
    "out_file": Opt(str),
    "past_len_split": Opt(int, None, _positive, "must be positive and shorter than the rows", nullable=True),
    "device": Opt(str, "cpu", lambda v: v in ("auto", "cuda", "mps", "cpu"), "one of auto, cuda, mps, cpu"),
    "threads": THREADS,
}

GENERATE = {
    "model_dir": Opt(str),
    "adapter_dir": Opt(str, None, nullable=True),
    "prompts": Opt(list, check=_int_lists, hint="a non-empty list of prompts, each a list of token ids"),
    "max_new_tokens": Opt(int, 128, _positive, "must be positive"),
    "eos_token_ids": Opt(list, list, lambda v: all(isinstance(t, int) for t in v), "a list of token ids ([]: generation_config.json's)"),
    "greedy": Opt(bool, True),
    "temperature": Opt(float, 1.0, _positive, "must be positive"),
    "top_k": Opt(int, 0, _non_negative, "0 disables"),
    "top_p": Opt(float, 1.0, lambda v: 0 < v <= 1, "must be in (0, 1]"),
    "seed": Opt(int, 0),
    "device": Opt(str, "cpu", lambda v: v in ("auto", "cuda", "mps", "cpu"), "one of auto, cuda, mps, cpu"),
    "threads": THREADS,
}

BENCH = {
    "models": Opt(list, lambda: ["smollm2-135m", "qwen2.5-0.5b"], lambda v: len(v) > 0, "a non-empty list of preset names"),
    "seq_len": Opt(int, 512, lambda v: v >= 8, "must be at least 8"),
    "batch_size": Opt(int, 1, _positive, "must be positive"),
    "steps": Opt(int, 3, _positive, "must be positive"),
    "warmup_steps": Opt(int, 1, _non_negative, "must be >= 0"),
    "target_fraction": Opt(float, 0.5, lambda v: 0 < v <= 1, "the fraction of positions that carry loss, in (0, 1]"),
    "packed_examples": Opt(int, 4, _positive, "examples packed per row, as training packs them (1: one per row, plain causal)"),
    "lora_r": Opt(int, 16, _positive, "must be positive"),
    "batch_sizes": Opt(list, None, lambda v: len(v) > 0 and all(isinstance(b, int) and not isinstance(b, bool) and b > 0 for b in v),
                       "a non-empty list of positive batch sizes to sweep (null: batch_size)", nullable=True),
    "reference": Opt(str, "none", lambda v: v in ("none", "hf-peft"), "none, or hf-peft (transformers + PEFT on the same device, same run)"),
    "compile": Opt(str, "auto", lambda v: v in ("auto", "on", "off"), "auto (CUDA with PyTorch >= 2.5), on or off"),
    "gradient_checkpointing": Opt(bool, False),  # recompute activations, ours and the reference's alike
    "device": DEVICE,
    "threads": THREADS,
}

DEVICES: dict[str, Opt] = {}

SPECS = {"train": TRAIN, "export": EXPORT, "export-gguf": EXPORT_GGUF, "logits": LOGITS, "generate": GENERATE, "bench": BENCH, "devices": DEVICES}
