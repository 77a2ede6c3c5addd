// RULER's metrics for one sample, exactly as RULER computes them (github.com/NVIDIA/RULER, commit
// c3f5e3b4f87f97e048793bb510a3a6b19a46bf3a): scripts/eval/evaluate.py `postprocess_pred` (strip,
// control characters U+0000-U+001F to newlines, strip) and scripts/eval/synthetic/constants.py
// `string_match_all` (the fraction of references found, case-insensitive substring) and
// `string_match_part` (1 when any reference is found). RULER multiplies the task's mean by 100 and
// rounds it to 2 decimals; per sample it is the plain fraction.
//
// Python's strip() and lower() are reproduced exactly (python.ts): U+0085 and U+001C-U+001F are
// whitespace to Python, U+FEFF is not. An empty reference is found in any output (`'' in s`).
import { pyStrip } from './python.js';

/**
 * RULER's postprocess_pred: strip, replace every control character U+0000-U+001F with a newline,
 * strip again (Python's whitespace both times).
 * @example rulerPostprocess(' a\tb \ufeff') // 'a\nb \ufeff'
 */
export function rulerPostprocess(output: string): string {
  // eslint-disable-next-line no-control-regex
  return pyStrip(pyStrip(output).replace(/[\x00-\x1f]/g, '\n'));
}

/** Which references a postprocessed prediction contains, case-insensitively (Python's lower()). */
function referencesFound(output: string, refs: readonly string[]): boolean[] {
  const haystack = rulerPostprocess(output).toLowerCase();
  return refs.map((r) => haystack.includes(r.toLowerCase()));
}

/**
 * RULER `string_match_all` of one sample: the fraction of references found in the postprocessed
 * output; `empty` when the postprocessed output is empty (RULER's "nulls").
 * @example rulerStringMatchAll('x 123 y', ['123', '456']) // { score: 0.5, empty: false, found: [true, false] }
 */
export function rulerStringMatchAll(output: string, refs: readonly string[]): { score: number; empty: boolean; found: boolean[] } {
  const found = referencesFound(output, refs);
  const score = refs.length === 0 ? 0 : found.filter(Boolean).length / refs.length;
  return { score, empty: rulerPostprocess(output) === '', found };
}

/**
 * RULER `string_match_part` of one sample: 1 when any reference is found, else 0.
 * @example rulerStringMatchPart('x 123 y', ['123', '456']) // { score: 1, empty: false, found: [true, false] }
 */
export function rulerStringMatchPart(output: string, refs: readonly string[]): { score: number; empty: boolean; found: boolean[] } {
  const found = referencesFound(output, refs);
  return { score: found.some(Boolean) ? 1 : 0, empty: rulerPostprocess(output) === '', found };
}
