"""ONNX export: layout, graph signature, a tied embedding stored once, external data.

Numerics are checked with onnxruntime-node when Node and node_modules are present (the
TypeScript tests check parity too); the Python side has no onnxruntime.
"""

import json
import os
import shutil
import subprocess
import unittest

import numpy as np

from trainer import onnx_proto
from trainer.tests.fixtures import REPO, fixed_reply_shards, run_worker, tiny_model, tmpdir, train_config

ORT = os.path.join(REPO, "node_modules", "onnxruntime-node")
NODE = shutil.which("node")

# Runs the exported graph twice with onnxruntime-node: the whole sequence with an empty cache, and
# split in two with the cache; writes both logits as float32.
ORT_SCRIPT = r"""
const ort = require(process.env.ORT);
const fs = require('fs');
const c = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
(async () => {
  const s = await ort.InferenceSession.create(c.onnx);
  const B = c.input_ids.length, T = c.input_ids[0].length;
  const pos = c.attention_mask.map(r => { let n = -1; return r.map(m => { n += m; return m ? n : 1; }); });
  const t = (rows) => new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0].length]);
  async function run(a, b, past) {
    const feeds = { input_ids: t(c.input_ids.map(r => r.slice(a, b))), attention_mask: t(c.attention_mask.map(r => r.slice(0, b))),
                    position_ids: t(pos.map(r => r.slice(a, b))) };
    for (let i = 0; i < c.layers; i++) for (const k of ['key', 'value'])
      feeds[`past_key_values.${i}.${k}`] = past ? past[`present.${i}.${k}`] : new ort.Tensor('float32', new Float32Array(0), [B, c.kv_heads, 0, c.head_dim]);
    return s.run(feeds);
  }
  const full = await run(0, T, null);
  const first = await run(0, c.split, null);
  const rest = await run(c.split, T, first);
  fs.writeFileSync(c.out + '.full', Buffer.from(full.logits.data.buffer));
  fs.writeFileSync(c.out + '.first', Buffer.from(first.logits.data.buffer));
  fs.writeFileSync(c.out + '.rest', Buffer.from(rest.logits.data.buffer));
  console.log(JSON.stringify({ present: rest['present.0.key'].dims }));
})().catch(e => { console.error(e); process.exit(1); });
"""


class Export(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = tiny_model("llama")
        data = fixed_reply_shards(tmpdir("data"), n_train=16, n_eval=2)
        cls.adapter = tmpdir("adapter")
        rc, _, stderr = run_worker("train", train_config(cls.model, data, cls.adapter, max_steps=3))
        assert rc == 0, stderr

    def export(self, model_dir, adapter_dir=None, **extra):
        out = os.path.join(tmpdir("export"), "onnx-model")
        rc, events, stderr = run_worker("export", {"model_dir": model_dir, "adapter_dir": adapter_dir, "out_dir": out, **extra})
        self.assertEqual(rc, 0, stderr)
        self.assertEqual(events[-1]["event"], "done")
        return out, events[-1]

    def test_layout_signature_and_tied_embedding_once(self):
        out, done = self.export(self.model, self.adapter)
        for name in ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "onnx/model.onnx"):
            self.assertTrue(os.path.isfile(os.path.join(out, name)), name)
        self.assertFalse(os.path.exists(out + ".partial"))
        with open(os.path.join(out, "config.json")) as f:
            self.assertEqual(json.load(f)["model_type"], "llama")
        s = onnx_proto.summarize(os.path.join(out, "onnx", "model.onnx"))
        layers = 2
        want_in = ["input_ids", "attention_mask", "position_ids"] + [f"past_key_values.{i}.{k}" for i in range(layers) for k in ("key", "value")]
        want_out = ["logits"] + [f"{o}.{i}.{k}" for o in ("present", "kv_rows") for i in range(layers) for k in ("key", "value")]
        self.assertEqual([v["name"] for v in s["inputs"]], want_in)
        self.assertEqual([v["name"] for v in s["outputs"]], want_out)
        shapes = {v["name"]: (v["type"], v["shape"]) for v in s["inputs"] + s["outputs"]}
        self.assertEqual(shapes["input_ids"], ("int64", ["batch_size", "sequence_length"]))
        self.assertEqual(shapes["attention_mask"], ("int64", ["batch_size", "total_sequence_length"]))
        self.assertEqual(shapes["position_ids"], ("int64", ["batch_size", "sequence_length"]))
        self.assertEqual(shapes["past_key_values.1.value"], ("float32", ["batch_size", 2, "past_sequence_length", 16]))
        self.assertEqual(shapes["present.0.key"], ("float32", ["batch_size", 2, "total_sequence_length", 16]))
        self.assertEqual(shapes["kv_rows.1.value"], ("float32", ["batch_size", 2, "sequence_length", 16]))  # attention "gqa", the default
        self.assertEqual(shapes["logits"], ("float32", ["batch_size", "sequence_length", 151669]))
        embedding = 151669 * 64 * 4
        big = [t for t in s["initializers"] if t["bytes"] >= embedding]
        self.assertEqual(len(big), 1, f"the tied embedding must be stored once: {big}")
        size = os.path.getsize(os.path.join(out, "onnx", "model.onnx"))
        print(f"model.onnx {size / 1e6:.1f} MB for {done['weight_bytes'] / 1e6:.1f} MB of weights (embedding {embedding / 1e6:.1f} MB)")
        self.assertLess(size, done["weight_bytes"] * 1.05)
        self.assertNotIn("lora", json.dumps([t["name"] for t in s["initializers"]]))

    def test_external_data(self):
        out, done = self.export(self.model, self.adapter, external_data=True)
        onnx_path = os.path.join(out, "onnx", "model.onnx")
        self.assertTrue(done["external_data"])
        self.assertLess(os.path.getsize(onnx_path), 2_000_000)
        self.assertGreater(os.path.getsize(os.path.join(out, "onnx", "model.onnx_data")), done["weight_bytes"] * 0.99)
        s = onnx_proto.summarize(onnx_path)
        self.assertTrue(all(t["external"] for t in s["initializers"] if t["bytes"] >= 4096))
        with open(os.path.join(out, "config.json")) as f:
            self.assertTrue(json.load(f)["transformers.js_config"]["use_external_data_format"])

    def test_consolidates_per_tensor_files(self):
        # PyTorch writes one file per tensor for models over 2 GB; make such a layout and consolidate it.
        out, _ = self.export(self.model, attention="matmul")
        onnx_path = os.path.join(out, "onnx", "model.onnx")
        onnx_proto.externalize(onnx_path, "model.onnx_data")
        scattered = _scatter(onnx_path)
        self.assertGreater(len(scattered), 5)
        onnx_proto.externalize(onnx_path, "model.onnx_data")
        self.assertEqual(sorted(os.listdir(os.path.dirname(onnx_path))), ["model.onnx", "model.onnx_data"])
        if NODE and os.path.isdir(ORT):
            self._check_numerics(out, adapter_dir=None)

    @unittest.skipUnless(NODE and os.path.isdir(ORT), "needs node and node_modules/onnxruntime-node")
    def test_onnxruntime_matches_pytorch_with_empty_and_filled_cache(self):
        # The matmul graph, whose attention reads left padding from attention_mask (the batch below
        # has it); the default gqa graph takes unpadded rows (tests/integration/onnx-gqa.test.ts).
        for family in ("llama", "qwen3"):
            adapter = self.adapter if family == "llama" else None
            out, _ = self.export(tiny_model(family), adapter, attention="matmul")
            self._check_numerics(out, adapter)

    def _check_numerics(self, out, adapter_dir):
        with open(os.path.join(out, "config.json")) as f:
            hf = json.load(f)
        ids = [[0, 0, 5, 17, 300, 9000, 151645, 42], [11, 12, 13, 14, 15, 16, 17, 18]]
        mask = [[0, 0, 1, 1, 1, 1, 1, 1], [1] * 8]
        work = tmpdir("ort")
        case = {"onnx": os.path.join(out, "onnx", "model.onnx"), "input_ids": ids, "attention_mask": mask, "split": 5,
                "layers": hf["num_hidden_layers"], "kv_heads": hf["num_key_value_heads"],
                "head_dim": hf.get("head_dim") or hf["hidden_size"] // hf["num_attention_heads"], "out": os.path.join(work, "ort")}
        with open(os.path.join(work, "case.json"), "w") as f:
            json.dump(case, f)
        with open(os.path.join(work, "run.cjs"), "w") as f:
            f.write(ORT_SCRIPT)
        assert NODE is not None  # the skipUnless above
        proc = subprocess.run([NODE, os.path.join(work, "run.cjs"), os.path.join(work, "case.json")], capture_output=True, text=True, env={**os.environ, "ORT": ORT}, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        logits_config = {"model_dir": self._source(out), "adapter_dir": adapter_dir, "input_ids": ids, "attention_mask": mask,
                         "out_file": os.path.join(work, "pt")}
        rc, _, stderr = run_worker("logits", logits_config)
        self.assertEqual(rc, 0, stderr)
        vocab = hf["vocab_size"]
        torch_logits = np.fromfile(os.path.join(work, "pt"), "<f4").reshape(2, 8, vocab)
        full = np.fromfile(case["out"] + ".full", "<f4").reshape(2, 8, vocab)
        cached = np.concatenate([np.fromfile(case["out"] + ".first", "<f4").reshape(2, 5, vocab),
                                 np.fromfile(case["out"] + ".rest", "<f4").reshape(2, 3, vocab)], axis=1)
        real = np.array(mask, dtype=bool)  # padded positions' logits are meaningless
        d_full = np.abs(full - torch_logits)[real].max()
        d_cached = np.abs(cached - torch_logits)[real].max()
        print(f"{hf['model_type']}: onnxruntime vs PyTorch max |diff|: empty cache {d_full:.1e}, filled cache {d_cached:.1e}")
        self.assertLess(d_full, 1e-4)
        self.assertLess(d_cached, 1e-4)

    def _source(self, out):
        with open(os.path.join(out, "config.json")) as f:
            model_type = json.load(f)["model_type"]
        return tiny_model(model_type)


def _scatter(onnx_path):
    """Rewrite an externalized model so each tensor lives in its own file, as torch.onnx does above 2 GB."""
    folder = os.path.dirname(onnx_path)
    with open(onnx_path, "rb") as f:
        model = onnx_proto.parse(f.read())
    graph_item = next(item for item in model if item[0] == onnx_proto.MODEL_GRAPH)
    graph = onnx_proto.parse(graph_item[2])
    with open(os.path.join(folder, "model.onnx_data"), "rb") as f:
        blob = f.read()
    files = []
    for item in graph:
        if item[0] != onnx_proto.GRAPH_INITIALIZER:
            continue
        tensor = onnx_proto.parse(item[2])
        entries = {}
        for field, _, value in tensor:
            if field == onnx_proto.TENSOR_EXTERNAL_DATA:
                kv = onnx_proto.parse(value)
                entries[bytes(kv[0][2]).decode()] = bytes(kv[1][2]).decode()
        if not entries:
            continue
        name = f"tensor_{len(files)}"
        start, length = int(entries["offset"]), int(entries["length"])
        with open(os.path.join(folder, name), "wb") as f:
            f.write(blob[start : start + length])
        files.append(name)
        tensor = [t for t in tensor if t[0] != onnx_proto.TENSOR_EXTERNAL_DATA]
        entry = onnx_proto.serialize([[1, onnx_proto.LEN, b"location"], [2, onnx_proto.LEN, name.encode()]])
        tensor.append([onnx_proto.TENSOR_EXTERNAL_DATA, onnx_proto.LEN, entry])
        item[2] = onnx_proto.serialize(tensor)
    graph_item[2] = onnx_proto.serialize(graph)
    with open(onnx_path, "wb") as f:
        f.write(onnx_proto.serialize(model))
    os.remove(os.path.join(folder, "model.onnx_data"))
    return files


if __name__ == "__main__":
    unittest.main()
