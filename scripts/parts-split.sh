#!/usr/bin/env bash
# Splits a file into parts of at most MAX_MIB MiB with a sha256 manifest, for a host that receives
# files in transfers of limited size (the GPU host: 64 MiB a call, the repository's own files
# included). scripts/parts-join.sh verifies and reassembles them there.
#
#   bash scripts/parts-split.sh FILE [MAX_MIB=40] [OUT_DIR=FILE's folder]
#
# Writes OUT_DIR/NAME.part-01-of-NN ... and OUT_DIR/NAME.parts, the manifest:
#   longweave-parts 1
#   file NAME BYTES SHA256
#   part 1 NAME.part-01-of-NN BYTES SHA256
#   ...
# Prints one line per part (name and size) on stdout. Every part travels with the manifest.
set -euo pipefail
die() { echo "parts-split: $*" >&2; exit 1; }
[ $# -ge 1 ] || die "usage: bash scripts/parts-split.sh FILE [MAX_MIB=40] [OUT_DIR]"
file="$1"; max_mib="${2:-40}"; out="${3:-$(dirname "$file")}"
[ -f "$file" ] || die "$file: no such file"
[[ "$max_mib" =~ ^[1-9][0-9]*$ ]] || die "MAX_MIB must be a positive whole number of MiB, got '$max_mib'"
mkdir -p "$out"
name="$(basename "$file")"
bytes=$(stat -c %s "$file")
[ "$bytes" -gt 0 ] || die "$file is empty"
part_bytes=$((max_mib * 1024 * 1024))
count=$(( (bytes + part_bytes - 1) / part_bytes ))
[ "$count" -le 99 ] || die "$file would need $count parts of $max_mib MiB (at most 99)"
rm -f "$out/$name".part-* "$out/$name.parts"
sha=$(sha256sum "$file" | cut -d' ' -f1)
manifest="$out/$name.parts.tmp"
{ echo "longweave-parts 1"; echo "file $name $bytes $sha"; } > "$manifest"
for ((i = 1; i <= count; i++)); do
  part="$(printf '%s.part-%02d-of-%02d' "$name" "$i" "$count")"
  dd if="$file" of="$out/$part" bs="$part_bytes" skip=$((i - 1)) count=1 iflag=fullblock status=none
  psize=$(stat -c %s "$out/$part")
  echo "part $i $part $psize $(sha256sum "$out/$part" | cut -d' ' -f1)" >> "$manifest"
  echo "$part $psize"
done
mv "$manifest" "$out/$name.parts"
echo "parts-split: $name ($bytes bytes) -> $count part(s) of at most $max_mib MiB in $out, manifest $name.parts" >&2
