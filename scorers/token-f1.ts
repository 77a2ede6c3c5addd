// `token-f1`: SQuAD-style token F1 over token sets, the maximum over the gold answers (the paper's
// SQuAD metric). Normalisation is SQuAD's: lowercase, ASCII punctuation removed, articles
// (a, an, the) removed, whitespace collapsed.
import type { ScoreResult, Scorer, ScorerInput } from './types.js';
import { canonicalAnswer, NONE } from './text/normalize.js';
import { extractAnswer } from './text/extract.js';
import { f1, noAnswerResult, quote } from './result.js';

const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;
const ARTICLES = /\b(?:a|an|the)\b/g;

/**
 * SQuAD's answer normalisation.
 * @example squadNormalize('The Eiffel-Tower!') // 'eiffeltower'
 */
export function squadNormalize(text: string): string {
  return text.toLowerCase().replace(PUNCTUATION, '').replace(ARTICLES, ' ').split(/\s+/).filter(Boolean).join(' ');
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
  const { text } = extractAnswer(input.output);
  if (!text) return noAnswerResult('token-f1', { exactMatch: 0 });
  const pred = canonicalAnswer(text) === NONE ? NONE : squadNormalize(text);
  let best = 0;
  let exactMatch = 0;
  let bestGold = input.expected[0] ?? '';
  for (const gold of input.expected) {
    const g = canonicalAnswer(gold) === NONE ? NONE : squadNormalize(gold);
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
    reason: `F1 ${best.toFixed(2)} against ${quote(bestGold)}; answer ${quote(text)}`,
    metrics: { exactMatch },
  };
};
