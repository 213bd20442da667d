"""Understudy's training worker: native Llama/Qwen models, LoRA, training loop, ONNX export.

Depends on PyTorch and numpy only. Run it as `python3 models/trainer/worker.py COMMAND --config FILE`.
"""
