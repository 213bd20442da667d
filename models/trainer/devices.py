"""The one place that decides the backend: device (cuda, mps, cpu), CPU threads, precision."""

from __future__ import annotations

import contextlib
import os
from typing import Any

import torch
import torch.backends.cuda  # named so the type checker knows torch.backends (old torch's stubs omit it)

from .protocol import WorkerError


def mps_available() -> bool:
    """Whether Apple's Metal backend is built into this PyTorch and usable here."""
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def describe() -> dict[str, Any]:
    """What this PyTorch can use, for the `devices` command and the daemon's device detection."""
    cuda = torch.cuda.is_available()
    gpus = []
    if cuda:
        for i in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(i)
            gpus.append({"index": i, "name": props.name, "memory_bytes": props.total_memory})
    return {
        "torch": torch.__version__,
        "cuda": cuda,
        "cuda_devices": gpus,
        "bf16": bool(cuda and torch.cuda.is_bf16_supported()),
        "mps": mps_available(),
        "cpu_threads": os.cpu_count(),
        "default": pick_device("auto").type,
    }


def pick_device(name: str) -> torch.device:
    """auto: cuda if available, else mps, else cpu. An unavailable explicit choice is an error."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        why = "this PyTorch was built without CUDA" if not torch.backends.cuda.is_built() else "no CUDA GPU is visible"
        raise WorkerError("DEVICE_UNAVAILABLE", f"device cuda requested but {why}; use device auto or cpu")
    if name == "mps" and not mps_available():
        raise WorkerError("DEVICE_UNAVAILABLE", "device mps requested but Apple Metal is not available; use device auto or cpu")
    return torch.device(name)


def usable_cpus() -> int:
    """The cores this process may run on: its CPU affinity (taskset, a container's cpuset) where the
    OS reports one, else every core. More threads than that only take turns on the same cores
    (OpenMP's waits then cost more than the extra threads bring)."""
    affinity = getattr(os, "sched_getaffinity", None)  # Linux
    if affinity is not None:
        try:
            return max(1, len(affinity(0)))
        except OSError:
            pass
    return os.cpu_count() or 1


def set_threads(device: torch.device, threads: int | None = None) -> int:
    """On CPU use every usable core (Debian's torch defaults to one thread)."""
    n = threads or usable_cpus()
    if device.type == "cpu" or threads:
        torch.set_num_threads(n)
    return torch.get_num_threads()


def pick_precision(device: torch.device, requested: str = "auto") -> tuple[torch.dtype, torch.dtype | None, str]:
    """(weights dtype of the frozen base, autocast dtype or None, name) for training on `device`.

    CUDA: bf16 where the GPU has it (Ampere and newer), else fp16 with loss scaling.
    MPS: fp32 unless fp16 is asked for and this PyTorch can autocast on MPS. CPU: fp32.
    """
    if requested == "auto":
        if device.type == "cuda":
            requested = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        else:
            requested = "fp32"
    if requested == "fp32":
        return torch.float32, None, "fp32"
    if device.type == "cpu":
        raise WorkerError("BAD_CONFIG", f"precision {requested} is not supported on cpu; use fp32 or auto")
    if requested == "bf16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise WorkerError("DEVICE_UNAVAILABLE", "this GPU has no bf16; use precision fp16 or auto")
    dtype = torch.bfloat16 if requested == "bf16" else torch.float16
    if device.type == "mps" and not _can_autocast(device, dtype):
        raise WorkerError("DEVICE_UNAVAILABLE", f"this PyTorch cannot autocast to {requested} on mps; use precision fp32")
    return dtype, dtype, requested


def _can_autocast(device: torch.device, dtype: torch.dtype) -> bool:
    try:
        with torch.autocast(device_type=device.type, dtype=dtype):
            _ = torch.ones(2, 2, device=device) @ torch.ones(2, 2, device=device)
        return True
    except Exception:  # noqa: BLE001 - older torch: "User specified autocast device_type must be 'cuda' or 'cpu'"
        return False


def autocast(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager[Any]:
    """Autocast to `dtype` on `device`, or a no-op context when dtype is None (fp32)."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def is_out_of_memory(error: BaseException) -> bool:
    """Whether `error` is the device (or the host) running out of memory."""
    text = str(error).lower()
    return isinstance(error, RuntimeError) and ("out of memory" in text or "can't allocate memory" in text)


def empty_cache(device: torch.device) -> None:
    """Returns cached CUDA memory to the driver (after an out-of-memory retry); nothing elsewhere."""
    if device.type == "cuda":
        torch.cuda.empty_cache()
