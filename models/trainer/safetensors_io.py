"""Read and write the safetensors format by hand (no `safetensors` package needed).

Format (https://github.com/huggingface/safetensors#format): an 8-byte little-endian unsigned
header length N, then N bytes of JSON mapping tensor name -> {"dtype", "shape", "data_offsets":
[begin, end]} (offsets relative to the end of the header; an optional "__metadata__" entry holds
string pairs), then the raw little-endian tensor bytes. Sharded checkpoints add
`model.safetensors.index.json` whose "weight_map" maps tensor name -> shard file.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import KeysView, Mapping
from typing import Any

import numpy as np
import torch

from .protocol import WorkerError

# safetensors dtype -> (numpy dtype used to read the bytes, torch dtype, bytes per element).
# BF16 has no numpy dtype: it is read as int16 and reinterpreted (see _to_torch).
_DTYPES = {
    "F64": (np.float64, torch.float64, 8),
    "F32": (np.float32, torch.float32, 4),
    "F16": (np.float16, torch.float16, 2),
    "BF16": (np.int16, torch.bfloat16, 2),
    "I64": (np.int64, torch.int64, 8),
    "I32": (np.int32, torch.int32, 4),
    "I16": (np.int16, torch.int16, 2),
    "I8": (np.int8, torch.int8, 1),
    "U8": (np.uint8, torch.uint8, 1),
    "BOOL": (np.bool_, torch.bool, 1),
}
_TORCH_TO_NAME = {torch_dtype: name for name, (_, torch_dtype, _) in _DTYPES.items()}

INDEX_FILE = "model.safetensors.index.json"
SINGLE_FILE = "model.safetensors"
BIN_INDEX_FILE = "pytorch_model.bin.index.json"
BIN_FILE = "pytorch_model.bin"


def _bf16_from_int16(raw: torch.Tensor) -> torch.Tensor:
    """int16 bit patterns -> bfloat16 tensor; the shift path is for torch builds without view(dtype)."""
    try:
        return raw.view(torch.bfloat16)
    except (RuntimeError, TypeError):  # bf16 is the top half of an fp32: widen, shift, reinterpret
        return ((raw.to(torch.int32) & 0xFFFF) << 16).view(torch.float32).to(torch.bfloat16)


class SafetensorsFile:
    """One .safetensors file, memory-mapped; tensors are materialised only when asked for."""

    def __init__(self, path: str) -> None:
        self.path = path
        if not os.path.isfile(path):
            raise WorkerError("MODEL_NOT_FOUND", f"{path} does not exist")
        size = os.path.getsize(path)
        name = os.path.basename(path)
        if size < 8:
            raise WorkerError("MODEL_CORRUPT", f"{path}: file is {size} bytes, too short for a safetensors header")
        with open(path, "rb") as f:
            (header_len,) = struct.unpack("<Q", f.read(8))
            if header_len > size - 8:
                raise WorkerError(
                    "MODEL_CORRUPT",
                    f"{path}: truncated header (header says {header_len} bytes, file has {size - 8} after the length)",
                )
            raw_header = f.read(header_len)
        try:
            header = json.loads(raw_header.decode("utf-8"))
            if not isinstance(header, dict):
                raise ValueError("header is not a JSON object")
        except (UnicodeDecodeError, ValueError) as e:
            raise WorkerError("MODEL_CORRUPT", f"{path}: header is not valid JSON ({e})") from None
        self.metadata = header.pop("__metadata__", None) or {}
        self._data_start = 8 + header_len
        data_len = size - self._data_start
        self.entries: dict[str, tuple[str, tuple[int, ...], int]] = {}
        for key, info in header.items():
            try:
                dtype, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
                if dtype not in _DTYPES:
                    raise ValueError(f"unsupported dtype {dtype!r}")
                if not all(isinstance(d, int) and d >= 0 for d in shape):
                    raise ValueError(f"bad shape {shape!r}")
                want = int(np.prod(shape, dtype=np.int64)) * _DTYPES[dtype][2]
                if end - begin != want or begin < 0:
                    raise ValueError(f"data_offsets {begin}..{end} do not fit shape {shape} of {dtype}")
            except (KeyError, TypeError, ValueError) as e:
                raise WorkerError("MODEL_CORRUPT", f"{path}: bad header entry for tensor {key!r} ({e})") from None
            if end > data_len:
                raise WorkerError(
                    "MODEL_CORRUPT",
                    f"{path}: truncated data: tensor {key!r} ends at byte {end} but {name} holds {data_len} data bytes",
                )
            self.entries[key] = (dtype, tuple(shape), begin)
        self._map: np.memmap[Any, np.dtype[np.uint8]] | None = None

    def keys(self) -> KeysView[str]:
        """The tensor names in this file."""
        return self.entries.keys()

    def shape(self, key: str) -> tuple[int, ...]:
        """The shape of tensor `key`, read from the header (no data is touched)."""
        return self.entries[key][1]

    def get(self, key: str) -> torch.Tensor:
        """The tensor `key` as a torch tensor in its stored dtype (a private copy, not a view of the file)."""
        dtype, shape, begin = self.entries[key]
        np_dtype, torch_dtype, itemsize = _DTYPES[dtype]
        count = int(np.prod(shape, dtype=np.int64))
        if count == 0:
            return torch.zeros(shape, dtype=torch_dtype)
        if self._map is None:
            self._map = np.memmap(self.path, dtype=np.uint8, mode="r")
        start = self._data_start + begin
        raw = np.frombuffer(self._map[start : start + count * itemsize], dtype=np.dtype(np_dtype).newbyteorder("<"))
        tensor = torch.from_numpy(raw.astype(np.dtype(np_dtype), copy=True)).reshape(shape)
        return _bf16_from_int16(tensor) if dtype == "BF16" else tensor


def load_file(path: str) -> dict[str, torch.Tensor]:
    """All tensors of one safetensors file as {name: tensor}."""
    f = SafetensorsFile(path)
    return {key: f.get(key) for key in f.keys()}


def save_file(tensors: Mapping[str, torch.Tensor], path: str, metadata: Mapping[str, Any] | None = None) -> None:
    """Write {name: tensor} to `path` atomically (temp file + rename)."""
    header: dict[str, Any] = {}
    chunks: list[bytes] = []
    offset = 0
    for key in sorted(tensors):
        t = tensors[key].detach().to("cpu").contiguous()
        if t.dtype not in _TORCH_TO_NAME:
            raise ValueError(f"cannot save {key}: dtype {t.dtype} has no safetensors name")
        if t.dtype == torch.bfloat16:
            data = t.view(torch.int16).numpy().astype("<i2").tobytes()
        else:
            data = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        header[key] = {"dtype": _TORCH_TO_NAME[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)  # pad with spaces so the data starts 8-byte aligned
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for chunk in chunks:
            f.write(chunk)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class Checkpoint:
    """The weights of a Hugging Face model folder: model.safetensors, or shards via the index
    (or, failing both, pytorch_model.bin files)."""

    def __init__(self, model_dir: str) -> None:
        index_path = os.path.join(model_dir, INDEX_FILE)
        single_path = os.path.join(model_dir, SINGLE_FILE)
        self._files: dict[str, SafetensorsFile] = {}
        self._where: dict[str, SafetensorsFile | _Tensors] = {}
        if os.path.isfile(index_path):
            try:
                with open(index_path, encoding="utf-8") as f:
                    weight_map = json.load(f)["weight_map"]
                if not isinstance(weight_map, dict):
                    raise ValueError("weight_map is not an object")
            except (ValueError, KeyError, TypeError) as e:
                raise WorkerError("MODEL_CORRUPT", f"{index_path}: not a valid safetensors index ({e})") from None
            for key, shard in weight_map.items():
                if shard not in self._files:
                    shard_path = os.path.join(model_dir, shard)
                    if not os.path.isfile(shard_path):
                        raise WorkerError("MODEL_NOT_FOUND", f"{shard_path} (listed in {INDEX_FILE}) does not exist")
                    self._files[shard] = SafetensorsFile(shard_path)
                if key not in self._files[shard].entries:
                    raise WorkerError("MODEL_CORRUPT", f"{INDEX_FILE} puts {key!r} in {shard}, which does not hold it")
                self._where[key] = self._files[shard]
        elif os.path.isfile(single_path):
            f = SafetensorsFile(single_path)
            self._files[SINGLE_FILE] = f
            self._where = {key: f for key in f.keys()}
        elif os.path.isfile(os.path.join(model_dir, BIN_INDEX_FILE)) or os.path.isfile(os.path.join(model_dir, BIN_FILE)):
            self._load_bin(model_dir)
        else:
            raise WorkerError("MODEL_NOT_FOUND", f"no {SINGLE_FILE} or {INDEX_FILE} in {model_dir}")

    def _load_bin(self, model_dir: str) -> None:
        """Older checkpoints (e.g. some Llama 2 fine-tunes) ship only PyTorch pickles. They are read
        with weights_only=True, which refuses anything but tensors, so a hostile file cannot run code."""
        index_path = os.path.join(model_dir, BIN_INDEX_FILE)
        if os.path.isfile(index_path):
            try:
                with open(index_path, encoding="utf-8") as f:
                    files = sorted(set(json.load(f)["weight_map"].values()))
            except (ValueError, KeyError, TypeError, AttributeError) as e:
                raise WorkerError("MODEL_CORRUPT", f"{index_path}: not a valid index ({e})") from None
        else:
            files = [BIN_FILE]
        for name in files:
            path = os.path.join(model_dir, name)
            if not os.path.isfile(path):
                raise WorkerError("MODEL_NOT_FOUND", f"{path} does not exist")
            try:
                tensors = torch.load(path, map_location="cpu", weights_only=True)
            except TypeError:  # torch < 1.13 cannot load safely
                raise WorkerError("MODEL_CORRUPT", f"{path}: this PyTorch cannot load .bin weights safely; convert to safetensors") from None
            except Exception as e:  # noqa: BLE001 - pickle/zip errors of a damaged or non-tensor file
                raise WorkerError("MODEL_CORRUPT", f"{path} cannot be read as PyTorch weights ({e})") from None
            holder = _Tensors(tensors)
            self._where.update({key: holder for key in tensors})

    def keys(self) -> KeysView[str]:
        """Every tensor name of the checkpoint, across its files."""
        return self._where.keys()

    def __contains__(self, key: object) -> bool:
        return key in self._where

    def shape(self, key: str) -> tuple[int, ...]:
        """The shape of tensor `key`."""
        return self._where[key].shape(key)

    def get(self, key: str) -> torch.Tensor:
        """Tensor `key`, loaded from whichever file holds it."""
        return self._where[key].get(key)


class _Tensors:
    """Tensors already in memory, with the same get/shape surface as SafetensorsFile."""

    def __init__(self, tensors: dict[str, torch.Tensor]) -> None:
        self.tensors = tensors

    def shape(self, key: str) -> tuple[int, ...]:
        return tuple(self.tensors[key].shape)

    def get(self, key: str) -> torch.Tensor:
        return self.tensors[key]
