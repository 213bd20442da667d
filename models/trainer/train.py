"""The LoRA fine-tuning loop: data order, AdamW, warmup + cosine, accumulation, evaluation, checkpoints.

A checkpoint is one dict (nanoGPT style) holding everything a resumed run needs to continue as if
it had never stopped: adapter, optimizer, scheduler, step, the RNG states of python/numpy/torch,
the data order and position, and the config. It is written atomically every `checkpoint_every`
steps, at the end, and on SIGINT/SIGTERM; a resumed run — even after SIGKILL — ends with the same
adapter as an uninterrupted one.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import random
import signal
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
import torch.utils.checkpoint
from torch.nn.utils.clip_grad import clip_grad_norm_

from . import devices
from .lora import adapter_config, adapter_disabled, adapter_state_dict, inject_lora, load_adapter_state_dict, save_adapter
from .model import CausalLM, compile_blocks, compile_supported, is_compiled, load_model, uncompile_blocks
from .protocol import WorkerError, emit, log
from .shards import open_shards

# A micro-batch as make_batch returns it: input_ids, labels, real tokens, position_ids, segment_ids.
Batch = Tuple[torch.Tensor, torch.Tensor, int, Optional[torch.Tensor], Optional[torch.Tensor]]

CHECKPOINT_FILE = "checkpoint.pt"
METRICS_FILE = "metrics.json"
CHECKPOINT_VERSION = 1
BUCKET_BATCHES = 64  # length buckets span this many batches of a shuffled epoch
LOGITS_CHUNK_ELEMENTS = 1 << 26  # above this many logits (256 MB fp32) the LM head runs in recomputed chunks
LOGITS_CHUNK_ELEMENTS_CUDA = 1 << 28  # 1 GB fp32 on a GPU: fewer, larger chunks (fewer kernels and recomputes)
# Config keys that must match between a checkpoint and the run resuming it.
RESUME_KEYS = ("model_dir", "data_dir", "seed", "lora", "batch_size", "grad_accum", "max_steps", "epochs", "max_seq_len")


class Cancelled(Exception):
    pass


# ---- data order ---------------------------------------------------------------------------------


def plan_epoch(lengths: np.ndarray, batch_size: int, seed: int, epoch: int) -> List[List[int]]:
    """Batches of example indices for one epoch: shuffle, sort each bucket of BUCKET_BATCHES batches
    by length (so a batch pads little), then shuffle the batches. Depends only on (seed, epoch)."""
    rng = np.random.default_rng([seed, epoch])
    order = rng.permutation(len(lengths))
    span = batch_size * BUCKET_BATCHES
    batches = []
    for start in range(0, len(order), span):
        bucket = order[start : start + span]
        bucket = bucket[np.argsort(lengths[bucket], kind="stable")]
        batches.extend(bucket[i : i + batch_size].tolist() for i in range(0, len(bucket), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


def plan_run(lengths: np.ndarray, batch_size: int, micro_batches: int, seed: int) -> List[List[int]]:
    """Enough epochs of batches for `micro_batches` micro-batches."""
    plan, epoch = [], 0
    while len(plan) < micro_batches:
        plan.extend(plan_epoch(lengths, batch_size, seed, epoch))
        epoch += 1
    return plan[:micro_batches]


def collate(split: Any, indices: Sequence[int], max_len: int, pad_id: int) -> Tuple[torch.Tensor, torch.Tensor, int]:
    """Right-padded input ids and targets (-100 where there is no loss) as int64 tensors."""
    rows = _example_rows(split, indices, max_len)
    width = max(len(r[0]) for r in rows)
    input_ids = np.full((len(rows), width), pad_id, dtype=np.int64)
    labels = np.full((len(rows), width), -100, dtype=np.int64)
    for j, (inputs, targets) in enumerate(rows):
        input_ids[j, : len(inputs)] = inputs
        labels[j, : len(targets)] = targets
    return torch.from_numpy(input_ids), torch.from_numpy(labels), sum(len(r[0]) for r in rows)


def _example_rows(split, indices, max_len):
    """(inputs, labels) numpy rows of the examples, each cut to its last max_len predictions."""
    rows = []
    for i in indices:
        inputs, targets, mask = split.example(i)
        if len(inputs) > max_len:  # keep the end: that is where the reply is
            inputs, targets, mask = inputs[-max_len:], targets[-max_len:], mask[-max_len:]
        rows.append((inputs, np.where(mask, targets, -100)))
    return rows


def pack_rows(lengths: Sequence[int], capacity: int) -> List[List[int]]:
    """Group examples into rows of at most `capacity` tokens: first-fit decreasing (a longest
    example first; each goes into the first row with room). Returns lists of positions into
    `lengths`, in a deterministic order. Every length must be <= capacity.

    Hand-written: bin packing of a handful of examples per micro-batch needs no library, and
    first-fit decreasing is within 11/9 of the fewest rows (Johnson 1973).
    """
    order = sorted(range(len(lengths)), key=lambda j: (-int(lengths[j]), j))
    rows, fill = [], []
    for j in order:
        n = int(lengths[j])
        if n > capacity:
            raise ValueError(f"an example of {n} tokens does not fit in a row of {capacity}")
        for r, used in enumerate(fill):
            if used + n <= capacity:
                rows[r].append(j)
                fill[r] += n
                break
        else:
            rows.append([j])
            fill.append(n)
    return rows


def plan_rows(lengths: Sequence[int], max_len: int) -> List[List[int]]:
    """The packing of one micro-batch into the fewest input cells (rows x width of the fullest row).

    Tries first-fit decreasing (pack_rows) at each row capacity worth trying — the longest
    example, max_len, and the total spread over 1, 2, … rows — up to max_len, and keeps the layout with
    the fewest cells (then the narrowest: attention grows with width squared). The longest
    example's capacity is among them, and it never takes more cells than one padded row per
    example, so packing never pads more than padding does. Returns pack_rows' lists.
    """
    lengths = [int(n) for n in lengths]
    longest, total = max(lengths), sum(lengths)
    capacities = {longest, max_len} | {-(-total // r) for r in range(1, len(lengths) + 1)}
    best, best_key = None, None
    for capacity in sorted(c for c in capacities if longest <= c <= max_len):
        rows = pack_rows(lengths, capacity)
        width = max(sum(lengths[j] for j in row) for row in rows)
        key = (len(rows) * width, width)
        if best_key is None or key < best_key:
            best, best_key = rows, key
    assert best is not None  # assert: the longest example's capacity is always tried
    return best


def collate_packed(split: Any, indices: Sequence[int], max_len: int, pad_id: int) -> Batch:
    """The same examples as `collate`, packed several to a row instead of one per padded row.

    Returns (input_ids, labels, tokens, position_ids, segment_ids), all [rows, width] int64
    tensors but `tokens` (real tokens, an int). Rows (plan_rows) hold at most max_len tokens;
    width is the fullest row. Each example keeps its own positions (0, 1, …) and segment id (1, 2, … within a
    row; 0 is the padding at a row's end), so with the model's block-diagonal causal mask
    (model.packed_mask) it computes exactly what it would alone: same logits, same loss.
    """
    rows = _example_rows(split, indices, max_len)
    packed = plan_rows([len(r[0]) for r in rows], max_len)
    width = max(sum(len(rows[j][0]) for j in row) for row in packed)
    shape = (len(packed), width)
    input_ids = np.full(shape, pad_id, dtype=np.int64)
    labels = np.full(shape, -100, dtype=np.int64)
    positions = np.zeros(shape, dtype=np.int64)
    segments = np.zeros(shape, dtype=np.int64)
    for r, row in enumerate(packed):
        at = 0
        for seg, j in enumerate(row, start=1):
            inputs, targets = rows[j]
            n = len(inputs)
            input_ids[r, at : at + n] = inputs
            labels[r, at : at + n] = targets
            positions[r, at : at + n] = np.arange(n)
            segments[r, at : at + n] = seg
            at += n
    tokens = sum(len(r[0]) for r in rows)
    return (torch.from_numpy(input_ids), torch.from_numpy(labels), tokens, torch.from_numpy(positions), torch.from_numpy(segments))


def layout_cells(lengths: Sequence[int], max_len: int, packed: bool) -> Tuple[int, int]:
    """(rows, cells) of one micro-batch of examples with `lengths` predictions each (cut to
    max_len), as collate (packed=False: a row per example, as wide as the longest) or
    collate_packed (packed=True: rows as wide as the fullest) lays them out."""
    lengths = [min(int(n), max_len) for n in lengths]
    if not packed:
        return len(lengths), len(lengths) * max(lengths)
    rows = plan_rows(lengths, max_len)
    return len(rows), len(rows) * max(sum(lengths[j] for j in row) for row in rows)


def padding_fraction(split: Any, batches: Sequence[Sequence[int]], max_len: int, packed: bool) -> float:
    """Share of the input cells (rows x width) of `batches` (lists of example indices of `split`)
    that are padding in the layout of collate or collate_packed. Lengths only: no tensors."""
    real = cells = 0
    for indices in batches:
        lengths = [min(int(split.lengths[i]) - 1, max_len) for i in indices]
        real += sum(lengths)
        cells += layout_cells(lengths, max_len, packed)[1]
    return 1 - real / cells if cells else 0.0


# ---- loss ---------------------------------------------------------------------------------------


def loss_positions(labels: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """(index, targets) of the labelled positions (labels != -100): int64 [n] positions into the
    flattened [b * s] rows, in row-major order, and their target ids. Computed where `labels` is
    (the CPU, for the trainer's batches), so the GPU never has to say how many there are."""
    flat = labels.reshape(-1)
    index = (flat != -100).nonzero().squeeze(1)
    return index, flat.index_select(0, index)


def lm_loss_sum(
    model: CausalLM,
    input_ids: torch.Tensor,
    labels: torch.Tensor,
    position_ids: Optional[torch.Tensor] = None,
    segment_ids: Optional[torch.Tensor] = None,
) -> torch.Tensor:
    """Summed cross-entropy over the labelled positions (labels [b, s], -100: no loss), a 0-dim
    float32 tensor; the LM head runs only at those positions.

    position_ids, segment_ids: for packed rows (collate_packed); None for padded ones. On a GPU,
    finding the labelled positions of a device tensor is a host sync: the trainer calls
    lm_loss_sum_at with positions found on the CPU instead.
    """
    index, targets = loss_positions(labels)
    return lm_loss_sum_at(model, input_ids, index, targets, position_ids, segment_ids)


def lm_loss_sum_at(
    model: CausalLM,
    input_ids: torch.Tensor,
    index: torch.Tensor,
    targets: torch.Tensor,
    position_ids: Optional[torch.Tensor] = None,
    segment_ids: Optional[torch.Tensor] = None,
) -> torch.Tensor:
    """lm_loss_sum at the labelled positions `index` (loss_positions) with their `targets`, all on
    the model's device.

    Large vocabularies (Qwen: 152k) would make a batch's logits GBs, so the head runs over chunks
    of positions; when training, each chunk's logits are recomputed in backward instead of kept.
    """
    hidden, _ = model(input_ids, position_ids=position_ids, logits_index=index, return_hidden=True, segment_ids=segment_ids)
    budget = LOGITS_CHUNK_ELEMENTS_CUDA if hidden.device.type == "cuda" else LOGITS_CHUNK_ELEMENTS
    chunk = max(1, budget // model.cfg.vocab_size)
    if hidden.shape[0] <= chunk:
        return _chunk_loss(model, hidden, targets)
    total = hidden.new_zeros((), dtype=torch.float32)
    for i, (h, t) in enumerate(zip(hidden.split(chunk), targets.split(chunk))):
        if torch.is_grad_enabled():
            part = torch.utils.checkpoint.checkpoint(_chunk_loss, model, h, t, use_reentrant=False)
        else:
            part = _chunk_loss(model, h, t)
        total = part if i == 0 else total + part
    return total


def _chunk_loss(model, hidden, targets):
    return F.cross_entropy(model.project(hidden).float(), targets, reduction="sum")


def make_batch(split: Any, indices: Sequence[int], max_len: int, pad_id: int, pack: bool) -> Batch:
    """(input_ids, labels, tokens, position_ids, segment_ids) of a micro-batch: packed rows when
    `pack`, else one right-padded row per example (position_ids and segment_ids None)."""
    if pack:
        return collate_packed(split, indices, max_len, pad_id)
    return collate(split, indices, max_len, pad_id) + (None, None)


def batch_loss_sum(model: CausalLM, batch: Batch, device: torch.device) -> torch.Tensor:
    """lm_loss_sum of a make_batch micro-batch (CPU tensors), moved to `device`.

    The labelled positions are found on the CPU and every tensor is copied asynchronously (from
    pinned memory on CUDA), so queueing a micro-batch never waits for the GPU.
    """
    input_ids, labels, _, positions, segments = batch
    index, targets = loss_positions(labels)
    cuda = device.type == "cuda"

    def to(t: Optional[torch.Tensor]) -> Optional[torch.Tensor]:
        if t is None:
            return None
        return (t.pin_memory() if cuda else t).to(device, non_blocking=cuda)

    ids, at, want = to(input_ids), to(index), to(targets)
    assert ids is not None and at is not None and want is not None  # assert: to() keeps a tensor a tensor
    return lm_loss_sum_at(model, ids, at, want, to(positions), to(segments))


@torch.no_grad()
def evaluate(
    model: CausalLM,
    split: Any,
    batch_size: int,
    max_len: int,
    pad_id: int,
    device: torch.device,
    amp_dtype: Optional[torch.dtype],
    check_cancel: Callable[[], None],
    pack: bool = True,
) -> float:
    """Mean target-token loss over a split (batches in length order: deterministic, little padding)."""
    was_training = model.training
    model.eval()
    order = np.argsort(split.lengths, kind="stable")
    total, count = 0.0, 0
    try:
        for start in range(0, len(order), batch_size):
            check_cancel()
            batch = make_batch(split, order[start : start + batch_size].tolist(), max_len, pad_id, pack)
            n = int((batch[1] != -100).sum())
            if n == 0:
                continue
            with devices.autocast(device, amp_dtype):
                loss = batch_loss_sum(model, batch, device)
            total += float(loss)
            count += n
    finally:
        model.train(was_training)
    return total / count if count else float("nan")


def lr_factor(step: int, warmup: int, total: int, min_ratio: float) -> float:
    """Multiplier of the peak lr for optimizer step `step` (0-based): linear warmup, cosine decay."""
    if step < warmup:
        return (step + 1) / (warmup + 1)
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


def make_optimizer(params: List[torch.nn.Parameter], device: torch.device, lr: float, weight_decay: float) -> torch.optim.Optimizer:
    """AdamW (betas 0.9/0.999, eps 1e-8); fused into a few kernels on CUDA where this PyTorch has it
    (the unfused one launches several kernels per parameter tensor: LoRA has hundreds)."""
    fused = device.type == "cuda" and "fused" in inspect.signature(torch.optim.AdamW).parameters
    extra: Dict[str, Any] = {"fused": True} if fused else {}
    return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, betas=(0.9, 0.999), eps=1e-8, **extra)


# ---- checkpoints --------------------------------------------------------------------------------


def rng_state(device: torch.device) -> Dict[str, Any]:
    """The RNG states of python, numpy, torch and the device: where a resumed step draws from."""
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state_all()
    mps = getattr(torch, "mps", None)  # PyTorch >= 2.0
    if device.type == "mps" and mps is not None and hasattr(mps, "get_rng_state"):
        state["mps"] = mps.get_rng_state()
    return state


def set_rng_state(state: Dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    mps = getattr(torch, "mps", None)
    if "mps" in state and mps is not None and hasattr(mps, "set_rng_state"):
        mps.set_rng_state(state["mps"])


def save_checkpoint(path: str, state: Dict[str, Any]) -> None:
    """torch.save `state` to `path` atomically (fsync, then rename)."""
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        torch.save(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)  # atomic: a kill leaves the previous checkpoint or the new one, never half


def load_checkpoint(path: str) -> Dict[str, Any]:
    """The dict save_checkpoint wrote; MODEL_CORRUPT when the file cannot be read."""
    try:
        try:
            return torch.load(path, map_location="cpu", weights_only=False)  # it holds numpy RNG state
        except TypeError:  # torch < 1.13 has no weights_only
            return torch.load(path, map_location="cpu")
    except Exception as e:  # noqa: BLE001 - pickle/zip errors of a damaged file
        raise WorkerError("MODEL_CORRUPT", f"{path} cannot be read ({e}); delete it or set resume false") from None


def _write_json(path, value):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


# ---- the run: setup, fit, finish (litgpt's phases) ---------------------------------------------


@dataclass
class Session:
    """What setup() prepares for fit() and finish(): one training run's objects and position."""

    cfg: Dict[str, Any]
    device: torch.device
    threads: int
    amp_dtype: Optional[torch.dtype]
    precision: str
    model: CausalLM
    params: List[torch.nn.Parameter]
    optimizer: torch.optim.Optimizer
    scheduler: Any  # torch.optim.lr_scheduler.LambdaLR
    scaler: Any  # a GradScaler for fp16 on CUDA, else None
    train_split: Any
    eval_split: Any
    usable: np.ndarray  # indices of the training examples with target tokens
    plan: List[List[int]]  # micro-batches of example indices, in training order
    data_id: Dict[str, Any]
    max_len: int
    pad_id: int
    steps: int
    ckpt_path: str
    resumed: bool
    step: int = 0
    metrics: Dict[str, Any] = field(default_factory=dict)
    boundary_rng: Optional[Dict[str, Any]] = None  # RNG state at the start of the step in progress
    step_log: Optional["StepLog"] = None

    @property
    def grad_accum(self) -> int:
        return self.cfg["grad_accum"]

    @property
    def eval_batch_size(self) -> int:
        return self.cfg["eval_batch_size"] or self.cfg["batch_size"]


def run(cfg: Dict[str, Any]) -> int:
    """Train as configured (options.TRAIN). Returns the exit code: 0 done, 130 cancelled.

    Raises WorkerError (BAD_CONFIG, EMPTY_DATASET, MODEL_*, DATA_*, DEVICE_UNAVAILABLE) for input
    it cannot train on; SIGINT/SIGTERM or a vanished parent checkpoint and return 130.
    """
    s = setup(cfg)
    # SIGINT/SIGTERM only raise a flag; the loop checks it where state is consistent.
    stop: Dict[str, Optional[int]] = {"signal": None}

    def on_signal(signum: int, _frame: Any) -> None:
        stop["signal"] = signum

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}

    # The worker is a child of `understudy train`; if that process dies (SIGKILL, a crash), this
    # one is re-parented. Stop as on SIGTERM (checkpoint first) instead of training on as an
    # orphan next to the run that a restarted daemon may start.
    parent = os.getppid()

    def check_cancel() -> None:
        if stop["signal"] is None and os.getppid() != parent:
            log(f"the parent process {parent} is gone: stopping")
            stop["signal"] = signal.SIGTERM
        if stop["signal"] is not None:
            raise Cancelled()

    try:
        eval_loss = fit(s, check_cancel)
    except Cancelled:
        return cancel(s, signal.Signals(stop["signal"] or signal.SIGTERM).name)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    finish(s, eval_loss)
    return 0


def setup(cfg: Dict[str, Any]) -> Session:
    """Phase 1: device and precision, the checkpoint to resume (checked against cfg), seeds, the
    model with LoRA (compiled on CUDA), the data and its plan, AdamW and the schedule. Emits "start"."""
    device = devices.pick_device(cfg["device"])
    threads = devices.set_threads(device, cfg["threads"])
    base_dtype, amp_dtype, precision = devices.pick_precision(device, cfg["precision"])
    os.makedirs(cfg["out_dir"], exist_ok=True)
    ckpt_path = os.path.join(cfg["out_dir"], CHECKPOINT_FILE)
    resume_state = _resume_state(cfg, ckpt_path)

    seed = cfg["seed"]
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)

    log(f"loading {cfg['model_dir']} on {device} ({precision}, {threads} CPU threads)")
    model = load_model(cfg["model_dir"], device, base_dtype)
    lora = cfg["lora"]
    inject_lora(model, lora["r"], lora["alpha"], lora["dropout"], lora["target_modules"])
    model.gradient_checkpointing = cfg["gradient_checkpointing"] is True or (
        cfg["gradient_checkpointing"] == "auto" and device.type == "cuda"
    )
    if compile_supported(device):
        log("compiling the decoder blocks (torch.compile) at the first step")
        # dynamic: packed rows change width from one micro-batch to the next; one graph serves all
        compile_blocks(model, dynamic=True)  # fit() falls back to eager if compiling fails
    params = [p for p in model.parameters() if p.requires_grad]

    meta, splits = open_shards(cfg["data_dir"], model.cfg.vocab_size)
    max_len = (cfg["max_seq_len"] or int(meta["max_seq_len"])) - 1  # n tokens give n-1 predictions
    train_split, eval_split = splits["train"], splits["eval"]
    counts = train_split.target_counts()
    usable = np.nonzero(counts > 0)[0]
    if len(usable) < len(train_split):
        log(f"skipping {len(train_split) - len(usable)} training examples without target tokens")
    if len(usable) == 0:
        raise WorkerError("EMPTY_DATASET", f"{cfg['data_dir']}: no training example has a target token (mask all 0)")
    if eval_split is not None and len(eval_split) == 0:
        eval_split = None

    batches_per_epoch = math.ceil(len(usable) / cfg["batch_size"])
    ga = cfg["grad_accum"]
    steps = cfg["max_steps"] or max(1, math.ceil(cfg["epochs"] * batches_per_epoch / ga))
    data_id = {"train": meta["splits"]["train"], "vocab_size": meta["vocab_size"]}  # what the plan indexes into
    if resume_state is not None:
        if resume_state.get("data") != data_id:
            raise WorkerError("BAD_CONFIG", f"the data in {cfg['data_dir']} changed since {ckpt_path} was written: delete it or set resume false")
        plan = resume_state["plan"]
    else:
        local = plan_run(train_split.lengths[usable], cfg["batch_size"], steps * ga, seed)
        plan = [[int(usable[i]) for i in batch] for batch in local]

    optimizer = make_optimizer(params, device, cfg["lr"], cfg["weight_decay"])
    schedule = lambda st: lr_factor(st, cfg["warmup_steps"], steps, cfg["min_lr_ratio"])  # noqa: E731
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    scaler = None
    if amp_dtype == torch.float16 and device.type == "cuda":  # fp16 needs loss scaling; bf16 does not
        amp = getattr(torch, "amp", None)  # torch.amp.GradScaler since 2.3; torch.cuda.amp's before
        scaler = amp.GradScaler("cuda") if amp is not None and hasattr(amp, "GradScaler") else torch.cuda.amp.grad_scaler.GradScaler()

    s = Session(
        cfg=cfg, device=device, threads=threads, amp_dtype=amp_dtype, precision=precision, model=model, params=params,
        optimizer=optimizer, scheduler=scheduler, scaler=scaler, train_split=train_split, eval_split=eval_split,
        usable=usable, plan=plan, data_id=data_id, max_len=max_len, pad_id=int(meta["pad_token_id"]), steps=steps,
        ckpt_path=ckpt_path, resumed=resume_state is not None,
        metrics={"base_eval_loss": None, "tokens_seen": 0, "targets_seen": 0, "train_loss_last": None, "elapsed_s": 0.0},
    )
    if resume_state is not None:
        load_adapter_state_dict(model, resume_state["adapter"], ckpt_path)
        optimizer.load_state_dict(resume_state["optimizer"])
        for group in optimizer.param_groups:  # a checkpoint from another device: this one's choice of kernel
            if "fused" in group:
                group["fused"] = isinstance(optimizer.defaults.get("fused"), bool) and optimizer.defaults["fused"]
        scheduler.load_state_dict(resume_state["scheduler"])
        if scaler is not None and resume_state.get("scaler"):
            scaler.load_state_dict(resume_state["scaler"])
        set_rng_state(resume_state["rng"])
        s.metrics.update(resume_state["metrics"])
        s.step = resume_state["step"]
        log(f"resuming from step {s.step} of {steps}")

    emit(
        "start",
        device=device.type,
        dtype=precision,
        threads=threads,
        params_total=model.num_parameters(),
        params_trainable=model.num_parameters(trainable_only=True),
        train_examples=len(usable),
        eval_examples=len(eval_split) if eval_split is not None else 0,
        steps=steps,
        resumed_from=s.step if s.resumed else None,
    )
    return s


def _resume_state(cfg: Dict[str, Any], ckpt_path: str) -> Optional[Dict[str, Any]]:
    """The checkpoint to resume from (None: start afresh); BAD_CONFIG if it was made differently."""
    if not cfg["resume"]:
        return None
    if not os.path.isfile(ckpt_path):
        log(f"no checkpoint in {cfg['out_dir']}: starting from the beginning")
        return None
    state = load_checkpoint(ckpt_path)
    changed = [k for k in RESUME_KEYS if state.get("config", {}).get(k) != cfg.get(k)]
    if state.get("version") != CHECKPOINT_VERSION or changed:
        raise WorkerError(
            "BAD_CONFIG",
            f"{ckpt_path} was made with a different {', '.join(changed) or 'checkpoint version'}: delete it or set resume false",
        )
    return state


def checkpoint_state(s: Session, at_step: int, rng: Dict[str, Any]) -> Dict[str, Any]:
    """The one dict a resumed run needs (see the module doc)."""
    return {
        "version": CHECKPOINT_VERSION,
        "step": at_step,
        "adapter": adapter_state_dict(s.model),
        "optimizer": s.optimizer.state_dict(),
        "scheduler": s.scheduler.state_dict(),
        "scaler": s.scaler.state_dict() if s.scaler is not None else None,
        "rng": rng,
        "plan": s.plan,
        "data": s.data_id,
        "position": at_step * s.grad_accum,  # index of the next micro-batch in `plan`
        "config": s.cfg,
        "metrics": dict(s.metrics),
    }


def _write_checkpoint(s: Session, rng: Dict[str, Any]) -> None:
    save_checkpoint(s.ckpt_path, checkpoint_state(s, s.step, rng))
    emit("checkpoint", step=s.step, path=s.ckpt_path)


def _run_eval(s: Session, check_cancel: Callable[[], None], adapter: bool) -> float:
    def go() -> float:
        return evaluate(s.model, s.eval_split, s.eval_batch_size, s.max_len, s.pad_id, s.device, s.amp_dtype, check_cancel, s.cfg["pack"])

    try:
        loss = go()
    except Cancelled:
        raise
    except Exception as e:  # noqa: BLE001 - as in _train_step: a compiler failure means eager, not a stop
        if not is_compiled(s.model) or devices.is_out_of_memory(e):
            raise
        _give_up_compiling(s, e)
        loss = go()  # evaluation draws no random numbers: nothing to rewind
    emit("eval", step=s.step, loss=loss, ppl=math.exp(min(loss, 50.0)), adapter=adapter)
    return loss


class StepLog:
    """The "step" events, without making the GPU wait for the host.

    Reading a loss off the GPU (`float(loss)`) waits until everything queued so far has run, so
    the host would stop queueing the next step. On CUDA the losses are copied asynchronously
    into pinned memory and a step's event is emitted once the next step is queued (or before
    anything that reads the metrics: eval, checkpoint, the end). On the CPU each step's event is
    emitted at its end, as before. Either way the events come in step order, before the step's
    eval and checkpoint events.
    """

    def __init__(self, s: Session):
        self.s = s
        self.lag = s.device.type == "cuda"
        self.pending: Optional[Tuple[int, List[torch.Tensor], float, int, int, Any]] = None
        self.started = time.perf_counter() - s.metrics["elapsed_s"]
        self.last_done = time.perf_counter()

    def restart_clock(self) -> None:
        """Time the next step from now (eval and checkpoints are not training time)."""
        self.last_done = time.perf_counter()

    def add(self, step: int, losses: List[torch.Tensor], lr: float, tokens: int, targets: int) -> None:
        """Record finished step `step` (its micro-batch losses still on the device)."""
        if self.lag:
            ready = torch.cuda.Event()
            held = [loss.detach().to("cpu", non_blocking=True) for loss in losses]
            ready.record(torch.cuda.current_stream())
            self.flush()
            self.pending = (step, held, lr, tokens, targets, ready)
        else:
            self.pending = (step, losses, lr, tokens, targets, None)
            self.flush()

    def flush(self) -> None:
        """Emit the pending step's event and update the run's metrics."""
        if self.pending is None:
            return
        step, losses, lr, tokens, targets, ready = self.pending
        self.pending = None
        if ready is not None:
            ready.synchronize()  # this step's work only: the next one stays queued on the GPU
        loss_total = 0.0
        for loss in losses:
            loss_total += float(loss)
        done = time.perf_counter()
        dt, self.last_done = done - self.last_done, done
        m = self.s.metrics
        m["tokens_seen"] += tokens
        m["targets_seen"] += targets
        m["train_loss_last"] = loss_total
        m["elapsed_s"] = done - self.started
        emit("step", step=step, steps=self.s.steps, loss=loss_total, lr=lr, tokens_per_s=tokens / max(dt, 1e-9), elapsed_s=m["elapsed_s"])


def fit(s: Session, check_cancel: Callable[[], None]) -> Optional[float]:
    """Phase 2: the baseline evaluation, then optimizer steps from s.step to s.steps with evals
    and checkpoints on schedule. Returns the final eval loss (None without an eval split).

    Raises Cancelled (s.step, the optimizer and s.boundary_rng then describe the last whole step).
    """
    cfg, ga = s.cfg, s.grad_accum
    log_steps = StepLog(s)
    s.boundary_rng = rng_state(s.device)
    s.step_log = log_steps
    model = s.model
    model.train()
    if s.eval_split is not None and s.metrics["base_eval_loss"] is None:
        with adapter_disabled(model):
            s.metrics["base_eval_loss"] = _run_eval(s, check_cancel, adapter=False)
        log_steps.restart_clock()
    while s.step < s.steps:
        micro = [make_batch(s.train_split, s.plan[s.step * ga + j], s.max_len, s.pad_id, cfg["pack"]) for j in range(ga)]
        n_targets = sum(int((batch[1] != -100).sum()) for batch in micro)
        lr = s.optimizer.param_groups[0]["lr"]
        losses = _train_step(s, micro, n_targets, check_cancel)
        s.step += 1
        s.boundary_rng = rng_state(s.device)  # a cancel from here on resumes at the next step
        log_steps.add(s.step, losses, lr, sum(batch[2] for batch in micro), n_targets)
        if s.eval_split is not None and cfg["eval_every"] and s.step % cfg["eval_every"] == 0 and s.step < s.steps:
            log_steps.flush()
            s.metrics["eval_loss"] = _run_eval(s, check_cancel, adapter=True)
            log_steps.restart_clock()
        if s.step % cfg["checkpoint_every"] == 0 and s.step < s.steps:
            log_steps.flush()
            _write_checkpoint(s, rng_state(s.device))
            log_steps.restart_clock()
        check_cancel()
    log_steps.flush()
    return _run_eval(s, check_cancel, adapter=True) if s.eval_split is not None else None


def _train_step(s: Session, micro: List[Batch], n_targets: int, check_cancel: Callable[[], None]) -> List[torch.Tensor]:
    """One optimizer step over the micro-batches; returns their losses (still on the device).

    The first step of compiled blocks compiles them; if the compiler fails (no C compiler, a
    Triton or PyTorch bug), the step is undone (gradients dropped, RNG rewound) and redone
    eagerly: training is slower, not stopped.
    """
    try:
        return _step(s, micro, n_targets, check_cancel)
    except Cancelled:
        raise
    except Exception as e:  # noqa: BLE001 - any compiler failure; other errors recur eagerly and propagate
        if not is_compiled(s.model) or devices.is_out_of_memory(e):
            raise
        _give_up_compiling(s, e)
        s.optimizer.zero_grad(set_to_none=True)
        if s.boundary_rng is not None:
            set_rng_state(s.boundary_rng)
        return _step(s, micro, n_targets, check_cancel)


def _give_up_compiling(s: Session, error: Exception) -> None:
    first_line = str(error).splitlines()[0] if str(error) else ""
    log(f"torch.compile failed ({type(error).__name__}: {first_line}); going on without it")
    uncompile_blocks(s.model)


def _step(s: Session, micro: List[Batch], n_targets: int, check_cancel: Callable[[], None]) -> List[torch.Tensor]:
    losses = []
    for batch in micro:
        check_cancel()
        if not (batch[1] != -100).any():
            continue
        with devices.autocast(s.device, s.amp_dtype):
            loss = batch_loss_sum(s.model, batch, s.device) / max(1, n_targets)
        (s.scaler.scale(loss) if s.scaler is not None else loss).backward()
        losses.append(loss.detach())
    if s.scaler is not None:
        s.scaler.unscale_(s.optimizer)
    if s.cfg["max_grad_norm"] > 0:
        clip_grad_norm_(s.params, s.cfg["max_grad_norm"])
    if s.scaler is not None:
        s.scaler.step(s.optimizer)
        s.scaler.update()
    else:
        s.optimizer.step()
    s.optimizer.zero_grad(set_to_none=True)
    s.scheduler.step()
    return losses


def cancel(s: Session, signal_name: str) -> int:
    """After Cancelled: the adapter and optimizer are as they were after step s.step; gradients of
    a half-done step are dropped and the RNG rewound, so resuming redoes that step exactly.
    Writes the checkpoint, emits "cancelled"; returns 130."""
    s.optimizer.zero_grad(set_to_none=True)
    if s.step_log is not None:
        s.step_log.flush()
        s.metrics["elapsed_s"] = time.perf_counter() - s.step_log.started
    _write_checkpoint(s, s.boundary_rng or rng_state(s.device))
    emit("cancelled", step=s.step, signal=signal_name)
    return 130


def finish(s: Session, eval_loss: Optional[float]) -> Dict[str, Any]:
    """Phase 3: the final checkpoint, the adapter (PEFT format), metrics.json and the "done" event.
    Returns the metrics."""
    if s.step_log is not None:
        s.metrics["elapsed_s"] = time.perf_counter() - s.step_log.started
    _write_checkpoint(s, rng_state(s.device))
    cfg, lora, metrics = s.cfg, s.cfg["lora"], s.metrics
    base = s.model.cfg.hf.get("_name_or_path") or os.path.abspath(cfg["model_dir"])
    save_adapter(s.model, cfg["out_dir"], adapter_config(lora["r"], lora["alpha"], lora["dropout"], lora["target_modules"], base))
    base_loss = metrics["base_eval_loss"]
    result = {
        "base_eval_loss": base_loss,
        "base_eval_ppl": math.exp(min(base_loss, 50.0)) if base_loss is not None else None,
        "eval_loss": eval_loss,
        "eval_ppl": math.exp(min(eval_loss, 50.0)) if eval_loss is not None else None,
        "steps": s.step,
        "train_loss_last": metrics["train_loss_last"],
        "tokens_seen": metrics["tokens_seen"],
        "targets_seen": metrics["targets_seen"],
        "elapsed_s": metrics["elapsed_s"],
        "device": s.device.type,
        "dtype": s.precision,
        "seed": cfg["seed"],
        "train_examples": len(s.usable),
        "eval_examples": len(s.eval_split) if s.eval_split is not None else 0,
    }
    _write_json(os.path.join(cfg["out_dir"], METRICS_FILE), result)
    out = cfg["out_dir"]
    emit(
        "done",
        adapter_dir=out,
        adapter_config=os.path.join(out, "adapter_config.json"),
        adapter_model=os.path.join(out, "adapter_model.safetensors"),
        checkpoint=s.ckpt_path,
        metrics_file=os.path.join(out, METRICS_FILE),
        metrics=result,
    )
    return result
