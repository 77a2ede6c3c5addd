// A grid run: every (cell, sample) pair of the shard is sent to its model once, its prediction
// appended to predictions.jsonl, scored, and its result appended to results.jsonl. Before the
// first request every input is checked in full and identified by content (runner/inputs.ts), and
// a run directory holding answers to other inputs is refused (run-identity.ts). What is on disk
// is the state: a resumed run skips answered pairs, scores answered-but-unscored ones from the
// stored prediction, and asks again for pairs that failed or were never sent. Pairs are asked
// in grid order (runner/grid.ts): per model, one attention setting at a time over every dataset,
// settings sharing engine graphs back to back; results.jsonl is sorted at the end, whatever the order.
import { getMaxListeners, setMaxListeners } from 'node:events';
import type { Sample } from '../generators/core/sample.js';
import type { BackendContext } from './backends/entry.js';
import { getBackend } from './backends/registry.js';
import { streamSamples } from './dataset.js';
import { expandGrid, inShard, type Cell } from './grid.js';
import { checkRunInputs, countPairs } from './inputs.js';
import { AppendLog } from './jsonl/append-log.js';
import { Limiter } from './limiter.js';
import { infoOf, predictSample, resultOf } from './pair.js';
import { readPriorState } from './prior-state.js';
import { silentProgress } from './progress.js';
import { methodOf, predictionKey, type RunPrediction } from './records.js';
import type { ResolvedRecipe } from './recipe/types.js';
import { resolveRecipe } from './recipe/load.js';
import { sortResults } from './results-order.js';
import { openRunDir, readRunState, runPaths } from './run-dir.js';
import type { RunOptions, RunOutcome } from './run-options.js';
import type { Backend } from './types.js';

export type { RunOptions, RunOutcome, FailedSample } from './run-options.js';
export { sortResults } from './results-order.js';

/**
 * Runs (or resumes) a grid into a run directory. Every samples file is read and checked first;
 * then run.json is written (or compared with the one there); then requests go out.
 * @throws RunInputError (bad inputs), RunMismatchError (the directory holds another run),
 *   DiskFullError (a write found the disk full: `--resume` continues once there is space),
 *   BackendFailure with `fatal` set (e.g. a rejected API key); what was answered stays on disk.
 * @example const outcome = await runGrid(await loadRecipeFile('sweep.json'), { dir: 'runs/sweep' });
 */
export async function runGrid(resolved: ResolvedRecipe, options: RunOptions): Promise<RunOutcome> {
  const { dir } = options;
  const log = options.log ?? (() => {});
  const progress = options.progress ?? silentProgress;
  if (options.pool) {
    // Loaded on demand: single-process runs never start worker processes.
    const { runPool } = await import('./pool/coordinator.js');
    return runPool(resolved, options, options.pool);
  }
  const checked = await checkRunInputs(resolved, options);
  const paths = openRunDir(resolved, { dir, log, ...(options.shard ? { shard: options.shard } : {}) }, checked.inputs);

  const prior = await readPriorState(dir, log);
  const cells = expandGrid(resolved);
  const total = countPairs(cells, checked, options.shard);
  const outcome: RunOutcome = { total, alreadyDone: 0, answered: 0, rescored: 0, failed: [], interrupted: false };
  const fsyncEveryMs = resolved.recipe.run?.fsyncEveryMs ?? 1000;
  const predictions = new AppendLog(paths.predictions, fsyncEveryMs);
  const results = new AppendLog(paths.results, fsyncEveryMs);
  const sampleInfo = new AppendLog(paths.sampleInfo, fsyncEveryMs);
  const scoreOptions = resolved.recipe.scoring?.compat ? { compat: resolved.recipe.scoring.compat } : {};
  const context: BackendContext = { baseDir: resolved.baseDir, env: options.env ?? process.env };
  // The run stops on the caller's signal, or on an error no later request can avoid (a full disk,
  // a rejected API key): requests in flight are dropped, as on Ctrl-C, and asked again on resume.
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const signal = stop.signal;
  let fatal: unknown;
  const halt = (error: unknown): void => {
    fatal ??= error;
    stop.abort();
  };

  const writeResult = (cell: Cell, sample: Sample, prediction: RunPrediction): void => {
    results.append(resultOf(cell.dataset.name, sample, prediction, scoreOptions));
  };

  progress.start(total, resolved.recipe.name);
  try {
    for (const model of resolved.models) {
      if (signal.aborted) break;
      const modelCells = cells.filter((c) => c.model === model);
      let backend: Backend | undefined;
      let limiter: Limiter | undefined;
      try {
        for (const cell of modelCells) {
          if (signal.aborted) break;
          const method = methodOf(cell.attention);
          const compression = cell.attention.compression;
          for await (const { sample } of streamSamples(cell.dataset.path, resolved.selection)) {
            if (signal.aborted) break;
            if (!inShard(cell.key, sample.id, options.shard)) continue;
            if (!prior.sampleInfo.has(sample.id)) {
              sampleInfo.append(infoOf(sample, cell));
              prior.sampleInfo.set(sample.id, cell.dataset.name);
            }
            const key = predictionKey(model.name, method, compression, sample.id);
            if (prior.answered.has(key)) {
              const stored = prior.answered.get(key);
              if (stored) {
                writeResult(cell, sample, stored);
                prior.answered.set(key, undefined);
                outcome.rescored++;
              }
              outcome.alreadyDone++;
              progress.tick(false);
              continue;
            }
            backend ??= await getBackend(model.backend).create(model, context);
            if (!limiter) {
              limiter = new Limiter(backend.concurrency ?? 1);
              // Each request in flight listens on the run's signal (and its retries' waits do too).
              setMaxListeners(Math.max(getMaxListeners(signal), 2 * limiter.limit + 10), signal);
            }
            const active = backend;
            await limiter.run(async () => {
              if (signal.aborted) return;
              try {
                const prediction = await predictSample(active, model.name, cell.attention, sample, signal);
                if (!prediction) return; // interrupted, not failed: asked again on resume
                predictions.append(prediction);
                if (prediction.error !== undefined) {
                  outcome.failed.push({ model: model.name, method, compression, task: cell.dataset.name, length: cell.dataset.length, id: sample.id, error: prediction.error, retryable: prediction.retryable !== false });
                } else {
                  writeResult(cell, sample, prediction);
                  outcome.answered++;
                }
                progress.tick(prediction.error !== undefined);
              } catch (error) {
                halt(error);
              }
            });
          }
        }
        await limiter?.drain();
      } finally {
        await limiter?.drain();
        await backend?.close?.();
      }
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    progress.stop();
    for (const file of [predictions, results, sampleInfo]) {
      try {
        file.close();
      } catch (error) {
        fatal ??= error;
      }
    }
  }
  if (fatal !== undefined) throw fatal;
  outcome.interrupted = options.signal?.aborted === true;
  if (!outcome.interrupted) sortResults(paths.results);
  return outcome;
}

/**
 * Resumes the run in `dir` with the recipe and shard recorded in its run.json. The recipe and
 * every samples file are checked again (files, URLs, keys, and that the samples files are the
 * ones the run started with) before any request.
 * @example await resumeRun({ dir: 'runs/sweep' });
 */
export async function resumeRun(options: Omit<RunOptions, 'shard'>): Promise<RunOutcome> {
  const state = readRunState(options.dir);
  const resolved = await resolveRecipe(state.recipe, { baseDir: state.baseDir, where: runPaths(options.dir).state, ...(options.env ? { env: options.env } : {}) });
  return runGrid(resolved, { ...options, ...(state.shard ? { shard: state.shard } : {}) });
}
