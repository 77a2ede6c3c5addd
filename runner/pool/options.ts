// How a run is spread over worker processes: `--gpus` (one worker per GPU, each pinned to its
// adapter) and `--workers` (how many workers in all; several may share a GPU, or run on the CPU).
import type { GpuDevice } from './devices.js';

/** Information a worker reports about itself once it started (tests and logs). */
export interface WorkerReady {
  /** The worker's slot, 0-based (stays the same when a crashed worker is restarted). */
  slot: number;
  pid: number;
  /** The GPU this worker is pinned to, or undefined on a CPU worker. */
  gpu?: GpuDevice;
  /** The adapter-selection variables as the worker process sees them. */
  env: Record<string, string | undefined>;
}

/** Options of a pooled run. */
export interface PoolOptions {
  /** `all`, a count (`2`: the first two GPUs) or a list of indices (`0,2`). */
  gpus?: string;
  /** Number of workers (default: one per GPU, or 1 without GPUs). */
  workers?: number;
  /** The host's GPUs, instead of discovering them (tests; see devices.ts). */
  devices?: GpuDevice[];
  /** Skip the check that the Vulkan device-select layer is installed (tests with fake GPUs). */
  skipLayerCheck?: boolean;
  /** A sample whose worker dies this many times is recorded as failed (default 2). */
  maxCrashesPerSample?: number;
  /** Restarts allowed per worker slot before it is given up (default 5). */
  maxRestartsPerSlot?: number;
  /** Called when a worker process has started and read its assignment. */
  onWorkerReady?: (worker: WorkerReady) => void;
}
