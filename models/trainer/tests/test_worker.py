"""worker.py's protocol on bad input: each failure is one JSON error event with the right code."""

import io
import json
import os
import shutil
import subprocess
import sys
import unittest
from contextlib import redirect_stdout
from unittest import mock

import torch

from trainer import protocol, worker
from trainer.options import TRAIN, validate
from trainer.protocol import WorkerError
from trainer.shards import write_shards
from trainer.tests.fixtures import WORKER, fixed_reply_shards, run_worker, tiny_model, tmpdir, train_config


class Errors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = tiny_model("llama")
        cls.data = fixed_reply_shards(tmpdir("data"), n_train=8, n_eval=2)

    def expect(self, command, config, code, fragment=None):
        rc, events, stderr = run_worker(command, config)
        self.assertEqual([e["event"] for e in events].count("error"), 1, events)
        error = events[-1]
        self.assertEqual(error["event"], "error", events)
        self.assertEqual(error["code"], code, error["message"])
        if fragment:
            self.assertIn(fragment, error["message"])
        self.assertEqual(rc, 1)
        print(f"{command}: {code}: {error['message'][:100]}")
        return error

    def test_missing_model(self):
        missing = os.path.join(tmpdir("m"), "no-such-model")
        self.expect("train", train_config(missing, self.data, tmpdir("o")), "MODEL_NOT_FOUND", missing)

    def test_corrupt_safetensors(self):
        d = tmpdir("corrupt-model")
        for name in ("config.json", "model.safetensors"):
            shutil.copy(os.path.join(self.model, name), d)
        path = os.path.join(d, "model.safetensors")
        with open(path, "r+b") as f:
            f.truncate(os.path.getsize(path) // 2)
        self.expect("train", train_config(d, self.data, tmpdir("o")), "MODEL_CORRUPT", "truncated")

    def test_unsupported_architecture(self):
        d = tmpdir("gpt2")
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump({"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": 10}, f)
        self.expect("export", {"model_dir": d, "out_dir": tmpdir("o")}, "UNSUPPORTED_ARCH", "GPT2LMHeadModel")

    def test_empty_dataset(self):
        d = tmpdir("empty-data")
        write_shards(d, {"train": [], "eval": []}, 151669, 151645, 151643, 64)
        self.expect("train", train_config(self.model, d, tmpdir("o")), "EMPTY_DATASET")

    def test_corrupt_dataset(self):
        d = fixed_reply_shards(tmpdir("bad-data"), n_train=4, n_eval=1)
        with open(os.path.join(d, "train.index.bin"), "ab") as f:
            f.write(b"\0" * 16)
        self.expect("train", train_config(self.model, d, tmpdir("o")), "DATA_CORRUPT")

    def test_bad_config_lists_every_problem(self):
        config = train_config(self.model, self.data, tmpdir("o"), lr=-1, batch_size="8", devise="cpu")
        del config["out_dir"]
        error = self.expect("train", config, "BAD_CONFIG")
        for fragment in ("lr", "batch_size", "devise", "out_dir is required"):
            self.assertIn(fragment, error["message"])

    def test_config_defaults_and_nested_checks(self):
        cfg = validate({"model_dir": "m", "data_dir": "d", "out_dir": "o"}, TRAIN)
        self.assertEqual(cfg["lora"], {"r": 16, "alpha": 32, "dropout": 0.05, "target_modules": None})
        self.assertEqual((cfg["lr"], cfg["seed"], cfg["device"], cfg["max_steps"], cfg["resume"]), (2e-4, 1234, "auto", None, False))
        with self.assertRaises(WorkerError) as e:
            validate({"model_dir": "m", "data_dir": "d", "out_dir": "o", "lora": {"rank": 8, "dropout": 1.5}, "resume": 1}, TRAIN)
        for fragment in ("lora.rank", "lora.dropout", "resume must be a boolean"):
            self.assertIn(fragment, e.exception.message)

    def test_bad_json_and_unknown_command(self):
        proc = subprocess.run([sys.executable, WORKER, "train", "--config", "-"], input="{nope", capture_output=True, text=True)
        self.assertEqual(json.loads(proc.stdout)["code"], "BAD_CONFIG")
        proc = subprocess.run([sys.executable, WORKER, "fly"], capture_output=True, text=True)
        self.assertEqual(proc.returncode, 2)
        self.assertEqual(json.loads(proc.stdout)["code"], "BAD_CONFIG")

    @unittest.skipIf(torch.cuda.is_available(), "this machine has CUDA")
    def test_device_unavailable(self):
        self.expect("train", train_config(self.model, self.data, tmpdir("o"), device="cuda"), "DEVICE_UNAVAILABLE", "cuda")

    def test_no_torch(self):
        # Hide torch from a fresh interpreter: the worker must still speak the protocol.
        code = (
            "import sys, runpy; sys.modules['torch'] = None; "
            f"sys.argv = [{WORKER!r}, 'devices']; runpy.run_path({WORKER!r}, run_name='__main__')"
        )
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        event = json.loads(proc.stdout)
        self.assertEqual(event["code"], "NO_TORCH")
        self.assertIn("apt-get install python3-torch", event["message"])
        self.assertIn("pip install torch", event["message"])
        self.assertEqual(proc.returncode, 1)

    def test_out_of_memory_is_mapped(self):
        out = io.StringIO()
        with mock.patch("trainer.train.run", side_effect=RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")), \
                mock.patch.object(protocol, "_OUT", out), redirect_stdout(io.StringIO()):
            rc = worker.main(["train", "--config", self._config_file()])
        event = json.loads(out.getvalue())
        self.assertEqual((rc, event["code"]), (1, "OUT_OF_MEMORY"))
        self.assertIn("batch_size", event["message"])

    def _config_file(self):
        path = os.path.join(tmpdir("cfg"), "train.json")
        with open(path, "w") as f:
            json.dump(train_config(self.model, self.data, tmpdir("o")), f)
        return path

    def test_devices(self):
        rc, events, _ = run_worker("devices", {})
        self.assertEqual(rc, 0)
        self.assertEqual(events[0]["event"], "devices")
        self.assertIn(events[0]["default"], ("cuda", "mps", "cpu"))


if __name__ == "__main__":
    unittest.main()
