// The scorer contract shared by every task and by the adapters for other harnesses.
// Scorers are pure and synchronous: no I/O, no clock, no tokenizer.

/** What a scorer is given. */
export interface ScorerInput {
  /** The model's raw output (reasoning blocks are stripped by the scorer, not the caller). */
  output: string;
  /** Gold answers from the sample's `target`. */
  expected: string[];
  /** The sample's metadata, when the scorer needs task details. */
  metadata?: Record<string, unknown>;
}

/** What a scorer returns. `score` is in 0..1. */
export interface ScoreResult {
  name: string;
  score: number;
  pass: boolean;
  reason: string;
  /** Further metrics computed on the same output, each in 0..1. */
  metrics?: Record<string, number>;
  /** True when no answer could be extracted from the output. */
  noAnswer?: boolean;
  /**
   * True when the sample is left out of means (only under `compat: 'paper-reference'`, which
   * reproduces the reference implementation dropping some samples). Excluded samples are still
   * counted and reported.
   */
  excluded?: boolean;
}

export type Scorer = (input: ScorerInput) => ScoreResult;

/** What scoreSample needs of a sample (a subset of generators/core/sample.ts's Sample). */
export interface ScorableSample {
  id: string;
  task: string;
  target: string[];
  metadata: Record<string, unknown> & { scorer: string };
}

/** What scoreSample needs of a prediction (a subset of runner/types.ts's Prediction). */
export interface ScorablePrediction {
  output: string;
  reasoning?: string;
  finishReason?: string;
}
