"""The `logits` and `generate` commands: reference outputs of the PyTorch model (with an optional
adapter merged in) for parity tests against the ONNX/transformers.js side, and greedy decoding."""

import json
import os

import torch

from . import devices
from .lora import load_adapter, merge_lora
from .model import load_model
from .protocol import WorkerError, emit


def load_for_inference(model_dir, adapter_dir, device):
    """The base model in fp32 with the adapter (if any) merged in, as the exported ONNX model has it."""
    model = load_model(model_dir, device, torch.float32)
    if adapter_dir:
        if not os.path.isdir(adapter_dir):
            raise WorkerError("MODEL_NOT_FOUND", f"adapter folder {adapter_dir} does not exist")
        load_adapter(model, adapter_dir)
        merge_lora(model)
    model.eval()
    return model


def _rectangular(rows, what):
    if len({len(r) for r in rows}) != 1 or len(rows[0]) == 0:
        raise WorkerError("BAD_CONFIG", f"{what}: every row must have the same, non-zero length")
    return rows


@torch.no_grad()
def logits_command(cfg):
    device = devices.pick_device(cfg["device"])
    devices.set_threads(device, cfg["threads"])
    ids = torch.tensor(_rectangular(cfg["input_ids"], "input_ids"), dtype=torch.long, device=device)
    mask = None
    if cfg["attention_mask"] is not None:
        mask = torch.tensor(_rectangular(cfg["attention_mask"], "attention_mask"), dtype=torch.long, device=device)
        if mask.shape != ids.shape:
            raise WorkerError("BAD_CONFIG", f"attention_mask has shape {list(mask.shape)}, input_ids {list(ids.shape)}")
    model = load_for_inference(cfg["model_dir"], cfg["adapter_dir"], device)
    if int(ids.max()) >= model.cfg.vocab_size:
        raise WorkerError("BAD_CONFIG", f"input_ids holds id {int(ids.max())}, beyond the vocabulary of {model.cfg.vocab_size}")
    k = cfg["past_len_split"]
    if k is None:
        logits, _ = model(ids, attention_mask=mask)
    else:
        if k >= ids.shape[1]:
            raise WorkerError("BAD_CONFIG", f"past_len_split {k} must be shorter than the rows ({ids.shape[1]} tokens)")
        # the cached path: the first k tokens fill the cache, the rest attend to it
        first, past = model(ids[:, :k], attention_mask=None if mask is None else mask[:, :k], use_cache=True)
        rest, _ = model(ids[:, k:], attention_mask=mask, past_key_values=past)
        logits = torch.cat((first, rest), dim=1)
    out = logits.float().cpu().numpy().astype("<f4")
    out_dir = os.path.dirname(os.path.abspath(cfg["out_file"]))
    os.makedirs(out_dir, exist_ok=True)
    out.tofile(cfg["out_file"])
    emit("done", shape=list(out.shape), out_file=cfg["out_file"], dtype="float32")
    return 0


@torch.no_grad()
def generate_command(cfg):
    device = devices.pick_device(cfg["device"])
    devices.set_threads(device, cfg["threads"])
    model = load_for_inference(cfg["model_dir"], cfg["adapter_dir"], device)
    gen = torch.Generator(device="cpu").manual_seed(cfg["seed"])
    eos = set(cfg["eos_token_ids"] or default_eos(cfg["model_dir"]))
    outputs = []
    for prompt in cfg["prompts"]:
        if not prompt:
            raise WorkerError("BAD_CONFIG", "a prompt is empty")
        if max(prompt) >= model.cfg.vocab_size:
            raise WorkerError("BAD_CONFIG", f"a prompt holds id {max(prompt)}, beyond the vocabulary of {model.cfg.vocab_size}")
        outputs.append(_generate_one(model, prompt, cfg, eos, gen, device))
    emit("done", outputs=outputs)
    return 0


def _generate_one(model, prompt, cfg, eos, gen, device):
    """Decode one prompt with the KV cache: the prompt once, then one token per forward."""
    ids = torch.tensor([prompt], dtype=torch.long, device=device)
    last = torch.zeros(ids.shape, dtype=torch.bool, device=device)
    last[:, -1] = True
    logits, past = model(ids, use_cache=True, logits_mask=last)
    new = []
    for _ in range(cfg["max_new_tokens"]):
        token = _pick(logits[-1].float().cpu(), cfg, gen)
        new.append(token)
        if token in eos:
            break
        logits, past = model(torch.tensor([[token]], device=device), past_key_values=past, use_cache=True)
        logits = logits[0]
    return new


def _pick(logits, cfg, gen):
    if cfg["greedy"]:
        return int(torch.argmax(logits))  # first maximum on ties, as transformers.js / numpy argmax
    logits = logits / cfg["temperature"]
    if cfg["top_k"]:
        kth = torch.topk(logits, min(cfg["top_k"], logits.numel())).values[-1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = torch.softmax(logits, dim=-1)
    if cfg["top_p"] < 1.0:
        sorted_probs, order = torch.sort(probs, descending=True)
        keep = sorted_probs.cumsum(0) - sorted_probs < cfg["top_p"]  # the smallest prefix reaching top_p
        probs = torch.zeros_like(probs).scatter(0, order[keep], sorted_probs[keep])
    return int(torch.multinomial(probs / probs.sum(), 1, generator=gen))



def default_eos(model_dir):
    """eos_token_id of generation_config.json (else config.json), as a list."""
    for name in ("generation_config.json", "config.json"):
        path = os.path.join(model_dir, name)
        if os.path.isfile(path):
            try:
                with open(path, encoding="utf-8") as f:
                    eos = json.load(f).get("eos_token_id")
            except ValueError:
                continue
            if eos is not None:
                return eos if isinstance(eos, list) else [eos]
    return []
