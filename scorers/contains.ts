// RULER's containment metrics with RULER's exact semantics, under unambiguous names, and
// precision-aware companions that do not reward listing every candidate.
//
// RULER (scripts/eval/synthetic/constants.py), per sample:
//   string_match_all  = sum(r.lower() in pred.lower() for r in refs) / len(refs)
//   string_match_part = max(r.lower() in pred.lower() for r in refs)
// after RULER's postprocessing: strip, control characters \x00-\x1f -> '\n', strip (Python's
// whitespace; see compat/ruler.ts, which both scorers call). scoreSample removes reasoning before
// these scorers run; RULER does not, and `compat: 'paper-reference'` does not either.
// lm-evaluation-harness's RULER port computes string_match_part as the maximum over the batch of
// the per-sample *fraction* found, divided by the batch size; per sample that is the fraction
// (string_match_all), not "any reference found". We follow RULER.
import type { ScoreResult, Scorer, ScorerInput } from './types.js';
import { extractAnswer, listItems } from './text/extract.js';
import { f1, noAnswerResult, quote, ratio } from './result.js';
import { rulerPostprocess, rulerStringMatchAll, rulerStringMatchPart } from './compat/ruler.js';

export { rulerPostprocess };

// No answer: the postprocessed output is empty (RULER's "nulls"), or its `<answer>` block is.
function answerIsEmpty(output: string, empty: boolean): boolean {
  return empty || (/<answer>/i.test(output) && extractAnswer(rulerPostprocess(output)).text === '');
}

/**
 * RULER `string_match_all`: the fraction of references found in the output, case-insensitive
 * substring match over the whole (postprocessed) output. Registered as `contains-all`. `noAnswer`
 * when the postprocessed output is empty (RULER's "nulls") or its `<answer>` block is empty.
 * @example containsAllFraction({ output: 'x 123 y', expected: ['123', '456'] }).score // 0.5
 */
export const containsAllFraction: Scorer = (input: ScorerInput): ScoreResult => {
  const { score, empty: nothing, found } = rulerStringMatchAll(input.output, input.expected);
  const empty = answerIsEmpty(input.output, nothing);
  const n = found.filter(Boolean).length;
  const missing = input.expected.filter((_, i) => !found[i]);
  return {
    name: 'contains-all',
    score,
    pass: score === 1,
    reason: `${n}/${found.length} references found${missing.length ? `; missing ${missing.slice(0, 3).map(quote).join(', ')}` : ''}${empty ? '; empty answer' : ''}`,
    ...(empty ? { noAnswer: true } : {}),
  };
};

/**
 * RULER `string_match_part`: 1 when any reference is found in the output (case-insensitive
 * substring), else 0. Registered as `contains-any`.
 * @example containsAny({ output: 'x 123 y', expected: ['123', '456'] }).score // 1
 */
export const containsAny: Scorer = (input: ScorerInput): ScoreResult => {
  const { score, empty: nothing } = rulerStringMatchPart(input.output, input.expected);
  const empty = answerIsEmpty(input.output, nothing);
  return { name: 'contains-any', score, pass: score === 1, reason: (score === 1 ? 'a reference was found' : 'no reference found') + (empty ? '; empty answer' : ''), ...(empty ? { noAnswer: true } : {}) };
};

function found(text: string, refs: readonly string[]): boolean[] {
  const haystack = text.toLowerCase();
  return refs.map((r) => haystack.includes(r.toLowerCase()));
}

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
// eslint-disable-next-line no-control-regex
const TOKEN_SEPARATORS = /[\s\x85\x1c-\x1f,;]+/;

/**
 * Candidate answers in an output, for precision. When every reference is one word, candidates are
 * the answer's words (split at whitespace, commas and semicolons, surrounding punctuation removed)
 * that equal a reference ignoring case, or are shaped like the references: every character class
 * of the word (digit, lowercase, uppercase, hyphen, other; case-sensitive) occurs in some reference,
 * the classes all references share occur in the word, and its length is within 3/4 of the shortest
 * to 5/4 of the longest reference. Words in `prefixes` (a sample's `itemPrefixes`, e.g. `VAR`) are
 * never candidates. So prose around the values is not counted: lowercase words around uppercase
 * names, `VAR` before five-letter names, `10` among seven-digit numbers. Otherwise (references of
 * several words) candidates are the answer's list items. Candidates are lowercased and unique.
 * @example candidates('The numbers are 1234 and 5678.', ['1234']) // ['1234', '5678']
 * @example candidates('VAR ESZCW, VAR ZBUBD', ['ESZCW', 'ZBUBD']) // ['eszcw', 'zbubd']
 */
export function candidates(answer: string, refs: readonly string[], prefixes: readonly string[] = []): string[] {
  const words = refs.map((r) => r.trim()).filter(Boolean);
  if (words.length === 0) return [];
  if (words.some((w) => /\s/.test(w))) return [...new Set(listItems(answer).map((i) => i.replace(EDGE_PUNCTUATION, '').toLowerCase()).filter(Boolean))];
  const classSets = words.map(classesOf);
  const allowed = new Set<CharClass>(classSets.flatMap((s) => [...s]));
  const required = [...(classSets[0] as Set<CharClass>)].filter((c) => classSets.every((s) => s.has(c)));
  const minLen = Math.ceil(0.75 * Math.min(...words.map((w) => w.length)));
  const maxLen = Math.floor(1.25 * Math.max(...words.map((w) => w.length)));
  const references = new Set(words.map((w) => w.toLowerCase()));
  const skip = new Set(prefixes.map((p) => p.toLowerCase()));
  const out = new Set<string>();
  for (const raw of answer.split(TOKEN_SEPARATORS)) {
    const token = raw.replace(EDGE_PUNCTUATION, '');
    const lower = token.toLowerCase();
    if (!token || skip.has(lower)) continue;
    if (references.has(lower)) {
      out.add(lower);
      continue;
    }
    if (token.length < minLen || token.length > maxLen) continue;
    const cls = classesOf(token);
    if ([...cls].every((c) => allowed.has(c)) && required.every((c) => cls.has(c))) out.add(lower);
  }
  return [...out];
}

function prefixesOf(metadata: Record<string, unknown> | undefined): string[] {
  const p = metadata?.['itemPrefixes'];
  return Array.isArray(p) ? p.filter((x): x is string => typeof x === 'string') : [];
}

function precisionOf(answer: string, refs: readonly string[], prefixes: readonly string[]): { precision: number; given: number } {
  const cands = candidates(answer, refs, prefixes);
  const lowered = refs.map((r) => r.toLowerCase());
  const supported = cands.filter((c) => lowered.some((r) => c === r || (r.length > 0 && c.includes(r)))).length;
  return { precision: ratio(supported, cands.length, 0), given: cands.length };
}

/**
 * Precision-aware companion of `contains-all`: F1 of recall (RULER's fraction of references
 * found) and precision (the share of candidate answers, see {@link candidates}, that are
 * references). Listing every value in the context gives recall 1 but low precision. Both read
 * the `<answer>` block when there is one, else the whole output (RULER's postprocessing, then
 * look-alike forms folded): unlike `contains-all`, prose outside the block is not searched.
 * @example containsAllF1({ output: '1234, 5678, 9999', expected: ['1234', '5678'] }).score // 0.8
 */
export const containsAllF1: Scorer = (input: ScorerInput): ScoreResult => {
  const { text } = extractAnswer(rulerPostprocess(input.output));
  if (!text) return noAnswerResult('contains-all-f1', { precision: 0, recall: 0 });
  const hits = found(text, input.expected);
  const recall = ratio(hits.filter(Boolean).length, hits.length, 0);
  const { precision, given } = precisionOf(text, input.expected, prefixesOf(input.metadata));
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
  const { precision, given } = precisionOf(text, input.expected, prefixesOf(input.metadata));
  const score = hit ? precision : 0;
  return {
    name: 'contains-any-precise',
    score,
    pass: score === 1,
    reason: hit ? `a reference was found; precision ${precision.toFixed(2)} over ${given} candidate${given === 1 ? '' : 's'}` : 'no reference found',
    metrics: { precision },
  };
};
