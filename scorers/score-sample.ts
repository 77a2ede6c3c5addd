// scoreSample: the one entry point that turns (sample, prediction) into a result. It removes
// reasoning, picks the sample's scorer (or, under `compat: 'paper-reference'`, its reference
// implementation) and marks outputs cut by the token limit.
import type { ScorablePrediction, ScorableSample, ScoreResult } from './types.js';
import { getScorer } from './registry.js';
import { stripReasoning } from './text/extract.js';
import { referenceOf, type ReferenceName } from './compat/paper-reference.js';

/** Scoring options. */
export interface ScoreOptions {
  /**
   * `paper-reference`: score each sample as its reference implementation does, quirks included:
   * the paper's tasks by sparse-frontier's code, RULER-format samples by RULER's, both on the raw
   * output (see scorers/compat/paper-reference.ts and docs/scorers.md). Default: our scorers.
   */
  compat?: 'paper-reference';
}

/** A score plus whether the output was cut by the token limit, and how it was scored. */
export type SampleScore = ScoreResult & {
  truncated: boolean;
  /** Set when scored with `compat`. */
  compat?: 'paper-reference';
  /** Under `compat`: the reference implementation that scored the sample (`none`: the default scorer). */
  reference?: ReferenceName;
};

/**
 * Scores one prediction against its sample. By default `<think>` blocks are removed from `output`
 * first (see {@link stripReasoning}); a separate `reasoning` field is never scored. Under
 * `compat: 'paper-reference'` a sample with a reference implementation is scored on the raw output,
 * as that code reads it (reasoning included); other samples get the default scorer.
 * `truncated` is `finishReason === 'length'`.
 * @throws Error when `sample.metadata.scorer` names no registered scorer.
 * @example
 * scoreSample(
 *   { id: 'a', task: 'story/multihop', target: ['silver lamp'], metadata: { scorer: 'exact' } },
 *   { output: '<think>...</think><answer>Silver lamp</answer>', finishReason: 'stop' },
 * ) // { name: 'exact', score: 1, pass: true, truncated: false, ... }
 */
export function scoreSample(sample: ScorableSample, prediction: ScorablePrediction, options: ScoreOptions = {}): SampleScore {
  const scorer = getScorer(sample.metadata.scorer);
  const truncated = prediction.finishReason === 'length';
  if (options.compat === 'paper-reference') {
    const { reference, evaluate } = referenceOf(sample.task, sample.metadata.scorer);
    const result = evaluate
      ? evaluate({ output: prediction.output, expected: sample.target, metadata: sample.metadata })
      : scorer({ output: stripReasoning(prediction.output), expected: sample.target, metadata: sample.metadata });
    return { ...result, truncated, compat: 'paper-reference', reference };
  }
  const result = scorer({ output: stripReasoning(prediction.output), expected: sample.target, metadata: sample.metadata });
  return { ...result, truncated };
}
