#!/usr/bin/env bash
# The engine on onnxruntime's CUDA provider, on the GPU host: unpack the bundle (once per machine),
# put the CUDA libraries of the host's Python environment on the library path, then run the steps
# named on the command line, writing results to $OUT (or ./gpu-out).
#
#   bash scripts/gpu-cuda.sh BUNDLE_DIR provider DIR      install the provider from DIR (a .tgz or an unpacked package), then the doctor
#   bash scripts/gpu-cuda.sh BUNDLE_DIR check             real-width Qwen2 / Llama checkpoints: engine (CUDA) vs transformers
#   bash scripts/gpu-cuda.sh BUNDLE_DIR tiny-check        builtin:tiny on a real 1k ruler/niah prompt: engine (CUDA) vs transformers
#   bash scripts/gpu-cuda.sh BUNDLE_DIR torch LENGTHS     PyTorch baselines: copy bandwidth, GEMM, the 7B stack's prefill
#   bash scripts/gpu-cuda.sh BUNDLE_DIR bench LENGTHS     the engine's 7B-shaped prefill and decode (BENCH_ARGS for flags)
#   bash scripts/gpu-cuda.sh BUNDLE_DIR sparse-kernel LENGTHS   Block-Sparse through SparseAttention vs dense GQA, per layer
#                                                         (KERNEL_ARGS for flags, e.g. "--compression 1,2,5,10,20 --scope kv-head";
#                                                         "--method a-shape" for A-shape's block form)
#   bash scripts/gpu-cuda.sh BUNDLE_DIR demo              builtin:tiny's demo sweep on the CPU and on CUDA (recipes/demo-cuda.json)
#   bash scripts/gpu-cuda.sh BUNDLE_DIR profile LENGTH    onnxruntime profile of one generation, kernels serialised
#                                                         (CUDA_LAUNCH_BLOCKING=1, so node times are GPU times)
# A dist/ folder beside the bundle replaces the packed one (code changes travel without repacking).
set -uo pipefail
bundle="$(cd "$1" && pwd)"; shift
out="${OUT:-$PWD/gpu-out}"; mkdir -p "$out"
work=/tmp/lw; mkdir -p "$work"
[ -x "$work/longweave/node/bin/node" ] || tar xJf "$bundle/longweave-engine.tar.xz" -C "$work" || exit 1
[ -d "$bundle/dist" ] && cp -r "$bundle/dist/." "$work/longweave/dist/"
node="$work/longweave/node/bin/node"
dist="$work/longweave/dist"
here="$(cd "$(dirname "$0")" && pwd)"
# The CUDA 13 runtime, cuBLAS and cuRAND of the host's Python wheels (nvidia-*-cu13), and cuDNN.
site="$(python3 -c 'import site; print(site.getsitepackages()[0])')"
for d in "$site"/nvidia/cu13/lib "$site"/nvidia/cudnn/lib "$site"/nvidia/*/lib; do
  [ -d "$d" ] && LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$d"
done
export LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
while [ $# -gt 0 ]; do
  step="$1"; shift
  case "$step" in
    provider)
      src="$1"; shift
      "$node" "$dist/cli/main.js" engine install cuda --from "$src" 2>&1 | tail -4 || exit 1
      "$node" "$dist/cli/main.js" engine doctor --json > "$out/doctor.json" 2> "$out/doctor.log"; "$node" "$dist/cli/main.js" engine doctor 2>&1 | tail -12
      ;;
    check)
      # GEMM_OPTIONS: values of ORT_CUDA_GEMM_OPTIONS to try (0: fp32 accumulation with cuBLAS's
      # reduced-precision split-K reductions allowed, the provider's default; 2: those disallowed).
      export PYTHONUNBUFFERED=1
      for shape in ${CHECK_SHAPES:-qwen2 llama}; do
        [ -f "/tmp/hf-$shape/hf_reference.json" ] || python3 "$here/gpu-hf-reference.py" realwidth "$shape" "/tmp/hf-$shape" 2>&1 | tail -2
        for gemm in ${GEMM_OPTIONS:-0}; do
          echo "$shape, ORT_CUDA_GEMM_OPTIONS=$gemm"
          ORT_CUDA_GEMM_OPTIONS="$gemm" "$node" "$dist/scripts/gpu-compare.js" "/tmp/hf-$shape" --device cuda --precision fp16 ${CHECK_ARGS:-} --json "$out/cuda-compare-$shape-gemm$gemm.json" 2> "/tmp/cuda-compare-$shape.log" \
            | grep -E '"(placement|greedyIdentical|firstDivergence|forcedArgmaxAgreement|maxAbsLogitDiff|maxAbsLogit|transformersFp16VsFp32MaxAbs|generationMs)"'
          tail -2 "/tmp/cuda-compare-$shape.log"
        done
      done
      ;;
    tiny-check)
      export PYTHONUNBUFFERED=1
      tiny="$(cd "$here/.." && pwd)/models/tiny"
      [ -f /tmp/hf-tiny/hf_reference.json ] || python3 "$here/gpu-hf-reference.py" pretrained "$tiny" /tmp/hf-tiny "$here/../test/fixtures/tiny-niah-1k.json" 2>&1 | tail -2
      for precision in fp16 fp32; do
        "$node" "$dist/scripts/gpu-compare.js" "$tiny" --reference /tmp/hf-tiny --device cuda --precision "$precision" --json "$out/cuda-compare-tiny-$precision.json" 2> "/tmp/cuda-compare-tiny.log" \
          | grep -E '"(precision|placement|greedyIdentical|firstDivergence|forcedArgmaxAgreement|maxAbsLogitDiff|transformersFp16VsFp32MaxAbs)"'
        tail -2 /tmp/cuda-compare-tiny.log
      done
      ;;
    torch)
      lengths="$1"; shift
      PYTHONUNBUFFERED=1 python3 "$here/gpu-torch-baseline.py" --lengths "$lengths" --json "$out/torch-baseline.json" 2>&1 | grep torch-baseline
      # $OUT is emptied before each device call; the bench of a later call reads the bandwidth here.
      cp "$out/torch-baseline.json" "$work/torch-baseline.json"
      ;;
    bench)
      lengths="$1"; shift
      bw="$(python3 -c "import json; print(json.load(open('$work/torch-baseline.json'))['copyBandwidthGBs'])" 2>/dev/null || echo 3350)"
      echo "bench: decode bound at $bw GB/s"
      cp "$work/torch-baseline.json" "$out/" 2>/dev/null
      tag="$(echo "${BENCH_ARGS:-}" | tr -c 'a-zA-Z0-9\n' '_' | tr -s _)"
      # shellcheck disable=SC2086
      "$node" "$dist/bench/engine.js" --device cuda --shape qwen2.5-7b --lengths "$lengths" --bandwidth-gbs "$bw" ${BENCH_ARGS:-} \
        --json "$out/cuda-bench-${lengths//,/_}${tag:+-$tag}.json" 2>&1 | tee "$out/cuda-bench-${lengths//,/_}${tag:+-$tag}.log" | grep -E '^\{"length|engine:|Error|error' | cut -c1-400
      ;;
    sparse-kernel)
      lengths="$1"; shift
      # shellcheck disable=SC2086
      "$node" "$dist/bench/sparse-kernel.js" --device cuda --lengths "$lengths" ${KERNEL_ARGS:-} --json "$out/sparse-kernel-${lengths//,/_}.json" 2>&1 | tee "$out/sparse-kernel.log" | grep -E '^\{"length|^L=|Error'
      ;;
    profile)
      length="$1"; shift
      rm -f /tmp/cuda-profile*.json
      (cd /tmp && CUDA_LAUNCH_BLOCKING=1 "$node" "$dist/bench/engine.js" --device cuda --shape qwen2.5-7b --lengths "$length" --decode-steps 8 --profile /tmp/cuda-profile 2>&1 | tail -2)
      "$node" "$dist/bench/engine-profile.js" /tmp/cuda-profile*.json > "$out/cuda-profile-$length.txt" 2>&1; head -50 "$out/cuda-profile-$length.txt"
      ;;
    demo)
      # builtin:tiny's demo sweep on the CPU provider and on CUDA (recipes/demo-cuda.json): every
      # output and cell score the same? The cells table of both models, and the summary to $OUT.
      # builtin:tiny is the package's models/tiny: the bundle leaves it out, the tree that travels has it.
      [ -e "$work/longweave/models" ] || ln -s "$(cd "$here/.." && pwd)/models" "$work/longweave/models"
      (rm -rf /tmp/demo-cuda; cd "$here/.." && "$node" "$dist/cli/main.js" demo --device cpu --force > /dev/null 2> /tmp/demo.log && \
        "$node" "$dist/cli/main.js" run recipes/demo-cuda.json --out /tmp/demo-cuda > /tmp/demo-cuda.txt 2> /tmp/demo-cuda.log)
      tail -3 /tmp/demo-cuda.log; sed -n '/^Cells/,/^$/p' /tmp/demo-cuda.txt
      cp /tmp/demo-cuda/summary.json "$out/demo-cuda-summary.json" 2>/dev/null
      ;;
    *) echo "unknown step $step" >&2; exit 2 ;;
  esac
done
