"""Model families: forward, KV cache, padding, selected logits, config parsing, loading."""

import json
import math
import os
import shutil
import unittest

import torch

from trainer.model import HAS_SDPA, ModelConfig, attention, build_mask, causal_mask, load_model, rope_inv_freq
from trainer.protocol import WorkerError
from trainer.safetensors_io import load_file, save_file
from trainer.tests.fixtures import tiny_model, tmpdir

FAMILIES = ("llama", "qwen2", "qwen3")


class Hostile:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


class Families(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.manual_seed(0)
        cls.models = {f: load_model(tiny_model(f)) for f in FAMILIES}
        cls.ids = torch.randint(0, 151669, (2, 11), generator=torch.Generator().manual_seed(1))

    def test_family_switches(self):
        llama, qwen2, qwen3 = (self.models[f] for f in FAMILIES)
        self.assertIsNone(llama.model.layers[0].self_attn.q_proj.bias)
        self.assertIsNotNone(qwen2.model.layers[0].self_attn.q_proj.bias)  # Qwen2: q/k/v bias
        self.assertIsNone(qwen2.model.layers[0].self_attn.o_proj.bias)
        self.assertEqual(qwen3.model.layers[0].self_attn.q_norm.weight.shape, (32,))  # explicit head_dim
        self.assertEqual(qwen3.model.layers[0].self_attn.q_proj.weight.shape, (4 * 32, 64))
        for m in self.models.values():
            self.assertIs(m.lm_head.weight, m.model.embed_tokens.weight)  # tied

    def test_names_match_checkpoint(self):
        for f, m in self.models.items():
            stored = load_file(os.path.join(tiny_model(f), "model.safetensors"))
            names = {n for n, _ in m.named_parameters()}
            self.assertEqual(names, set(stored), f)
            self.assertTrue(torch.equal(m.model.layers[1].mlp.down_proj.weight, stored["model.layers.1.mlp.down_proj.weight"]))

    def test_cached_decoding_equals_uncached(self):
        for f, m in self.models.items():
            with torch.no_grad():
                full, _ = m(self.ids)
                logits, past = m(self.ids[:, :4], use_cache=True)
                steps = [logits]
                for t in range(4, self.ids.shape[1]):  # one token at a time, like generation
                    logits, past = m(self.ids[:, t : t + 1], past_key_values=past, use_cache=True)
                    steps.append(logits)
            diff = (torch.cat(steps, 1) - full).abs().max().item()
            print(f"{f}: cached vs uncached max |diff| = {diff:.2e}")
            self.assertLess(diff, 1e-5)
            self.assertEqual(past[0][0].shape, (2, 2, 11, m.cfg.head_dim))

    def test_left_padding_equals_unpadded(self):
        for f, m in self.models.items():
            mask = torch.ones_like(self.ids)
            mask[0, :3] = 0
            with torch.no_grad():
                padded, _ = m(self.ids, attention_mask=mask)
                alone, _ = m(self.ids[:1, 3:])
            self.assertTrue(torch.isfinite(padded).all())
            self.assertLess((padded[0, 3:] - alone[0]).abs().max().item(), 1e-5, f)

    def test_logits_only_where_asked(self):
        m = self.models["qwen2"]
        where = torch.zeros_like(self.ids, dtype=torch.bool)
        where[0, 2] = where[1, 5] = where[1, 10] = True
        with torch.no_grad():
            full, _ = m(self.ids)
            some, _ = m(self.ids, logits_mask=where)
        self.assertEqual(some.shape, (3, m.cfg.vocab_size))
        self.assertLess((some - full[where]).abs().max().item(), 1e-5)

    @unittest.skipUnless(HAS_SDPA, "this PyTorch has no scaled_dot_product_attention")
    def test_sdpa_equals_manual_attention(self):
        m = self.models["qwen3"]
        mask = torch.ones_like(self.ids)
        mask[1, :2] = 0
        with torch.no_grad():
            m.set_use_sdpa(True)
            a, _ = m(self.ids, attention_mask=mask)
            b, _ = m(self.ids)
            m.set_use_sdpa(False)
            c, _ = m(self.ids, attention_mask=mask)
            d, _ = m(self.ids)
            m.set_use_sdpa(True)
        self.assertLess((a - c).abs().max().item(), 1e-5)
        self.assertLess((b - d).abs().max().item(), 1e-5)

    def test_gradient_checkpointing_same_gradients(self):
        m = load_model(tiny_model("llama"))
        m.model.layers[1].mlp.up_proj.weight.requires_grad_(True)
        m.train()
        grads = []
        for flag in (False, True):
            m.gradient_checkpointing = flag
            logits, _ = m(self.ids)
            logits.float().logsumexp(-1).sum().backward()
            grad = m.model.layers[1].mlp.up_proj.weight.grad
            assert grad is not None
            grads.append(grad.clone())
            m.zero_grad()
        self.assertLess((grads[0] - grads[1]).abs().max().item(), 1e-5)


class AttentionMath(unittest.TestCase):
    def test_manual_attention_and_gradients_match_float64_reference(self):
        # grouped-query (6 query heads on 2 kv heads), left padding in row 0, and plain causal
        torch.manual_seed(0)
        b, h, kv_h, s, d = 2, 6, 2, 7, 8
        q = torch.randn(b, h, s, d, requires_grad=True)
        k = torch.randn(b, kv_h, s, d, requires_grad=True)
        v = torch.randn(b, kv_h, s, d, requires_grad=True)
        padding = torch.ones(b, s, dtype=torch.long)
        padding[0, :2] = 0
        for mask in (build_mask(padding, s, 0, "cpu"), causal_mask(s, s, "cpu")):
            def reference(q, k, v):
                k, v = (t.double().repeat_interleave(h // kv_h, dim=1) for t in (k, v))
                scores = (q.double() @ k.transpose(-1, -2) / math.sqrt(d)).masked_fill(~mask, float("-inf"))
                return torch.softmax(scores, -1) @ v

            got, want = attention(q, k, v, mask, False, False), reference(q, k, v)
            self.assertLess((got - want).abs().max().item(), 1e-5)
            g = torch.randn_like(got)
            for a, r in zip(torch.autograd.grad(got, (q, k, v), g), torch.autograd.grad(want, (q, k, v), g.double())):
                self.assertLess((a - r).abs().max().item(), 1e-5)


class Configs(unittest.TestCase):
    def base(self, **kw):
        hf = {"architectures": ["LlamaForCausalLM"], "vocab_size": 10, "hidden_size": 8, "intermediate_size": 16,
              "num_hidden_layers": 1, "num_attention_heads": 2}
        hf.update(kw)
        return hf

    def test_unsupported_arch_named(self):
        with self.assertRaises(WorkerError) as e:
            ModelConfig.from_hf(self.base(architectures=["MistralForCausalLM"]))
        self.assertEqual(e.exception.code, "UNSUPPORTED_ARCH")
        self.assertIn("MistralForCausalLM", e.exception.message)
        with self.assertRaises(WorkerError) as e:
            ModelConfig.from_hf({**self.base(), "architectures": None, "model_type": "gpt2"})
        self.assertEqual(e.exception.code, "UNSUPPORTED_ARCH")

    def test_model_type_only_and_defaults(self):
        cfg = ModelConfig.from_hf({**self.base(), "architectures": None, "model_type": "qwen3", "head_dim": 16})
        self.assertEqual((cfg.family, cfg.head_dim, cfg.num_kv_heads, cfg.qk_norm), ("qwen3", 16, 2, True))

    def test_llama3_rope_scaling(self):
        scaling = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                   "original_max_position_embeddings": 8192}
        plain = ModelConfig.from_hf(self.base(hidden_size=256, num_attention_heads=2, rope_theta=500000.0))
        scaled = ModelConfig.from_hf(self.base(hidden_size=256, num_attention_heads=2, rope_theta=500000.0, rope_scaling=scaling))
        a, b = rope_inv_freq(plain), rope_inv_freq(scaled)
        wavelen = 2 * math.pi / a
        high = wavelen < 8192 / 4.0  # short wavelengths: unchanged
        low = wavelen > 8192 / 1.0  # long wavelengths: divided by factor
        self.assertTrue(torch.allclose(b[high], a[high]))
        self.assertTrue(torch.allclose(b[low], a[low] / 8.0))
        mid = ~high & ~low
        self.assertTrue(mid.any() and ((b[mid] < a[mid]) & (b[mid] > a[mid] / 8.0)).all())

    def test_unknown_rope_scaling(self):
        with self.assertRaises(WorkerError) as e:
            ModelConfig.from_hf(self.base(rope_scaling={"type": "yarn", "factor": 4.0}))
        self.assertEqual(e.exception.code, "UNSUPPORTED_ARCH")


class Loading(unittest.TestCase):
    def test_sharded_checkpoint_loads_identically(self):
        src = tiny_model("qwen2")
        d = tmpdir("sharded-model")
        for name in ("config.json",):
            shutil.copy(os.path.join(src, name), d)
        tensors = load_file(os.path.join(src, "model.safetensors"))
        names = sorted(tensors)
        half = len(names) // 2
        shards = {"model-00001-of-00002.safetensors": names[:half], "model-00002-of-00002.safetensors": names[half:]}
        for shard, keys in shards.items():
            save_file({k: tensors[k].bfloat16() for k in keys}, os.path.join(d, shard))  # bf16, as HF ships them
        with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
            json.dump({"weight_map": {k: s for s, ks in shards.items() for k in ks}}, f)
        m = load_model(d)
        self.assertTrue(torch.equal(m.model.norm.weight, tensors["model.norm.weight"].bfloat16().float()))

    def test_missing_tensor_and_bad_shape(self):
        src = tiny_model("llama")
        tensors = load_file(os.path.join(src, "model.safetensors"))
        d = tmpdir("broken-model")
        shutil.copy(os.path.join(src, "config.json"), d)
        save_file({k: v for k, v in tensors.items() if k != "model.norm.weight"}, os.path.join(d, "model.safetensors"))
        with self.assertRaises(WorkerError) as e:
            load_model(d)
        self.assertEqual(e.exception.code, "MODEL_CORRUPT")
        self.assertIn("model.norm.weight", e.exception.message)
        save_file({**tensors, "model.norm.weight": torch.ones(3)}, os.path.join(d, "model.safetensors"))
        with self.assertRaises(WorkerError) as e:
            load_model(d)
        self.assertEqual(e.exception.code, "MODEL_CORRUPT")

    def test_pytorch_bin_checkpoint(self):
        src = tiny_model("llama")
        d = tmpdir("bin-model")
        shutil.copy(os.path.join(src, "config.json"), d)
        torch.save(load_file(os.path.join(src, "model.safetensors")), os.path.join(d, "pytorch_model.bin"))
        a, b = load_model(d), load_model(src)
        self.assertTrue(all(torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters())))
        torch.save({"model.norm.weight": Hostile()}, os.path.join(d, "pytorch_model.bin"))
        with self.assertRaises(WorkerError) as e:  # weights_only: no code from a pickle ever runs
            load_model(d)
        self.assertEqual(e.exception.code, "MODEL_CORRUPT")

    def test_missing_model(self):
        with self.assertRaises(WorkerError) as e:
            load_model(os.path.join(tmpdir("x"), "absent"))
        self.assertEqual(e.exception.code, "MODEL_NOT_FOUND")


if __name__ == "__main__":
    unittest.main()
