"""GGUF export: the file format (read back with an independent reader below), q8_0 blocks, the RoPE
row permutation for llama.cpp's Llama, and the export-gguf command on the tiny models.

Whether llama.cpp itself computes the same outputs is checked in tests/integration/gguf.test.ts
(when node-llama-cpp is installed in bench/.reference/)."""

import json
import os
import shutil
import struct
import unittest

import numpy as np
import torch

from trainer import export_gguf as gg
from trainer.infer import load_for_inference
from trainer.protocol import WorkerError
from trainer.safetensors_io import Checkpoint, save_file
from trainer.tests.fixtures import fixed_reply_shards, run_worker, tiny_model, tmpdir, train_config

# --- an independent reader, from ggml/docs/gguf.md ------------------------------------------------

_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_TYPE_SIZES = {0: (1, 4), 1: (1, 2), 8: (32, 34)}  # ggml type: (values per block, bytes per block)


class Reader:
    def __init__(self, path):
        with open(path, "rb") as f:
            self.buf = f.read()
        self.pos = 0
        assert self._take(4) == b"GGUF", "bad magic"
        self.version, n_tensors, n_kv = struct.unpack_from("<IQQ", self.buf, self.pos)
        self.pos += 20
        self.kv, self.types = {}, {}
        for _ in range(n_kv):
            key = self._string()
            vtype = self._u32()
            self.types[key] = vtype
            self.kv[key] = self._value(vtype)
        self.tensors = {}
        for _ in range(n_tensors):
            name = self._string()
            dims = [struct.unpack_from("<Q", self.buf, self.pos + 8 * i)[0] for i in range(self._u32())]
            self.pos += 8 * len(dims)
            ggml_type = self._u32()
            offset = struct.unpack_from("<Q", self.buf, self.pos)[0]
            self.pos += 8
            self.tensors[name] = (dims, ggml_type, offset)
        alignment = self.kv.get("general.alignment", 32)
        self.data_start = self.pos + (-self.pos % alignment)

    def _take(self, n):
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        return out

    def _u32(self):
        return struct.unpack("<I", self._take(4))[0]

    def _string(self):
        n = struct.unpack("<Q", self._take(8))[0]
        return self._take(n).decode("utf-8")

    def _value(self, vtype):
        if vtype == 8:
            return self._string()
        if vtype == 9:
            elem = self._u32()
            n = struct.unpack("<Q", self._take(8))[0]
            return [self._value(elem) for _ in range(n)]
        fmt = _SCALARS[vtype]
        return struct.unpack(fmt, self._take(struct.calcsize(fmt)))[0]

    def raw(self, name):
        dims, ggml_type, offset = self.tensors[name]
        per_block, block_bytes = _TYPE_SIZES[ggml_type]
        n = int(np.prod(dims))
        start = self.data_start + offset
        return self.buf[start : start + n // per_block * block_bytes]

    def array(self, name):
        """The tensor as float32 in PyTorch order (GGUF lists dims innermost first)."""
        dims, ggml_type, _ = self.tensors[name]
        shape = tuple(reversed(dims))
        raw = self.raw(name)
        if ggml_type == 0:
            return np.frombuffer(raw, "<f4").reshape(shape)
        if ggml_type == 1:
            return np.frombuffer(raw, "<f2").astype(np.float32).reshape(shape)
        blocks = np.frombuffer(raw, np.uint8).reshape(-1, 34)
        d = blocks[:, :2].copy().view("<f2").astype(np.float32)
        return (blocks[:, 2:].copy().view(np.int8).astype(np.float32) * d).reshape(shape)


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def reference_q8_0(row):
    """ggml-quants.c quantize_row_q8_0_ref, value by value."""
    out = bytearray()
    for b in range(len(row) // 32):
        x = [float(np.float32(v)) for v in row[32 * b : 32 * b + 32]]
        amax = max(abs(v) for v in x)
        d = np.float32(amax) / np.float32(127)
        inv = np.float32(1) / d if d else np.float32(0)
        out += np.float16(d).tobytes()
        for v in x:
            s = float(np.float32(v) * inv)
            out += struct.pack("<b", int(np.sign(s) * np.floor(abs(s) + 0.5)))  # roundf
    return bytes(out)


def hf_rope(x, pos, theta=10000.0):
    """Hugging Face's rotate-half RoPE on [heads, d] at position `pos`."""
    d = x.shape[-1]
    inv = 1.0 / theta ** (np.arange(0, d, 2) / d)
    cos, sin = np.cos(pos * inv), np.sin(pos * inv)
    a, b = x[:, : d // 2], x[:, d // 2 :]
    return np.concatenate([a * cos - b * sin, b * cos + a * sin], axis=-1)


def ggml_rope_norm(x, pos, theta=10000.0):
    """llama.cpp's LLAMA_ROPE_TYPE_NORM: adjacent pairs (x[2i], x[2i+1]) rotate by theta_i."""
    d = x.shape[-1]
    inv = 1.0 / theta ** (np.arange(0, d, 2) / d)
    cos, sin = np.cos(pos * inv), np.sin(pos * inv)
    out = x.copy()
    out[:, 0::2] = x[:, 0::2] * cos - x[:, 1::2] * sin
    out[:, 1::2] = x[:, 0::2] * sin + x[:, 1::2] * cos
    return out


class Format(unittest.TestCase):
    def test_writer_round_trips_metadata_and_tensors(self):
        rng = np.random.default_rng(0)
        a = rng.standard_normal((3, 64)).astype(np.float32)
        b = rng.standard_normal((5, 32)).astype(np.float32)
        c = rng.standard_normal(7).astype(np.float32)
        w = gg.GgufWriter()
        w.add("general.architecture", gg.STRING, "llama")
        w.add("llama.block_count", gg.UINT32, 2)
        w.add("llama.rope.freq_base", gg.FLOAT32, 500000.0)
        w.add("tokenizer.ggml.add_bos_token", gg.BOOL, True)
        w.add_array("tokenizer.ggml.tokens", gg.STRING, ["a", "Ġb", "日本", ""])
        w.add_array("tokenizer.ggml.token_type", gg.INT32, [1, 1, 3, 5])
        w.add_tensor("t.f32", a.shape, gg.GGML_F32, lambda: a)
        w.add_tensor("t.f16", b.shape, gg.GGML_F16, lambda: gg.to_f16(b))
        w.add_tensor("t.q8", a.shape, gg.GGML_Q8_0, lambda: gg.quantize_q8_0(a))
        w.add_tensor("t.vec", c.shape, gg.GGML_F32, lambda: c)
        path = os.path.join(tmpdir("gguf"), "x.gguf")
        size = w.write(path)
        self.assertFalse(os.path.exists(path + ".partial"))
        r = Reader(path)
        self.assertEqual(r.version, 3)
        self.assertEqual(r.kv, {"general.architecture": "llama", "llama.block_count": 2, "llama.rope.freq_base": 500000.0,
                                "tokenizer.ggml.add_bos_token": True, "tokenizer.ggml.tokens": ["a", "Ġb", "日本", ""],
                                "tokenizer.ggml.token_type": [1, 1, 3, 5]})
        self.assertEqual(r.types["llama.block_count"], 4)  # UINT32: llama.cpp checks types strictly
        self.assertEqual(r.types["llama.rope.freq_base"], 6)  # FLOAT32
        self.assertEqual({k: (v[0], v[1]) for k, v in r.tensors.items()},
                         {"t.f32": ([64, 3], 0), "t.f16": ([32, 5], 1), "t.q8": ([64, 3], 8), "t.vec": ([7], 0)})
        self.assertEqual(r.data_start % 32, 0)
        for name, (_, _, offset) in r.tensors.items():
            self.assertEqual(offset % 32, 0, name)
        np.testing.assert_array_equal(r.array("t.f32"), a)
        np.testing.assert_array_equal(r.array("t.f16"), b.astype(np.float16).astype(np.float32))
        np.testing.assert_array_equal(r.array("t.vec"), c)
        self.assertEqual(r.raw("t.q8"), gg.quantize_q8_0(a).tobytes())
        last = max(o + len(r.raw(n)) for n, (_, _, o) in r.tensors.items())
        self.assertEqual(size, r.data_start + last + (-last % 32))
        print(f"GGUF round trip: {len(r.kv)} keys, {len(r.tensors)} tensors, data at byte {r.data_start}, {size} bytes")


class Q8(unittest.TestCase):
    def test_blocks_equal_ggml_reference_and_decode_within_half_a_step(self):
        rng = np.random.default_rng(1)
        x = (rng.standard_normal((4, 96)) * rng.uniform(0.01, 3, (4, 1))).astype(np.float32)
        x[1, :32] = 0.0  # an all-zero block: d = 0, q = 0
        x[2, 5] = 127.5  # a value at a rounding boundary of its block
        blocks = gg.quantize_q8_0(x)
        self.assertEqual(blocks.shape, (12, 34))
        self.assertEqual(blocks.tobytes(), b"".join(reference_q8_0(row) for row in x))
        back = gg.dequantize_q8_0(blocks.tobytes(), x.shape)
        d = np.abs(x.reshape(-1, 32)).max(axis=1) / 127
        err = np.abs(back - x).reshape(-1, 32).max(axis=1)
        # round-off of half a step, plus d's own f16 rounding times the largest |q| (127)
        bound = d / 2 + 127 * np.abs(d.astype(np.float16).astype(np.float32) - d) + 1e-12
        self.assertTrue(np.all(err <= bound), (err, bound))
        self.assertTrue(np.all(back[1, :32] == 0))
        print(f"q8_0: largest error {np.max(err / np.where(d > 0, d, 1)):.3f} of a block's step (bound 0.5 + the scale's f16 rounding)")


    def test_int8_onnx_weights_are_the_q8_0_numbers(self):
        from trainer.export_onnx import quantize_int8

        rng = np.random.default_rng(3)
        w = (rng.standard_normal((6, 64)) * 0.05).astype(np.float32)
        q, scales = quantize_int8(w)
        self.assertEqual((q.shape, scales.shape), ((6, 2, 32), (6, 2)))
        onnx_weights = (q.astype(np.float32) - 128) * scales[..., None]
        np.testing.assert_array_equal(onnx_weights.reshape(6, 64), gg.dequantize_q8_0(gg.quantize_q8_0(w).tobytes(), (6, 64)))
        q, _ = quantize_int8(w[:, :40])  # rows padded with zeros to whole blocks
        self.assertTrue(np.all(q[:, 1, 8:] == 128))


class RopePermutation(unittest.TestCase):
    def test_permuted_rows_make_interleaved_rope_equal_rotate_half(self):
        heads, d, hidden = 3, 8, 5
        rng = np.random.default_rng(2)
        w = rng.standard_normal((heads * d, hidden))
        x = rng.standard_normal(hidden)
        pw = gg.permute_rope_rows(w, heads)
        self.assertTrue(np.array_equal(pw[2], w[1]) and np.array_equal(pw[3], w[1 + d // 2]))  # head 0: row 2i <- i, 2i+1 <- i+d/2
        self.assertTrue(np.array_equal(pw[d + 2], w[d + 1]))  # per head
        for pos in (0, 1, 7, 300):
            hf = hf_rope((w @ x).reshape(heads, d), pos)
            ll = ggml_rope_norm((pw @ x).reshape(heads, d), pos)
            np.testing.assert_allclose(ll, gg.permute_rope_rows(hf.reshape(-1), heads).reshape(heads, d), atol=1e-12)
        # so attention scores, q·k within a head, are the same in both layouts
        q, k = (w @ x).reshape(heads, d), (w @ (x + 1)).reshape(heads, d)
        hf_scores = (hf_rope(q, 9) * hf_rope(k, 4)).sum(-1)
        pq, pk = (pw @ x).reshape(heads, d), (pw @ (x + 1)).reshape(heads, d)
        np.testing.assert_allclose((ggml_rope_norm(pq, 9) * ggml_rope_norm(pk, 4)).sum(-1), hf_scores, atol=1e-10)


class PreTokenizer(unittest.TestCase):
    def test_names(self):
        qwen = read_json(os.path.join(tiny_model("llama"), "tokenizer.json"))
        self.assertEqual(gg.pre_tokenizer_name(qwen), "qwen2")
        llama3 = {"pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"}},
            {"type": "ByteLevel", "use_regex": False}]}}
        self.assertEqual(gg.pre_tokenizer_name(llama3), "llama-bpe")
        smollm = {"pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": True},
                                                                          {"type": "ByteLevel", "use_regex": True}]}}
        self.assertEqual(gg.pre_tokenizer_name(smollm), "smollm")
        self.assertEqual(gg.pre_tokenizer_name({"pre_tokenizer": {"type": "ByteLevel"}}), "gpt-2")
        with self.assertRaises(WorkerError) as e:
            gg.pre_tokenizer_name({"pre_tokenizer": {"type": "Metaspace"}})
        self.assertEqual(e.exception.code, "EXPORT_FAILED")


class ExportCommand(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.adapter = tmpdir("adapter")
        data = fixed_reply_shards(tmpdir("data"), n_train=16, n_eval=2)
        rc, _, stderr = run_worker("train", train_config(tiny_model("llama"), data, cls.adapter, max_steps=3))
        assert rc == 0, stderr

    def export(self, model_dir, precision="f32", adapter_dir=None):
        out = os.path.join(tmpdir("gguf"), f"model-{precision}.gguf")
        rc, events, stderr = run_worker("export-gguf", {"model_dir": model_dir, "adapter_dir": adapter_dir, "out_file": out, "precision": precision})
        self.assertEqual(rc, 0, stderr)
        self.assertEqual(events[-1]["event"], "done")
        self.assertEqual(events[-1]["bytes"], os.path.getsize(out))
        return Reader(out), events[-1]

    def test_f32_metadata_tokenizer_and_weights_per_family(self):
        for family in ("llama", "qwen2", "qwen3"):
            with self.subTest(family):
                model_dir = tiny_model(family)
                r, done = self.export(model_dir)
                with open(os.path.join(model_dir, "config.json")) as f:
                    hf = json.load(f)
                arch = family
                self.assertEqual(r.kv["general.architecture"], arch)
                self.assertEqual(r.kv["general.file_type"], 0)
                self.assertEqual(r.kv[f"{arch}.block_count"], hf["num_hidden_layers"])
                self.assertEqual(r.kv[f"{arch}.embedding_length"], hf["hidden_size"])
                self.assertEqual(r.kv[f"{arch}.feed_forward_length"], hf["intermediate_size"])
                self.assertEqual(r.kv[f"{arch}.attention.head_count"], hf["num_attention_heads"])
                self.assertEqual(r.kv[f"{arch}.attention.head_count_kv"], hf["num_key_value_heads"])
                self.assertAlmostEqual(r.kv[f"{arch}.attention.layer_norm_rms_epsilon"], hf["rms_norm_eps"])
                self.assertEqual(r.kv[f"{arch}.rope.freq_base"], hf["rope_theta"])
                head_dim = hf.get("head_dim") or hf["hidden_size"] // hf["num_attention_heads"]
                self.assertEqual(r.kv[f"{arch}.rope.dimension_count"], head_dim)
                if family == "qwen3":  # head_dim 32 != 64 / 4: llama.cpp must be told
                    self.assertEqual((r.kv["qwen3.attention.key_length"], r.kv["qwen3.attention.value_length"]), (32, 32))

                tok = read_json(os.path.join(model_dir, "tokenizer.json"))
                tok_config = read_json(os.path.join(model_dir, "tokenizer_config.json"))
                tokens = r.kv["tokenizer.ggml.tokens"]
                self.assertEqual(len(tokens), hf["vocab_size"])
                self.assertEqual(len(r.kv["tokenizer.ggml.token_type"]), hf["vocab_size"])
                self.assertEqual((r.kv["tokenizer.ggml.model"], r.kv["tokenizer.ggml.pre"]), ("gpt2", "qwen2"))
                self.assertEqual(tokens[tok["model"]["vocab"]["Ġthe"]], "Ġthe")
                self.assertEqual(tokens[151645], "<|im_end|>")
                self.assertEqual(r.kv["tokenizer.ggml.token_type"][151645], 3)  # CONTROL
                self.assertEqual(r.kv["tokenizer.ggml.token_type"][100], 1)  # NORMAL
                self.assertEqual(r.kv["tokenizer.ggml.eos_token_id"], 151645)
                self.assertEqual(r.kv["tokenizer.ggml.padding_token_id"], 151643)
                self.assertNotIn("tokenizer.ggml.bos_token_id", r.kv)  # Qwen has none
                self.assertIs(r.kv["tokenizer.ggml.add_bos_token"], False)
                self.assertEqual(r.kv["tokenizer.chat_template"], tok_config["chat_template"])
                self.assertEqual(r.kv["tokenizer.ggml.merges"][:2], [" ".join(m) for m in tok["model"]["merges"][:2]])

                names = set(r.tensors)
                self.assertIn("token_embd.weight", names)
                self.assertIn("output_norm.weight", names)
                self.assertNotIn("output.weight", names)  # tied: llama.cpp reuses token_embd
                self.assertEqual(("blk.0.attn_q.bias" in names), family == "qwen2")
                self.assertEqual(("blk.1.attn_q_norm.weight" in names), family == "qwen3")
                self.assertEqual(r.tensors["blk.0.ffn_down.weight"][0], [hf["intermediate_size"], hf["hidden_size"]])

                ckpt = Checkpoint(model_dir)
                wq = ckpt.get("model.layers.1.self_attn.q_proj.weight").numpy()
                wk = ckpt.get("model.layers.1.self_attn.k_proj.weight").numpy()
                if family == "llama":  # rows reordered for llama.cpp's interleaved RoPE
                    wq = gg.permute_rope_rows(wq, hf["num_attention_heads"])
                    wk = gg.permute_rope_rows(wk, hf["num_key_value_heads"])
                np.testing.assert_array_equal(r.array("blk.1.attn_q.weight"), wq)
                np.testing.assert_array_equal(r.array("blk.1.attn_k.weight"), wk)
                np.testing.assert_array_equal(r.array("token_embd.weight"), ckpt.get("model.embed_tokens.weight").numpy())
                np.testing.assert_array_equal(r.array("blk.0.ffn_norm.weight"), ckpt.get("model.layers.0.post_attention_layernorm.weight").numpy())
                if family == "qwen2":
                    np.testing.assert_array_equal(r.array("blk.0.attn_v.bias"), ckpt.get("model.layers.0.self_attn.v_proj.bias").numpy())
                print(f"{family}: {len(r.tensors)} tensors, {len(tokens)} tokens, {len(r.kv['tokenizer.ggml.merges'])} merges, {done['bytes']} bytes")

    def test_adapter_is_merged(self):
        model_dir = tiny_model("llama")
        r, _ = self.export(model_dir, adapter_dir=self.adapter)
        merged = load_for_inference(model_dir, self.adapter, torch.device("cpu"))
        sd = merged.state_dict()
        want = gg.permute_rope_rows(sd["model.layers.0.self_attn.q_proj.weight"].numpy(), merged.cfg.num_heads)
        np.testing.assert_array_equal(r.array("blk.0.attn_q.weight"), want)
        base = Checkpoint(model_dir).get("model.layers.0.mlp.down_proj.weight").numpy()
        self.assertGreater(np.abs(r.array("blk.0.ffn_down.weight") - base).max(), 0)  # LoRA moved it
        self.assertFalse(any("lora" in n for n in r.tensors))

    def test_f16_and_q8_0(self):
        model_dir = tiny_model("qwen2")
        ckpt = Checkpoint(model_dir)
        r16, done16 = self.export(model_dir, "f16")
        self.assertEqual(r16.kv["general.file_type"], 1)
        self.assertEqual(r16.tensors["blk.0.attn_q.weight"][1], 1)  # F16
        self.assertEqual(r16.tensors["blk.0.attn_q.bias"][1], 0)  # biases and norms stay F32
        self.assertEqual(r16.tensors["blk.0.attn_norm.weight"][1], 0)
        emb = ckpt.get("model.embed_tokens.weight").numpy()
        np.testing.assert_array_equal(r16.array("token_embd.weight"), emb.astype(np.float16).astype(np.float32))

        r8, done8 = self.export(model_dir, "q8_0")
        self.assertEqual(r8.kv["general.file_type"], 7)
        self.assertEqual(r8.tensors["blk.0.ffn_up.weight"][1], 8)  # Q8_0: rows of 64 values
        self.assertEqual(r8.tensors["blk.0.ffn_down.weight"][1], 1)  # rows of 176 are not whole blocks: F16
        self.assertEqual(done8["tensor_types"], {"f32": 11, "f16": 2, "q8_0": 13})
        up = ckpt.get("model.layers.0.mlp.up_proj.weight").numpy()
        self.assertEqual(r8.raw("blk.0.ffn_up.weight"), gg.quantize_q8_0(up).tobytes())
        rel = np.abs(r8.array("blk.0.ffn_up.weight") - up).max() / np.abs(up).max()
        self.assertLess(rel, 0.5 / 127 + 1e-3)
        self.assertLess(done8["bytes"], done16["bytes"])
        print(f"qwen2 tiny: f16 {done16['bytes']} bytes, q8_0 {done8['bytes']} bytes, q8_0 max relative error {rel:.1e}")

    def test_untied_head_is_written(self):
        src = tiny_model("llama")
        model_dir = os.path.join(tmpdir("untied"), "m")
        shutil.copytree(src, model_dir)
        with open(os.path.join(model_dir, "config.json")) as f:
            hf = json.load(f)
        hf["tie_word_embeddings"] = False
        with open(os.path.join(model_dir, "config.json"), "w") as f:
            json.dump(hf, f)
        ckpt = Checkpoint(model_dir)
        tensors = {k: ckpt.get(k) for k in ckpt.keys()}
        head = torch.randn(hf["vocab_size"], hf["hidden_size"]) * 0.02
        tensors["lm_head.weight"] = head
        save_file(tensors, os.path.join(model_dir, "model.safetensors"))
        r, _ = self.export(model_dir)
        np.testing.assert_array_equal(r.array("output.weight"), head.numpy())

    def test_bad_precision(self):
        rc, events, _ = run_worker("export-gguf", {"model_dir": tiny_model("llama"), "out_file": os.path.join(tmpdir("g"), "x.gguf"), "precision": "q4_0"})
        self.assertEqual((rc, events[-1]["code"]), (1, "BAD_CONFIG"))
        self.assertIn("precision", events[-1]["message"])


if __name__ == "__main__":
    unittest.main()
