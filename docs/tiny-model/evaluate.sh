#!/usr/bin/env bash
# Reproduces docs/tiny-model/: held-out data (numeric seed 101; training seeds are strings
# tiny-train-*), the dense run and the two 4k sparse sweeps of builtin:tiny on the CPU provider,
# and the merged report. About 20 minutes on 2 CPU cores. Run from the repository root.
set -euo pipefail
G() { npx longweave generate --tokenizer builtin:tiny --seed 101 --quiet "$@"; }
d=data/tiny-eval
G --task ruler/niah --lengths 1k,4k --samples 20 --out $d/niah-a
G --task ruler/niah --lengths 2k --samples 10 --out $d/niah-b
G --task ruler/niah --lengths 8k --samples 6 --out $d/niah-c
G --task ruler/niah --lengths 15k --samples 2 --out $d/niah-d
G --task story/retrieval --params '{"questions":4}' --lengths 2k --samples 10 --out $d/sr-q4
G --task story/retrieval --lengths 4k --samples 20 --out $d/sr-a
G --task story/retrieval --lengths 8k --samples 6 --out $d/sr-c
G --task story/retrieval --lengths 15k --samples 2 --out $d/sr-d
for t in ruler/vt story/multihop qa/synthetic; do
  G --task $t --lengths 1k,4k --samples 5 --out $d/${t/\//-}-a
  G --task $t --lengths 8k --samples 3 --out $d/${t/\//-}-c
done
npx longweave run docs/tiny-model/recipes/dense.json --out runs/tiny-dense
npx longweave run docs/tiny-model/recipes/sparse-niah-4k.json --out runs/tiny-sparse-niah-4k
npx longweave run docs/tiny-model/recipes/sparse-retrieval-4k.json --out runs/tiny-sparse-retrieval-4k
npx longweave report runs/tiny-dense runs/tiny-sparse-niah-4k runs/tiny-sparse-retrieval-4k --out runs/tiny-eval
