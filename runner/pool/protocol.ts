// Messages between the coordinator and its worker processes (child_process IPC, JSON). Workers
// never write to the run directory: they read their samples, ask their backend, score, and send
// the lines back; the coordinator is the only writer.
import type { GpuDevice } from './devices.js';
import type { RunPrediction, RunResult } from '../records.js';
import type { ModelSpec } from '../recipe/types.js';
import type { AttentionSetting } from '../types.js';

/** One (cell, sample) pair to run. */
export interface PairTask {
  seq: number;
  /** Index into the init message's models. */
  model: number;
  attention: AttentionSetting;
  /** Dataset label (results.jsonl's `task`). */
  task: string;
  /** samples.jsonl and the byte range of the sample's line. */
  path: string;
  start: number;
  end: number;
  /** 1-based line number, for error messages. */
  line: number;
}

/** Coordinator to worker. */
export type ToWorker =
  | { type: 'init'; slot: number; gpu?: GpuDevice; models: ModelSpec[]; baseDir: string; scoreOptions: { compat?: 'paper-reference' } }
  | { type: 'pair'; pair: PairTask }
  | { type: 'stop' };

/** Worker to coordinator. */
export type FromWorker =
  /** The worker listens: send it init. */
  | { type: 'hello' }
  | { type: 'ready'; pid: number; env: Record<string, string | undefined> }
  /** A model's backend is open (its engine graph built and cached); the worker can take this many pairs at once. */
  | { type: 'opened'; model: number; concurrency: number }
  | { type: 'done'; seq: number; prediction: RunPrediction; result?: RunResult }
  /** Something that stops the whole run (a backend that can't be created, a bad sample line). */
  | { type: 'fatal'; message: string; seq?: number };
