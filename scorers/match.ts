// Pairing predictions with samples by id. A prediction with a numeric RULER `index` or lm-eval
// `doc_id` and no sample of that id is matched by position in the samples (as those harnesses
// number their documents). Nothing unmatched is dropped silently: both sides are returned.
import type { LoadedPrediction } from './io/predictions.js';

/** A sample and its prediction. */
export interface MatchedPair<S> {
  sample: S;
  prediction: LoadedPrediction;
  matchedBy: 'id' | 'position';
}

/** What matching found. */
export interface MatchResult<S> {
  pairs: MatchedPair<S>[];
  /** Prediction ids with no sample. */
  predictionsWithoutSample: string[];
  /** Sample ids with no prediction. */
  samplesWithoutPrediction: string[];
}

/**
 * Matches predictions to samples by id, falling back to position for numeric aliases.
 * @example matchPredictions([{ id: 'a' }], [loaded({ id: 'a', output: 'x' })]).pairs.length // 1
 */
export function matchPredictions<S extends { id: string }>(samples: readonly S[], predictions: readonly LoadedPrediction[]): MatchResult<S> {
  const byId = new Map<string, S>();
  for (const s of samples) byId.set(s.id, s);
  const used = new Set<string>();
  const pairs: MatchedPair<S>[] = [];
  const predictionsWithoutSample: string[] = [];
  for (const p of predictions) {
    let sample = byId.get(p.prediction.id);
    let matchedBy: 'id' | 'position' = 'id';
    if (!sample && p.position !== undefined) {
      sample = samples[p.position];
      matchedBy = 'position';
    }
    if (!sample || used.has(sample.id)) {
      predictionsWithoutSample.push(p.prediction.id);
      continue;
    }
    used.add(sample.id);
    pairs.push({ sample, prediction: p, matchedBy });
  }
  const samplesWithoutPrediction = samples.filter((s) => !used.has(s.id)).map((s) => s.id);
  return { pairs, predictionsWithoutSample, samplesWithoutPrediction };
}
