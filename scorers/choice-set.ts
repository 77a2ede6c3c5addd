// `choice-set`: multiple choice with one or more right options (the paper's QuALITY / TOEFL
// metric): the sorted set of letters must equal the gold set.
import type { ScoreResult, Scorer, ScorerInput } from './types.js';
import { extractAnswer } from './text/extract.js';
import { noAnswerResult, ratio } from './result.js';

/** Metadata fields the choice scorer reads. */
export interface ChoiceMetadata {
  /** The option letters of the question (default `ABCD`). */
  choiceLetters?: string;
}

const LEAD_IN = /^(?:(?:final\s+)?answers?|options?|choices?|the\s+answer\s+is|correct\s+(?:answer|option)s?(?:\s+(?:is|are))?)\s*[:-]?\s*/i;

/**
 * The option letters given in an answer, sorted and unique. Accepts `A`, `AC`, `A, C`, `(B)`,
 * `B) text`, `Answer: C`, `A and C`; letters outside `allowed` are ignored. In free text, option
 * markers (`(B)`, `B)` or `B.` at a line start) are read; failing those, standalone capitals.
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
  for (const m of body.matchAll(/\(([A-Z])\)|(?:^|\n)\s*([A-Z])[.)]/g)) {
    const c = (m[1] ?? m[2]) as string;
    if (allowedSet.has(c)) found.add(c);
  }
  if (found.size === 0) {
    for (const m of body.matchAll(/(?<![A-Za-z'’])([A-Z])(?![A-Za-z'’])/g)) if (allowedSet.has(m[1] as string)) found.add(m[1] as string);
  }
  return [...found].sort().join('');
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
  const { text } = extractAnswer(input.output);
  const pred = text ? choiceLetters(text, allowed) : '';
  if (!pred) return noAnswerResult('choice-set', { jaccard: 0 });
  const p = new Set(pred);
  let common = 0;
  for (const c of gold) if (p.has(c)) common++;
  const jaccard = ratio(common, p.size + gold.length - common, 1);
  const hit = pred === gold;
  return { name: 'choice-set', score: hit ? 1 : 0, pass: hit, reason: `expected ${gold}, got ${pred}`, metrics: { jaccard } };
};
