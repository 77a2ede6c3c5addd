// The analysis table: one row per (model, method, compression, sample), joined from a run
// directory's results.jsonl, predictions.jsonl and sample-info.jsonl. Several directories (shards,
// or runs of other models) merge into one table; for a pair present twice the later one wins.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { validate } from '../../schemas/index.js';
import { endsWithNewline, JsonlError, readLines } from '../jsonl/read-lines.js';
import { methodOf, predictionKey, type RunPrediction, type RunResult, type SampleInfo } from '../records.js';
import { readRunState, runPaths } from '../run-dir.js';
import { SCORER_VERSION } from '../../scorers/version.js';
import type { GenerationForm } from '../engine/runtime/profile.js';

/** One analysed sample. */
export interface Row {
  model: string;
  task: string;
  length: number;
  prefill: string;
  decode: string;
  compression: number;
  id: string;
  /** Main score in 0..1; undefined when the request failed. */
  score?: number;
  pass: boolean;
  noAnswer: boolean;
  truncated: boolean;
  /** Left out of means (paper-reference compatibility). */
  excluded: boolean;
  failed: boolean;
  error?: string;
  latencyMs?: number;
  promptTokens?: number;
  completionTokens?: number;
  inputTokens?: number;
  category?: string;
  depth?: number;
  sparsity?: number;
  executed?: Record<string, number>;
  /** The engine's device and generation form (predictions of other backends record neither). */
  device?: string;
  generation?: GenerationForm;
}

/** Model facts from the recipes: size and config file. */
export interface ModelFacts {
  parameters?: number;
  /** Absolute path of the model's config.json. */
  config?: string;
}

/** Everything the analyses read. */
export interface AnalysisInput {
  rows: Row[];
  models: Record<string, ModelFacts>;
  /** Run directories read, with their recipe names. */
  runs: { dir: string; name: string; shard?: string }[];
  /** Pairs found in more than one directory. */
  duplicates: number;
  /** How every result was scored: the scorers' version and the compatibility mode, if any. */
  scoring: Scoring;
  /** What was read around (a torn last line of a crashed run), for the report and stderr. */
  notes: string[];
}

/** How results were scored. */
export interface Scoring {
  scorerVersion: number;
  compat?: 'paper-reference';
}

function scoringLabel(s: Scoring): string {
  return `scorer version ${s.scorerVersion}${s.compat ? ` with --compat ${s.compat}` : ''}`;
}

/** What a run-directory line must hold beyond its schema: the run's own fields. */
type LineCheck = (value: Record<string, unknown>) => string | undefined;

const needs =
  (fields: string[]): LineCheck =>
  (value) => {
    const missing = fields.filter((f) => value[f] === undefined);
    return missing.length > 0 ? `${missing.map((f) => `/${f}`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} required in a run's file [run]` : undefined;
  };

const CHECKS = {
  prediction: (value: Record<string, unknown>): string | undefined => {
    const issue = validate('prediction', value)[0];
    return issue ? `${issue.path || '/'} ${issue.message} [${issue.rule}]` : needs(['model', 'attention'])(value);
  },
  result: (value: Record<string, unknown>): string | undefined => {
    const issue = validate('result', value)[0];
    return issue ? `${issue.path || '/'} ${issue.message} [${issue.rule}]` : needs(['model', 'method', 'compression'])(value);
  },
  sampleInfo: needs(['id', 'task', 'length']),
};

/**
 * The records of a run-directory file, each checked. A torn last line (no newline after it: the
 * writer was killed mid-line, which `--resume` cuts) is skipped with a note; any other bad line
 * is an error naming the file, the line and the field.
 * @throws JsonlError naming file and line.
 */
async function* readRunFile<T>(file: string, check: (value: Record<string, unknown>) => string | undefined, notes: string[]): AsyncGenerator<{ value: T; line: number }> {
  if (!existsSync(file)) return;
  const torn = !endsWithNewline(file);
  let line = 0;
  let pending: JsonlError | undefined;
  for await (const text of readLines(file)) {
    line++;
    if (text.trim() === '') continue;
    if (pending) throw pending;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      pending = new JsonlError(file, line, `invalid JSON (${(error as Error).message})`);
      continue;
    }
    const problem = typeof value === 'object' && value !== null && !Array.isArray(value) ? check(value as Record<string, unknown>) : 'must be a JSON object';
    if (problem) {
      pending = new JsonlError(file, line, problem);
      continue;
    }
    yield { value: value as T, line };
  }
  if (!pending) return;
  if (!torn) throw pending;
  notes.push(`${file}:${line}: skipped a torn last line (a run stopped while writing it; \`longweave run --resume\` cuts it and asks for that sample again)`);
}

function splitMethod(method: string): { prefill: string; decode: string } {
  const [prefill = method, decode = 'dense'] = method.split('/');
  return { prefill, decode };
}

/**
 * Reads and joins run directories.
 * @throws Error when a directory is not a run.
 * @example const input = await loadRunDirs(['runs/a', 'runs/b']);
 */
export async function loadRunDirs(dirs: readonly string[]): Promise<AnalysisInput> {
  const rows = new Map<string, Row>();
  const models: Record<string, ModelFacts> = {};
  const runs: AnalysisInput['runs'] = [];
  const notes: string[] = [];
  let duplicates = 0;
  // Results scored differently are never averaged or compared together.
  let scoring: (Scoring & { where: string }) | undefined;
  for (const dir of dirs) {
    const state = readRunState(dir);
    runs.push({ dir, name: state.recipe.name, ...(state.shard ? { shard: `${state.shard.index}/${state.shard.count}` } : {}) });
    for (const model of state.recipe.models) {
      const facts: ModelFacts = {};
      if (model.parameters !== undefined) facts.parameters = model.parameters;
      if (model.config !== undefined) facts.config = resolve(state.baseDir, model.config);
      models[model.name] = { ...models[model.name], ...facts };
    }
    const paths = runPaths(dir);
    const info = new Map<string, SampleInfo>();
    for await (const { value } of readRunFile<SampleInfo>(paths.sampleInfo, CHECKS.sampleInfo, notes)) info.set(value.id, value);
    const predictions = new Map<string, RunPrediction>();
    for await (const { value } of readRunFile<RunPrediction>(paths.predictions, CHECKS.prediction, notes)) {
      const key = predictionKey(value.model, methodOf(value.attention), value.attention.compression, value.id);
      const previous = predictions.get(key);
      // A success is never replaced by a later failure line of the same pair.
      if (!previous || previous.error !== undefined || value.error === undefined) predictions.set(key, value);
    }
    const local = new Map<string, Row>();
    for await (const { value, line } of readRunFile<RunResult>(paths.results, CHECKS.result, notes)) {
      const key = predictionKey(value.model, value.method, value.compression, value.id);
      const these: Scoring = { scorerVersion: (value as { scorerVersion?: number }).scorerVersion ?? 1, ...(value.compat ? { compat: value.compat } : {}) };
      const where = `${paths.results}:${line}`;
      if (!scoring) scoring = { ...these, where };
      else if (scoring.scorerVersion !== these.scorerVersion || scoring.compat !== these.compat) {
        throw new Error(
          `${where} was scored by ${scoringLabel(these)}, ${scoring.where} by ${scoringLabel(scoring)}: results scored differently cannot be compared. ` +
            `Re-score the older run with the current longweave (longweave run --resume DIR re-scores it from its stored predictions), then report again.`,
        );
      }
      const row: Row = {
        model: value.model,
        task: value.task,
        length: value.length,
        ...splitMethod(value.method),
        compression: value.compression,
        id: value.id,
        score: value.score,
        pass: value.pass,
        noAnswer: value.noAnswer,
        truncated: value.truncated,
        excluded: value.excluded === true,
        failed: false,
      };
      local.set(key, row);
    }
    // Failed pairs have a prediction with an error and no result.
    for (const [key, prediction] of predictions) {
      let row = local.get(key);
      if (!row) {
        if (prediction.error === undefined) continue; // answered but not yet scored (interrupted run)
        const sample = info.get(prediction.id);
        row = {
          model: prediction.model,
          task: sample?.task ?? '?',
          length: sample?.length ?? 0,
          prefill: prediction.attention.prefill,
          decode: prediction.attention.decode,
          compression: prediction.attention.compression,
          id: prediction.id,
          pass: false,
          noAnswer: false,
          truncated: false,
          excluded: false,
          failed: true,
          error: prediction.error,
        };
        local.set(key, row);
      }
      if (prediction.latencyMs !== undefined) row.latencyMs = prediction.latencyMs;
      if (prediction.usage?.promptTokens !== undefined) row.promptTokens = prediction.usage.promptTokens;
      if (prediction.usage?.completionTokens !== undefined) row.completionTokens = prediction.usage.completionTokens;
      if (prediction.attention.sparsity !== undefined) row.sparsity = prediction.attention.sparsity;
      if (prediction.attention.executed !== undefined) row.executed = prediction.attention.executed;
      if (prediction.device !== undefined) row.device = prediction.device;
      if (prediction.generation !== undefined) row.generation = prediction.generation;
    }
    for (const [key, row] of local) {
      const sample = info.get(row.id);
      if (sample) {
        row.inputTokens = sample.inputTokens;
        if (sample.category !== undefined) row.category = sample.category;
        if (sample.depth !== undefined) row.depth = sample.depth;
      }
      if (rows.has(key)) duplicates++;
      rows.set(key, row);
    }
  }
  const { where: _where, ...used } = scoring ?? { scorerVersion: SCORER_VERSION, where: '' };
  return { rows: [...rows.values()], models, runs, duplicates, scoring: used, notes };
}
