"""safetensors by hand: round trips in every dtype we use, sharded checkpoints, corrupt files."""

import json
import os
import struct
import unittest

import torch

from trainer.protocol import WorkerError
from trainer.safetensors_io import Checkpoint, SafetensorsFile, _bf16_from_int16, load_file, save_file
from trainer.tests.fixtures import tmpdir


class RoundTrip(unittest.TestCase):
    def test_dtypes_round_trip_bit_exact(self):
        path = os.path.join(tmpdir("st"), "t.safetensors")
        gen = torch.Generator().manual_seed(0)
        tensors = {
            "f32": torch.randn(3, 5, generator=gen),
            "f16": torch.randn(4, 2, generator=gen).half(),
            "bf16": torch.randn(7, generator=gen).bfloat16(),
            "i64": torch.arange(-3, 9, dtype=torch.int64).reshape(3, 4),
            "scalar": torch.tensor(2.5),
            "empty": torch.zeros(0, 4),
        }
        save_file(tensors, path, metadata={"format": "pt"})
        loaded = load_file(path)
        for key, t in tensors.items():
            self.assertEqual(loaded[key].dtype, t.dtype, key)
            self.assertEqual(loaded[key].shape, t.shape, key)
            self.assertTrue(torch.equal(loaded[key], t), key)
        f = SafetensorsFile(path)
        self.assertEqual(f.metadata, {"format": "pt"})
        with open(path, "rb") as fh:
            (n,) = struct.unpack("<Q", fh.read(8))
            header = json.loads(fh.read(n))
        self.assertEqual(n % 8, 0, "data must start 8-byte aligned")
        self.assertEqual(header["bf16"]["dtype"], "BF16")
        self.assertEqual(header["f16"]["dtype"], "F16")
        print(f"checked round trip of {len(tensors)} tensors incl. F16/BF16/I64, header {n} bytes")

    def test_bf16_shift_fallback_matches_view(self):
        values = torch.tensor([1.0, -2.5, 3.140625, 1e-3, 65504.0]).bfloat16()
        raw = values.view(torch.int16)
        shifted = ((raw.to(torch.int32) & 0xFFFF) << 16).view(torch.float32)
        self.assertTrue(torch.equal(shifted, values.float()))
        self.assertTrue(torch.equal(_bf16_from_int16(raw), values))

    def test_sharded_index(self):
        d = tmpdir("shards")
        a, b = torch.randn(2, 3), torch.randn(4)
        save_file({"model.a": a}, os.path.join(d, "model-00001-of-00002.safetensors"))
        save_file({"model.b": b}, os.path.join(d, "model-00002-of-00002.safetensors"))
        with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {}, "weight_map": {"model.a": "model-00001-of-00002.safetensors", "model.b": "model-00002-of-00002.safetensors"}}, f)
        ckpt = Checkpoint(d)
        self.assertEqual(sorted(ckpt.keys()), ["model.a", "model.b"])
        self.assertTrue(torch.equal(ckpt.get("model.a"), a))
        self.assertTrue(torch.equal(ckpt.get("model.b"), b))
        os.remove(os.path.join(d, "model-00002-of-00002.safetensors"))
        with self.assertRaises(WorkerError) as e:
            Checkpoint(d)
        self.assertEqual(e.exception.code, "MODEL_NOT_FOUND")
        self.assertIn("model-00002-of-00002.safetensors", e.exception.message)


class Corrupt(unittest.TestCase):
    def setUp(self):
        self.dir = tmpdir("corrupt")
        self.path = os.path.join(self.dir, "model.safetensors")
        save_file({"w": torch.randn(64, 64)}, self.path)
        with open(self.path, "rb") as f:
            self.good = f.read()

    def _expect(self, data, code, fragment):
        with open(self.path, "wb") as f:
            f.write(data)
        with self.assertRaises(WorkerError) as e:
            SafetensorsFile(self.path)
        self.assertEqual(e.exception.code, code)
        self.assertIn(fragment, e.exception.message)
        self.assertIn(self.path, e.exception.message)

    def test_truncated_data(self):
        self._expect(self.good[: len(self.good) - 100], "MODEL_CORRUPT", "truncated data")

    def test_truncated_header(self):
        self._expect(self.good[:20], "MODEL_CORRUPT", "truncated header")

    def test_garbage_header(self):
        n = struct.unpack("<Q", self.good[:8])[0]
        self._expect(self.good[:8] + b"{not json" + b" " * (n - 9) + self.good[8 + n :], "MODEL_CORRUPT", "not valid JSON")

    def test_too_short(self):
        self._expect(b"abc", "MODEL_CORRUPT", "too short")

    def test_shape_offsets_mismatch(self):
        header = json.dumps({"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 12]}}).encode()
        self._expect(struct.pack("<Q", len(header)) + header + b"\0" * 12, "MODEL_CORRUPT", "do not fit shape")

    def test_missing_file_and_folder(self):
        with self.assertRaises(WorkerError) as e:
            SafetensorsFile(os.path.join(self.dir, "nope.safetensors"))
        self.assertEqual(e.exception.code, "MODEL_NOT_FOUND")
        with self.assertRaises(WorkerError) as e:
            Checkpoint(tmpdir("empty"))
        self.assertEqual(e.exception.code, "MODEL_NOT_FOUND")


if __name__ == "__main__":
    unittest.main()
