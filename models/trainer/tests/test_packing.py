"""Sequence packing: several examples per row with block-diagonal causal attention and position
resets compute exactly what each example computes alone (loss per example, batch loss, LoRA
gradients), for the Llama, Qwen2 and Qwen3 shapes of the tiny model, on both attention paths."""

import contextlib
import io
import json
import os
import random
import unittest

import numpy as np
import torch
import torch.nn.functional as F

from trainer import padding
from trainer.lora import inject_lora
from trainer.model import HAS_SDPA, load_model
from trainer.shards import open_shards, write_shards
from trainer.tests.fixtures import END_OF_TEXT, IM_END, IM_START, tiny_model, tmpdir
from trainer.train import collate, collate_packed, lm_loss_sum, pack_rows, padding_fraction, plan_rows, plan_run

MAX_LEN = 63  # predictions per row: room for several of the short examples below


def varied_shards(directory, n=10, seed=3):
    """Chat-shaped examples of very different lengths (6 to 48 tokens), the reply masked in."""
    rng = random.Random(seed)
    examples = []
    for _ in range(n):
        prompt = [IM_START] + [rng.randrange(200, 5000) for _ in range(rng.randrange(2, 30))] + [IM_END, IM_START]
        reply = [rng.randrange(200, 5000) for _ in range(rng.randrange(1, 15))] + [IM_END]
        examples.append((prompt + reply, [0] * len(prompt) + [1] * len(reply)))
    write_shards(directory, {"train": examples}, 151669, IM_END, END_OF_TEXT, MAX_LEN + 1)
    return open_shards(directory)[1]["train"]


def per_example_losses(model, batch):
    """Mean target loss of each example of a collate_packed batch, keyed by (row, segment)."""
    input_ids, labels, _, positions, segments = batch
    where = labels != -100
    logits, _ = model(input_ids, position_ids=positions, segment_ids=segments, logits_mask=where)
    token_losses = F.cross_entropy(logits.float(), labels[where], reduction="none")
    rows = torch.arange(labels.shape[0])[:, None].expand_as(labels)[where]
    keys = list(zip(rows.tolist(), segments[where].tolist()))
    out = {}
    for key, loss in zip(keys, token_losses):
        out.setdefault(key, []).append(loss)
    return {k: torch.stack(v).mean() for k, v in out.items()}


def lora_grads(model):
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}


class PackRows(unittest.TestCase):
    def test_first_fit_decreasing_fills_rows_and_keeps_every_example(self):
        lengths = [30, 10, 25, 5, 40, 20]
        rows = pack_rows(lengths, 50)
        self.assertEqual(sorted(j for row in rows for j in row), list(range(6)))
        self.assertTrue(all(sum(lengths[j] for j in row) <= 50 for row in rows))
        self.assertEqual(len(rows), 3)  # 130 tokens need at least 3 rows of 50
        self.assertEqual(rows, pack_rows(lengths, 50))  # deterministic
        with self.assertRaises(ValueError):
            pack_rows([51], 50)

    def test_plan_rows_never_pads_more_than_one_row_per_example(self):
        # similar lengths (as length-bucketed batches have): first-fit into max_len rows gives
        # rows of 870 and 270 (34 % padding); plan_rows finds two rows of 570 (none)
        similar = [300, 290, 280, 270]
        self.assertEqual(len(pack_rows(similar, 1023)), 2)
        rows = plan_rows(similar, 1023)
        self.assertEqual([sum(similar[j] for j in row) for row in rows], [570, 570])
        # short ones fill the room beside long ones: rows of 340 and 330 (680 cells, not 5 x 300)
        mixed = [300, 40, 250, 60, 20]
        rows = plan_rows(mixed, 340)
        self.assertEqual(len(rows) * max(sum(mixed[j] for j in row) for row in rows), 680)
        rng = random.Random(1)
        for _ in range(200):
            lengths = [rng.randrange(1, 200) for _ in range(rng.randrange(1, 12))]
            rows = plan_rows(lengths, 255)
            self.assertEqual(sorted(j for row in rows for j in row), list(range(len(lengths))))
            width = max(sum(lengths[j] for j in row) for row in rows)
            self.assertLessEqual(width, 255)
            self.assertLessEqual(len(rows) * width, len(lengths) * max(lengths))

    def test_packed_layout_and_padding_fraction(self):
        split = varied_shards(tmpdir("pack-layout"))
        indices = list(range(len(split)))
        ids, labels, tokens, positions, segments = collate_packed(split, indices, MAX_LEN, pad_id=0)
        assert positions is not None and segments is not None  # packed batches always carry both
        padded_ids, padded_labels, padded_tokens = collate(split, indices, MAX_LEN, pad_id=0)
        self.assertEqual(tokens, padded_tokens)
        self.assertLess(ids.shape[0], len(indices))  # several examples share a row
        self.assertLessEqual(ids.shape[1], MAX_LEN)
        self.assertEqual(int((segments > 0).sum()), tokens)
        self.assertEqual(int((labels != -100).sum()), int((padded_labels != -100).sum()))  # same targets
        # positions restart at 0 at every example
        starts = (segments != 0) & (torch.cat((torch.full_like(segments[:, :1], -1), segments[:, :-1]), 1) != segments)
        self.assertEqual(int(starts.sum()), len(indices))
        self.assertTrue(bool((positions[starts] == 0).all()))
        before = padding_fraction(split, [indices], MAX_LEN, packed=False)
        after = padding_fraction(split, [indices], MAX_LEN, packed=True)
        self.assertAlmostEqual(before, 1 - tokens / padded_ids.numel())
        self.assertAlmostEqual(after, 1 - tokens / ids.numel())
        self.assertLess(after, before)
        print(f"padding fraction on varied lengths: {before:.3f} padded -> {after:.3f} packed")


class PaddingReport(unittest.TestCase):
    def run_cli(self, *args):
        """trainer.padding's main in this process: (exit code, stdout, stderr)."""
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = padding.main(list(args))
        return rc, out.getvalue(), err.getvalue()

    def test_reports_both_layouts_of_the_planned_epoch(self):
        directory = tmpdir("pack-report")
        split = varied_shards(directory, n=40)
        rc, stdout, stderr = self.run_cli(directory, "--batch-size", "4", "--seed", "5")
        self.assertEqual(rc, 0, stderr)
        report = json.loads(stdout)
        self.assertEqual((report["examples"], report["micro_batches"], report["max_seq_len"]), (40, 10, MAX_LEN + 1))
        self.assertEqual(report["tokens"], int(split.lengths.sum()) - 40)
        plan = plan_run(split.lengths, 4, 10, 5)  # every example carries targets: local == global indices
        self.assertAlmostEqual(report["padded"]["padding_fraction"], padding_fraction(split, plan, MAX_LEN, packed=False))
        self.assertAlmostEqual(report["packed"]["padding_fraction"], padding_fraction(split, plan, MAX_LEN, packed=True))
        self.assertEqual(report["padded"]["rows"], 40)
        self.assertLess(report["packed"]["rows"], 40)

    def test_missing_data_is_a_clear_error(self):
        rc, _, stderr = self.run_cli(os.path.join(tmpdir("pack-missing"), "nothing"))
        self.assertEqual(rc, 2)
        self.assertIn("DATA_NOT_FOUND", stderr)
        self.assertIn("build the dataset first", stderr)


class PackedEqualsOneByOne(unittest.TestCase):
    """The acceptance test of packing: per family and attention path, the packed batch's loss and
    gradients equal those of the same examples run one at a time."""

    @classmethod
    def setUpClass(cls):
        cls.split = varied_shards(tmpdir("pack-equal"))

    def check(self, family, sdpa):
        torch.manual_seed(0)
        model = load_model(tiny_model(family))
        inject_lora(model, r=4, alpha=8, dropout=0.0)
        with torch.no_grad():  # a non-zero adapter, so its gradients and outputs matter
            for name, p in model.named_parameters():
                if p.requires_grad:
                    p.copy_(torch.randn(p.shape) * 0.05)
        model.set_use_sdpa(sdpa)
        model.train()
        indices = list(range(len(self.split)))
        batch = collate_packed(self.split, indices, MAX_LEN, pad_id=END_OF_TEXT)
        self.assertLess(batch[0].shape[0], len(indices))

        # loss of the packed batch (sum over target tokens) and its gradients
        packed = lm_loss_sum(model, batch[0], batch[1], batch[3], batch[4])
        packed.backward()
        packed_grads = lora_grads(model)
        model.zero_grad(set_to_none=True)

        # the same examples one by one, each alone in a batch of one
        alone_total, alone_means, n_targets = 0.0, [], 0
        for i in indices:
            ids, labels, _ = collate(self.split, [i], MAX_LEN, pad_id=END_OF_TEXT)
            loss = lm_loss_sum(model, ids, labels)
            loss.backward()
            n = int((labels != -100).sum())
            alone_total += loss.item()
            alone_means.append(loss.item() / n)
            n_targets += n
        alone_grads = lora_grads(model)
        model.zero_grad(set_to_none=True)

        # the training loss (mean over target tokens) and the sum agree
        self.assertAlmostEqual(packed.item() / n_targets, alone_total / n_targets, places=4)
        # each example's own mean loss, read out of the packed batch
        with torch.no_grad():
            means = per_example_losses(model, batch)
        order = {}
        for r, row in enumerate(plan_rows([min(int(self.split.lengths[i]) - 1, MAX_LEN) for i in indices], MAX_LEN)):
            for seg, j in enumerate(row, start=1):
                order[j] = (r, seg)
        packed_means = [float(means[order[j]]) for j in range(len(indices))]
        np.testing.assert_allclose(packed_means, alone_means, rtol=1e-5, atol=1e-5)
        # and so the mean of the per-example losses
        self.assertAlmostEqual(float(np.mean(packed_means)), float(np.mean(alone_means)), places=4)
        for name, g in packed_grads.items():
            scale = float(alone_grads[name].abs().max())
            err = float((g - alone_grads[name]).abs().max())
            self.assertLessEqual(err, 1e-4 * scale + 1e-7, f"{family}: gradient of {name} differs by {err:.3g} (largest {scale:.3g})")
        print(f"{family} ({'sdpa' if sdpa else 'manual'} attention): packed {batch[0].shape[0]} rows, "
              f"loss {packed.item() / n_targets:.5f} == one by one {alone_total / n_targets:.5f}")

    def test_llama_manual_attention(self):
        self.check("llama", sdpa=False)

    def test_qwen2_manual_attention(self):
        self.check("qwen2", sdpa=False)

    def test_qwen3_manual_attention(self):
        self.check("qwen3", sdpa=False)

    @unittest.skipUnless(HAS_SDPA, "PyTorch < 2.0 has no scaled_dot_product_attention")
    def test_llama_sdpa(self):
        self.check("llama", sdpa=True)

    @unittest.skipUnless(HAS_SDPA, "PyTorch < 2.0 has no scaled_dot_product_attention")
    def test_qwen2_sdpa(self):
        self.check("qwen2", sdpa=True)

    def test_examples_do_not_see_each_other(self):
        """Changing one example's tokens leaves every other example's logits in its row unchanged."""
        model = load_model(tiny_model("llama"))
        batch = collate_packed(self.split, list(range(len(self.split))), MAX_LEN, pad_id=END_OF_TEXT)
        ids, _, _, positions, segments = batch
        assert positions is not None and segments is not None  # packed batches always carry both
        row = int(torch.argmax((segments.max(1).values)))  # the row holding the most examples
        changed = ids.clone()
        first = segments[row] == 1
        changed[row][first] = (changed[row][first] + 7) % 5000
        with torch.no_grad():
            a, _ = model(ids, position_ids=positions, segment_ids=segments)
            b, _ = model(changed, position_ids=positions, segment_ids=segments)
        others = (segments[row] > 1)
        self.assertTrue(bool(others.any()))
        torch.testing.assert_close(a[row][others], b[row][others])  # pyright: ignore[reportPrivateImportUsage] - public; torch 1.13's stubs leave it out
        self.assertFalse(torch.allclose(a[row][first], b[row][first]))


if __name__ == "__main__":
    unittest.main()
