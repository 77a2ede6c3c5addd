// `token-f1`: SQuAD-style token F1 over token sets, the maximum over the gold answers (the paper's
// SQuAD metric). Normalisation is the official SQuAD script's (a Python regex, so its word
// boundaries and whitespace are Unicode's): lowercase, ASCII punctuation removed, articles
// (a, an, the) removed, whitespace collapsed; Unicode look-alike forms are folded first.
import type { ScoreResult, Scorer, ScorerInput } from './types.js';
import { foldUnicode, isNoneAnswer, normalizeAnswer, NONE } from './text/normalize.js';
import { PY_BOUNDARY, pySplit } from './compat/python.js';
import { extractAnswer } from './text/extract.js';
import { f1, noAnswerResult, quote, untaggedFlag, untaggedNote } from './result.js';

const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;
const ARTICLES = new RegExp(`${PY_BOUNDARY}(?:a|an|the)${PY_BOUNDARY}`, 'gu');

/**
 * SQuAD's answer normalisation, after {@link foldUnicode}: lowercase, ASCII punctuation removed,
 * the words a / an / the removed (Unicode word boundaries: `éthe` keeps its `the`), whitespace
 * (Python's) collapsed.
 * @example squadNormalize('The Eiffel-Tower!') // 'eiffeltower'
 */
export function squadNormalize(text: string): string {
  return pySplit(foldUnicode(text).toLowerCase().replace(PUNCTUATION, '').replace(ARTICLES, ' ')).join(' ');
}

/**
 * F1 of two token sets (1 when both are empty, 0 when one is).
 * @example tokenSetF1('new york city', 'new york') // 0.8
 */
export function tokenSetF1(prediction: string, gold: string): number {
  const p = new Set(prediction.split(' ').filter(Boolean));
  const g = new Set(gold.split(' ').filter(Boolean));
  if (p.size === 0 || g.size === 0) return p.size === g.size ? 1 : 0;
  let common = 0;
  for (const t of p) if (g.has(t)) common++;
  return f1(common / p.size, common / g.size);
}

/**
 * Token-set F1 against each gold answer, maximum taken. `pass` is exact match after SQuAD
 * normalisation; metric `exactMatch` reports it too. "No answer" phrasings count as `none`.
 * @example tokenF1({ output: '<answer>New York City</answer>', expected: ['New York'] }).score // 0.8
 */
export const tokenF1: Scorer = (input: ScorerInput): ScoreResult => {
  const { text, source } = extractAnswer(input.output);
  if (!text) return noAnswerResult('token-f1', { exactMatch: 0 });
  // Only a gold `none` makes the none phrases mean `none` (a gold "nothing" is an answer).
  const goldIsNone = input.expected.some((g) => normalizeAnswer(g) === NONE);
  const pred = goldIsNone && isNoneAnswer(normalizeAnswer(text)) ? NONE : squadNormalize(text);
  let best = 0;
  let exactMatch = 0;
  let bestGold = input.expected[0] ?? '';
  for (const gold of input.expected) {
    const g = normalizeAnswer(gold) === NONE ? NONE : squadNormalize(gold);
    const score = tokenSetF1(pred, g);
    if (pred === g) exactMatch = 1;
    if (score > best) {
      best = score;
      bestGold = gold;
    }
  }
  return {
    name: 'token-f1',
    score: best,
    pass: exactMatch === 1,
    reason: `F1 ${best.toFixed(2)} against ${quote(bestGold)}; answer ${quote(text)}${untaggedNote(source)}`,
    metrics: { exactMatch },
    ...untaggedFlag(source),
  };
};
