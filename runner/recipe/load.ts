// Reading a run recipe: the schema first, then everything the schema can't see (tasks the
// manifest lacks, missing files, bad URLs, unset API keys, sparse settings on a backend that
// can't run them). Every problem is reported with its JSON path and rule before any request.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseLength } from '../../generators/core/length.js';
import { TASK_IDS } from '../../generators/tasks/index.js';
import { SchemaError, validate, type ValidationIssue } from '../../schemas/index.js';
import { getBackend } from '../backends/registry.js';
import { readLines } from '../jsonl/read-lines.js';
import { samplesFormatProblem } from '../samples-format.js';
import type { BackendContext } from '../backends/entry.js';
import type { AttentionSetting } from '../types.js';
import type { DatasetRef, ResolvedRecipe, RunRecipe } from './types.js';

interface ManifestFile {
  path: string;
  name: string;
  task: string;
  length: number;
  samples: number;
}

/** Where a recipe came from and what it may read. */
export interface LoadOptions {
  /** Directory relative paths are resolved against (default: the recipe file's). */
  baseDir?: string;
  /** Environment for API keys (default: process.env). */
  env?: Record<string, string | undefined>;
  /** Name of the source in error messages. */
  where?: string;
}

/**
 * Reads, validates and resolves a recipe file.
 * @throws SchemaError listing every problem (path, rule, message).
 * @example const resolved = await loadRecipeFile('recipes/sweep.json');
 */
export async function loadRecipeFile(file: string, options: Omit<LoadOptions, 'where'> = {}): Promise<ResolvedRecipe> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a folder, not a recipe file' : `cannot be read (${code ?? (error as Error).message})`;
    throw new SchemaError('run-recipe', [{ path: '', rule: 'file', message }], file);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new SchemaError('run-recipe', [{ path: '', rule: 'json', message: `is not valid JSON (${(error as Error).message})` }], file);
  }
  return resolveRecipe(data, { baseDir: options.baseDir ?? dirname(resolve(file)), ...(options.env ? { env: options.env } : {}), where: file });
}

/**
 * Reads the task id and length of a samples file from its first line, or says why it can't (an
 * empty file, a byte-order mark, a JSON array, RULER's format, a first line that is not JSON).
 */
async function firstSample(path: string): Promise<{ task?: string; length?: number; problem?: string }> {
  try {
    const problem = samplesFormatProblem(path);
    if (problem) return { problem };
  } catch (error) {
    return { problem: `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` };
  }
  let line = 0;
  for await (const text of readLines(path)) {
    line++;
    if (text.trim() === '') continue;
    let sample: { task?: unknown; metadata?: { targetLength?: unknown; inputTokens?: unknown } };
    try {
      sample = JSON.parse(text) as typeof sample;
    } catch (error) {
      return { problem: `line ${line} is not valid JSON (${(error as Error).message})` };
    }
    const out: { task?: string; length?: number } = {};
    if (typeof sample.task === 'string') out.task = sample.task;
    const length = sample.metadata?.targetLength ?? sample.metadata?.inputTokens;
    if (typeof length === 'number') out.length = length;
    return out;
  }
  return {};
}

/** Expands attention entries into one setting per compression ratio. */
export function expandAttention(recipe: Pick<RunRecipe, 'attention'>): AttentionSetting[] {
  const entries = recipe.attention ?? [{ prefill: 'dense', decode: 'dense' }];
  const out: AttentionSetting[] = [];
  for (const entry of entries) {
    const ratios = entry.compression === undefined ? [1] : Array.isArray(entry.compression) ? entry.compression : [entry.compression];
    for (const compression of ratios) {
      const setting: AttentionSetting = { prefill: entry.prefill, decode: entry.decode, compression };
      if (entry.params) setting.params = entry.params;
      out.push(setting);
    }
  }
  return out;
}

/** Whether a setting is plain dense attention. */
export function isDense(setting: Pick<AttentionSetting, 'prefill' | 'decode'>): boolean {
  return setting.prefill === 'dense' && setting.decode === 'dense';
}

/**
 * Validates a parsed recipe and resolves its datasets, models and attention settings.
 * @throws SchemaError listing every problem (path, rule, message).
 */
export async function resolveRecipe(data: unknown, options: LoadOptions = {}): Promise<ResolvedRecipe> {
  const where = options.where ?? 'recipe';
  // ajv adds a "must match then schema" issue above each failing backend rule: drop the echo.
  const schemaIssues = validate('run-recipe', data);
  if (schemaIssues.length > 0) {
    const specific = schemaIssues.filter((i) => i.rule !== 'if');
    throw new SchemaError('run-recipe', specific.length > 0 ? specific : schemaIssues, where);
  }
  const recipe = data as RunRecipe;
  const baseDir = options.baseDir ?? process.cwd();
  const context: BackendContext = { baseDir, env: options.env ?? process.env };
  const issues: ValidationIssue[] = [];
  const datasets: DatasetRef[] = [];

  // Parsed lengths keep their index in the recipe, so every message points at the entry written.
  const lengthEntries: { index: number; length: number }[] = [];
  recipe.lengths?.forEach((value, index) => {
    try {
      lengthEntries.push({ index, length: parseLength(value) });
    } catch (error) {
      issues.push({ path: `/lengths/${index}`, rule: 'length', message: (error as Error).message });
    }
  });
  const lengths = lengthEntries.map((e) => e.length);
  if (recipe.data === undefined && recipe.datasets === undefined) {
    issues.push({ path: '/data', rule: 'required', message: 'is required (a dataset directory with manifest.json), or list files in datasets' });
  }
  if (recipe.data === undefined && (recipe.tasks !== undefined || recipe.lengths !== undefined)) {
    issues.push({ path: recipe.tasks ? '/tasks' : '/lengths', rule: 'dependentRequired', message: 'selects from a manifest, so data must name a dataset directory' });
  }

  if (recipe.data !== undefined) {
    const dataDir = resolve(baseDir, recipe.data);
    const manifestPath = join(dataDir, 'manifest.json');
    if (!existsSync(manifestPath)) {
      issues.push({ path: '/data', rule: 'dataset', message: `names ${dataDir}, which has no manifest.json (write one with \`longweave generate\`)` });
    } else {
      let files: ManifestFile[] = [];
      try {
        const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as unknown;
        const manifestIssues = validate('manifest', manifest);
        if (manifestIssues.length > 0) {
          const first = manifestIssues[0] as ValidationIssue;
          issues.push({ path: '/data', rule: 'manifest', message: `${manifestPath}: ${first.path} ${first.message} [${first.rule}]` });
        } else {
          files = (manifest as { files: ManifestFile[] }).files;
        }
      } catch (error) {
        issues.push({ path: '/data', rule: 'manifest', message: `${manifestPath} is not JSON: ${(error as Error).message}` });
      }
      const wanted = recipe.tasks;
      wanted?.forEach((task, i) => {
        if (files.some((f) => f.task === task || f.name === task)) return;
        const known = (TASK_IDS as string[]).includes(task);
        const have = [...new Set(files.map((f) => f.name))].join(', ') || 'none';
        issues.push({
          path: `/tasks/${i}`,
          rule: known ? 'dataset' : 'task',
          message: known
            ? `task "${task}" has no dataset in ${manifestPath} (it has: ${have})`
            : `"${task}" is not a known task (${TASK_IDS.join(', ')}) nor a dataset of ${manifestPath} (it has: ${have})`,
        });
      });
      const selected = files.filter((f) => (!wanted || wanted.includes(f.task) || wanted.includes(f.name)) && (lengths.length === 0 || lengths.includes(f.length)));
      for (const { index, length } of lengthEntries) {
        if (!selected.some((f) => f.length === length) && files.length > 0) {
          issues.push({ path: `/lengths/${index}`, rule: 'dataset', message: `no selected dataset of length ${length} in ${manifestPath} (lengths there: ${[...new Set(files.map((f) => f.length))].join(', ')})` });
        }
      }
      for (const file of selected) {
        const path = resolve(dataDir, file.path);
        if (!existsSync(path)) {
          issues.push({ path: '/data', rule: 'dataset', message: `${manifestPath} lists ${file.path}, which is missing` });
          continue;
        }
        datasets.push({ name: file.name, task: file.task, length: file.length, path, samples: file.samples });
      }
    }
  }

  for (const [i, entry] of (recipe.datasets ?? []).entries()) {
    const path = resolve(baseDir, entry.path);
    if (!existsSync(path)) {
      issues.push({ path: `/datasets/${i}/path`, rule: 'dataset', message: `names ${path}, which does not exist` });
      continue;
    }
    const first = entry.task === undefined || entry.length === undefined ? await firstSample(path) : {};
    if (first.problem) {
      issues.push({ path: `/datasets/${i}/path`, rule: 'dataset', message: `${path} ${first.problem}` });
      continue;
    }
    const task = entry.task ?? first.task;
    const length = entry.length ?? first.length;
    if (task === undefined || length === undefined) {
      const missing = [task === undefined ? '"task"' : '', length === undefined ? '"metadata.targetLength"' : ''].filter(Boolean).join(' and ');
      issues.push({ path: `/datasets/${i}`, rule: 'dataset', message: `${path}: its first sample has no ${missing}; give ${task === undefined ? 'task' : 'length'} in the recipe, or check the file is longweave samples` });
      continue;
    }
    if (entry.task !== undefined && !(TASK_IDS as string[]).includes(entry.task)) {
      issues.push({ path: `/datasets/${i}/task`, rule: 'task', message: `"${entry.task}" is not a known task (${TASK_IDS.join(', ')})` });
    }
    datasets.push({ name: entry.name ?? task, task, length, path });
  }
  const seenData = new Set<string>();
  datasets.forEach((d) => {
    const key = `${d.name}|${d.length}`;
    if (seenData.has(key)) issues.push({ path: '/datasets', rule: 'uniqueItems', message: `dataset ${d.name} at length ${d.length} is listed twice; give one a different name` });
    seenData.add(key);
  });

  const attention = expandAttention(recipe);
  const seenSettings = new Set<string>();
  for (const setting of attention) {
    // Results name a setting by method and ratio, so parameters can't tell two settings apart.
    const key = `${setting.prefill}/${setting.decode}@${setting.compression}`;
    if (seenSettings.has(key)) {
      issues.push({ path: '/attention', rule: 'uniqueItems', message: `setting ${setting.prefill}/${setting.decode} at compression ${setting.compression} is listed twice (compare parameter variants in separate runs)` });
    }
    seenSettings.add(key);
  }
  const sparse = (recipe.attention ?? []).findIndex((a) => !isDense(a));

  const names = new Set<string>();
  for (const [i, model] of recipe.models.entries()) {
    if (names.has(model.name)) issues.push({ path: `/models/${i}/name`, rule: 'uniqueItems', message: `"${model.name}" names two models` });
    names.add(model.name);
    const entry = getBackend(model.backend);
    for (const issue of await entry.check(model.options ?? {}, context)) {
      const sub = issue.path === '' || issue.path.startsWith('/') ? issue.path : `/${issue.path}`;
      issues.push({ ...issue, path: `/models/${i}/options${sub}` });
    }
    if (sparse >= 0 && !entry.supportsAttention) {
      issues.push({
        path: `/attention/${sparse}`,
        rule: 'backend',
        message: `is sparse, but model "${model.name}" uses the ${model.backend} backend, which runs dense attention only (use the engine backend, or split the recipe)`,
      });
    }
    if (model.config !== undefined && !existsSync(resolve(baseDir, model.config))) {
      issues.push({ path: `/models/${i}/config`, rule: 'file', message: `names ${resolve(baseDir, model.config)}, which does not exist` });
    }
  }

  if (issues.length > 0) throw new SchemaError('run-recipe', issues, where);
  const samples = recipe.samples;
  const selection =
    typeof samples === 'number'
      ? { offset: 0, count: samples }
      : { offset: samples?.offset ?? 0, count: samples?.count ?? Number.POSITIVE_INFINITY };
  return { recipe, baseDir, datasets, models: recipe.models, attention, selection };
}
