"""The bench command's lines (ours, the transformers + PEFT reference or why it is missing) and the
CUDA-minded step pieces that must not change CPU results: loss at CPU-found positions, gradient
checkpointing inside the block, the optimizer choice, and falling back to eager when compiling fails."""

import contextlib
import io
import json
import unittest
from unittest import mock

import torch

from trainer import bench as bench_mod
from trainer import protocol, train
from trainer.lora import inject_lora
from trainer.model import build_model, init_random
from trainer.model import ModelConfig
from trainer.options import SPECS, validate

TINY = {  # a Llama shape small enough for a unit test, in the bench's preset format
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 32, "num_hidden_layers": 2,
    "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 64, "vocab_size": 256,
    "tie_word_embeddings": True, "rope_theta": 10000.0, "rms_norm_eps": 1e-5,
}


def tiny_lora_model(seed=0):
    torch.manual_seed(seed)  # LoRA's A is drawn from the global generator
    model = init_random(build_model(ModelConfig.from_hf(TINY)), seed=seed)
    inject_lora(model, r=4, alpha=8, dropout=0.0)
    model.train()
    return model


def run_bench(**config):
    """bench() on the tiny preset -> its "bench" events (stdout captured)."""
    out = io.StringIO()
    with mock.patch.dict(bench_mod.PRESETS, {"tiny": TINY}), mock.patch.object(protocol, "_OUT", out), \
            contextlib.redirect_stderr(io.StringIO()):
        rc = bench_mod.bench(validate({"models": ["tiny"], "device": "cpu", "seq_len": 16, "steps": 2, **config}, SPECS["bench"]))
    return rc, [json.loads(line) for line in out.getvalue().splitlines()]


def reference_installed():
    return bench_mod.reference_available() is None


class BenchLines(unittest.TestCase):
    def test_one_line_per_batch_size_with_our_numbers(self):
        rc, events = run_bench(batch_sizes=[1, 2], threads=1)
        self.assertEqual(rc, 0)
        self.assertEqual([(e["event"], e["batch_size"]) for e in events], [("bench", 1), ("bench", 2)])
        for e in events:
            self.assertGreater(e["tokens_per_s"], 0)
            self.assertAlmostEqual(e["tokens_per_s"], e["batch_size"] * 16 / e["step_s"])
            self.assertGreater(e["efficiency"], 0)
            self.assertEqual(e["reference"], "none")
            self.assertNotIn("ratio", e)
            self.assertFalse(e["compiled"])  # never on the CPU
            self.assertFalse(e["fused_adamw"])

    @unittest.skipIf(reference_installed(), "transformers and peft are installed here")
    def test_reference_missing_is_said_not_fatal(self):
        rc, events = run_bench(reference="hf-peft", threads=1)
        self.assertEqual(rc, 0)
        self.assertEqual(len(events), 1)
        self.assertTrue(events[0]["reference"].startswith("unavailable: "), events[0]["reference"])
        self.assertGreater(events[0]["tokens_per_s"], 0)
        self.assertNotIn("ratio", events[0])

    @unittest.skipUnless(reference_installed(), "needs transformers and peft (pip install transformers peft)")
    def test_reference_timed_in_the_same_run(self):
        rc, events = run_bench(reference="hf-peft", threads=1)
        self.assertEqual(rc, 0)
        e = events[0]
        self.assertEqual(e["reference"], "hf-peft")
        self.assertAlmostEqual(e["ratio"], e["tokens_per_s"] / e["reference_tokens_per_s"])
        self.assertEqual(e["reference_params_trainable"], e["params_trainable"])  # same rank, same targets
        self.assertIn("transformers", e["reference_versions"])

    def test_command_line_rejects_a_bad_sweep(self):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rc = bench_mod.main(["--device", "cpu", "--batch-sizes", "1,x"])
        self.assertEqual(rc, 1)
        self.assertIn("--batch-sizes", err.getvalue())
        with contextlib.redirect_stderr(err):
            rc = bench_mod.main(["--device", "cpu", "--reference", "peft"])
        self.assertEqual(rc, 1)
        self.assertIn("reference", err.getvalue())


class StepPieces(unittest.TestCase):
    def setUp(self):
        gen = torch.Generator().manual_seed(1)
        self.ids = torch.randint(0, 256, (2, 12), generator=gen)
        self.labels = torch.randint(0, 256, (2, 12), generator=gen)
        self.labels[0, :5] = -100
        self.labels[1, 3:9] = -100

    def test_logits_index_is_logits_mask(self):
        model = tiny_lora_model()
        where = self.labels != -100
        index, targets = train.loss_positions(self.labels)
        a, _ = model(self.ids, logits_mask=where)
        b, _ = model(self.ids, logits_index=index)
        self.assertTrue(torch.equal(a, b))
        self.assertTrue(torch.equal(targets, self.labels[where]))

    def test_gradient_checkpointing_inside_the_block_changes_nothing(self):
        grads = []
        for checkpointing in (False, True):
            model = tiny_lora_model()
            model.gradient_checkpointing = checkpointing
            loss = train.lm_loss_sum(model, self.ids, self.labels)
            loss.backward()
            # backward() gave every trainable parameter a gradient
            grads.append((loss.detach(), [p.grad.clone() for p in model.parameters() if p.requires_grad]))  # pyright: ignore[reportOptionalMemberAccess]
        self.assertTrue(torch.equal(grads[0][0], grads[1][0]))
        for g0, g1 in zip(grads[0][1], grads[1][1]):
            self.assertTrue(torch.allclose(g0, g1, atol=1e-6, rtol=0))

    def test_optimizer_is_fused_only_on_cuda(self):
        params = [torch.nn.Parameter(torch.zeros(3))]
        opt = train.make_optimizer(params, torch.device("cpu"), 1e-3, 0.0)
        self.assertIsInstance(opt, torch.optim.AdamW)
        self.assertFalse(opt.defaults.get("fused"))

    def test_a_compiler_failure_redoes_the_step_eagerly(self):
        # The first (compiled) attempt fails after drawing random numbers and leaving gradients;
        # the retry must start from the same RNG state with no gradients, like an eager step.
        calls = []

        def flaky_step(s, micro, n_targets, check_cancel):
            calls.append(torch.rand(1).item())
            if len(calls) == 1:
                s.params[0].grad = torch.ones_like(s.params[0])
                raise RuntimeError("BackendCompilerFailed: no working C compiler")
            return ["ok"]

        s = mock.Mock()
        s.params = [torch.nn.Parameter(torch.zeros(2))]
        s.optimizer = torch.optim.AdamW(s.params)
        s.boundary_rng = train.rng_state(torch.device("cpu"))
        compiled = [True]
        with mock.patch.object(train, "_step", flaky_step), \
                mock.patch.object(train, "is_compiled", lambda model: compiled[0]), \
                mock.patch.object(train, "uncompile_blocks", lambda model: compiled.__setitem__(0, False)), \
                contextlib.redirect_stderr(io.StringIO()) as err:
            self.assertEqual(train._train_step(s, [], 1, lambda: None), ["ok"])
        self.assertEqual(calls[0], calls[1])  # the RNG was rewound
        self.assertIsNone(s.params[0].grad)
        self.assertFalse(compiled[0])
        self.assertIn("torch.compile failed", err.getvalue())

    def test_other_errors_are_not_retried(self):
        s = mock.Mock()
        with mock.patch.object(train, "_step", side_effect=ValueError("bad data")), \
                mock.patch.object(train, "is_compiled", lambda model: False):
            with self.assertRaises(ValueError):
                train._train_step(s, [], 1, lambda: None)


if __name__ == "__main__":
    unittest.main()
