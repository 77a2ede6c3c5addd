// `exact`: one answer, right or wrong, after normalisation (the paper's story multi-hop metric).
import type { ScoreResult, Scorer, ScorerInput } from './types.js';
import { canonicalAnswer } from './text/normalize.js';
import { extractAnswer } from './text/extract.js';
import { noAnswerResult, quote } from './result.js';

/**
 * 1 when the answer equals any target after {@link canonicalAnswer} normalisation, else 0.
 * @example exact({ output: '<answer>The Silver Lamp.</answer>', expected: ['silver lamp'] }).score // 1
 */
export const exact: Scorer = (input: ScorerInput): ScoreResult => {
  const { text } = extractAnswer(input.output);
  if (!text) return noAnswerResult('exact');
  const pred = canonicalAnswer(text);
  const hit = input.expected.some((g) => canonicalAnswer(g) === pred);
  return {
    name: 'exact',
    score: hit ? 1 : 0,
    pass: hit,
    reason: hit ? 'exact match' : `expected ${input.expected.map(quote).join(' or ')}, got ${quote(text)}`,
  };
};
