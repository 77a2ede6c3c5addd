// RULER's metrics re-implemented for the parity suite from RULER's source
// (github.com/NVIDIA/RULER, commit c3f5e3b4f87f97e048793bb510a3a6b19a46bf3a):
// scripts/eval/evaluate.py `postprocess_pred` and scripts/eval/synthetic/constants.py
// `string_match_all` / `string_match_part`, which take lists of predictions and of reference lists
// and return the percentage rounded to 2 decimals. `...PerSample` is the summand of each, the score
// one prediction contributes before the mean.
import * as py from './python.js';

/** postprocess_pred: strip, every control character U+0000-U+001F to a newline, strip. */
export function postprocessPred(pred: string): string {
  return py.strip(py.sub('[\\x00-\\x1f]', '\n', py.strip(pred)));
}

export function stringMatchAllPerSample(pred: string, refs: readonly string[]): number {
  return refs.map((r) => (py.lower(pred).includes(py.lower(r)) ? 1 : 0)).reduce((a: number, b: number) => a + b, 0) / refs.length;
}

export function stringMatchPartPerSample(pred: string, refs: readonly string[]): number {
  return Math.max(...refs.map((r) => (py.lower(pred).includes(py.lower(r)) ? 1 : 0)));
}

export function stringMatchAll(preds: readonly string[], refs: readonly (readonly string[])[]): number {
  const total = preds.reduce((sum, pred, i) => sum + stringMatchAllPerSample(pred, refs[i] as readonly string[]), 0);
  return py.round((total / preds.length) * 100, 2);
}

export function stringMatchPart(preds: readonly string[], refs: readonly (readonly string[])[]): number {
  const total = preds.reduce((sum, pred, i) => sum + stringMatchPartPerSample(pred, refs[i] as readonly string[]), 0);
  return py.round((total / preds.length) * 100, 2);
}
