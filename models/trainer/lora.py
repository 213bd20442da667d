"""LoRA (Hu et al. 2021, arXiv:2106.09685) on the model's linear layers, saved as a PEFT adapter.

After litgpt's `LoRALinear`: the frozen base weight W stays as it is and a low-rank update
B @ A (A: [r, in], B: [out, r]) is added, scaled by alpha / r. A starts Kaiming-uniform and B at
zero, so at step 0 the adapted model is exactly the base model. `merge()` folds the update into W
for export. Only A and B are trained and saved.

The adapter folder is what Hugging Face PEFT writes (`adapter_config.json` +
`adapter_model.safetensors`, keys `base_model.model.<module>.lora_A.weight`), so PEFT and other
tools can load it.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F

from .protocol import WorkerError
from .safetensors_io import SafetensorsFile, save_file

DEFAULT_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
CONFIG_FILE = "adapter_config.json"
WEIGHTS_FILE = "adapter_model.safetensors"
PEFT_PREFIX = "base_model.model."


class LoRADropout(nn.Dropout):
    """nn.Dropout, except on CPU, where the mask is drawn in a cheaper way that keeps exactly the
    elements (and values) `torch.rand_like(x) >= p` keeps.

    Why: on CPU, PyTorch draws random numbers one element at a time on one thread (the generator
    is sequential): the masks of the 7 adapted layers of each block were ~8% of a 1-thread LoRA
    step (torch.profiler, SmolLM2-135M shape), more with the rest on 2 threads. rand_like makes each float from one 32-bit
    draw r as (r mod 2^24) / 2^24; randint(0, 2^24) makes the integer r mod 2^24 from the same
    draw, skipping the float conversion (~1.5x faster), and comparing it with
    ceil(float32(p) * 2^24) decides what comparing the float with float32(p) decides. F.dropout's
    bernoulli_ kernel is slower still (and draws differently).
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0 or x.device.type != "cpu":
            return super().forward(x)
        threshold = math.ceil(float(torch.tensor(self.p, dtype=torch.float32)) * (1 << 24))
        keep = torch.randint(0, 1 << 24, x.shape, dtype=torch.int32, device=x.device).ge_(threshold)  # 0 or 1
        # x * 1/(1-p), then * 0 or 1: bit for bit x * (0 or 1/(1-p)), one pass fewer
        return x.mul(1.0 / (1.0 - self.p)).mul_(keep)


class LoRALinear(nn.Linear):
    """A frozen nn.Linear plus a trainable low-rank update. Keeps the base `weight`/`bias` names."""

    def __init__(self, base: nn.Linear, r: int, alpha: float, dropout: float) -> None:
        nn.Module.__init__(self)  # adopt base's parameters instead of allocating new ones
        self.in_features, self.out_features = base.in_features, base.out_features
        self.weight, self.bias = base.weight, base.bias
        self.r, self.alpha = r, alpha
        self.scaling = alpha / r
        device = base.weight.device
        # adapter weights in float32 even when the frozen base is bf16: they are what we optimise
        self.lora_A = nn.Parameter(torch.empty(r, self.in_features, device=device, dtype=torch.float32))
        self.lora_B = nn.Parameter(torch.zeros(self.out_features, r, device=device, dtype=torch.float32))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))  # as nn.Linear's (and PEFT's) default init
        self.lora_dropout: nn.Module = LoRADropout(dropout) if dropout > 0 else nn.Identity()
        self.merged = False
        self.enabled = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.linear(x, self.weight, self.bias)
        if self.merged or not self.enabled:
            return out
        h = self.lora_dropout(x)
        if out.dtype == self.lora_B.dtype or torch.is_autocast_enabled():
            # out + scaling * (h A^T) B^T as one GEMM that accumulates into `out` (no separate
            # scale and add over the [tokens, out_features] tensor)
            u = F.linear(h, self.lora_A).reshape(-1, self.r)
            return torch.addmm(out.reshape(-1, self.out_features), u, self.lora_B.t(), alpha=self.scaling).view(out.shape)
        # frozen base in bf16/fp16 without autocast: run the adapter in float32, add in out's dtype
        update = F.linear(F.linear(h.to(self.lora_A.dtype), self.lora_A), self.lora_B) * self.scaling
        return out + update.to(out.dtype)

    @torch.no_grad()
    def merge(self) -> None:
        """W += scaling * B @ A, once; afterwards forward() is a plain linear layer."""
        if not self.merged:
            delta = (self.lora_B.float() @ self.lora_A.float()) * self.scaling
            self.weight.add_(delta.to(self.weight.dtype))
            self.merged = True

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}, r={self.r}, alpha={self.alpha}"


def lora_layers(model: nn.Module) -> list[tuple[str, LoRALinear]]:
    """Every LoRALinear of `model`, with its module name."""
    return [(name, m) for name, m in model.named_modules() if isinstance(m, LoRALinear)]


def inject_lora(
    model: nn.Module,
    r: int = 16,
    alpha: float = 32,
    dropout: float = 0.05,
    target_modules: str | Sequence[str] | None = None,
) -> list[str]:
    """Replace the targeted nn.Linear layers by LoRALinear and freeze everything else.

    target_modules follows PEFT: a list of names matched against the last part of a module's
    name, a regular expression string matched against the full name, or "all-linear" (here: the
    attention and MLP projections, never the LM head). Returns the names of the wrapped modules.
    """
    if target_modules is None or target_modules == "all-linear":
        target_modules = DEFAULT_TARGETS
    matches: Callable[[str, str], bool]
    if isinstance(target_modules, str):
        pattern = target_modules
        matches = lambda full, last: re.fullmatch(pattern, full) is not None  # noqa: E731
    else:
        targets = set(target_modules)
        matches = lambda full, last: last in targets  # noqa: E731
    model.requires_grad_(False)
    wrapped: list[str] = []
    for name, module in list(model.named_modules()):
        for child_name, child in list(module.named_children()):
            full = f"{name}.{child_name}" if name else child_name
            if type(child) is nn.Linear and child_name != "lm_head" and matches(full, child_name):
                setattr(module, child_name, LoRALinear(child, r, alpha, dropout))
                wrapped.append(full)
    if not wrapped:
        raise WorkerError("BAD_CONFIG", f"lora.target_modules {target_modules!r} match no linear layer of the model")
    return wrapped


@contextmanager
def adapter_disabled(model: nn.Module) -> Iterator[None]:
    """Run the base model (e.g. for the baseline evaluation) without removing the adapter."""
    layers = [m for _, m in lora_layers(model)]
    for m in layers:
        m.enabled = False
    try:
        yield
    finally:
        for m in layers:
            m.enabled = True


def merge_lora(model: nn.Module) -> None:
    """Folds every adapter into its base weight (for export); the adapters stop adding anything."""
    for _, m in lora_layers(model):
        m.merge()


def adapter_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """The adapter tensors under PEFT's saved names (A [r, in], B [out, r])."""
    out: dict[str, torch.Tensor] = {}
    for name, m in lora_layers(model):
        out[f"{PEFT_PREFIX}{name}.lora_A.weight"] = m.lora_A.detach().float().cpu()
        out[f"{PEFT_PREFIX}{name}.lora_B.weight"] = m.lora_B.detach().float().cpu()
    return out


def load_adapter_state_dict(model: nn.Module, tensors: Mapping[str, torch.Tensor], source: str) -> None:
    """Copies PEFT-named adapter tensors into the model's LoRA layers; MODEL_CORRUPT on a missing, extra or misshapen one."""
    layers = dict(lora_layers(model))
    expected: set[str] = set()
    for name, m in layers.items():
        for part, param in (("lora_A", m.lora_A), ("lora_B", m.lora_B)):
            key = f"{PEFT_PREFIX}{name}.{part}.weight"
            expected.add(key)
            if key not in tensors:
                raise WorkerError("MODEL_CORRUPT", f"{source}: adapter lacks {key}")
            t = tensors[key]
            if tuple(t.shape) != tuple(param.shape):
                raise WorkerError("MODEL_CORRUPT", f"{source}: {key} has shape {list(t.shape)}, expected {list(param.shape)}")
            with torch.no_grad():
                param.copy_(t.to(param.dtype))
    extra = sorted(set(tensors) - expected)
    if extra:
        raise WorkerError("MODEL_CORRUPT", f"{source}: adapter holds tensors the model has no place for, e.g. {extra[0]}")


def adapter_config(
    r: int, alpha: float, dropout: float, target_modules: str | Sequence[str] | None, base_model: str | None
) -> dict[str, Any]:
    """adapter_config.json as PEFT writes it for a plain LoRA adapter of a causal LM."""
    return {
        "peft_type": "LORA",
        "task_type": "CAUSAL_LM",
        "r": r,
        "lora_alpha": alpha,
        "lora_dropout": dropout,
        "target_modules": target_modules if isinstance(target_modules, str) else sorted(target_modules or DEFAULT_TARGETS),
        "bias": "none",
        "fan_in_fan_out": False,
        "inference_mode": True,
        "base_model_name_or_path": base_model,
        "modules_to_save": None,
        "init_lora_weights": True,
        "layers_to_transform": None,
        "layers_pattern": None,
        "rank_pattern": {},
        "alpha_pattern": {},
        "use_rslora": False,
        "use_dora": False,
        "revision": None,
    }


def save_adapter(model: nn.Module, out_dir: str, config: Mapping[str, Any]) -> None:
    """Write adapter_config.json and adapter_model.safetensors (each atomically)."""
    os.makedirs(out_dir, exist_ok=True)
    save_file(adapter_state_dict(model), os.path.join(out_dir, WEIGHTS_FILE), metadata={"format": "pt"})
    tmp = os.path.join(out_dir, CONFIG_FILE + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    os.replace(tmp, os.path.join(out_dir, CONFIG_FILE))


def load_adapter(model: nn.Module, adapter_dir: str) -> dict[str, Any]:
    """Inject LoRA as described by adapter_dir/adapter_config.json and load its weights."""
    config_path = os.path.join(adapter_dir, CONFIG_FILE)
    if not os.path.isfile(config_path):
        raise WorkerError("MODEL_NOT_FOUND", f"{config_path} does not exist")
    try:
        with open(config_path, encoding="utf-8") as f:
            config = json.load(f)
        r, alpha = int(config["r"]), float(config["lora_alpha"])
    except (ValueError, KeyError, TypeError) as e:
        raise WorkerError("MODEL_CORRUPT", f"{config_path}: not a LoRA adapter config ({e})") from None
    if config.get("peft_type", "LORA") != "LORA" or config.get("use_dora") or config.get("bias", "none") != "none":
        raise WorkerError("UNSUPPORTED_ARCH", f"{config_path}: only plain LoRA adapters without bias are supported")
    inject_lora(model, r=r, alpha=alpha, dropout=0.0, target_modules=config.get("target_modules"))
    weights = SafetensorsFile(os.path.join(adapter_dir, WEIGHTS_FILE))
    load_adapter_state_dict(model, {k: weights.get(k) for k in weights.keys()}, weights.path)
    return config
