"""Training end to end through worker.py: the loss drops, the protocol holds, runs resume exactly."""

import json
import os
import signal
import subprocess
import sys
import unittest


from trainer.safetensors_io import load_file
from trainer.tests.fixtures import REPLY, WORKER, fixed_reply_shards, run_worker, tiny_model, tmpdir, train_config


def adapter_diff(dir_a, dir_b):
    a = load_file(os.path.join(dir_a, "adapter_model.safetensors"))
    b = load_file(os.path.join(dir_b, "adapter_model.safetensors"))
    assert set(a) == set(b)
    return max((a[k] - b[k]).abs().max().item() for k in a)


class Train(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = tiny_model("llama")
        cls.data = fixed_reply_shards(tmpdir("data"))

    def test_learns_the_fixed_reply(self):
        out = tmpdir("run")
        rc, events, stderr = run_worker("train", train_config(self.model, self.data, out, max_steps=30, eval_every=10, grad_accum=2, batch_size=4))
        self.assertEqual(rc, 0, stderr)
        kinds = [e["event"] for e in events]
        self.assertEqual(kinds[0], "start")
        self.assertEqual(kinds[-1], "done")
        start = events[0]
        self.assertEqual((start["device"], start["dtype"], start["steps"], start["train_examples"], start["eval_examples"]), ("cpu", "fp32", 30, 64, 8))
        self.assertLess(start["params_trainable"], start["params_total"] / 100)
        evals = [e for e in events if e["event"] == "eval"]
        self.assertEqual([(e["step"], e["adapter"]) for e in evals], [(0, False), (10, True), (20, True), (30, True)])
        steps = [e for e in events if e["event"] == "step"]
        self.assertEqual([e["step"] for e in steps], list(range(1, 31)))
        self.assertTrue(all(e["tokens_per_s"] > 0 and e["lr"] > 0 for e in steps))
        self.assertEqual([e["step"] for e in events if e["event"] == "checkpoint"], [5, 10, 15, 20, 25, 30])
        metrics = events[-1]["metrics"]
        print(f"eval loss {metrics['base_eval_loss']:.2f} (base) -> {metrics['eval_loss']:.2f} (adapter)")
        self.assertLess(metrics["eval_loss"], metrics["base_eval_loss"] - 4.0)
        with open(os.path.join(out, "metrics.json")) as f:
            self.assertEqual(json.load(f), metrics)
        for name in ("adapter_config.json", "adapter_model.safetensors", "checkpoint.pt", "metrics.json"):
            self.assertTrue(os.path.isfile(os.path.join(out, name)), name)
        # the adapter now answers with the taught reply
        prompt = [151644, 300, 400, 500, 151645, 151644]
        rc, events, stderr = run_worker("generate", {"model_dir": self.model, "adapter_dir": out, "prompts": [prompt], "max_new_tokens": 16, "eos_token_ids": [151645]})
        self.assertEqual(rc, 0, stderr)
        self.assertEqual(events[-1]["outputs"], [REPLY])
        print("greedy generation with the adapter reproduces the taught reply")

    def test_same_seed_same_adapter_and_sigkill_resume_is_exact(self):
        config = train_config(self.model, self.data, None, max_steps=12, grad_accum=2, batch_size=4, checkpoint_every=4)
        straight = tmpdir("straight")
        rc, _, stderr = run_worker("train", dict(config, out_dir=straight))
        self.assertEqual(rc, 0, stderr)
        again = tmpdir("again")
        rc, _, _ = run_worker("train", dict(config, out_dir=again))
        self.assertEqual(adapter_diff(straight, again), 0.0)

        killed = tmpdir("killed")
        proc = subprocess.Popen([sys.executable, WORKER, "train", "--config", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert proc.stdin is not None and proc.stdout is not None  # both PIPE
        proc.stdin.write(json.dumps(dict(config, out_dir=killed)))
        proc.stdin.close()
        for line in proc.stdout:
            event = json.loads(line)
            if event["event"] == "step" and event["step"] == 6:  # checkpoint at 4, killed 2 steps later
                proc.kill()
                break
        proc.wait()
        proc.stdout.close()
        self.assertEqual(proc.returncode, -signal.SIGKILL)
        rc, events, stderr = run_worker("train", dict(config, out_dir=killed, resume=True))
        self.assertEqual(rc, 0, stderr)
        self.assertEqual(events[0]["resumed_from"], 4)
        self.assertEqual([e["step"] for e in events if e["event"] == "step"], list(range(5, 13)))
        diff = adapter_diff(straight, killed)
        print(f"SIGKILL at step 6, resumed from checkpoint 4: max |adapter diff| = {diff:.1e}")
        self.assertLessEqual(diff, 1e-6)

    def test_sigterm_checkpoints_and_resumes(self):
        config = train_config(self.model, self.data, None, max_steps=10, checkpoint_every=100, batch_size=4)
        straight = tmpdir("straight-term")
        rc, _, stderr = run_worker("train", dict(config, out_dir=straight))
        self.assertEqual(rc, 0, stderr)
        out = tmpdir("term")
        proc = subprocess.Popen([sys.executable, WORKER, "train", "--config", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert proc.stdin is not None and proc.stdout is not None  # both PIPE
        proc.stdin.write(json.dumps(dict(config, out_dir=out)))
        proc.stdin.close()
        events = []
        for line in proc.stdout:
            events.append(json.loads(line))
            if events[-1]["event"] == "step" and events[-1]["step"] == 3:
                proc.send_signal(signal.SIGTERM)
        proc.wait()
        proc.stdout.close()
        self.assertEqual(proc.returncode, 130)
        self.assertEqual(events[-1]["event"], "cancelled")
        stopped = events[-1]["step"]
        self.assertEqual(events[-2], {"event": "checkpoint", "step": stopped, "path": os.path.join(out, "checkpoint.pt")})
        self.assertGreaterEqual(stopped, 3)
        rc, events, stderr = run_worker("train", dict(config, out_dir=out, resume=True))
        self.assertEqual(rc, 0, stderr)
        self.assertEqual(events[0]["resumed_from"], stopped)
        diff = adapter_diff(straight, out)
        print(f"SIGTERM after step {stopped}, resumed: max |adapter diff| = {diff:.1e}")
        self.assertLessEqual(diff, 1e-6)

    def test_resume_refuses_a_different_config(self):
        out = tmpdir("mismatch")
        config = train_config(self.model, self.data, out, max_steps=2, checkpoint_every=1)
        rc, _, stderr = run_worker("train", config)
        self.assertEqual(rc, 0, stderr)
        rc, events, _ = run_worker("train", dict(config, resume=True, lora={"r": 4, "alpha": 8, "dropout": 0.0}))
        self.assertEqual(rc, 1)
        self.assertEqual(events[-1]["code"], "BAD_CONFIG")
        self.assertIn("lora", events[-1]["message"])


if __name__ == "__main__":
    unittest.main()
