// `choice-set`: multiple choice with one or more right options (the paper's QuALITY / TOEFL
// metric): the sorted set of letters must equal the gold set.
import type { ScoreResult, Scorer, ScorerInput } from './types.js';
import { extractAnswer } from './text/extract.js';
import { noAnswerResult, ratio, untaggedFlag, untaggedNote } from './result.js';

/** Metadata fields the choice scorer reads. */
export interface ChoiceMetadata {
  /** The option letters of the question (default `ABCD`). */
  choiceLetters?: string;
}

const LEAD_IN = /^(?:(?:final\s+)?answers?|options?|choices?|the\s+answer\s+is|correct\s+(?:answer|option)s?(?:\s+(?:is|are))?)\s*[:-]?\s*/i;

/**
 * The option letters given in an answer, sorted and unique. Accepts `A`, `AC`, `A, C`, `(B)`,
 * `B) text`, `Answer: C`, `A and C`; letters outside `allowed` are ignored. In free text, option
 * markers (`(B)`, `B)` or `B.` at a line start) are read; failing those, standalone capitals,
 * except a sentence-opening article `A` (`A good choice is B` is B).
 * @example choiceLetters('Answer: (C) and A', 'ABCD') // 'AC'
 */
export function choiceLetters(text: string, allowed = 'ABCD'): string {
  const body = text.trim().replace(LEAD_IN, '');
  const allowedSet = new Set(allowed.toUpperCase());
  const found = new Set<string>();
  // Compact forms: nothing but option letters, separators and the words and/or.
  const words = body.replace(/\b(?:and|or)\b/gi, ' ').split(/[\s,;/&()[\].:]+/).filter(Boolean);
  if (words.length > 0 && words.every((w) => w.length <= 10 && [...w.toUpperCase()].every((c) => allowedSet.has(c)))) {
    for (const w of words) for (const c of w.toUpperCase()) found.add(c);
    return [...found].sort().join('');
  }
  // Free text: option markers "(B)", "B)", "B." at a line start; failing those, standalone capitals.
  for (const m of body.matchAll(/\(([A-Z])\)|(?:^|[\n\r\v\f\x85\u2028\u2029])\s*([A-Z])[.)]/g)) {
    const c = (m[1] ?? m[2]) as string;
    if (allowedSet.has(c)) found.add(c);
  }
  if (found.size === 0) {
    for (const m of body.matchAll(STANDALONE_CAPITAL)) {
      const letter = m[1] as string;
      if (!allowedSet.has(letter)) continue;
      // "A good choice is B": a capital A that opens a sentence and runs into a lowercase word
      // that is not a verb or joiner about the option is the article, not option A.
      if (letter === 'A' && isArticle(body, m.index, m.index + 1)) continue;
      found.add(letter);
    }
  }
  return [...found].sort().join('');
}

const STANDALONE_CAPITAL = /(?<![A-Za-z'’])([A-Z])(?![A-Za-z'’])/g;
const OPTION_WORDS = new Set(['is', 'was', 'are', 'were', 'and', 'or', 'seems', 'appears', 'would', 'should', 'could', 'must', 'might', 'fits', 'matches', 'best', 'because', 'since', 'as', 'only', 'also', 'too']);

function isArticle(text: string, start: number, end: number): boolean {
  const next = /^ +([a-z]+)/.exec(text.slice(end));
  if (!next || OPTION_WORDS.has(next[1] as string)) return false;
  const before = text.slice(0, start);
  return /(?:^|[.!?:]\s+|[\n\r\v\f\x85\u2028\u2029]\s*)$/.test(before);
}

/**
 * 1 when the set of letters given equals the gold set (target letters, e.g. `['A', 'C']` or
 * `['AC']`). Metric `jaccard`: overlap of the two letter sets.
 * @example choiceSet({ output: '<answer>C, A</answer>', expected: ['AC'] }).score // 1
 */
export const choiceSet: Scorer = (input: ScorerInput): ScoreResult => {
  const allowedRaw = input.metadata?.['choiceLetters'];
  const allowed = typeof allowedRaw === 'string' && allowedRaw ? allowedRaw : 'ABCD';
  const gold = [...new Set(input.expected.join('').toUpperCase().replace(/[^A-Z]/g, ''))].sort().join('');
  const { text, source } = extractAnswer(input.output);
  const pred = text ? choiceLetters(text, allowed) : '';
  if (!pred) return noAnswerResult('choice-set', { jaccard: 0 });
  const p = new Set(pred);
  let common = 0;
  for (const c of gold) if (p.has(c)) common++;
  const jaccard = ratio(common, p.size + gold.length - common, 1);
  const hit = pred === gold;
  return { name: 'choice-set', score: hit ? 1 : 0, pass: hit, reason: `expected ${gold}, got ${pred}${untaggedNote(source)}`, metrics: { jaccard }, ...untaggedFlag(source) };
};
