"""The logits, generate and bench commands."""

import os
import unittest

import numpy as np
import torch

from trainer.bench import PRESETS, lora_step_flops
from trainer.model import ModelConfig, load_model
from trainer.tests.fixtures import run_worker, tiny_model, tmpdir


class Logits(unittest.TestCase):
    def test_cached_split_equals_single_pass(self):
        model = tiny_model("qwen2")
        ids = [[151644, 10, 20, 30, 40, 50, 60, 70, 80], [1, 2, 3, 4, 5, 6, 7, 8, 9]]
        d = tmpdir("logits")
        results = []
        for split in (None, 4):
            path = os.path.join(d, f"logits-{split}.bin")
            rc, events, stderr = run_worker("logits", {"model_dir": model, "input_ids": ids, "out_file": path, "past_len_split": split})
            self.assertEqual(rc, 0, stderr)
            self.assertEqual(events[-1]["shape"], [2, 9, 151669])
            results.append(np.fromfile(path, "<f4").reshape(2, 9, -1))
        self.assertEqual(os.path.getsize(path), 2 * 9 * 151669 * 4)
        diff = np.abs(results[0] - results[1]).max()
        print(f"logits command: cached split vs single pass max |diff| = {diff:.1e}")
        self.assertLess(diff, 1e-5)
        with torch.no_grad():
            direct, _ = load_model(model)(torch.tensor(ids))
        self.assertLess(np.abs(direct.numpy() - results[0]).max(), 1e-5)  # thread counts differ: summation order

    def test_bad_split(self):
        rc, events, _ = run_worker("logits", {"model_dir": tiny_model("qwen2"), "input_ids": [[1, 2]], "out_file": os.path.join(tmpdir("l"), "x"), "past_len_split": 2})
        self.assertEqual((rc, events[-1]["code"]), (1, "BAD_CONFIG"))


class Generate(unittest.TestCase):
    def test_greedy_with_cache_equals_argmax_without(self):
        model_dir = tiny_model("qwen3")
        prompts = [[151644, 300, 400, 500, 151645, 151644], [7, 8]]
        rc, events, stderr = run_worker("generate", {"model_dir": model_dir, "prompts": prompts, "max_new_tokens": 6, "eos_token_ids": [151645]})
        self.assertEqual(rc, 0, stderr)
        outputs = events[-1]["outputs"]
        model = load_model(model_dir)
        for prompt, got in zip(prompts, outputs):
            seq = list(prompt)
            want = []
            with torch.no_grad():
                for _ in range(6):
                    logits, _ = model(torch.tensor([seq]))  # no cache: the whole sequence every time
                    token = int(logits[0, -1].argmax())
                    want.append(token)
                    seq.append(token)
                    if token == 151645:
                        break
            self.assertEqual(got, want)
        print(f"greedy outputs {outputs} match uncached argmax decoding")

    def test_sampling_is_seeded(self):
        config = {"model_dir": tiny_model("llama"), "prompts": [[1, 2, 3]], "max_new_tokens": 8, "greedy": False,
                  "temperature": 1.5, "top_k": 50, "top_p": 0.9, "seed": 5}
        a = run_worker("generate", config)[1][-1]["outputs"]
        b = run_worker("generate", config)[1][-1]["outputs"]
        self.assertEqual(a, b)
        self.assertEqual(len(a[0]), 8)


class Bench(unittest.TestCase):
    def test_flop_count_against_6n_rule(self):
        # Without LoRA's extra and attention, a LoRA step is forward + activation gradients = 4 x
        # params x tokens (vs 6 for full fine-tuning); the exact count must land near that.
        cfg = ModelConfig.from_hf(PRESETS["qwen2.5-0.5b"])
        h, i, L = cfg.hidden_size, cfg.intermediate_size, cfg.num_layers
        linear_params = L * (2 * h * h + 2 * h * cfg.num_kv_heads * cfg.head_dim + 3 * h * i)
        tokens = 512
        flops = lora_step_flops(cfg, 1, 512, labelled=512, r=16, causal_half=False)
        rough = 4 * (linear_params + h * cfg.vocab_size) * tokens
        self.assertGreater(flops, rough)
        self.assertLess(flops, rough * 1.15)  # LoRA + attention add a little


if __name__ == "__main__":
    unittest.main()
