"""The `export` command: merge the LoRA adapter into the base model and export ONNX for transformers.js.

Output layout (what transformers.js v3/v4 and Optimum's "text-generation-with-past" use):

    OUT/config.json, generation_config.json, tokenizer.json, tokenizer_config.json, [special_tokens_map.json]
    OUT/onnx/model.onnx            [+ model.onnx_data when weights go to external data]

Graph inputs:  input_ids int64 [batch, seq], attention_mask int64 [batch, past+seq],
               position_ids int64 [batch, seq],
               past_key_values.{i}.key / .value float32 [batch, kv_heads, past, head_dim]
Graph outputs: logits float32 [batch, seq, vocab], present.{i}.key / .value [batch, kv_heads, past+seq, head_dim]

The causal mask is computed in the graph from attention_mask and the cache length, so the first
call may pass an empty cache (past = 0), as transformers.js does.
"""

import inspect
import json
import os
import shutil
import warnings

import torch

from . import devices, onnx_proto
from .infer import load_for_inference
from .protocol import WorkerError, emit, log

PROTOBUF_LIMIT = 2**31 - 1  # a single ONNX protobuf file cannot exceed 2 GB
DATA_FILE = "model.onnx_data"
COPIED_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja", "generation_config.json")


class WithPast(torch.nn.Module):
    """Flat tensor inputs/outputs around CausalLM, in the order of the graph signature."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, position_ids, *past_flat):
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(len(past_flat) // 2)]
        logits, presents = self.model(
            input_ids, attention_mask=attention_mask, position_ids=position_ids, past_key_values=past, use_cache=True
        )
        return (logits,) + tuple(t for kv in presents for t in kv)


def io_names(num_layers):
    past = [f"past_key_values.{i}.{kind}" for i in range(num_layers) for kind in ("key", "value")]
    present = [f"present.{i}.{kind}" for i in range(num_layers) for kind in ("key", "value")]
    return ["input_ids", "attention_mask", "position_ids"] + past, ["logits"] + present


def dynamic_axes(num_layers):
    axes = {
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
        "position_ids": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size", 1: "sequence_length"},
    }
    for i in range(num_layers):
        for kind in ("key", "value"):
            axes[f"past_key_values.{i}.{kind}"] = {0: "batch_size", 2: "past_sequence_length"}
            axes[f"present.{i}.{kind}"] = {0: "batch_size", 2: "total_sequence_length"}
    return axes


def dummy_inputs(cfg, batch=2, seq=3, past=4):
    """Trace with a non-empty cache and left padding so no length is special-cased."""
    input_ids = torch.randint(0, cfg.vocab_size, (batch, seq))
    attention_mask = torch.ones(batch, past + seq, dtype=torch.long)
    attention_mask[0, :2] = 0
    position_ids = (attention_mask.cumsum(-1) - 1).clamp(min=0)[:, past:]
    kv = []
    for _ in range(cfg.num_layers):
        kv += [torch.randn(batch, cfg.num_kv_heads, past, cfg.head_dim) for _ in range(2)]
    return (input_ids, attention_mask, position_ids, *kv)


def _torch_export(module, args, path, opset, names_in, names_out, axes):
    kwargs = dict(
        input_names=names_in,
        output_names=names_out,
        dynamic_axes=axes,
        opset_version=opset,
        do_constant_folding=True,
        export_params=True,
    )
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # the TorchScript exporter: no onnxscript dependency, same graph on 1.13 and 2.x
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about shape-dependent Python values are expected
        torch.onnx.export(module, args, path, **kwargs)


def export(cfg):
    device = torch.device("cpu")
    devices.set_threads(device, cfg["threads"])
    model_dir, out_dir = cfg["model_dir"], cfg["out_dir"]
    model = load_for_inference(model_dir, cfg["adapter_dir"], device)
    model.set_use_sdpa(False)  # the explicit softmax attention exports on every opset/torch version
    n_layers = model.cfg.num_layers
    weight_bytes = sum(p.numel() * 4 for name, p in model.named_parameters() if "lora_" not in name)

    partial = out_dir.rstrip("/\\") + ".partial"  # build beside, then swap in: a crash leaves no half model
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(os.path.join(partial, "onnx"))
    onnx_path = os.path.join(partial, "onnx", "model.onnx")
    names_in, names_out = io_names(n_layers)
    args = dummy_inputs(model.cfg)
    wrapper = WithPast(model).eval()
    opset = cfg["opset"]
    log(f"exporting {model_dir} ({weight_bytes / 1e9:.2f} GB of fp32 weights) at opset {opset}")
    try:
        with torch.no_grad():
            try:
                _torch_export(wrapper, args, onnx_path, opset, names_in, names_out, dynamic_axes(n_layers))
            except Exception as e:  # noqa: BLE001 - e.g. an opset this torch cannot emit
                if opset == 14:
                    raise
                log(f"export at opset {opset} failed ({type(e).__name__}: {e}); retrying at opset 14")
                _clear(os.path.join(partial, "onnx"))
                opset = 14
                _torch_export(wrapper, args, onnx_path, opset, names_in, names_out, dynamic_axes(n_layers))
    except WorkerError:
        raise
    except RuntimeError as e:
        if devices.is_out_of_memory(e):
            raise
        raise WorkerError("EXPORT_FAILED", f"torch.onnx.export failed: {type(e).__name__}: {e}") from None

    # >2 GB: PyTorch writes one file per tensor; transformers.js wants a single model.onnx_data.
    torch_external = len(os.listdir(os.path.join(partial, "onnx"))) > 1
    external = cfg["external_data"] is True or (cfg["external_data"] == "auto" and (torch_external or weight_bytes > PROTOBUF_LIMIT))
    if external:
        onnx_proto.externalize(onnx_path, DATA_FILE)
    elif torch_external:
        raise WorkerError("EXPORT_FAILED", "the model is over 2 GB and needs external data: set external_data to auto or true")

    summary = onnx_proto.summarize(onnx_path)
    got_in, got_out = [v["name"] for v in summary["inputs"]], [v["name"] for v in summary["outputs"]]
    if got_in != names_in or got_out != names_out:
        raise WorkerError("EXPORT_FAILED", f"exported graph signature {got_in} -> {got_out} is not the expected one")

    _copy_model_files(model_dir, partial, model.cfg.hf, external)
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    os.replace(partial, out_dir)
    files = sorted(os.path.join(root, f) for root, _, fs in os.walk(out_dir) for f in fs)
    onnx_bytes = sum(os.path.getsize(f) for f in files if "/onnx/" in f.replace("\\", "/"))
    emit(
        "done",
        out_dir=out_dir,
        onnx=os.path.join(out_dir, "onnx", "model.onnx"),
        external_data=external,
        opset=opset,
        onnx_bytes=onnx_bytes,
        weight_bytes=weight_bytes,
        files=[os.path.relpath(f, out_dir) for f in files],
    )
    return 0


def _clear(folder):
    for name in os.listdir(folder):
        os.remove(os.path.join(folder, name))


def _copy_model_files(model_dir, out_dir, hf_config, external):
    config = dict(hf_config)
    config["use_cache"] = True
    config.pop("torch_dtype", None)
    config.pop("dtype", None)
    js = dict(config.get("transformers.js_config") or {})
    if external:
        js["use_external_data_format"] = True  # transformers.js then loads onnx/model.onnx_data
    else:
        js.pop("use_external_data_format", None)
    if js:
        config["transformers.js_config"] = js
    else:
        config.pop("transformers.js_config", None)
    with open(os.path.join(out_dir, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
    for name in COPIED_FILES:
        src = os.path.join(model_dir, name)
        if os.path.isfile(src):
            shutil.copyfile(src, os.path.join(out_dir, name))
        elif name in ("tokenizer.json", "tokenizer_config.json"):
            log(f"warning: {src} is missing; transformers.js will not find a tokenizer in the export")
    if not os.path.isfile(os.path.join(out_dir, "generation_config.json")):
        generation = {k: hf_config[k] for k in ("bos_token_id", "eos_token_id", "pad_token_id") if k in hf_config}
        with open(os.path.join(out_dir, "generation_config.json"), "w", encoding="utf-8") as f:
            json.dump(generation, f, indent=2)
