// RULER's containment metrics with RULER's exact semantics, under unambiguous names, and
// precision-aware companions that do not reward listing every candidate.
//
// RULER (scripts/eval/synthetic/constants.py), per sample:
//   string_match_all  = sum(r.lower() in pred.lower() for r in refs) / len(refs)
//   string_match_part = max(r.lower() in pred.lower() for r in refs)
// after RULER's postprocessing: strip, control characters \x00-\x1f -> '\n', strip.
// lm-evaluation-harness's RULER port computes string_match_part as the maximum over the batch of
// the per-sample *fraction* found, divided by the batch size; per sample that is the fraction
// (string_match_all), not "any reference found". We follow RULER.
import type { ScoreResult, Scorer, ScorerInput } from './types.js';
import { extractAnswer, listItems } from './text/extract.js';
import { f1, noAnswerResult, quote, ratio } from './result.js';

/**
 * RULER's postprocess_pred: trim, replace control characters with newlines, trim.
 * @example rulerPostprocess(' a\tb ') // 'a\nb'
 */
export function rulerPostprocess(output: string): string {
  // eslint-disable-next-line no-control-regex
  return output.trim().replace(/[\x00-\x1f]/g, '\n').trim();
}

// RULER scores the whole output; the no-answer flag still looks at the <answer> block, if any.
function isEmptyAnswer(output: string): boolean {
  return extractAnswer(rulerPostprocess(output)).text === '';
}

function found(output: string, refs: readonly string[]): boolean[] {
  const haystack = rulerPostprocess(output).toLowerCase();
  return refs.map((r) => haystack.includes(r.toLowerCase()));
}

/**
 * RULER `string_match_all`: the fraction of references found in the output, case-insensitive
 * substring match over the whole output. Registered as `contains-all`.
 * @example containsAllFraction({ output: 'x 123 y', expected: ['123', '456'] }).score // 0.5
 */
export const containsAllFraction: Scorer = (input: ScorerInput): ScoreResult => {
  const hits = found(input.output, input.expected);
  const n = hits.filter(Boolean).length;
  if (!rulerPostprocess(input.output)) return noAnswerResult('contains-all');
  const score = ratio(n, hits.length, 0);
  const missing = input.expected.filter((_, i) => !hits[i]);
  return {
    ...(isEmptyAnswer(input.output) ? { noAnswer: true } : {}),
    name: 'contains-all',
    score,
    pass: score === 1,
    reason: `${n}/${hits.length} references found${missing.length ? `; missing ${missing.slice(0, 3).map(quote).join(', ')}` : ''}`,
  };
};

/**
 * RULER `string_match_part`: 1 when any reference is found in the output (case-insensitive
 * substring), else 0. Registered as `contains-any`.
 * @example containsAny({ output: 'x 123 y', expected: ['123', '456'] }).score // 1
 */
export const containsAny: Scorer = (input: ScorerInput): ScoreResult => {
  if (!rulerPostprocess(input.output)) return noAnswerResult('contains-any');
  const hit = found(input.output, input.expected).some(Boolean);
  return { ...(isEmptyAnswer(input.output) ? { noAnswer: true } : {}), name: 'contains-any', score: hit ? 1 : 0, pass: hit, reason: hit ? 'a reference was found' : 'no reference found' };
};

type CharClass = 'digit' | 'lower' | 'upper' | 'hyphen' | 'other';
function classesOf(s: string): Set<CharClass> {
  const out = new Set<CharClass>();
  for (const c of s) {
    if (c >= '0' && c <= '9') out.add('digit');
    else if (c >= 'a' && c <= 'z') out.add('lower');
    else if (c >= 'A' && c <= 'Z') out.add('upper');
    else if (c === '-') out.add('hyphen');
    else out.add('other');
  }
  return out;
}

const EDGE_PUNCTUATION = /^[\s"'`“”‘’()[\]{}<>*.,;:!?]+|[\s"'`“”‘’()[\]{}<>*.,;:!?]+$/g;

/**
 * Candidate answers in an output, for precision. When every reference is one word, candidates are
 * the words of the answer shaped like the references (their character classes fit and their
 * length is within half to twice the references'), so prose around the values is not counted;
 * otherwise candidates are the answer's list items (lines, commas, semicolons).
 * @example candidates('The numbers are 1234 and 5678.', ['1234']) // ['1234', '5678']
 */
export function candidates(answer: string, refs: readonly string[]): string[] {
  const words = refs.map((r) => r.trim().toLowerCase()).filter(Boolean);
  if (words.length === 0) return [];
  if (words.some((w) => /\s/.test(w))) return listItems(answer).map((i) => i.replace(EDGE_PUNCTUATION, '').toLowerCase()).filter(Boolean);
  const classSets = words.map(classesOf);
  const allowed = new Set<CharClass>(classSets.flatMap((s) => [...s]));
  const required = [...(classSets[0] as Set<CharClass>)].filter((c) => classSets.every((s) => s.has(c)));
  const minLen = Math.min(...words.map((w) => w.length));
  const maxLen = Math.max(...words.map((w) => w.length));
  const out = new Set<string>();
  for (const raw of answer.toLowerCase().split(/[\s,;]+/)) {
    const token = raw.replace(EDGE_PUNCTUATION, '');
    if (!token || token.length * 2 < minLen || token.length > maxLen * 2) continue;
    const cls = classesOf(token);
    if ([...cls].every((c) => allowed.has(c)) && required.every((c) => cls.has(c))) out.add(token);
  }
  return [...out];
}

function precisionOf(answer: string, refs: readonly string[]): { precision: number; given: number } {
  const cands = candidates(answer, refs);
  const lowered = refs.map((r) => r.toLowerCase());
  const supported = cands.filter((c) => lowered.some((r) => c === r || (r.length > 0 && c.includes(r)))).length;
  return { precision: ratio(supported, cands.length, 0), given: cands.length };
}

/**
 * Precision-aware companion of `contains-all`: F1 of recall (RULER's fraction of references
 * found) and precision (the share of candidate answers, see {@link candidates}, that are
 * references). Listing every value in the context gives recall 1 but low precision. Candidates
 * come from the `<answer>` block when there is one, else from the whole output.
 * @example containsAllF1({ output: '1234, 5678, 9999', expected: ['1234', '5678'] }).score // 0.8
 */
export const containsAllF1: Scorer = (input: ScorerInput): ScoreResult => {
  const { text } = extractAnswer(rulerPostprocess(input.output));
  if (!text) return noAnswerResult('contains-all-f1', { precision: 0, recall: 0 });
  const hits = found(text, input.expected);
  const recall = ratio(hits.filter(Boolean).length, hits.length, 0);
  const { precision, given } = precisionOf(text, input.expected);
  const score = given === 0 ? 0 : f1(precision, recall);
  return {
    name: 'contains-all-f1',
    score,
    pass: score === 1,
    reason: `recall ${recall.toFixed(2)}, precision ${precision.toFixed(2)} over ${given} candidate${given === 1 ? '' : 's'}`,
    metrics: { precision, recall },
  };
};

/**
 * Precision-aware companion of `contains-any`: 0 when no reference is found, else the precision
 * of the candidate answers (1 when everything given is a reference).
 * @example containsAnyPrecise({ output: '1234, 9999', expected: ['1234', '5678'] }).score // 0.5
 */
export const containsAnyPrecise: Scorer = (input: ScorerInput): ScoreResult => {
  const { text } = extractAnswer(rulerPostprocess(input.output));
  if (!text) return noAnswerResult('contains-any-precise', { precision: 0 });
  const hit = found(text, input.expected).some(Boolean);
  const { precision, given } = precisionOf(text, input.expected);
  const score = hit ? precision : 0;
  return {
    name: 'contains-any-precise',
    score,
    pass: score === 1,
    reason: hit ? `a reference was found; precision ${precision.toFixed(2)} over ${given} candidate${given === 1 ? '' : 's'}` : 'no reference found',
    metrics: { precision },
  };
};
