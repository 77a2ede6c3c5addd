#!/usr/bin/env bash
# One command on the GPU host: unpack the bundle, install the Vulkan loader, then run the steps
# named on the command line, writing results to $OUT (or ./gpu-out).
#
#   bash scripts/gpu-run.sh BUNDLE_DIR fixtures         transformers logits of the tiny test checkpoints
#   bash scripts/gpu-run.sh BUNDLE_DIR check            real-width checkpoints: engine (WebGPU) vs transformers
#   bash scripts/gpu-run.sh BUNDLE_DIR tiny-check       builtin:tiny (models/tiny) on a real 1k ruler/niah prompt: engine (WebGPU) vs transformers
#   bash scripts/gpu-run.sh BUNDLE_DIR bench LENGTHS    7B-shaped throughput (e.g. 4096,16384)
#   bash scripts/gpu-run.sh BUNDLE_DIR profile LENGTH   one profiled prefill + decode
#   bash scripts/gpu-run.sh BUNDLE_DIR pool RECIPE --gpus 0 --workers 2 --   a pooled run, GPU processes sampled
#   bash scripts/gpu-run.sh BUNDLE_DIR matmul-precision  fp16 MatMul error vs fp32 and split-K (is accumulation fp16?)
#   bash scripts/gpu-run.sh BUNDLE_DIR kernels           attention kernel paths (MultiHeadAttention forms) timed
#   bash scripts/gpu-run.sh BUNDLE_DIR sparse-check      every attention graph vs its float64 reference on WebGPU (SPARSE_CHECK_METHODS: a subset; SPARSE_CHECK_PARAMS: JSON params, e.g. {"scope":"kv-head"})
#   bash scripts/gpu-run.sh BUNDLE_DIR decode-check      sparse decode over the blocked cache vs the flat cache, builtin:tiny on WebGPU
#   bash scripts/gpu-run.sh BUNDLE_DIR layer-profile METHOD   onnxruntime profile of one attention layer, GPU timestamps included (LAYER_PROFILE_ARGS for flags, e.g. --inputs rope)
#   bash scripts/gpu-run.sh BUNDLE_DIR sparse LENGTHS    engine bench: dense and sparse attention, 7B shape (SPARSE_ARGS for flags)
#   bash scripts/gpu-run.sh BUNDLE_DIR longweave ARGS... --   any longweave command (stdout to $OUT/longweave-N.out, stderr to .log)
#   bash scripts/gpu-run.sh BUNDLE_DIR parts PATH          add the CUDA provider's parts that came with this call (a folder of
#                                                          *.part-NN-of-MM and *.parts files) to /tmp/lw-parts; reassembles when all are there
#   bash scripts/gpu-run.sh BUNDLE_DIR cuda-install [SRC]  `engine install cuda --from SRC` (SRC: the assembled .tar.xz, a .tgz or a folder;
#                                                          default: the newest /tmp/lw-parts/longweave-cuda-provider-*.tar.xz), then `engine doctor`
#   bash scripts/gpu-run.sh BUNDLE_DIR doctor              `engine doctor` (text, and JSON into $OUT/doctor.json)
set -uo pipefail
bundle="$(cd "$1" && pwd)"; shift
out="${OUT:-$PWD/gpu-out}"; mkdir -p "$out"
work=/tmp/lw; mkdir -p "$work"
if [ ! -x "$work/longweave/node/bin/node" ]; then
  tar xJf "$bundle/longweave-engine.tar.xz" -C "$work" || exit 1
fi
# A freshly built dist/ beside the bundle (tsc --outDir BUNDLE_DIR/dist) replaces the packed one,
# so code changes travel without repacking node_modules.
if [ -d "$bundle/dist" ]; then cp -r "$bundle/dist/." "$work/longweave/dist/"; fi
# The Vulkan loader, and glvnd's dispatch libraries that NVIDIA's ICD (libGLX_nvidia) links against.
for deb in "$work"/longweave/*.deb "$bundle"/*.deb; do [ -f "$deb" ] && dpkg -x "$deb" /; done
ldconfig
# NVIDIA's ICD library may need X11 client libraries the image lacks: unpack them aside (never over
# the image's own) and put them on the library path only then.
icd_lib="$(ldconfig -p | awk '/libGLX_nvidia.so.0/ {print $NF; exit}')"
echo "ICD library: ${icd_lib:-not found}"
if [ -n "$icd_lib" ] && ldd "$icd_lib" | grep -q 'not found'; then
  ldd "$icd_lib" | grep 'not found'
  mkdir -p /opt/lw-x11 && for deb in "$bundle"/x11/*.deb; do dpkg -x "$deb" /opt/lw-x11; done
  export LD_LIBRARY_PATH="/opt/lw-x11/usr/lib/x86_64-linux-gnu:/opt/lw-x11/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  ldd "$icd_lib" | grep 'not found' || echo "ICD library dependencies resolved"
fi
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
node="$work/longweave/node/bin/node"
dist="$work/longweave/dist"
here="$(cd "$(dirname "$0")" && pwd)"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
while [ $# -gt 0 ]; do
  step="$1"; shift
  case "$step" in
    fixtures)
      PYTHONUNBUFFERED=1 python3 "$here/gpu-hf-reference.py" fixtures "$bundle/fixtures" "$out/hf-logits.json" 2>&1 | tail -8
      ;;
    check)
      export PYTHONUNBUFFERED=1
      for shape in qwen2 llama; do
        python3 "$here/gpu-hf-reference.py" realwidth "$shape" "/tmp/hf-$shape" 2>&1 | tail -3
        # CHECK_VARIANTS: "name:flags" pairs, e.g. "fp16:--precision fp16" (default: fp16 and fp32).
        IFS=';' read -ra variants <<< "${CHECK_VARIANTS:-fp16:--precision fp16;fp32:--precision fp32}"
        for v in "${variants[@]}"; do
          name="${v%%:*}"; flags="${v#*:}"
          # shellcheck disable=SC2086
          "$node" "$dist/scripts/gpu-compare.js" "/tmp/hf-$shape" $flags --json "$out/compare-$shape-$name.json" 2> "/tmp/compare-$shape-$name.log" \
            | grep -E '"(precision|headPrecision|matmulPrecision|decodeGraph|placement|greedyIdentical|firstDivergence|forcedArgmaxAgreement|maxAbsLogitDiff|maxAbsLogit|transformersFp16VsFp32MaxAbs)"'
          tail -3 "/tmp/compare-$shape-$name.log"
        done
      done
      ;;
    tiny-check)
      # The trained reference model models/tiny (builtin:tiny, by its folder: the tree is here, the
      # bundle's dist is not) on the prompt of test/fixtures/tiny-niah-1k.json: transformers' greedy
      # tokens and logits (fp32 compute) and its own fp16 run, then the engine on WebGPU per
      # CHECK_VARIANTS (default fp16 and fp32) into compare-tiny-NAME.json.
      export PYTHONUNBUFFERED=1
      tiny="$(cd "$here/.." && pwd)/models/tiny"
      rm -rf /tmp/hf-tiny
      python3 "$here/gpu-hf-reference.py" pretrained "$tiny" /tmp/hf-tiny "$here/../test/fixtures/tiny-niah-1k.json" 2>&1 | tail -3
      cp /tmp/hf-tiny/hf_reference.json "$out/hf-tiny-reference.json"
      IFS=';' read -ra variants <<< "${CHECK_VARIANTS:-fp16:--precision fp16;fp32:--precision fp32}"
      for v in "${variants[@]}"; do
        name="${v%%:*}"; flags="${v#*:}"
        # shellcheck disable=SC2086
        "$node" "$dist/scripts/gpu-compare.js" "$tiny" --reference /tmp/hf-tiny $flags --json "$out/compare-tiny-$name.json" 2> "/tmp/compare-tiny-$name.log" \
          | grep -E '"(transformersDevice|precision|placement|greedyIdentical|firstDivergence|forcedArgmaxAgreement|maxAbsLogitDiff|maxAbsLogit|transformersFp16VsFp32MaxAbs)"'
        tail -3 "/tmp/compare-tiny-$name.log"
      done
      ;;
    kernels)
      "$node" "$dist/scripts/gpu-attention-kernels.js" --json "$out/attention-kernels.json" > /dev/null
      ;;
    kv)
      "$node" "$dist/bench/engine-kv.js" --lengths "$1" 2>&1 | tee "$out/kv.json"; shift
      ;;
    placement)
      "$node" "$dist/scripts/gpu-placement.js" 2>&1 | tee "$out/placement.json"
      ;;
    pool)
      # A pooled engine run (the next argument: a run recipe, then the pool flags up to `--`),
      # with nvidia-smi's process table sampled every 0.5 s to show which process used which GPU.
      recipe="$1"; shift; flags=()
      while [ $# -gt 0 ] && [ "$1" != "--" ]; do flags+=("$1"); shift; done
      [ $# -gt 0 ] && shift
      ( while true; do nvidia-smi --query-compute-apps=pid,gpu_bus_id,used_memory --format=csv,noheader; sleep 0.5; done ) > "$out/pool-smi.csv" 2>/dev/null &
      smi=$!
      "$node" "$dist/cli/main.js" run "$recipe" "${flags[@]}" --out "$out/pool-run" --json > "$out/pool-summary.json" 2> "$out/pool-run.log"
      echo "pool run exit $?"; kill "$smi" 2>/dev/null
      tail -5 "$out/pool-run.log"
      echo "distinct processes on the GPU: $(cut -d, -f1 "$out/pool-smi.csv" | sort -u | wc -l)"
      sort -u -t, -k1,2 "$out/pool-smi.csv" | head
      ;;
    bench)
      lengths="$1"; shift
      # Extra bench flags come from BENCH_ARGS, e.g. "--decode-attention dense-decode --decode-steps 4".
      tag="$(echo "${BENCH_ARGS:-}" | tr -c 'a-zA-Z0-9\n' '_' | tr -s _)"
      # shellcheck disable=SC2086
      # The log goes under $OUT as it is written, so a run cut at its time limit still returns it.
      "$node" "$dist/bench/engine.js" --device webgpu --shape qwen2.5-7b --lengths "$lengths" ${BENCH_ARGS:-} --json "$out/bench-${lengths//,/_}${tag:+-$tag}.json" 2>&1 | tee "$out/bench-${lengths//,/_}${tag:+-$tag}.log" | grep -v '^ ' | tail -20
      ;;
    profile)
      length="$1"; shift
      (cd /tmp && "$node" "$dist/bench/engine.js" --device webgpu --shape qwen2.5-7b --lengths "$length" --decode-steps 8 --profile /tmp/ort-profile 2>&1 | tail -3)
      "$node" "$dist/bench/engine-profile.js" /tmp/ort-profile*.json > "$out/profile-summary.txt" 2>&1; head -60 "$out/profile-summary.txt"
      xz -T0 -c /tmp/ort-profile*.json > "$out/ort-profile.json.xz"
      ;;
    matmul-precision)
      "$node" "$dist/scripts/gpu-matmul-precision.js" --device webgpu --json "$out/matmul-precision.json" 2>&1 | grep '^{"K'
      ;;
    sparse-check)
      "$node" "$dist/scripts/gpu-sparse-check.js" --device webgpu ${SPARSE_CHECK_METHODS:+--methods "$SPARSE_CHECK_METHODS"} ${SPARSE_CHECK_PARAMS:+--params "$SPARSE_CHECK_PARAMS"} --json "$out/sparse-check.json" 2> "$out/sparse-check.log" | tail -40
      ;;
    layer-profile)
      method="$1"; shift
      rm -f /tmp/layer-profile-"$method"*.json
      # shellcheck disable=SC2086
      "$node" "$dist/scripts/gpu-layer-profile.js" "$method" ${LAYER_PROFILE_ARGS:-} --prefix "/tmp/layer-profile-$method" | tee "$out/layer-profile-$method.json"
      "$node" "$dist/bench/engine-profile.js" --last /tmp/layer-profile-"$method"*.json > "$out/layer-profile-$method.txt" 2>&1; head -25 "$out/layer-profile-$method.txt"; grep -A25 '^GPU time' "$out/layer-profile-$method.txt"
      # The raw profile (every node's time) for a per-node look.
      xz -T0 -c /tmp/layer-profile-"$method"*.json > "$out/layer-profile-$method.raw.json.xz"
      ;;
    decode-check)
      "$node" "$dist/scripts/gpu-decode-check.js" "$(cd "$here/.." && pwd)/models/tiny" "$(cd "$here/.." && pwd)/test/fixtures/tiny-niah-1k.json" --json "$out/decode-check.json" 2> "$out/decode-check.log"
      echo "decode-check exit $?"; tail -5 "$out/decode-check.log"
      ;;
    sparse)
      lengths="$1"; shift
      # shellcheck disable=SC2086
      "$node" "$dist/cli/main.js" engine bench qwen2.5-7b --device webgpu --lengths "$lengths" ${SPARSE_ARGS:-} --json > "$out/sparse-bench-${lengths//,/_}.json" 2> "$out/sparse-bench-${lengths//,/_}.log"
      echo "engine bench exit $?"; grep -v '^ ' "$out/sparse-bench-${lengths//,/_}.log" | tail -60
      ;;
    longweave)
      # The CLI with the arguments up to `--` (or the end); numbered files per call.
      args=()
      while [ $# -gt 0 ] && [ "$1" != "--" ]; do args+=("$1"); shift; done
      [ $# -gt 0 ] && shift
      n=$(( ${n:-0} + 1 ))
      "$node" "$dist/cli/main.js" "${args[@]}" > "$out/longweave-$n.out" 2> "$out/longweave-$n.log"
      echo "longweave ${args[*]}: exit $?"; grep -v '^ ' "$out/longweave-$n.log" | tail -8
      ;;
    parts)
      # Exit 3 from parts-join.sh means parts are still missing: the steps after this one are skipped.
      bash "$here/parts-join.sh" --store /tmp/lw-parts "$1"; code=$?; shift
      if [ $code -ne 0 ]; then echo "parts: exit $code (3: parts still missing, 1: a part failed its sha256 check)"; exit $code; fi
      ;;
    cuda-install)
      # SRC is optional: the next argument is taken as SRC only when it is an existing path (else it is the next step).
      src=""; if [ $# -gt 0 ] && [ -e "$1" ]; then src="$1"; shift; fi
      if [ -z "$src" ]; then src="$(ls -t /tmp/lw-parts/longweave-cuda-provider-*.tar.xz 2>/dev/null | head -1)"; fi
      [ -n "$src" ] && [ -e "$src" ] || { echo "cuda-install: no provider (give the assembled .tar.xz, a .tgz or a folder; parts go through the parts step first)"; exit 1; }
      if [[ "$src" == *.tar.xz ]]; then
        rm -rf /tmp/lw-cuda-provider && mkdir -p /tmp/lw-cuda-provider && tar xJf "$src" -C /tmp/lw-cuda-provider || { echo "cuda-install: cannot unpack $src"; exit 1; }
        [ -f /tmp/lw-cuda-provider/package/longweave-reduced.json ] && "$node" -e 'const r = require(process.argv[1]); console.log(`provider ${r.package}: GPU code kept for ${r.kept.map((k) => k.arch).join(", ")}, zeroed ${r.zeroed.map((k) => k.arch).join(", ") || "none"}`)' /tmp/lw-cuda-provider/package/longweave-reduced.json
        src=/tmp/lw-cuda-provider
      fi
      "$node" "$dist/cli/main.js" engine install cuda --from "$src" --no-check --json > "$out/cuda-install.json" 2> "$out/cuda-install.log"
      code=$?; echo "engine install cuda: exit $code"; tail -3 "$out/cuda-install.log"
      [ $code -eq 0 ] || exit $code
      "$node" -e 'const r = require(process.argv[1]); console.log(`${r.status}: onnxruntime ${r.record.onnxruntimeVersion}, ${r.record.archs.join(", ")}, in ${r.binDir}; sha256 ${Object.entries(r.record.files).map(([f, v]) => `${f} ${v.sha256}`).join(", ")}`)' "$out/cuda-install.json"
      "$node" "$dist/cli/main.js" engine doctor --json > "$out/doctor.json" 2> "$out/doctor.log"
      "$node" "$dist/cli/main.js" engine doctor 2>&1 | tee "$out/doctor.txt"
      ;;
    doctor)
      "$node" "$dist/cli/main.js" engine doctor --json > "$out/doctor.json" 2> "$out/doctor.log"
      "$node" "$dist/cli/main.js" engine doctor 2>&1 | tee "$out/doctor.txt"
      ;;
    *) echo "unknown step $step" >&2; exit 2 ;;
  esac
done
