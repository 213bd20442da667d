#!/usr/bin/env python3
"""Understudy's training worker: the process the daemon spawns for training, export and checks.

    python3 models/trainer/worker.py COMMAND --config FILE.json     (or --config - for stdin)

COMMAND is one of: train, export, export-gguf, logits, generate, bench, devices. stdout carries only JSON
lines ({"event": ...}, one per line); logs go to stderr. Exit codes: 0 done, 1 error (an "error"
event with a code), 2 usage error, 130 cancelled by SIGINT/SIGTERM.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType
from typing import Any

# Protocol first, before anything heavy: it works without torch.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from trainer.protocol import WorkerError, emit  # noqa: E402

COMMANDS = ("train", "export", "export-gguf", "logits", "generate", "bench", "devices")


class UsageError(WorkerError):
    """Bad command line (exit code 2), as opposed to a bad config file (exit code 1)."""

    def __init__(self, message: str) -> None:
        super().__init__("BAD_CONFIG", message)

NO_TORCH_HELP = (
    "PyTorch and numpy are needed for training. Install them for {python} with: "
    "sudo apt-get install python3-torch python3-numpy (Debian/Ubuntu), "
    "or pip install torch numpy (see https://pytorch.org/get-started/locally/ for the CUDA build); "
    "then run this again. ({error})"
)


def _import_torch() -> None:
    try:
        import numpy  # noqa: F401
        import torch  # noqa: F401
    except ImportError as e:
        raise WorkerError("NO_TORCH", NO_TORCH_HELP.format(python=sys.executable, error=e)) from None


def _parse_args(argv: Sequence[str]) -> tuple[str, Any]:
    usage = f"usage: worker.py {{{','.join(COMMANDS)}}} --config FILE.json|-"
    if not argv or argv[0] in ("-h", "--help"):
        raise UsageError(usage)
    command, rest = argv[0], list(argv[1:])
    if command not in COMMANDS:
        raise UsageError(f"unknown command {command!r}; {usage}")
    config_path = None
    while rest:
        flag = rest.pop(0)
        if flag == "--config" and rest:
            config_path = rest.pop(0)
        elif flag.startswith("--config="):
            config_path = flag.split("=", 1)[1]
        else:
            raise UsageError(f"unexpected argument {flag!r}; {usage}")
    if config_path is None:
        if command in ("devices", "bench"):
            return command, {}
        raise UsageError(f"{command} needs --config; {usage}")
    try:
        if config_path == "-":
            text = sys.stdin.read()
        else:
            with open(config_path, encoding="utf-8") as f:
                text = f.read()
        return command, json.loads(text)
    except OSError as e:
        raise WorkerError("BAD_CONFIG", f"cannot read config {config_path}: {e.strerror}") from None
    except ValueError as e:
        raise WorkerError("BAD_CONFIG", f"config {config_path} is not valid JSON: {e}") from None


def run(command: str, raw_config: Any) -> int:
    """Runs one command on its raw (unvalidated) JSON config; returns the exit code. Raises WorkerError."""
    _import_torch()
    from trainer import devices
    from trainer.options import SPECS, validate

    cfg = validate(raw_config, SPECS[command])
    try:
        if command == "train":
            from trainer.train import run as train

            return train(cfg)
        if command == "export":
            from trainer.export_onnx import export

            return export(cfg)
        if command == "export-gguf":
            from trainer.export_gguf import export_gguf

            return export_gguf(cfg)
        if command == "logits":
            from trainer.infer import logits_command

            return logits_command(cfg)
        if command == "generate":
            from trainer.infer import generate_command

            return generate_command(cfg)
        if command == "bench":
            from trainer.bench import bench

            return bench(cfg)
        emit("devices", **devices.describe())
        return 0
    except RuntimeError as e:
        if devices.is_out_of_memory(e):
            raise WorkerError(
                "OUT_OF_MEMORY",
                f"the device ran out of memory ({str(e).splitlines()[0]}). Use a smaller batch_size (with a larger "
                "grad_accum to keep the effective batch), a shorter max_seq_len, or a smaller base model.",
            ) from None
        raise


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt()


def main(argv: Sequence[str] | None = None) -> int:
    """The worker's command line: parse, run, and report every failure as an error event; returns the exit code."""
    real_stdout = sys.stdout
    sys.stdout = sys.stderr  # stray prints (ours or a library's) must not corrupt the JSON stream
    previous_sigterm = signal.signal(signal.SIGTERM, _interrupt)  # stop like Ctrl-C; training installs its own
    try:
        command, raw = _parse_args(sys.argv[1:] if argv is None else argv)
        return run(command, raw)
    except WorkerError as e:
        emit("error", code=e.code, message=e.message)
        return 2 if isinstance(e, UsageError) else 1
    except KeyboardInterrupt:
        emit("cancelled", step=None)
        return 130
    except Exception as e:  # noqa: BLE001 - last resort: report, never crash silently
        import traceback

        traceback.print_exc()
        emit("error", code="INTERNAL", message=f"{type(e).__name__}: {e} (a bug: please report it with the log above)")
        return 1
    finally:
        sys.stdout = real_stdout
        signal.signal(signal.SIGTERM, previous_sigterm)


if __name__ == "__main__":
    sys.exit(main())
