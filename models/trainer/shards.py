"""Training shards written by the TypeScript side (src/dataset/): reader, validation, and a writer for tests.

Layout of DATA_DIR (all little-endian):
    meta.json        {"format": "understudy-shards", "version": 1, "vocab_size", "eos_token_id",
                      "pad_token_id", "max_seq_len", "splits": {"train": {"examples", "tokens"}, "eval": {…}}}
    S.tokens.bin     uint32 token ids of all examples of split S, concatenated
    S.mask.bin       uint8 per token: 1 where the token is a training target (the reply and its
                     end-of-turn token), else 0
    S.index.bin      int64 pairs (offset in tokens, length), one per example

An example of n tokens gives n-1 predictions: input tokens[0:n-1], target tokens[1:n], and the
loss counts target t only where mask[t] == 1 (the usual causal shift).
"""

from __future__ import annotations

import json
import os

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

import numpy as np
import numpy.typing as npt

from .protocol import WorkerError

FORMAT = "understudy-shards"
VERSION = 1
SPLITS = ("train", "eval")


def write_shards(
    directory: str,
    splits: Mapping[str, Sequence[tuple[Sequence[int], Sequence[int]]]],
    vocab_size: int,
    eos: int,
    pad: int,
    max_seq_len: int,
) -> None:
    """Write `splits` = {"train": [(tokens, mask), …], "eval": […]} in the shard format."""
    os.makedirs(directory, exist_ok=True)
    meta_splits: dict[str, dict[str, int]] = {}
    for name, examples in splits.items():
        tokens: list[int] = []
        masks: list[int] = []
        index: list[tuple[int, int]] = []
        offset = 0
        for toks, mask in examples:
            if len(toks) != len(mask):
                raise ValueError(f"{name}: an example has {len(toks)} tokens but {len(mask)} mask values")
            tokens.extend(toks)
            masks.extend(mask)
            index.append((offset, len(toks)))
            offset += len(toks)
        np.asarray(tokens, dtype="<u4").tofile(os.path.join(directory, f"{name}.tokens.bin"))
        np.asarray(masks, dtype=np.uint8).tofile(os.path.join(directory, f"{name}.mask.bin"))
        np.asarray(index, dtype="<i8").reshape(-1, 2).tofile(os.path.join(directory, f"{name}.index.bin"))
        meta_splits[name] = {"examples": len(examples), "tokens": offset}
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "vocab_size": vocab_size,
        "eos_token_id": eos,
        "pad_token_id": pad,
        "max_seq_len": max_seq_len,
        "splits": meta_splits,
    }
    with open(os.path.join(directory, "meta.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=2)


class Split:
    """One split, memory-mapped. `example(i)` -> (input ids, target ids, target mask) as numpy arrays."""

    def __init__(
        self,
        name: str,
        tokens: npt.NDArray[np.uint32],
        mask: npt.NDArray[np.uint8],
        offsets: npt.NDArray[np.int64],
        lengths: npt.NDArray[np.int64],
    ) -> None:
        self.name, self.tokens, self.mask = name, tokens, mask
        self.offsets, self.lengths = offsets, lengths

    def __len__(self) -> int:
        return len(self.offsets)

    def example(self, i: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
        """Example `i`: input ids, target ids (shifted by one) and where the targets count."""
        start, n = int(self.offsets[i]), int(self.lengths[i])
        toks = self.tokens[start : start + n].astype(np.int64)
        mask = self.mask[start + 1 : start + n].astype(bool)
        return toks[:-1], toks[1:], mask

    def target_counts(self) -> npt.NDArray[np.int64]:
        """Targets per example (mask ones after the first token), computed without a Python loop."""
        csum = np.concatenate(([0], np.cumsum(self.mask, dtype=np.int64)))
        return csum[self.offsets + self.lengths] - csum[self.offsets + 1]


def _memmap(path: str, dtype: npt.DTypeLike, what: str) -> npt.NDArray[Any]:
    if not os.path.isfile(path):
        raise WorkerError("DATA_NOT_FOUND", f"{path} does not exist")
    if os.path.getsize(path) == 0:
        return np.zeros(0, dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r")


def _size_check(path: str, itemsize: int, what: str) -> int:
    size = os.path.getsize(path)
    if size % itemsize:
        raise WorkerError("DATA_CORRUPT", f"{path}: {size} bytes is not a whole number of {what} ({itemsize} bytes each)")
    return size // itemsize


class Splits(TypedDict):
    """The splits of a DATA_DIR: train always, eval when the dataset has one."""

    train: Split
    eval: Split | None


def open_shards(directory: str, model_vocab_size: int | None = None) -> tuple[dict[str, Any], Splits]:
    """Read and validate DATA_DIR. Returns (meta, {"train": Split, "eval": Split | None}).

    Raises WorkerError DATA_NOT_FOUND, DATA_CORRUPT, BAD_CONFIG (vocabulary larger than the model's) or EMPTY_DATASET.
    """
    meta_path = os.path.join(directory, "meta.json")
    if not os.path.isfile(meta_path):
        raise WorkerError("DATA_NOT_FOUND", f"{meta_path} does not exist (build the dataset first)")
    try:
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)
        if meta.get("format") != FORMAT:
            raise ValueError(f"format is {meta.get('format')!r}, expected {FORMAT!r}")
        if meta.get("version") != VERSION:
            raise ValueError(f"version {meta.get('version')!r} is not supported (this worker reads {VERSION})")
        vocab = int(meta["vocab_size"])
        splits_meta = meta["splits"]
        for key in ("eos_token_id", "pad_token_id", "max_seq_len"):
            int(meta[key])
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise WorkerError("DATA_CORRUPT", f"{meta_path}: {e}") from None
    if model_vocab_size is not None and vocab > model_vocab_size:
        raise WorkerError(
            "BAD_CONFIG",
            f"the data was tokenized with a vocabulary of {vocab} ids but the model has {model_vocab_size}: "
            "was it built for another base model?",
        )
    if "train" not in splits_meta:
        raise WorkerError("DATA_CORRUPT", f"{meta_path}: no train split")
    train = _open_split(directory, "train", splits_meta["train"], vocab)
    eval_split = _open_split(directory, "eval", splits_meta["eval"], vocab) if "eval" in splits_meta else None
    if len(train) == 0:
        raise WorkerError("EMPTY_DATASET", f"{directory}: the train split has no examples (need sent replies to learn from)")
    return meta, {"train": train, "eval": eval_split}


def _open_split(directory: str, name: str, info: Mapping[str, Any], vocab: int) -> Split:
    paths = {part: os.path.join(directory, f"{name}.{part}.bin") for part in ("tokens", "mask", "index")}
    for path in paths.values():
        if not os.path.isfile(path):
            raise WorkerError("DATA_NOT_FOUND", f"{path} does not exist")
    n_tokens = _size_check(paths["tokens"], 4, "uint32 tokens")
    n_mask = _size_check(paths["mask"], 1, "mask bytes")
    n_index = _size_check(paths["index"], 16, "(offset, length) int64 pairs")
    try:
        want_examples, want_tokens = int(info["examples"]), int(info["tokens"])
    except (KeyError, TypeError, ValueError) as e:
        raise WorkerError("DATA_CORRUPT", f"meta.json: split {name}: {e}") from None
    problems: list[str] = []
    if n_tokens != want_tokens:
        problems.append(f"{name}.tokens.bin holds {n_tokens} tokens, meta.json says {want_tokens}")
    if n_mask != n_tokens:
        problems.append(f"{name}.mask.bin holds {n_mask} values for {n_tokens} tokens")
    if n_index != want_examples:
        problems.append(f"{name}.index.bin holds {n_index} examples, meta.json says {want_examples}")
    if problems:
        raise WorkerError("DATA_CORRUPT", "; ".join(problems))
    tokens = _memmap(paths["tokens"], np.dtype("<u4"), "tokens")
    mask = _memmap(paths["mask"], np.uint8, "mask")
    index = _memmap(paths["index"], np.dtype("<i8"), "index").reshape(-1, 2)
    offsets, lengths = np.asarray(index[:, 0], dtype=np.int64), np.asarray(index[:, 1], dtype=np.int64)
    if len(offsets):
        bad = np.nonzero((offsets < 0) | (lengths < 1) | (offsets + lengths > n_tokens))[0]
        if len(bad):
            i = int(bad[0])
            raise WorkerError(
                "DATA_CORRUPT",
                f"{name}.index.bin: example {i} (offset {offsets[i]}, length {lengths[i]}) lies outside the "
                f"{n_tokens} tokens ({len(bad)} such examples)",
            )
    if n_tokens:
        top = int(tokens.max())
        if top >= vocab:
            raise WorkerError("DATA_CORRUPT", f"{name}.tokens.bin: token id {top} is outside the vocabulary of {vocab}")
        if int(mask.max()) > 1:
            raise WorkerError("DATA_CORRUPT", f"{name}.mask.bin: values must be 0 or 1")
    return Split(name, tokens, mask, offsets, lengths)
