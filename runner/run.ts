// A grid run: every (cell, sample) pair of the shard is sent to its model once, its prediction
// appended to predictions.jsonl, scored, and its result appended to results.jsonl. What is on
// disk is the state: a resumed run skips answered pairs, scores answered-but-unscored ones from
// the stored prediction, and asks again for pairs that failed or were never sent. Pairs are asked
// in grid order (runner/grid.ts): per model, one attention setting at a time over every dataset,
// settings sharing engine graphs back to back; results.jsonl is sorted at the end, whatever the order.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../cli/io.js';
import type { Sample } from '../generators/core/sample.js';
import { getScorer, scoreSample, toResultRecord } from '../scorers/index.js';
import { BackendFailure, type BackendContext } from './backends/entry.js';
import { getBackend } from './backends/registry.js';
import { countLines, streamSamples } from './dataset.js';
import { expandGrid, inShard, type Cell, type Shard } from './grid.js';
import { AppendLog, repairTail } from './jsonl/append-log.js';
import { readJsonl } from './jsonl/read-lines.js';
import { Limiter } from './limiter.js';
import { silentProgress, type ProgressSink } from './progress.js';
import { methodOf, predictionKey, type RunPrediction, type RunResult, type SampleInfo } from './records.js';
import type { ResolvedRecipe } from './recipe/types.js';
import { resolveRecipe } from './recipe/load.js';
import { packageVersion, readRunState, runPaths, writeRunState, type RunState } from './run-dir.js';
import { SCORER_VERSION } from '../scorers/version.js';
import type { AttentionSetting, Backend } from './types.js';
import type { PoolOptions } from './pool/options.js';

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

/** What earlier invocations left on disk. */
export interface PriorState {
  /** Keys answered successfully, with the prediction when it still needs scoring. */
  answered: Map<string, RunPrediction | undefined>;
  sampleInfo: Map<string, string>;
}

/** Reads what earlier invocations left in a run directory, cutting torn last lines first. */
export async function readPriorState(dir: string, log: (m: string) => void): Promise<PriorState> {
  const paths = runPaths(dir);
  for (const path of [paths.predictions, paths.results, paths.sampleInfo]) {
    const repair = repairTail(path);
    if (repair.discardedBytes > 0) log(`${path}: discarded a torn last line (${repair.discardedBytes} bytes: ${JSON.stringify(repair.fragment.slice(0, 60))}...)`);
  }
  const answered = new Map<string, RunPrediction | undefined>();
  for await (const { value } of readJsonl<RunPrediction>(paths.predictions, { missingOk: true })) {
    const key = predictionKey(value.model, methodOf(value.attention), value.attention.compression, value.id);
    // Failed lines are history: their pairs are asked again.
    if (value.error === undefined) answered.set(key, value);
  }
  // A result scored by other scorers (an older longweave) counts as unscored: its pair is scored
  // again from the stored prediction, and sortResults keeps only the newer line.
  const stale = new Map<number, number>();
  for await (const { value } of readJsonl<RunResult>(paths.results, { missingOk: true })) {
    const key = predictionKey(value.model, value.method, value.compression, value.id);
    const version = (value as { scorerVersion?: number }).scorerVersion ?? 1;
    if (version !== SCORER_VERSION) stale.set(version, (stale.get(version) ?? 0) + 1);
    else if (answered.has(key)) answered.set(key, undefined);
  }
  for (const [version, n] of stale) log(`${paths.results}: ${n} results were scored by scorer version ${version}; re-scoring them with version ${SCORER_VERSION} from their stored predictions`);
  const sampleInfo = new Map<string, string>();
  for await (const { value } of readJsonl<SampleInfo>(paths.sampleInfo, { missingOk: true })) sampleInfo.set(value.id, value.task);
  return { answered, sampleInfo };
}

/** Number of (cell, sample) pairs, exact without shards and estimated with them. */
function estimateTotal(resolved: ResolvedRecipe, cells: Cell[], shard: Shard | undefined): number {
  const perFile = new Map<string, number>();
  let total = 0;
  for (const cell of cells) {
    let n = perFile.get(cell.dataset.path);
    if (n === undefined) {
      n = cell.dataset.samples ?? countLines(cell.dataset.path);
      perFile.set(cell.dataset.path, n);
    }
    total += Math.max(0, Math.min(resolved.selection.count, n - resolved.selection.offset));
  }
  return shard ? Math.round(total / shard.count) : total;
}

/**
 * Creates a run directory (run.json first) or checks that the one there holds the same recipe
 * and shard.
 * @throws Error when the directory holds a run of another recipe or shard.
 */
export function openRunDir(resolved: ResolvedRecipe, options: Pick<RunOptions, 'dir' | 'shard'>): ReturnType<typeof runPaths> {
  const { dir } = options;
  const paths = runPaths(dir);
  mkdirSync(dir, { recursive: true });
  const state: RunState = { format: 'longweave-run/1', longweave: packageVersion(), recipe: resolved.recipe, baseDir: resolved.baseDir };
  if (options.shard) state.shard = options.shard;
  if (existsSync(paths.state)) {
    const previous = readRunState(dir);
    if (JSON.stringify(previous.recipe) !== JSON.stringify(resolved.recipe) || JSON.stringify(previous.shard) !== JSON.stringify(options.shard)) {
      throw new Error(`${dir} already holds a run of another recipe or shard; resume it with --resume, or choose another directory.`);
    }
  } else {
    writeRunState(dir, state);
  }
  return paths;
}

/**
 * Asks a backend for one sample's prediction, as a predictions.jsonl line: the backend's answer
 * with the model and attention setting of the cell, or a failed line with the error. Undefined
 * when the signal aborted the request (interrupted, not failed: asked again on resume).
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
    const message = error instanceof BackendFailure || error instanceof Error ? error.message : String(error);
    return { id: sample.id, output: '', finishReason: 'error', error: message, backend: backend.name, ...base };
  }
}

/** Scores a prediction of a sample of the dataset labelled `task`: its results.jsonl line. */
export function resultOf(task: string, sample: Sample, prediction: RunPrediction, scoreOptions: { compat?: 'paper-reference' }): RunResult {
  const score = scoreSample({ ...sample, task }, prediction, scoreOptions);
  return toResultRecord({ ...sample, task }, score, prediction) as RunResult;
}

/**
 * Runs (or resumes) a grid into a run directory. run.json is written first; a directory that
 * already holds a run must be resumed with the same recipe (see {@link resumeRun}).
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
  const paths = openRunDir(resolved, options);

  const prior = await readPriorState(dir, log);
  const cells = expandGrid(resolved);
  const total = estimateTotal(resolved, cells, options.shard);
  const outcome: RunOutcome = { total, alreadyDone: 0, answered: 0, rescored: 0, failed: [], interrupted: false };
  const fsyncEveryMs = resolved.recipe.run?.fsyncEveryMs ?? 1000;
  const predictions = new AppendLog(paths.predictions, fsyncEveryMs);
  const results = new AppendLog(paths.results, fsyncEveryMs);
  const sampleInfo = new AppendLog(paths.sampleInfo, fsyncEveryMs);
  const scoreOptions = resolved.recipe.scoring?.compat ? { compat: resolved.recipe.scoring.compat } : {};
  const context: BackendContext = { baseDir: resolved.baseDir, env: options.env ?? process.env };
  const signal = options.signal;

  const writeResult = (cell: Cell, sample: Sample, prediction: RunPrediction): void => {
    results.append(resultOf(cell.dataset.name, sample, prediction, scoreOptions));
  };

  progress.start(total, resolved.recipe.name);
  try {
    for (const model of resolved.models) {
      if (signal?.aborted) break;
      const modelCells = cells.filter((c) => c.model === model);
      let backend: Backend | undefined;
      let limiter: Limiter | undefined;
      try {
        for (const cell of modelCells) {
          if (signal?.aborted) break;
          const method = methodOf(cell.attention);
          const compression = cell.attention.compression;
          for await (const { sample, line } of streamSamples(cell.dataset.path, resolved.selection)) {
            if (signal?.aborted) break;
            if (!inShard(cell.key, sample.id, options.shard)) continue;
            const seenIn = prior.sampleInfo.get(sample.id);
            if (seenIn === undefined) {
              getScorer(sample.metadata.scorer); // an unknown scorer stops the run here, not per sample
              sampleInfo.append(infoOf(sample, cell));
              prior.sampleInfo.set(sample.id, cell.dataset.name);
            } else if (seenIn !== cell.dataset.name) {
              throw new Error(`${cell.dataset.path}:${line}: sample id ${sample.id} also appears in dataset ${seenIn}; ids must be unique across a run.`);
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
            limiter ??= new Limiter(backend.concurrency ?? 1);
            const active = backend;
            await limiter.run(async () => {
              if (signal?.aborted) return;
              const prediction = await predictSample(active, model.name, cell.attention, sample, signal);
              if (!prediction) return; // interrupted, not failed: asked again on resume
              predictions.append(prediction);
              if (prediction.error !== undefined) {
                outcome.failed.push({ model: model.name, method, compression, task: cell.dataset.name, length: cell.dataset.length, id: sample.id, error: prediction.error });
              } else {
                writeResult(cell, sample, prediction);
                outcome.answered++;
              }
              progress.tick(prediction.error !== undefined);
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
    progress.stop();
    predictions.close();
    results.close();
    sampleInfo.close();
  }
  outcome.interrupted = signal?.aborted === true;
  if (!outcome.interrupted) sortResults(paths.results);
  return outcome;
}

/**
 * Resumes the run in `dir` with the recipe and shard recorded in its run.json. The recipe is
 * checked again (files, URLs, keys) before any request.
 * @example await resumeRun({ dir: 'runs/sweep' });
 */
export async function resumeRun(options: Omit<RunOptions, 'shard'>): Promise<RunOutcome> {
  const state = readRunState(options.dir);
  const resolved = await resolveRecipe(state.recipe, { baseDir: state.baseDir, where: runPaths(options.dir).state, ...(options.env ? { env: options.env } : {}) });
  return runGrid(resolved, { ...options, ...(state.shard ? { shard: state.shard } : {}) });
}

/**
 * Rewrites results.jsonl in a fixed order (model, task, length, method, compression, id), so
 * interrupted-and-resumed runs and uninterrupted ones leave identical files. A pair scored twice
 * (re-scored after a scorer version change) keeps its last line.
 */
export function sortResults(file: string): void {
  if (!existsSync(file)) return;
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const latest = new Map<string, { line: string; r: RunResult }>();
  for (const line of lines) {
    const r = JSON.parse(line) as RunResult;
    latest.set(predictionKey(r.model, r.method, r.compression, r.id), { line, r });
  }
  const keyed = [...latest.values()];
  keyed.sort(
    (a, b) =>
      cmp(a.r.model, b.r.model) || cmp(a.r.task, b.r.task) || a.r.length - b.r.length || cmp(a.r.method, b.r.method) || a.r.compression - b.r.compression || cmp(a.r.id, b.r.id),
  );
  writeFileAtomic(file, keyed.map((k) => `${k.line}\n`).join(''));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
