// LangSmith: evaluators return `{ key, score, comment }` (EvaluationResult). `toLangSmith` maps
// a result; `langsmithEvaluator` is a custom evaluator `({ run, example }) => EvaluationResult`
// reading the model output from `run.outputs.output` and the target and metadata from the
// example (`example.outputs.target`, `example.metadata`).
import type { ScoreResult } from '../types.js';
import { scoreSample, type ScoreOptions } from '../score-sample.js';
import { sampleFromVars } from './context.js';

/** LangSmith's EvaluationResult, the fields we fill. */
export interface LangSmithResult {
  key: string;
  score: number;
  comment: string;
}

/**
 * One result as a LangSmith evaluation result (`key` is the scorer name).
 * @example toLangSmith({ name: 'exact', score: 1, pass: true, reason: 'exact match' }) // { key: 'exact', score: 1, comment: 'exact match' }
 */
export function toLangSmith(result: ScoreResult): LangSmithResult {
  return { key: result.name, score: result.score, comment: result.reason };
}

/** The run and example a LangSmith evaluator receives, the fields we read. */
export interface LangSmithEvaluatorArgs {
  run: { outputs?: Record<string, unknown> | undefined };
  example?: { outputs?: Record<string, unknown> | undefined; metadata?: Record<string, unknown> | undefined } | undefined;
}

/**
 * A LangSmith custom evaluator. The output is `run.outputs.output` (a string); the example holds
 * `outputs.target` (list) and `metadata` (with `scorer`).
 * @throws Error naming a missing field.
 * @example await evaluate(target, { data: 'longweave-niah', evaluators: [langsmithEvaluator()] })
 */
export function langsmithEvaluator(options: ScoreOptions = {}): (args: LangSmithEvaluatorArgs) => LangSmithResult {
  return ({ run, example }) => {
    const output = run.outputs?.['output'];
    if (typeof output !== 'string') throw new Error('LangSmith evaluator: run.outputs.output must be the model output string');
    const sample = sampleFromVars({ id: example?.metadata?.['id'], task: example?.metadata?.['task'], target: example?.outputs?.['target'], metadata: example?.metadata ?? {} }, 'LangSmith example');
    const finishReason = run.outputs?.['finishReason'];
    return toLangSmith(scoreSample(sample, { output, ...(typeof finishReason === 'string' ? { finishReason } : {}) }, options));
  };
}
