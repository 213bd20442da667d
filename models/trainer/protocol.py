"""The worker's line protocol: one JSON object per line on stdout, logs on stderr, coded errors."""

from __future__ import annotations

import json
import math
import sys
from typing import Any

# The real stdout, captured before worker.main() points sys.stdout at stderr so that a stray
# print() from anywhere can never corrupt the protocol stream.
_OUT = sys.stdout

ERROR_CODES = {
    "NO_TORCH": "PyTorch (or numpy) is not installed for this Python",
    "BAD_CONFIG": "the command's config is invalid",
    "MODEL_NOT_FOUND": "a model or adapter file is missing",
    "MODEL_CORRUPT": "a model or adapter file is truncated or inconsistent",
    "UNSUPPORTED_ARCH": "the model architecture is not implemented",
    "DATA_NOT_FOUND": "the training data directory or one of its files is missing",
    "DATA_CORRUPT": "the training shards are inconsistent",
    "EMPTY_DATASET": "the training split has no usable examples",
    "OUT_OF_MEMORY": "the device ran out of memory",
    "DEVICE_UNAVAILABLE": "the requested device is not available",
    "EXPORT_FAILED": "the ONNX export failed",
    "INTERNAL": "an unexpected error (a bug)",
}


class WorkerError(Exception):
    """An error the caller can branch on: `code` is one of ERROR_CODES, `message` says what to do."""

    def __init__(self, code: str, message: str) -> None:
        assert code in ERROR_CODES, code
        super().__init__(message)
        self.code = code
        self.message = message


def _clean(value: Any) -> Any:
    # JSON has no NaN/Infinity: report them as null rather than emit an unparseable line.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def emit(event: str, **fields: Any) -> None:
    """Write one protocol event as a single flushed JSON line on the real stdout."""
    _OUT.write(json.dumps(_clean({"event": event, **fields}), separators=(",", ":")) + "\n")
    _OUT.flush()


def log(*parts: object) -> None:
    """Human-readable progress for stderr (the daemon forwards it to its log)."""
    print(*parts, file=sys.stderr, flush=True)
