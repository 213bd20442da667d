"""Parity with Hugging Face transformers without transformers: golden logits that transformers
computed for small random Llama / Llama-3-scaled / Qwen2 / Qwen3 models (made by
models/gpu_check.py on a machine that has transformers; see the metadata of each file for the
versions), checked against our model, with and without the cache."""

import glob
import json
import os
import tempfile
import unittest

import torch

from trainer.model import load_model
from trainer.safetensors_io import SafetensorsFile, save_file

GOLDEN = sorted(glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden", "golden-*.safetensors")))
TOLERANCE = 1e-4


def model_from_golden(path):
    f = SafetensorsFile(path)
    d = tempfile.mkdtemp(prefix="golden-")
    with open(os.path.join(d, "config.json"), "w") as out:
        out.write(f.metadata["config"])
    save_file({k[len("weights."):]: f.get(k) for k in f.keys() if k.startswith("weights.")}, os.path.join(d, "model.safetensors"))
    return load_model(d), {k: f.get(k) for k in ("input_ids", "attention_mask", "position_ids", "logits")}, f.metadata


class Golden(unittest.TestCase):
    def test_the_fixtures_are_there(self):
        names = [os.path.basename(p) for p in GOLDEN]
        self.assertEqual(names, ["golden-llama.safetensors", "golden-llama3-scaled-bias.safetensors", "golden-qwen2.safetensors", "golden-qwen3.safetensors"])

    def test_logits_equal_transformers(self):
        for path in GOLDEN:
            with self.subTest(os.path.basename(path)):
                model, t, meta = model_from_golden(path)
                ids, mask, pos, ref = t["input_ids"], t["attention_mask"], t["position_ids"], t["logits"]
                real = mask.bool()
                with torch.no_grad():
                    full, _ = model(ids, attention_mask=mask, position_ids=pos)
                    first, past = model(ids[:, :8], attention_mask=mask[:, :8], position_ids=pos[:, :8], use_cache=True)
                    rest, _ = model(ids[:, 8:], attention_mask=mask, position_ids=pos[:, 8:], past_key_values=past, use_cache=True)
                cached = torch.cat([first, rest], 1)
                diff, diff_cached = (full - ref)[real].abs().max().item(), (cached - ref)[real].abs().max().item()
                print(f"{os.path.basename(path)} (transformers {meta.get('transformers')}): max |diff| {diff:.1e}, with cache {diff_cached:.1e}")
                self.assertLess(diff, TOLERANCE)
                self.assertLess(diff_cached, TOLERANCE)
                self.assertGreater(ref.std().item(), 1e-3)  # real logits, not a constant


if __name__ == "__main__":
    unittest.main()
