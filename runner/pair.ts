// One (cell, sample) pair of a grid run: asking the backend for its prediction, scoring it, and
// the few facts of the sample the analyses keep. Used by the single-process runner and by pool
// workers alike, so both write the same lines.
import type { Sample } from '../generators/core/sample.js';
import { scoreSample, toResultRecord } from '../scorers/index.js';
import { BackendFailure } from './backends/entry.js';
import type { Cell } from './grid.js';
import type { RunPrediction, RunResult, SampleInfo } from './records.js';
import type { AttentionSetting, Backend } from './types.js';

function depthOf(sample: Sample): number | undefined {
  const needles = sample.metadata.needles;
  if (needles && needles.length > 0) return needles.reduce((s, n) => s + n.depth, 0) / needles.length;
  const depth = sample.metadata.params['depth'];
  return typeof depth === 'number' ? depth : undefined;
}

/** The sample-info line of a sample in a cell. */
export function infoOf(sample: Sample, cell: Pick<Cell, 'dataset'>): SampleInfo {
  const info: SampleInfo = { id: sample.id, task: cell.dataset.name, length: cell.dataset.length, inputTokens: sample.metadata.inputTokens };
  if (typeof sample.metadata.category === 'string') info.category = sample.metadata.category;
  const depth = depthOf(sample);
  if (depth !== undefined) info.depth = Math.round(depth * 1e4) / 1e4;
  return info;
}

/**
 * Asks a backend for one sample's prediction, as a predictions.jsonl line: the backend's answer
 * with the model and attention setting of the cell, or a failed line with the error. Undefined
 * when the signal aborted the request (interrupted, not failed: asked again on resume).
 * @throws BackendFatalError (see backends/entry.ts) when the backend says the whole run can't
 *   go on (a rejected API key); nothing is recorded for the sample.
 */
export async function predictSample(backend: Backend, modelName: string, attention: AttentionSetting, sample: Sample, signal?: AbortSignal): Promise<RunPrediction | undefined> {
  const base = { model: modelName, attention: { prefill: attention.prefill, decode: attention.decode, compression: attention.compression } };
  try {
    const request = { sample, maxOutputTokens: sample.metadata.maxOutputTokens, attention, ...(signal ? { signal } : {}) };
    const answer = await backend.generate(request);
    const { attempts: _attempts, ...clean } = answer as typeof answer & { attempts?: number };
    const prediction: RunPrediction = { id: sample.id, ...clean, ...base, attention: { ...clean.attention, ...base.attention } };
    if (attention.params) prediction.attention.params = attention.params;
    return prediction;
  } catch (error) {
    if (signal?.aborted) return undefined;
    if (error instanceof BackendFailure && error.fatal) throw error;
    const message = error instanceof Error ? error.message : String(error);
    // Only the backend knows whether asking again may help; other errors (a prompt longer than the
    // engine's context, a bad request) would fail the same way on --resume.
    const retryable = error instanceof BackendFailure ? error.retryable : false;
    return { id: sample.id, output: '', finishReason: 'error', error: message, retryable, backend: backend.name, ...base };
  }
}

/** Scores a prediction of a sample of the dataset labelled `task`: its results.jsonl line. */
export function resultOf(task: string, sample: Sample, prediction: RunPrediction, scoreOptions: { compat?: 'paper-reference' }): RunResult {
  const score = scoreSample({ ...sample, task }, prediction, scoreOptions);
  return toResultRecord({ ...sample, task }, score, prediction) as RunResult;
}
