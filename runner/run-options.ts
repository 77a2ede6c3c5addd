// What a grid run is told (RunOptions) and what it reports back (RunOutcome), shared by the
// single-process runner (run.ts) and the worker pool (pool/coordinator.ts).
import type { PoolOptions } from './pool/options.js';
import type { Shard } from './grid.js';
import type { ProgressSink } from './progress.js';

/** How to run. */
export interface RunOptions {
  /** The run directory (created if missing). */
  dir: string;
  shard?: Shard;
  /** Stops scheduling and aborts requests in flight (they are not recorded). */
  signal?: AbortSignal;
  progress?: ProgressSink;
  /** Log lines (resume notes, torn lines discarded). */
  log?: (message: string) => void;
  /** Environment for backends (API keys). */
  env?: Record<string, string | undefined>;
  /**
   * Run on several worker processes (one per GPU with `gpus`): see runner/pool and
   * docs/multi-gpu.md. Results are the same as a single-process run's.
   */
  pool?: PoolOptions;
}

/** A sample that failed for good in this run. */
export interface FailedSample {
  model: string;
  method: string;
  compression: number;
  task: string;
  length: number;
  id: string;
  error: string;
  /** Whether asking again may help (timeouts, 5xx after the retry budget); not for HTTP 400 and the like. */
  retryable: boolean;
}

/** What a run did. */
export interface RunOutcome {
  /** Pairs of this shard. */
  total: number;
  /** Answered before this invocation (resume). */
  alreadyDone: number;
  /** Answered now. */
  answered: number;
  /** Scored now from predictions stored earlier. */
  rescored: number;
  failed: FailedSample[];
  interrupted: boolean;
}
