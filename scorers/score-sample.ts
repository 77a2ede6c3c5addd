// scoreSample: the one entry point that turns (sample, prediction) into a result. It removes
// reasoning, picks the sample's scorer and marks outputs cut by the token limit.
import type { ScorablePrediction, ScorableSample, ScoreResult } from './types.js';
import { getScorer } from './registry.js';
import { stripReasoning } from './text/extract.js';
import { paperReferenceScorer } from './compat/paper-reference.js';

/** Scoring options. */
export interface ScoreOptions {
  /**
   * `paper-reference`: reproduce the paper's reference implementation, quirks included (see
   * scorers/compat/paper-reference.ts and docs/scorers.md). Default: our scorers.
   */
  compat?: 'paper-reference';
}

/** A score plus whether the output was cut by the token limit. */
export type SampleScore = ScoreResult & { truncated: boolean };

/**
 * Scores one prediction against its sample. `<think>` blocks are removed from `output` first; a
 * separate `reasoning` field is never scored. `truncated` is `finishReason === 'length'`.
 * @throws Error when `sample.metadata.scorer` names no registered scorer.
 * @example
 * scoreSample(
 *   { id: 'a', task: 'story/multihop', target: ['silver lamp'], metadata: { scorer: 'exact' } },
 *   { output: '<think>...</think><answer>Silver lamp</answer>', finishReason: 'stop' },
 * ) // { name: 'exact', score: 1, pass: true, truncated: false, ... }
 */
export function scoreSample(sample: ScorableSample, prediction: ScorablePrediction, options: ScoreOptions = {}): SampleScore {
  const scorer = getScorer(sample.metadata.scorer);
  const output = stripReasoning(prediction.output);
  const input = { output, expected: sample.target, metadata: sample.metadata };
  const reference = options.compat === 'paper-reference' ? paperReferenceScorer(sample.task, sample.metadata.scorer) : undefined;
  const result = reference ? reference(input) : scorer(input);
  return { ...result, truncated: prediction.finishReason === 'length' };
}
