"""The LoRA fine-tuning loop: data order, AdamW, warmup + cosine, accumulation, evaluation, checkpoints.

A checkpoint is one dict (nanoGPT style) holding everything a resumed run needs to continue as if
it had never stopped: adapter, optimizer, scheduler, step, the RNG states of python/numpy/torch,
the data order and position, and the config. It is written atomically every `checkpoint_every`
steps, at the end, and on SIGINT/SIGTERM; a resumed run — even after SIGKILL — ends with the same
adapter as an uninterrupted one.
"""

import json
import math
import os
import random
import signal
import time

import numpy as np
import torch
import torch.nn.functional as F
import torch.utils.checkpoint

from . import devices
from .lora import adapter_config, adapter_disabled, adapter_state_dict, inject_lora, load_adapter_state_dict, save_adapter
from .model import load_model
from .protocol import WorkerError, emit, log
from .shards import open_shards

CHECKPOINT_FILE = "checkpoint.pt"
METRICS_FILE = "metrics.json"
CHECKPOINT_VERSION = 1
BUCKET_BATCHES = 64  # length buckets span this many batches of a shuffled epoch
LOGITS_CHUNK_ELEMENTS = 1 << 26  # above this many logits (256 MB fp32) the LM head runs in recomputed chunks
# Config keys that must match between a checkpoint and the run resuming it.
RESUME_KEYS = ("model_dir", "data_dir", "seed", "lora", "batch_size", "grad_accum", "max_steps", "epochs", "max_seq_len")


class Cancelled(Exception):
    pass


# ---- data order ---------------------------------------------------------------------------------


def plan_epoch(lengths, batch_size, seed, epoch):
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


def plan_run(lengths, batch_size, micro_batches, seed):
    """Enough epochs of batches for `micro_batches` micro-batches."""
    plan, epoch = [], 0
    while len(plan) < micro_batches:
        plan.extend(plan_epoch(lengths, batch_size, seed, epoch))
        epoch += 1
    return plan[:micro_batches]


def collate(split, indices, max_len, pad_id):
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


def pack_rows(lengths, capacity):
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


def plan_rows(lengths, max_len):
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
    return best


def collate_packed(split, indices, max_len, pad_id):
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


def layout_cells(lengths, max_len, packed):
    """(rows, cells) of one micro-batch of examples with `lengths` predictions each (cut to
    max_len), as collate (packed=False: a row per example, as wide as the longest) or
    collate_packed (packed=True: rows as wide as the fullest) lays them out."""
    lengths = [min(int(n), max_len) for n in lengths]
    if not packed:
        return len(lengths), len(lengths) * max(lengths)
    rows = plan_rows(lengths, max_len)
    return len(rows), len(rows) * max(sum(lengths[j] for j in row) for row in rows)


def padding_fraction(split, batches, max_len, packed):
    """Share of the input cells (rows x width) of `batches` (lists of example indices of `split`)
    that are padding in the layout of collate or collate_packed. Lengths only: no tensors."""
    real = cells = 0
    for indices in batches:
        lengths = [min(int(split.lengths[i]) - 1, max_len) for i in indices]
        real += sum(lengths)
        cells += layout_cells(lengths, max_len, packed)[1]
    return 1 - real / cells if cells else 0.0


# ---- loss ---------------------------------------------------------------------------------------


def lm_loss_sum(model, input_ids, labels, position_ids=None, segment_ids=None):
    """Summed cross-entropy over the labelled positions; the LM head runs only at those positions.

    position_ids, segment_ids: for packed rows (collate_packed); None for padded ones.
    Large vocabularies (Qwen: 152k) would make a batch's logits GBs, so the head runs over chunks
    of positions; when training, each chunk's logits are recomputed in backward instead of kept.
    """
    where = labels != -100
    hidden, _ = model(input_ids, position_ids=position_ids, logits_mask=where, return_hidden=True, segment_ids=segment_ids)
    targets = labels[where]
    chunk = max(1, LOGITS_CHUNK_ELEMENTS // model.cfg.vocab_size)
    if hidden.shape[0] <= chunk:
        return _chunk_loss(model, hidden, targets)
    total = 0.0
    for h, t in zip(hidden.split(chunk), targets.split(chunk)):
        if torch.is_grad_enabled():
            total = total + torch.utils.checkpoint.checkpoint(_chunk_loss, model, h, t, use_reentrant=False)
        else:
            total = total + _chunk_loss(model, h, t)
    return total


def _chunk_loss(model, hidden, targets):
    return F.cross_entropy(model.project(hidden).float(), targets, reduction="sum")


def make_batch(split, indices, max_len, pad_id, pack):
    """(input_ids, labels, tokens, position_ids, segment_ids) of a micro-batch: packed rows when
    `pack`, else one right-padded row per example (position_ids and segment_ids None)."""
    if pack:
        return collate_packed(split, indices, max_len, pad_id)
    return collate(split, indices, max_len, pad_id) + (None, None)


def batch_loss_sum(model, batch, device):
    """lm_loss_sum of a make_batch micro-batch, moved to `device`."""
    input_ids, labels, _, positions, segments = batch
    to = lambda t: None if t is None else t.to(device)  # noqa: E731
    return lm_loss_sum(model, to(input_ids), to(labels), to(positions), to(segments))


@torch.no_grad()
def evaluate(model, split, batch_size, max_len, pad_id, device, amp_dtype, check_cancel, pack=True):
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


def lr_factor(step, warmup, total, min_ratio):
    """Multiplier of the peak lr for optimizer step `step` (0-based): linear warmup, cosine decay."""
    if step < warmup:
        return (step + 1) / (warmup + 1)
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


# ---- checkpoints --------------------------------------------------------------------------------


def rng_state(device):
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state_all()
    if device.type == "mps" and hasattr(torch, "mps") and hasattr(torch.mps, "get_rng_state"):
        state["mps"] = torch.mps.get_rng_state()
    return state


def set_rng_state(state):
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    if "mps" in state and hasattr(torch, "mps") and hasattr(torch.mps, "set_rng_state"):
        torch.mps.set_rng_state(state["mps"])


def save_checkpoint(path, state):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        torch.save(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)  # atomic: a kill leaves the previous checkpoint or the new one, never half


def load_checkpoint(path):
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


# ---- the run ------------------------------------------------------------------------------------


def run(cfg):
    """Train as configured (options.TRAIN). Returns the exit code: 0 done, 130 cancelled."""
    device = devices.pick_device(cfg["device"])
    threads = devices.set_threads(device, cfg["threads"])
    base_dtype, amp_dtype, precision = devices.pick_precision(device, cfg["precision"])
    os.makedirs(cfg["out_dir"], exist_ok=True)
    ckpt_path = os.path.join(cfg["out_dir"], CHECKPOINT_FILE)
    resume_state = None
    if cfg["resume"] and os.path.isfile(ckpt_path):
        resume_state = load_checkpoint(ckpt_path)
        changed = [k for k in RESUME_KEYS if resume_state.get("config", {}).get(k) != cfg.get(k)]
        if resume_state.get("version") != CHECKPOINT_VERSION or changed:
            raise WorkerError(
                "BAD_CONFIG",
                f"{ckpt_path} was made with a different {', '.join(changed) or 'checkpoint version'}: "
                "delete it or set resume false",
            )
    elif cfg["resume"]:
        log(f"no checkpoint in {cfg['out_dir']}: starting from the beginning")

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
    params = [p for p in model.parameters() if p.requires_grad]

    meta, splits = open_shards(cfg["data_dir"], model.cfg.vocab_size)
    max_len = (cfg["max_seq_len"] or int(meta["max_seq_len"])) - 1  # n tokens give n-1 predictions
    pad_id = int(meta["pad_token_id"])
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
    steps = cfg["max_steps"] or max(1, math.ceil(cfg["epochs"] * batches_per_epoch / cfg["grad_accum"]))
    ga = cfg["grad_accum"]
    data_id = {"train": meta["splits"]["train"], "vocab_size": meta["vocab_size"]}  # what the plan indexes into
    if resume_state is not None:
        if resume_state.get("data") != data_id:
            raise WorkerError("BAD_CONFIG", f"the data in {cfg['data_dir']} changed since {ckpt_path} was written: delete it or set resume false")
        plan = resume_state["plan"]
    else:
        local = plan_run(train_split.lengths[usable], cfg["batch_size"], steps * ga, seed)
        plan = [[int(usable[i]) for i in batch] for batch in local]

    optimizer = torch.optim.AdamW(params, lr=cfg["lr"], weight_decay=cfg["weight_decay"], betas=(0.9, 0.999), eps=1e-8)
    schedule = lambda s: lr_factor(s, cfg["warmup_steps"], steps, cfg["min_lr_ratio"])  # noqa: E731
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    scaler = None
    if amp_dtype == torch.float16 and device.type == "cuda":  # fp16 needs loss scaling; bf16 does not
        scaler = torch.amp.GradScaler("cuda") if hasattr(torch.amp, "GradScaler") else torch.cuda.amp.GradScaler()

    metrics = {"base_eval_loss": None, "tokens_seen": 0, "targets_seen": 0, "train_loss_last": None, "elapsed_s": 0.0}
    step = 0
    if resume_state is not None:
        load_adapter_state_dict(model, resume_state["adapter"], ckpt_path)
        optimizer.load_state_dict(resume_state["optimizer"])
        scheduler.load_state_dict(resume_state["scheduler"])
        if scaler is not None and resume_state.get("scaler"):
            scaler.load_state_dict(resume_state["scaler"])
        set_rng_state(resume_state["rng"])
        metrics.update(resume_state["metrics"])
        step = resume_state["step"]
        log(f"resuming from step {step} of {steps}")

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
        resumed_from=step if resume_state is not None else None,
    )

    # SIGINT/SIGTERM only raise a flag; the loop checks it where state is consistent.
    stop = {"signal": None}

    def on_signal(signum, _frame):
        stop["signal"] = signum

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}

    # The worker is a child of `understudy train`; if that process dies (SIGKILL, a crash), this
    # one is re-parented. Stop as on SIGTERM (checkpoint first) instead of training on as an
    # orphan next to the run that a restarted daemon may start.
    parent = os.getppid()

    def check_cancel():
        if stop["signal"] is None and os.getppid() != parent:
            log(f"the parent process {parent} is gone: stopping")
            stop["signal"] = signal.SIGTERM
        if stop["signal"] is not None:
            raise Cancelled()

    def checkpoint_state(at_step, rng):
        return {
            "version": CHECKPOINT_VERSION,
            "step": at_step,
            "adapter": adapter_state_dict(model),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "scaler": scaler.state_dict() if scaler is not None else None,
            "rng": rng,
            "plan": plan,
            "data": data_id,
            "position": at_step * ga,  # index of the next micro-batch in `plan`
            "config": cfg,
            "metrics": dict(metrics),
        }

    eval_bs = cfg["eval_batch_size"] or cfg["batch_size"]
    # Packing changes only the layout of a micro-batch (same examples, same loss, less padding).
    pack = cfg["pack"]

    def run_eval(at_step, adapter):
        loss = evaluate(model, eval_split, eval_bs, max_len, pad_id, device, amp_dtype, check_cancel, pack)
        emit("eval", step=at_step, loss=loss, ppl=math.exp(min(loss, 50.0)), adapter=adapter)
        return loss

    boundary_rng = rng_state(device)  # state at the start of the step in progress
    started = time.perf_counter() - metrics["elapsed_s"]
    try:
        model.train()
        if eval_split is not None and metrics["base_eval_loss"] is None:
            with adapter_disabled(model):
                metrics["base_eval_loss"] = run_eval(step, adapter=False)
        while step < steps:
            t0 = time.perf_counter()
            micro = [make_batch(train_split, plan[step * ga + j], max_len, pad_id, pack) for j in range(ga)]
            n_targets = sum(int((batch[1] != -100).sum()) for batch in micro)
            loss_total = 0.0
            for batch in micro:
                check_cancel()
                if not (batch[1] != -100).any():
                    continue
                with devices.autocast(device, amp_dtype):
                    loss = batch_loss_sum(model, batch, device) / max(1, n_targets)
                (scaler.scale(loss) if scaler is not None else loss).backward()
                loss_total += float(loss)
            if scaler is not None:
                scaler.unscale_(optimizer)
            if cfg["max_grad_norm"] > 0:
                torch.nn.utils.clip_grad_norm_(params, cfg["max_grad_norm"])
            lr = optimizer.param_groups[0]["lr"]
            if scaler is not None:
                scaler.step(optimizer)
                scaler.update()
            else:
                optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            scheduler.step()
            step += 1
            boundary_rng = rng_state(device)  # a cancel from here on resumes at the next step
            tokens = sum(batch[2] for batch in micro)
            dt = time.perf_counter() - t0
            metrics["tokens_seen"] += tokens
            metrics["targets_seen"] += n_targets
            metrics["train_loss_last"] = loss_total
            metrics["elapsed_s"] = time.perf_counter() - started
            emit("step", step=step, steps=steps, loss=loss_total, lr=lr, tokens_per_s=tokens / dt, elapsed_s=metrics["elapsed_s"])
            if eval_split is not None and cfg["eval_every"] and step % cfg["eval_every"] == 0 and step < steps:
                metrics["eval_loss"] = run_eval(step, adapter=True)
            if step % cfg["checkpoint_every"] == 0 and step < steps:
                save_checkpoint(ckpt_path, checkpoint_state(step, rng_state(device)))
                emit("checkpoint", step=step, path=ckpt_path)
            check_cancel()
        eval_loss = run_eval(step, adapter=True) if eval_split is not None else None
    except Cancelled:
        # The adapter and optimizer are as they were after step `step`; gradients of a half-done
        # step are dropped and the RNG rewound, so resuming redoes that step exactly.
        optimizer.zero_grad(set_to_none=True)
        metrics["elapsed_s"] = time.perf_counter() - started
        save_checkpoint(ckpt_path, checkpoint_state(step, boundary_rng))
        emit("checkpoint", step=step, path=ckpt_path)
        emit("cancelled", step=step, signal=signal.Signals(stop["signal"]).name)
        return 130
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)

    metrics["elapsed_s"] = time.perf_counter() - started
    save_checkpoint(ckpt_path, checkpoint_state(step, rng_state(device)))
    emit("checkpoint", step=step, path=ckpt_path)
    config = adapter_config(lora["r"], lora["alpha"], lora["dropout"], lora["target_modules"], model.cfg.hf.get("_name_or_path") or os.path.abspath(cfg["model_dir"]))
    save_adapter(model, cfg["out_dir"], config)
    result = {
        "base_eval_loss": metrics["base_eval_loss"],
        "base_eval_ppl": math.exp(min(metrics["base_eval_loss"], 50.0)) if metrics["base_eval_loss"] is not None else None,
        "eval_loss": eval_loss,
        "eval_ppl": math.exp(min(eval_loss, 50.0)) if eval_loss is not None else None,
        "steps": step,
        "train_loss_last": metrics["train_loss_last"],
        "tokens_seen": metrics["tokens_seen"],
        "targets_seen": metrics["targets_seen"],
        "elapsed_s": metrics["elapsed_s"],
        "device": device.type,
        "dtype": precision,
        "seed": seed,
        "train_examples": len(usable),
        "eval_examples": len(eval_split) if eval_split is not None else 0,
    }
    _write_json(os.path.join(cfg["out_dir"], METRICS_FILE), result)
    out = cfg["out_dir"]
    emit(
        "done",
        adapter_dir=out,
        adapter_config=os.path.join(out, "adapter_config.json"),
        adapter_model=os.path.join(out, "adapter_model.safetensors"),
        checkpoint=ckpt_path,
        metrics_file=os.path.join(out, METRICS_FILE),
        metrics=result,
    )
    return 0
