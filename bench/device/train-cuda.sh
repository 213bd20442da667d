#!/usr/bin/env bash
# The one GPU run of issue 14's training part: our LoRA step vs transformers + PEFT, the step time
# across batch sizes, and a tiny end-to-end `train` on CUDA. Needs python3 with torch (CUDA),
# transformers and peft; no Node, no network. Run from the repository root:
#   bash bench/device/train-cuda.sh                     (on the GPU machine; well under 6 minutes)
#   TRAIN_CUDA_DRYRUN=1 bash bench/device/train-cuda.sh (here, on the CPU, tiny sizes: checks the script)
# Writes train-cuda.jsonl (the JSON lines) and train-cuda.log (everything) under $OUT when set,
# else bench/out/train-cuda/. Each step has its own timeout; a failed step does not stop the next.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)
DEST=${OUT:-$ROOT/bench/out/train-cuda}
mkdir -p "$DEST"
JSONL=$DEST/train-cuda.jsonl
LOG=$DEST/train-cuda.log
: >"$JSONL"
: >"$LOG"
PY=${PYTHON:-python3}
export PYTHONUNBUFFERED=1

if [ "${TRAIN_CUDA_DRYRUN:-0}" = 1 ]; then
  DEVICE=cpu SEQ=32 BATCH=1 SWEEP=1,2 STEPS=1 WARMUP=0 SMOKE_STEPS=4 SCALE=4
else
  DEVICE=cuda SEQ=512 BATCH=8 SWEEP=8,1,2,4,16 STEPS=10 WARMUP=3 SMOKE_STEPS=40 SCALE=1
fi

say() { echo "== $(date -u +%H:%M:%S) $*" | tee -a "$LOG"; }

# step NAME SECONDS CMD...: runs CMD under timeout from models/, JSON lines to $JSONL, all to $LOG.
step() {
  local name=$1 seconds=$(( $2 * SCALE )) rc
  shift 2
  say "$name (timeout ${seconds}s): $*"
  (cd models && timeout "$seconds" "$@") 2> >(tee -a "$LOG" >&2) | tee -a "$LOG" | grep --line-buffered '^{' >>"$JSONL"
  rc=${PIPESTATUS[0]}
  [ "$rc" = 124 ] && say "$name: TIMED OUT after ${seconds}s (lines so far are kept)"
  say "$name: exit $rc"
}

say "start; device $DEVICE; results in $DEST"
say "nvidia-smi"
(nvidia-smi 2>&1 || echo "nvidia-smi: not available") | tee -a "$LOG"
say "versions"
"$PY" -c 'import sys, torch
print("python", sys.version.split()[0], "torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())
for name in ("transformers", "peft", "accelerate"):
    try:
        print(name, __import__(name).__version__)
    except Exception as e:
        print(name, "unavailable:", e)' 2>&1 | tee -a "$LOG"
echo "C compiler for Triton/Inductor: $(command -v cc || command -v gcc || echo none)" | tee -a "$LOG"

# 1. The comparison (issue 14): batch 8, sequence 512, both models, ours compiled, transformers + PEFT.
step compare 165 "$PY" -m trainer.bench --device "$DEVICE" --models qwen2.5-0.5b,smollm2-135m --reference hf-peft \
  --batch "$BATCH" --seq-len "$SEQ" --steps "$STEPS" --warmup "$WARMUP"
# 2. Our step across batch sizes (8 first: its compiled graph is cached from step 1; then one dynamic
#    recompile serves the rest), then without torch.compile at batch 1 and 8 for the contrast.
step sweep 75 "$PY" -m trainer.bench --device "$DEVICE" --models qwen2.5-0.5b --batch-sizes "$SWEEP" \
  --seq-len "$SEQ" --steps "$STEPS" --warmup "$WARMUP"
step eager 30 "$PY" -m trainer.bench --device "$DEVICE" --models qwen2.5-0.5b --batch-sizes "1,$BATCH" --compile off \
  --seq-len "$SEQ" --steps 5 --warmup 1
# 3. The worker's train command on CUDA end to end (tiny model): loss falls, adapter saved.
step train-smoke 70 "$PY" ../bench/device/train_cuda_smoke.py --device "$DEVICE" --steps "$SMOKE_STEPS" --timeout $(( 65 * SCALE ))

say "done: $(wc -l <"$JSONL") JSON lines in $JSONL"
cat "$JSONL"
