#!/usr/bin/env bash
# The receiving side of scripts/parts-split.sh, for a host that gets the parts over several
# transfers (calls): each call hands it the manifest and the parts that arrived; it checks each
# part's sha256 against the manifest, keeps the good ones in a store folder that outlives the call
# (default /tmp/lw-parts; the GPU host keeps /tmp while it stays warm), and when every part is there
# reassembles the file, checks its size and sha256, and moves it into place.
#
#   bash scripts/parts-join.sh [--store DIR] [--out DIR] PATH...     (PATH: part and .parts files, or folders of them)
#
# Exit status: 0 assembled (the file's path on stdout; also when it was already assembled), 3 parts
# still missing (listed on stderr), 1 a part or the whole failed its check (the bad part is not
# kept: send it again), 2 usage.
set -uo pipefail
store=/tmp/lw-parts; out=""
inputs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --store) store="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) inputs+=("$1"); shift ;;
  esac
done
out="${out:-$store}"
say() { echo "parts-join: $*" >&2; }
[ ${#inputs[@]} -gt 0 ] || { say "usage: bash scripts/parts-join.sh [--store DIR] [--out DIR] PATH..."; exit 2; }
mkdir -p "$store" "$out" || exit 1

files=()
for p in "${inputs[@]}"; do
  if [ -d "$p" ]; then while IFS= read -r f; do files+=("$f"); done < <(find "$p" -maxdepth 1 -type f \( -name '*.parts' -o -name '*.part-*-of-*' \) | sort)
  elif [ -f "$p" ]; then files+=("$p")
  else say "$p: no such file or folder"; exit 2
  fi
done

# Manifests first: a part is checked against its manifest, which may arrive in the same call.
for f in "${files[@]}"; do
  [[ "$f" == *.parts ]] || continue
  head -1 "$f" | grep -qx 'longweave-parts 1' || { say "$f is not a parts manifest (first line must be 'longweave-parts 1')"; exit 1; }
  name="$(basename "$f")"
  if [ -f "$store/$name" ] && ! cmp -s "$f" "$store/$name"; then
    say "$name differs from the manifest already in $store (a new split of the file?): replacing it and dropping the parts checked against the old one"
    target="$(awk '$1 == "file" {print $2}' "$store/$name")"
    rm -f "$store/$target".part-*
  fi
  cp "$f" "$store/$name.tmp" && mv "$store/$name.tmp" "$store/$name"
done

bad=0
for f in "${files[@]}"; do
  [[ "$f" == *.parts ]] && continue
  part="$(basename "$f")"
  target="${part%.part-*-of-*}"
  manifest="$store/$target.parts"
  [ -f "$manifest" ] || { say "$part: no manifest $target.parts here or in $store; send it with the part"; bad=1; continue; }
  read -r _ _ _ want_size want_sha < <(awk -v p="$part" '$1 == "part" && $3 == p' "$manifest")
  [ -n "${want_sha:-}" ] || { say "$part is not listed in $target.parts"; bad=1; continue; }
  size=$(stat -c %s "$f"); sha=$(sha256sum "$f" | cut -d' ' -f1)
  if [ "$size" != "$want_size" ] || [ "$sha" != "$want_sha" ]; then
    say "$part is corrupt: $size bytes, sha256 $sha; the manifest says $want_size bytes, sha256 $want_sha. Not kept; send it again."
    bad=1; continue
  fi
  if [ "$(cd "$(dirname "$f")" && pwd)/$part" != "$(cd "$store" && pwd)/$part" ]; then cp "$f" "$store/$part.tmp" && mv "$store/$part.tmp" "$store/$part"; fi
  say "$part ok ($size bytes)"
done

status=0
for manifest in "$store"/*.parts; do
  [ -f "$manifest" ] || continue
  read -r _ name bytes sha < <(awk '$1 == "file"' "$manifest")
  if [ -f "$out/$name" ] && [ "$(stat -c %s "$out/$name")" = "$bytes" ] && [ "$(sha256sum "$out/$name" | cut -d' ' -f1)" = "$sha" ]; then
    echo "$out/$name"; continue
  fi
  missing=(); have=0; total=0
  while read -r _ i part psize psha; do
    total=$((total + 1))
    # A stored part is checked again: /tmp may have been touched between calls.
    if [ -f "$store/$part" ] && [ "$(stat -c %s "$store/$part")" = "$psize" ] && [ "$(sha256sum "$store/$part" | cut -d' ' -f1)" = "$psha" ]; then have=$((have + 1)); else rm -f "$store/$part"; missing+=("$i"); fi
  done < <(awk '$1 == "part"' "$manifest")
  if [ ${#missing[@]} -gt 0 ]; then
    say "$name: $have of $total parts in $store; waiting for part(s) ${missing[*]}"
    [ $status -eq 0 ] && status=3
    continue
  fi
  tmp="$out/.$name.assembling"
  : > "$tmp"
  while read -r _ _ part _ _; do cat "$store/$part" >> "$tmp"; done < <(awk '$1 == "part"' "$manifest")
  got_size=$(stat -c %s "$tmp"); got_sha=$(sha256sum "$tmp" | cut -d' ' -f1)
  if [ "$got_size" != "$bytes" ] || [ "$got_sha" != "$sha" ]; then
    rm -f "$tmp"
    say "$name reassembled to $got_size bytes, sha256 $got_sha; the manifest says $bytes, $sha. Not kept."
    status=1; continue
  fi
  mv "$tmp" "$out/$name"
  # The parts are not needed once the whole is checked (the manifest stays: it says the file is complete).
  while read -r _ _ part _ _; do rm -f "$store/$part"; done < <(awk '$1 == "part"' "$manifest")
  say "$name assembled from $total part(s): $bytes bytes, sha256 ok"
  echo "$out/$name"
done
[ $bad -ne 0 ] && exit 1
exit $status
