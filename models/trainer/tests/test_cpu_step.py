"""The CPU training step's shortcuts change no number: attention segment by segment on packed
rows, the additive mask, the LoRA update accumulated in place and the cheaper dropout mask give
the same losses, gradients and adapter weights, step after step on a fixed seed (dropout on), as
the plain formulation: one dense block-diagonal mask filled in place, `rand_like` dropout masks
and `out + scaling * B(A(dropout(x)))`."""

import contextlib
import unittest
from unittest import mock

import torch
import torch.nn.functional as F

from trainer import bench as bench_mod
from trainer import model as model_mod
from trainer.lora import LoRADropout, LoRALinear, inject_lora
from trainer.model import HAS_SDPA, load_model, segment_blocks
from trainer.tests.fixtures import END_OF_TEXT, tiny_model, tmpdir
from trainer.tests.test_packing import MAX_LEN, varied_shards
from trainer.train import collate_packed, lm_loss_sum

DROPOUT = 0.05


def plain_dropout(module, x):
    """nn.Dropout as LoRADropout replaced it: the mask from rand_like."""
    if not module.training or module.p == 0:
        return x
    return x * torch.rand_like(x).ge_(module.p).mul_(1.0 / (1.0 - module.p))


def plain_lora_forward(self, x):
    """LoRALinear.forward written plainly: base output plus the scaled low-rank update."""
    out = F.linear(x, self.weight, self.bias)
    if self.merged or not self.enabled:
        return out
    return out + self.scaling * F.linear(F.linear(self.lora_dropout(x), self.lora_A), self.lora_B)


@contextlib.contextmanager
def plain_step(model):
    """Run `model` the plain way: packed rows through packed_mask's dense mask, that bool mask
    filled in place into the scores (no additive form), plain LoRA and rand_like dropout."""
    model.segment_attention = False
    try:
        with mock.patch.object(model_mod, "causal_bias", lambda mask: mask), \
                mock.patch.object(LoRALinear, "forward", plain_lora_forward), \
                mock.patch.object(LoRADropout, "forward", plain_dropout):
            yield
    finally:
        model.segment_attention = True


class Dropout(unittest.TestCase):
    def test_keeps_what_rand_like_keeps_and_draws_as_much(self):
        for p in (0.05, 0.1, 1 / 3, 0.5, 0.9):
            for shape in ((37, 19), (2, 5, 64)):
                with self.subTest(p=p, shape=shape):
                    x = torch.randn(shape)
                    drop = LoRADropout(p).train()
                    torch.manual_seed(11)
                    want, after_want = plain_dropout(drop, x), torch.rand(3)
                    torch.manual_seed(11)
                    got, after_got = drop(x), torch.rand(3)
                    self.assertTrue(torch.equal(got, want), f"p={p}: the masks or the scaled values differ")
                    self.assertTrue(torch.equal(after_got, after_want), "the generator advanced differently")
                    self.assertGreater(int((got == 0).sum()), 0)

    def test_eval_and_zero_p_change_nothing(self):
        x = torch.randn(4, 8)
        self.assertTrue(torch.equal(LoRADropout(0.3).eval()(x), x))
        self.assertTrue(torch.equal(LoRADropout(0.0).train()(x), x))


class Segments(unittest.TestCase):
    def test_runs_of_each_row(self):
        ids = torch.tensor([[1, 1, 2, 2, 2, 3, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1]])
        blocks = segment_blocks(ids)
        assert blocks is not None
        self.assertEqual(blocks.lengths, [[2, 3, 1, 2], [8]])

    def test_an_id_recurring_later_keeps_the_dense_mask(self):
        self.assertIsNone(segment_blocks(torch.tensor([[1, 1, 2, 1]])))

    def test_bench_counts_the_blocks_it_computes(self):
        rows = bench_mod.bench_rows(100, 2, 12, 3, 0.5, torch.device("cpu"))
        self.assertEqual(bench_mod.attention_pairs(rows, sdpa=False), 2 * 3 * 4 * 4)
        self.assertEqual(bench_mod.attention_pairs(rows, sdpa=True), 2 * 12 * 13 // 2)
        unpacked = bench_mod.bench_rows(100, 2, 12, 1, 0.5, torch.device("cpu"))
        self.assertEqual(bench_mod.attention_pairs(unpacked, sdpa=False), 2 * 12 * 12)


class SameStep(unittest.TestCase):
    """Three SGD steps with LoRA dropout on packed rows (several examples and padding per row)."""

    @classmethod
    def setUpClass(cls):
        cls.split = varied_shards(tmpdir("cpu-step"))

    def run_steps(self, family, plain, steps=3):
        torch.manual_seed(0)
        model = load_model(tiny_model(family))
        inject_lora(model, r=4, alpha=8, dropout=DROPOUT)
        with torch.no_grad():  # a non-zero adapter, so that its update matters from the first step
            for p in model.parameters():
                if p.requires_grad:
                    p.copy_(torch.randn(p.shape) * 0.05)
        model.set_use_sdpa(False)
        model.train()
        params = [p for p in model.parameters() if p.requires_grad]
        # plain SGD: AdamW's first updates are about lr * sign(gradient), which would turn the
        # rounding noise of a near-zero gradient entry into a whole step either way
        opt = torch.optim.SGD(params, lr=1.0)
        batch = collate_packed(self.split, list(range(len(self.split))), MAX_LEN, pad_id=END_OF_TEXT)
        ids, labels, _, positions, segments = batch
        assert segments is not None
        blocks = segment_blocks(segments)
        assert blocks is not None and max(len(r) for r in blocks.lengths) > 2  # really packed
        n = int((labels != -100).sum())
        losses, grads = [], []
        torch.manual_seed(1234)  # the dropout masks' stream
        with plain_step(model) if plain else contextlib.nullcontext():
            for _ in range(steps):
                loss = lm_loss_sum(model, ids, labels, positions, segments) / n
                loss.backward()
                losses.append(loss.item())
                grads.append({k: p.grad.clone() for k, p in model.named_parameters() if p.grad is not None})
                opt.step()
                opt.zero_grad(set_to_none=True)
        adapter = {k: p.detach().clone() for k, p in model.named_parameters() if p.requires_grad}
        return losses, grads, adapter

    def check(self, family):
        losses, grads, adapter = self.run_steps(family, plain=False)
        want_losses, want_grads, want_adapter = self.run_steps(family, plain=True)
        for step, (got, want) in enumerate(zip(losses, want_losses)):
            self.assertAlmostEqual(got, want, delta=1e-5 * abs(want), msg=f"{family} step {step}: loss {got} vs {want}")
        for step, (g, w) in enumerate(zip(grads, want_grads)):
            self.assertEqual(sorted(g), sorted(w))
            for name in w:
                scale = float(w[name].abs().max())
                err = float((g[name] - w[name]).abs().max())
                self.assertLessEqual(err, 1e-4 * scale + 1e-7, f"{family} step {step}: gradient of {name} differs by {err:.3g}")
        for name, w in want_adapter.items():
            err = float((adapter[name] - w).abs().max())
            self.assertLessEqual(err, 1e-5 * float(w.abs().max()), f"{family}: {name} after the steps differs by {err:.3g}")
        self.assertNotEqual(losses[0], losses[-1])  # the steps trained something
        print(f"{family}: losses {', '.join(f'{x:.6f}' for x in losses)} == plain {', '.join(f'{x:.6f}' for x in want_losses)}")

    def test_llama(self):
        self.check("llama")

    def test_qwen2(self):
        self.check("qwen2")

    def test_qwen3(self):
        self.check("qwen3")

    def test_inference_and_training_masks_agree(self):
        """The bool mask filled in place (no_grad) and the additive one (training) give the same logits."""
        model = load_model(tiny_model("llama"))
        model.set_use_sdpa(False)
        ids = torch.randint(0, 5000, (2, 9))
        for segments in (None, torch.tensor([[1] * 4 + [2] * 5, [1] * 9])):
            with torch.no_grad():
                a, _ = model(ids, segment_ids=segments)
            with torch.enable_grad():
                b, _ = model(ids, segment_ids=segments)
            self.assertLess(float((a - b.detach()).abs().max()), 1e-5)

    @unittest.skipUnless(HAS_SDPA, "PyTorch < 2.0 has no scaled_dot_product_attention")
    def test_sdpa_path_never_gets_blocks(self):
        model = load_model(tiny_model("llama"))
        model.set_use_sdpa(True)
        seen = []
        real = model_mod.attention

        def spy(q, k, v, mask, causal, use_sdpa):
            seen.append(type(mask))
            return real(q, k, v, mask, causal, use_sdpa)

        with mock.patch.object(model_mod, "attention", spy), torch.no_grad():
            model(torch.randint(0, 5000, (1, 8)), segment_ids=torch.tensor([[1] * 4 + [2] * 4]))
        self.assertTrue(seen and all(t is torch.Tensor for t in seen))


if __name__ == "__main__":
    unittest.main()
