"""How much of a training run's input is padding, padded one example per row vs packed.

    python3 -m trainer.padding DATA_DIR [--batch-size 4] [--max-seq-len N] [--seed 1234] [--epochs 1]

Reads the shards of DATA_DIR (src/dataset/shards.ts), plans the epochs exactly as a training run
with these settings would (train.plan_epoch: shuffled, length-bucketed batches of the examples
that carry targets), and prints one JSON line: the share of input cells (rows x width summed
over micro-batches) that are padding with one padded row per example as wide as the batch's
longest (the layout before packing), with packed rows (train.collate_packed), and, for
reference, with every row max_seq_len wide ("fixed", as pad-to-max-length collators do).
Lengths only: no model, no tensors, seconds.
"""

from __future__ import annotations

import argparse
import json
import sys

from collections.abc import Sequence
from typing import Any

import numpy as np

from .protocol import WorkerError
from .shards import open_shards
from .train import layout_cells, plan_run


def padding_report(
    data_dir: str, batch_size: int = 4, max_seq_len: int | None = None, seed: int = 1234, epochs: float = 1.0
) -> dict[str, Any]:
    """{"examples", "tokens", "micro_batches", "padded": {...}, "packed": {...}} for the train split,
    each layout with its "rows", "cells" and "padding_fraction" (padding cells / all cells)."""
    meta, splits = open_shards(data_dir)
    split = splits["train"]
    max_len = (max_seq_len or int(meta["max_seq_len"])) - 1  # n tokens give n-1 predictions
    usable = np.nonzero(split.target_counts() > 0)[0]
    micro = max(1, int(np.ceil(epochs * len(usable) / batch_size)))
    plan = plan_run(split.lengths[usable], batch_size, micro, seed)
    real = 0
    layouts = {"padded": [0, 0], "packed": [0, 0]}  # rows, cells
    for batch in plan:
        lengths = [min(int(split.lengths[usable[i]]) - 1, max_len) for i in batch]
        real += sum(lengths)
        for name, packed in (("padded", False), ("packed", True)):
            rows, cells = layout_cells(lengths, max_len, packed)
            layouts[name][0] += rows
            layouts[name][1] += cells
    out: dict[str, Any] = {"examples": int(len(usable)), "tokens": real, "micro_batches": len(plan), "batch_size": batch_size, "max_seq_len": max_len + 1}
    layouts["fixed"] = [sum(len(b) for b in plan), sum(len(b) for b in plan) * max_len]  # every row max_len wide
    for name, (rows, cells) in layouts.items():
        out[name] = {"rows": rows, "cells": cells, "padding_fraction": 1 - real / cells if cells else 0.0}
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """The command line (see the module docstring); returns the exit code: 0, or 2 for unreadable data."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("data_dir")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--max-seq-len", type=int, default=None)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--epochs", type=float, default=1.0)
    args = parser.parse_args(argv)
    if args.batch_size < 1 or (args.max_seq_len is not None and args.max_seq_len < 2) or args.epochs <= 0:
        parser.error("--batch-size must be >= 1, --max-seq-len >= 2 and --epochs > 0")
    try:
        report = padding_report(args.data_dir, args.batch_size, args.max_seq_len, args.seed, args.epochs)
    except WorkerError as e:
        print(f"error [{e.code}]: {e}", file=sys.stderr)
        return 2
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
