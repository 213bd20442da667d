"""LoRA: zero-init B, merge, disabling, PEFT adapter files."""

import json
import os
import unittest

import torch

from trainer.lora import DEFAULT_TARGETS, LoRALinear, adapter_config, adapter_disabled, inject_lora, load_adapter, lora_layers, merge_lora, save_adapter
from trainer.model import load_model
from trainer.safetensors_io import SafetensorsFile
from trainer.tests.fixtures import tiny_model, tmpdir


def randomize_b(model, seed=0):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _, m in lora_layers(model):
            m.lora_B.copy_(torch.randn(m.lora_B.shape, generator=gen) * 0.05)


class LoRA(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(0)
        self.ids = torch.randint(0, 151669, (2, 9), generator=torch.Generator().manual_seed(3))

    def test_zero_b_means_base_and_only_adapter_trains(self):
        base = load_model(tiny_model("qwen3"))
        with torch.no_grad():
            expected, _ = base(self.ids)
        wrapped = inject_lora(base, r=4, alpha=8, dropout=0.0)
        self.assertEqual(len(wrapped), 2 * len(DEFAULT_TARGETS))
        with torch.no_grad():
            got, _ = base(self.ids)
        self.assertTrue(torch.equal(got, expected))
        trainable = {n for n, p in base.named_parameters() if p.requires_grad}
        self.assertTrue(trainable and all(n.endswith(("lora_A", "lora_B")) for n in trainable))
        self.assertEqual(len(trainable), 2 * len(wrapped))
        q_proj = base.model.layers[0].self_attn.q_proj
        assert isinstance(q_proj, LoRALinear)
        a = q_proj.lora_A
        self.assertGreater(a.abs().max().item(), 0)  # Kaiming-uniform, not zero
        self.assertLessEqual(a.abs().max().item(), 1 / 64**0.5 + 1e-6)  # bound = 1/sqrt(fan_in) with a=sqrt(5)

    def test_merge_equals_unmerged_and_disable_gives_base(self):
        m = load_model(tiny_model("qwen2"))
        with torch.no_grad():
            base, _ = m(self.ids)
        inject_lora(m, r=4, alpha=8, dropout=0.1)
        randomize_b(m)
        m.eval()  # no dropout
        with torch.no_grad():
            unmerged, _ = m(self.ids)
            with adapter_disabled(m):
                disabled, _ = m(self.ids)
            merge_lora(m)
            merged, _ = m(self.ids)
        self.assertGreater((unmerged - base).abs().max().item(), 1e-3)  # the adapter does something
        self.assertTrue(torch.equal(disabled, base))
        diff = (merged - unmerged).abs().max().item()
        print(f"merged vs unmerged max |diff| = {diff:.2e}")
        self.assertLess(diff, 1e-5)

    def test_peft_files(self):
        m = load_model(tiny_model("llama"))
        inject_lora(m, r=4, alpha=8, dropout=0.05, target_modules=["q_proj", "v_proj"])
        randomize_b(m, seed=1)
        d = tmpdir("adapter")
        save_adapter(m, d, adapter_config(4, 8, 0.05, ["q_proj", "v_proj"], "tiny"))
        with open(os.path.join(d, "adapter_config.json")) as f:
            config = json.load(f)
        for key, value in {"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": 4, "lora_alpha": 8, "lora_dropout": 0.05,
                           "target_modules": ["q_proj", "v_proj"], "bias": "none", "fan_in_fan_out": False,
                           "inference_mode": True, "base_model_name_or_path": "tiny", "modules_to_save": None}.items():
            self.assertEqual(config[key], value, key)
        f = SafetensorsFile(os.path.join(d, "adapter_model.safetensors"))
        self.assertEqual(len(f.keys()), 2 * 2 * 2)  # 2 layers x (q, v) x (A, B)
        self.assertEqual(f.shape("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"), (4, 64))  # [r, in]
        self.assertEqual(f.shape("base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight"), (32, 4))  # [out, r]
        # load into a fresh base: same outputs
        m.eval()
        with torch.no_grad():
            want, _ = m(self.ids)
        fresh = load_model(tiny_model("llama"))
        load_adapter(fresh, d)
        self.assertIsInstance(fresh.model.layers[1].self_attn.v_proj, LoRALinear)
        self.assertNotIsInstance(fresh.model.layers[1].self_attn.k_proj, LoRALinear)
        with torch.no_grad():
            got, _ = fresh(self.ids)
        self.assertTrue(torch.equal(got, want))


if __name__ == "__main__":
    unittest.main()
