#!/usr/bin/env bash
# One command on the GPU host (PyTorch, no registry, no Node): trains the tiny reference model.
# Unpacks the engine bundle for its Node binary and built package (as scripts/gpu-run.sh does),
# writes the held-out set, starts make-data.mjs's workers in the background (the trainer reads
# their shards as they appear), trains with train.py for --minutes, then stops the workers.
#
#   bash scripts/train-tiny/gpu-train.sh BUNDLE_DIR [--minutes 7] [--total-minutes 14] [--resume DIR] [--data-seed N]
#        [--task-weight TASK=FACTOR,...] [train.py flags]
#
# Writes to $OUT (or ./gpu-out): model/{config.json,generation_config.json,model.safetensors}
# (fp16; the tokenizer files are models/tiny's), train-record.json, train.log, make-data.log.
# Checkpoints are written there every 2 minutes, so a run stopped at its limit still leaves one.
# A second session: put the first one's $OUT folder in the tree and pass --resume FOLDER; it
# continues the schedule on fresh data (data seed 2 unless --data-seed says otherwise).
set -uo pipefail
bundle="$(cd "$1" && pwd)"; shift
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${OUT:-$PWD/gpu-out}"; mkdir -p "$out"
minutes=7; total=14; resume=""; data_seed=""; task_weight=""; extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes="$2"; shift 2 ;;
    --total-minutes) total="$2"; shift 2 ;;
    --resume) resume="$(cd "$2" && pwd)"; shift 2 ;;
    --data-seed) data_seed="$2"; shift 2 ;;
    --task-weight) task_weight="$2"; shift 2 ;;
    *) extra+=("$1"); shift ;;
  esac
done
[ -n "$data_seed" ] || { [ -n "$resume" ] && data_seed=2 || data_seed=1; }
work="${LW_WORK:-/tmp/lw}"; mkdir -p "$work"
if [ ! -x "$work/longweave/node/bin/node" ]; then
  tar xJf "$bundle/longweave-engine.tar.xz" -C "$work" || exit 1
fi
if [ -d "$bundle/dist" ]; then cp -r "$bundle/dist/." "$work/longweave/dist/"; fi
node="$work/longweave/node/bin/node"
dist="$work/longweave/dist"
data=/tmp/tiny-data; rm -rf "$data"; mkdir -p "$data"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
workers=$(( $(nproc) > 4 ? $(nproc) - 2 : 2 ))
echo "gpu-train: $workers data workers, data seed $data_seed, $minutes of $total minutes${resume:+, resuming $resume}"
start=$(date +%s)
"$node" "$here/make-data.mjs" --heldout --dist "$dist" --tokenizer "$root/models/tiny" --out "$data" 2> "$out/make-data.log" || { cat "$out/make-data.log"; exit 1; }
"$node" "$here/make-data.mjs" --dist "$dist" --tokenizer "$root/models/tiny" --out "$data" --seed "$data_seed" --workers "$workers" --samples 400000 ${task_weight:+--task-weight "$task_weight"} >> "$out/make-data.log" 2>&1 &
maker=$!
PYTHONUNBUFFERED=1 python3 "$here/train.py" --data "$data" --out "$out" --tokenizer "$root/models/tiny" --no-tokenizer-copy \
  --minutes "$minutes" --total-minutes "$total" ${resume:+--resume "$resume"} "${extra[@]}" 2>&1 | grep --line-buffered -v 'Writing model shards' | tee "$out/train.log"
status=${PIPESTATUS[0]}
kill "$maker" 2>/dev/null; wait "$maker" 2>/dev/null
shards=$(ls "$data"/shard-*.json 2>/dev/null | wc -l)
echo "gpu-train: trainer exit $status; $shards data shards written; $(( $(date +%s) - start )) s" | tee -a "$out/train.log"
tail -3 "$out/make-data.log"
ls -la "$out" "$out/model"
exit "$status"
