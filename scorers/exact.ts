// `exact`: one answer, right or wrong, after normalisation (the paper's story multi-hop metric).
import type { ScoreResult, Scorer, ScorerInput } from './types.js';
import { answersMatch } from './text/normalize.js';
import { extractAnswer } from './text/extract.js';
import { noAnswerResult, quote, untaggedFlag, untaggedNote } from './result.js';

/**
 * 1 when the answer equals any target after normalisation ({@link answersMatch}: a gold `none`
 * also accepts the none phrases), else 0. An output with no `<answer>` block is read whole and
 * flagged `noAnswer`.
 * @example exact({ output: '<answer>The Silver Lamp.</answer>', expected: ['silver lamp'] }).score // 1
 */
export const exact: Scorer = (input: ScorerInput): ScoreResult => {
  const { text, source } = extractAnswer(input.output);
  if (!text) return noAnswerResult('exact');
  const hit = input.expected.some((g) => answersMatch(text, g));
  return {
    name: 'exact',
    score: hit ? 1 : 0,
    pass: hit,
    reason: (hit ? 'exact match' : `expected ${input.expected.map(quote).join(' or ')}, got ${quote(text)}`) + untaggedNote(source),
    ...untaggedFlag(source),
  };
};
