// A grid run over several worker processes (one per GPU with --gpus): the coordinator reads the
// datasets once, skips what the run directory already holds (exactly as a single-process run
// does), queues the remaining (cell, sample) pairs longest-first by expected cost, hands them to
// workers as they free up, and is the only process that writes to the run directory. A worker
// that dies gives its pairs back to the queue and is restarted; a coordinator that dies leaves a
// run directory that `--resume` continues, with or without workers.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Sample } from '../../generators/core/sample.js';
import { assertValid } from '../../schemas/index.js';
import { expandGrid, inShard } from '../grid.js';
import { AppendLog } from '../jsonl/append-log.js';
import { JsonlError } from '../jsonl/read-lines.js';
import { silentProgress } from '../progress.js';
import { methodOf, predictionKey, type RunPrediction } from '../records.js';
import type { ResolvedRecipe } from '../recipe/types.js';
import { checkRunInputs } from '../inputs.js';
import { infoOf, resultOf } from '../pair.js';
import { readPriorState } from '../prior-state.js';
import { sortResults } from '../results-order.js';
import { openRunDir } from '../run-dir.js';
import type { RunOptions, RunOutcome } from '../run-options.js';
import { pairCost } from './cost.js';
import { discoverGpus, findDeviceSelectLayer, selectGpus, workerEnv, workerSlots, type GpuDevice, type WorkerSlot } from './devices.js';
import { readIndexedLines } from './line-index.js';
import type { PoolOptions } from './options.js';
import type { FromWorker, PairTask, ToWorker } from './protocol.js';
import { WorkQueue, type WorkItem } from './schedule.js';

/** A queued pair: what the queue orders by, and what a worker and a failure line need. */
interface QueuedPair extends WorkItem {
  cell: number;
  id: string;
  path: string;
  start: number;
  end: number;
  line: number;
}

/** The workers of a run, checked before anything is written. */
export function planWorkers(resolved: Pick<ResolvedRecipe, 'models'>, pool: PoolOptions, env: NodeJS.ProcessEnv = process.env): WorkerSlot[] {
  let gpus: GpuDevice[] = [];
  if (pool.gpus !== undefined) {
    const available = pool.devices ?? discoverGpus();
    gpus = selectGpus(pool.gpus, available);
    for (const [i, model] of resolved.models.entries()) {
      if (model.backend === 'engine' && model.options?.['device'] === 'cpu') {
        throw new Error(`--gpus runs engine models on the GPU, but /models/${i} (${model.name}) sets device "cpu"; remove it, or use --workers N without --gpus for CPU workers.`);
      }
    }
    if (available.length > 1 && !pool.skipLayerCheck && !findDeviceSelectLayer(env)) {
      throw new Error(
        'Pinning workers to GPUs needs the Vulkan device-select layer (VK_LAYER_MESA_device_select, in the mesa-vulkan-drivers package), which the Vulkan loader does not find here; without it every worker would use the first GPU. Install it, or see docs/multi-gpu.md.',
      );
    }
  }
  return workerSlots(gpus, pool.workers);
}

/** How to start a worker: the compiled worker.js next to this file, or worker.ts through tsx. */
function workerEntry(): { file: string; execArgv: string[] } {
  const js = fileURLToPath(new URL('./worker.js', import.meta.url));
  if (existsSync(js)) return { file: js, execArgv: [] };
  return { file: fileURLToPath(new URL('./worker.ts', import.meta.url)), execArgv: ['--import', 'tsx'] };
}

interface WorkerState {
  slot: WorkerSlot;
  child: ChildProcess;
  pid: number | undefined;
  ready: boolean;
  /** Pairs it may hold at once (its backend's concurrency once a model is open). */
  capacity: number;
  inFlight: Map<number, QueuedPair>;
  /** Told to stop (or killed on purpose): its exit is not a crash. */
  stopping: boolean;
  exited: boolean;
}

function describeSlot(slot: WorkerSlot): string {
  return slot.gpu ? `worker ${slot.slot} (GPU ${slot.gpu.index}, ${slot.gpu.pci})` : `worker ${slot.slot}`;
}

/**
 * Runs (or resumes) a grid into a run directory on a pool of worker processes. Same files, same
 * results.jsonl as {@link runGrid} on one process; see docs/multi-gpu.md.
 * @throws Error for bad pool options (no such GPU, fewer workers than GPUs, device-select layer
 *   missing) before anything is written, and when a worker reports a fatal error.
 * @example await runPool(resolved, { dir: 'runs/sweep' }, { gpus: 'all' });
 */
export async function runPool(resolved: ResolvedRecipe, options: RunOptions, pool: PoolOptions): Promise<RunOutcome> {
  const log = options.log ?? (() => {});
  const progress = options.progress ?? silentProgress;
  const signal = options.signal;
  const slots = planWorkers(resolved, pool);
  const checked = await checkRunInputs(resolved, options);
  const paths = openRunDir(resolved, { dir: options.dir, log, ...(options.shard ? { shard: options.shard } : {}) }, checked.inputs);
  const prior = await readPriorState(options.dir, log);
  const cells = expandGrid(resolved);
  const fsyncEveryMs = resolved.recipe.run?.fsyncEveryMs ?? 1000;
  const predictions = new AppendLog(paths.predictions, fsyncEveryMs);
  const results = new AppendLog(paths.results, fsyncEveryMs);
  const sampleInfo = new AppendLog(paths.sampleInfo, fsyncEveryMs);
  const scoreOptions = resolved.recipe.scoring?.compat ? { compat: resolved.recipe.scoring.compat } : {};
  const outcome: RunOutcome = { total: 0, alreadyDone: 0, answered: 0, rescored: 0, failed: [], interrupted: false };
  try {
    // 1. Plan: read every dataset once; record sample info, score stored-but-unscored
    //    predictions, and queue the pairs still to ask, with their expected cost.
    const cost = await pairCost(resolved.models, resolved.baseDir);
    const modelIndex = new Map(resolved.models.map((m, i) => [m, i]));
    const pending: QueuedPair[] = [];
    for (const dataset of resolved.datasets) {
      const datasetCells = cells.map((cell, index) => ({ cell, index })).filter((c) => c.cell.dataset === dataset);
      let position = -1;
      const end = resolved.selection.offset + resolved.selection.count;
      for await (const entry of readIndexedLines(dataset.path)) {
        if (signal?.aborted) break;
        if (entry.text.trim() === '') continue;
        position++;
        if (position < resolved.selection.offset) continue;
        if (position >= end) break;
        let value: unknown;
        try {
          value = JSON.parse(entry.text);
        } catch (error) {
          throw new JsonlError(dataset.path, entry.line, `invalid JSON (${(error as Error).message})`);
        }
        const sample = assertValid<Sample>('sample', value, `${dataset.path}:${entry.line}`);
        for (const { cell, index } of datasetCells) {
          if (!inShard(cell.key, sample.id, options.shard)) continue;
          if (!prior.sampleInfo.has(sample.id)) {
            sampleInfo.append(infoOf(sample, cell));
            prior.sampleInfo.set(sample.id, cell.dataset.name);
          }
          const key = predictionKey(cell.model.name, methodOf(cell.attention), cell.attention.compression, sample.id);
          if (prior.answered.has(key)) {
            const stored = prior.answered.get(key);
            if (stored) {
              results.append(resultOf(cell.dataset.name, sample, stored, scoreOptions));
              prior.answered.set(key, undefined);
              outcome.rescored++;
            }
            outcome.alreadyDone++;
            continue;
          }
          const model = modelIndex.get(cell.model)!;
          pending.push({
            seq: pending.length,
            model,
            cost: cost(model, sample.metadata.inputTokens, sample.metadata.maxOutputTokens, cell.attention),
            cell: index,
            id: sample.id,
            path: dataset.path,
            start: entry.start,
            end: entry.end,
            line: entry.line,
          });
        }
      }
    }
    outcome.total = outcome.alreadyDone + pending.length;
    progress.start(outcome.total, resolved.recipe.name);
    for (let i = 0; i < outcome.alreadyDone; i++) progress.tick(false);
    if (pending.length > 0 && !signal?.aborted) {
      log(`pool: ${pending.length} pairs to run on ${slots.length} workers: ${slots.map(describeSlot).join(', ')}`);
      await dispatch(new WorkQueue(pending));
    }
  } finally {
    progress.stop();
    predictions.close();
    results.close();
    sampleInfo.close();
  }
  outcome.interrupted = signal?.aborted === true;
  if (!outcome.interrupted) sortResults(paths.results);
  return outcome;

  // 2. Run: workers take pairs as they free up; the coordinator writes what they send.
  function dispatch(queue: WorkQueue<QueuedPair>): Promise<void> {
    const maxCrashes = pool.maxCrashesPerSample ?? 2;
    const maxRestarts = pool.maxRestartsPerSlot ?? 5;
    const entry = workerEntry();
    const baseEnv = options.env ? { ...process.env, ...options.env } : process.env;
    const crashes = new Map<number, number>();
    const restarts = new Map<number, number>();
    // The first worker to open a model builds its engine graph into the shared cache; the others
    // wait for it, so two processes never build (and replace) the same cached graph at once.
    const opened = new Set<number>();
    const openingBy = new Map<number, WorkerState>();
    const workers: WorkerState[] = [];
    let failure: Error | undefined;
    let finishing = false;

    return new Promise<void>((resolve, reject) => {
      const settle = (): void => {
        if (workers.some((w) => !w.exited)) return;
        if (failure) reject(failure);
        else resolve();
      };
      const inFlightCount = (): number => workers.reduce((n, w) => n + w.inFlight.size, 0);
      const stopAll = (kill: boolean): void => {
        finishing = true;
        for (const w of workers) {
          if (w.exited) continue;
          w.stopping = true;
          if (kill || !w.ready) w.child.kill('SIGTERM');
          else w.child.send({ type: 'stop' } satisfies ToWorker);
        }
        settle();
      };
      const fail = (error: Error): void => {
        failure ??= error;
        stopAll(true);
      };
      const maybeFinish = (): void => {
        if (!finishing && queue.size === 0 && inFlightCount() === 0) stopAll(false);
      };
      const record = (prediction: RunPrediction, result: ReturnType<typeof resultOf> | undefined, pair: QueuedPair): void => {
        predictions.append(prediction);
        const cell = cells[pair.cell]!;
        if (prediction.error !== undefined) {
          outcome.failed.push({
            model: cell.model.name,
            method: methodOf(cell.attention),
            compression: cell.attention.compression,
            task: cell.dataset.name,
            length: cell.dataset.length,
            id: pair.id,
            error: prediction.error,
            retryable: prediction.retryable !== false,
          });
        } else {
          if (result) results.append(result);
          outcome.answered++;
        }
        progress.tick(prediction.error !== undefined);
      };
      const give = (): void => {
        if (finishing) return;
        for (const w of workers) {
          if (!w.ready || w.stopping || w.exited) continue;
          while (w.inFlight.size < w.capacity) {
            const pair = queue.take((model) => opened.has(model) || !openingBy.has(model) || openingBy.get(model) === w);
            if (!pair) break;
            if (!opened.has(pair.model)) openingBy.set(pair.model, w);
            w.inFlight.set(pair.seq, pair);
            const cell = cells[pair.cell]!;
            const task: PairTask = { seq: pair.seq, model: pair.model, attention: cell.attention, task: cell.dataset.name, path: pair.path, start: pair.start, end: pair.end, line: pair.line };
            w.child.send({ type: 'pair', pair: task } satisfies ToWorker);
          }
        }
        maybeFinish();
      };
      const crashed = (w: WorkerState, how: string): void => {
        const lost = [...w.inFlight.values()];
        w.inFlight.clear();
        for (const [model, opener] of openingBy) if (opener === w) openingBy.delete(model);
        for (const pair of lost) {
          const times = (crashes.get(pair.seq) ?? 0) + 1;
          crashes.set(pair.seq, times);
          if (times < maxCrashes) {
            queue.giveBack(pair);
            continue;
          }
          const cell = cells[pair.cell]!;
          const attention = { prefill: cell.attention.prefill, decode: cell.attention.decode, compression: cell.attention.compression };
          const error = `the worker running this sample died ${times} times (last: ${how})`;
          // A crash may be the machine's (memory, a driver) as well as the sample's: --resume may help.
          record({ id: pair.id, output: '', finishReason: 'error', error, retryable: true, backend: cell.model.backend, model: cell.model.name, attention }, undefined, pair);
        }
        const restarted = (restarts.get(w.slot.slot) ?? 0) + 1;
        restarts.set(w.slot.slot, restarted);
        log(`pool: ${describeSlot(w.slot)} (pid ${w.pid}) died (${how}); ${lost.length} pairs it was running go back to the queue`);
        if (restarted > maxRestarts) {
          log(`pool: ${describeSlot(w.slot)} died ${restarted} times; not restarting it`);
          if (workers.every((x) => x.exited || x.stopping)) fail(new Error(`Every worker died (last: ${describeSlot(w.slot)}, ${how}); the run directory holds what finished, continue with --resume.`));
          return;
        }
        start(w.slot);
      };
      const start = (slot: WorkerSlot): void => {
        const child = fork(entry.file, [], { execArgv: entry.execArgv, env: workerEnv(baseEnv, slot.gpu), stdio: ['ignore', 2, 2, 'ipc'], serialization: 'json' });
        const w: WorkerState = { slot, child, pid: child.pid, ready: false, capacity: 1, inFlight: new Map(), stopping: false, exited: false };
        workers.push(w);
        child.on('message', (message: FromWorker) => {
          if (message.type === 'hello') {
            const init: ToWorker = { type: 'init', slot: slot.slot, models: resolved.models, baseDir: resolved.baseDir, scoreOptions, ...(slot.gpu ? { gpu: slot.gpu } : {}) };
            child.send(init);
          } else if (message.type === 'ready') {
            w.ready = true;
            w.pid = message.pid;
            log(`pool: ${describeSlot(slot)} ready (pid ${message.pid})`);
            pool.onWorkerReady?.({ slot: slot.slot, pid: message.pid, env: message.env, ...(slot.gpu ? { gpu: slot.gpu } : {}) });
            give();
          } else if (message.type === 'opened') {
            opened.add(message.model);
            if (openingBy.get(message.model) === w) openingBy.delete(message.model);
            w.capacity = Math.max(1, message.concurrency);
            give();
          } else if (message.type === 'done') {
            const pair = w.inFlight.get(message.seq);
            if (!pair) return; // already given back or recorded
            w.inFlight.delete(message.seq);
            record(message.prediction, message.result, pair);
            give();
          } else {
            const pair = message.seq === undefined ? undefined : w.inFlight.get(message.seq);
            fail(new Error(`${describeSlot(slot)}: ${message.message}${pair ? ` (sample ${pair.id})` : ''}`));
          }
        });
        child.on('error', (error) => {
          if (!w.stopping) log(`pool: ${describeSlot(slot)}: ${error.message}`);
        });
        child.on('exit', (code, exitSignal) => {
          w.exited = true;
          if (w.stopping || finishing) {
            // Pairs still held by a worker stopped on purpose are simply not recorded (asked again on resume).
            w.inFlight.clear();
            settle();
            return;
          }
          crashed(w, exitSignal ? `signal ${exitSignal}` : `exit code ${code}`);
          give();
          settle();
        });
      };
      if (signal) {
        if (signal.aborted) return resolve();
        signal.addEventListener('abort', () => stopAll(true), { once: true });
      }
      for (const slot of slots) start(slot);
    });
  }
}

