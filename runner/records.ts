// What a run writes, line by line. predictions.jsonl and results.jsonl are the package's common
// formats (schemas/prediction.schema.json, schemas/result.schema.json), so `longweave score` and
// other tools read them as they are. sample-info.jsonl keeps the few facts of each sample the
// analyses need (its own token count, needle depth, category), so reports never reopen datasets.
import type { Prediction } from './types.js';
import type { ResultRecord } from '../scorers/index.js';

/** One line of predictions.jsonl: a Prediction with model and attention always set. */
export type RunPrediction = Prediction & { model: string; attention: NonNullable<Prediction['attention']> };

/** One line of results.jsonl. */
export type RunResult = ResultRecord & { model: string; method: string; compression: number };

/** One line of sample-info.jsonl. */
export interface SampleInfo {
  id: string;
  /** Dataset label (the task id unless the manifest names variants). */
  task: string;
  length: number;
  /** The sample's own prompt token count. */
  inputTokens: number;
  category?: string;
  /** Mean relative depth of the sample's needles, 0 = start, 1 = end. */
  depth?: number;
}

/** The attention method as results.jsonl writes it. */
export function methodOf(attention: { prefill: string; decode: string }): string {
  return `${attention.prefill}/${attention.decode}`;
}

/**
 * The identity of a prediction or result within a run: model, method, compression ratio and
 * sample id (sample ids are unique across a run's datasets).
 * @example predictionKey('m', 'dense/dense', 1, 'niah-1') // 'm\u0000dense/dense\u00001\u0000niah-1'
 */
export function predictionKey(model: string, method: string, compression: number, id: string): string {
  return `${model}\u0000${method}\u0000${compression}\u0000${id}`;
}
