"""Training shards: the writer matches the format, the reader validates it, labels are shifted."""

import json
import os
import unittest

import numpy as np

from trainer.protocol import WorkerError
from trainer.shards import open_shards, write_shards
from trainer.train import collate, plan_epoch
from trainer.tests.fixtures import tmpdir

EXAMPLES = {
    "train": [([5, 6, 7, 8], [0, 0, 1, 1]), ([9, 10, 11], [0, 1, 1]), ([1, 2], [0, 1])],
    "eval": [([3, 4, 5], [0, 0, 1])],
}


class Shards(unittest.TestCase):
    def write(self, splits=EXAMPLES):
        d = tmpdir("data")
        write_shards(d, splits, vocab_size=100, eos=2, pad=0, max_seq_len=16)
        return d

    def test_format_bytes(self):
        d = self.write()
        with open(os.path.join(d, "meta.json")) as f:
            meta = json.load(f)
        self.assertEqual(meta["format"], "understudy-shards")
        self.assertEqual(meta["splits"]["train"], {"examples": 3, "tokens": 9})
        self.assertEqual(np.fromfile(os.path.join(d, "train.tokens.bin"), "<u4").tolist(), [5, 6, 7, 8, 9, 10, 11, 1, 2])
        self.assertEqual(np.fromfile(os.path.join(d, "train.mask.bin"), np.uint8).tolist(), [0, 0, 1, 1, 0, 1, 1, 0, 1])
        self.assertEqual(np.fromfile(os.path.join(d, "train.index.bin"), "<i8").tolist(), [0, 4, 4, 3, 7, 2])
        print("checked meta.json and the three .bin files byte for byte")

    def test_causal_shift_labels(self):
        _, splits = open_shards(self.write())
        inputs, targets, mask = splits["train"].example(0)
        self.assertEqual(inputs.tolist(), [5, 6, 7])
        self.assertEqual(targets.tolist(), [6, 7, 8])
        self.assertEqual(mask.tolist(), [False, True, True])  # predict 7 and 8 (mask 1), not 6
        self.assertEqual(splits["train"].target_counts().tolist(), [2, 2, 1])
        ids, labels, n = collate(splits["train"], [0, 2], max_len=15, pad_id=0)
        self.assertEqual(ids.tolist(), [[5, 6, 7], [1, 0, 0]])
        self.assertEqual(labels.tolist(), [[-100, 7, 8], [2, -100, -100]])
        self.assertEqual(n, 4)

    def test_plan_is_seeded_and_length_bucketed(self):
        lengths = np.array([5, 50, 6, 49, 7, 48, 8, 47])
        a = plan_epoch(lengths, 2, seed=1, epoch=0)
        self.assertEqual(a, plan_epoch(lengths, 2, seed=1, epoch=0))
        self.assertNotEqual(a, plan_epoch(lengths, 2, seed=1, epoch=1))
        self.assertEqual(sorted(i for b in a for i in b), list(range(8)))
        for batch in a:  # sorted within the bucket: short with short, long with long
            self.assertLess(abs(int(lengths[batch[0]]) - int(lengths[batch[1]])), 10)

    def test_empty_train(self):
        with self.assertRaises(WorkerError) as e:
            open_shards(self.write({"train": [], "eval": EXAMPLES["eval"]}))
        self.assertEqual(e.exception.code, "EMPTY_DATASET")

    def test_inconsistent_sizes(self):
        d = self.write()
        with open(os.path.join(d, "train.mask.bin"), "ab") as f:
            f.write(b"\1")
        with self.assertRaises(WorkerError) as e:
            open_shards(d)
        self.assertEqual(e.exception.code, "DATA_CORRUPT")
        self.assertIn("train.mask.bin", e.exception.message)

    def test_truncated_tokens_and_bad_index(self):
        d = self.write()
        with open(os.path.join(d, "train.tokens.bin"), "r+b") as f:
            f.truncate(4 * 9 - 2)
        with self.assertRaises(WorkerError) as e:
            open_shards(d)
        self.assertEqual(e.exception.code, "DATA_CORRUPT")
        d = self.write()
        np.array([0, 4, 4, 3, 7, 5], dtype="<i8").tofile(os.path.join(d, "train.index.bin"))
        with self.assertRaises(WorkerError) as e:
            open_shards(d)
        self.assertEqual(e.exception.code, "DATA_CORRUPT")
        self.assertIn("example 2", e.exception.message)

    def test_token_outside_vocab(self):
        d = self.write({"train": [([5, 600], [0, 1])]})
        with self.assertRaises(WorkerError) as e:
            open_shards(d)
        self.assertEqual(e.exception.code, "DATA_CORRUPT")

    def test_missing(self):
        with self.assertRaises(WorkerError) as e:
            open_shards(tmpdir("nodata"))
        self.assertEqual(e.exception.code, "DATA_NOT_FOUND")
        d = self.write()
        os.remove(os.path.join(d, "eval.index.bin"))
        with self.assertRaises(WorkerError) as e:
            open_shards(d)
        self.assertEqual(e.exception.code, "DATA_NOT_FOUND")


if __name__ == "__main__":
    unittest.main()
