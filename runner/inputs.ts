// Everything a run reads, checked in full before the first request: every line of every samples
// file parses and matches the sample schema, names a known scorer, and has an id no other sample
// of the run has; selected prompts fit the model's context where it is known. The same pass
// hashes each file, so the run directory can record exactly which inputs its answers belong to.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Sample } from '../generators/core/sample.js';
import { isScorerName, SCORER_NAMES } from '../scorers/registry.js';
import { validate } from '../schemas/index.js';
import { getBackend } from './backends/registry.js';
import type { BackendContext, ModelContext } from './backends/entry.js';
import { endsWithNewline, readLines } from './jsonl/read-lines.js';
import { inShard, type Cell, type Shard } from './grid.js';
import type { DatasetRef, ResolvedRecipe } from './recipe/types.js';
import { samplesFormatProblem } from './samples-format.js';

/** The identity of one samples file of a run, as run.json records it. */
export interface DatasetIdentity {
  /** Dataset label (the manifest's name or the task id). */
  name: string;
  task: string;
  length: number;
  /** Absolute path when the run started (informative: files are told apart by content). */
  path: string;
  sha256: string;
  bytes: number;
  /** Samples (non-blank lines) in the file. */
  samples: number;
}

/** The inputs of a run: its samples files by content. */
export interface RunInputs {
  datasets: DatasetIdentity[];
}

/** What the check found besides problems: identities and exact pair counts. */
export interface CheckedInputs {
  inputs: RunInputs;
  /** Ids of the selected samples per samples file (absolute path), in file order. */
  selected: Map<string, string[]>;
}

/** The problems found in a run's inputs; nothing was sent and nothing written. */
export class RunInputError extends Error {
  constructor(
    /** The problems found, up to the first thousand. */
    readonly problems: string[],
    /** How many there were in all. */
    readonly total = problems.length,
  ) {
    const shown = problems.slice(0, MAX_PROBLEMS);
    const more = total > MAX_PROBLEMS ? `\n  ... and ${total - MAX_PROBLEMS} more` : '';
    super(`${total === 1 ? 'a problem' : `${total} problems`} in the run's samples files (nothing was sent):\n  ${shown.join('\n  ')}${more}`);
    this.name = 'RunInputError';
  }
}

/** Problems listed in an error; the rest are counted. */
const MAX_PROBLEMS = 20;
/** Problems kept in memory (a file broken on every line has as many as lines). */
const KEPT_PROBLEMS = 1000;

/**
 * sha256 and size of a file, streaming.
 * @example await hashFile('data/x/samples.jsonl') // { sha256: '9f86d0...', bytes: 10240 }
 */
export async function hashFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** The context of each model whose backend can tell it, keyed by model name. */
export async function modelContexts(resolved: Pick<ResolvedRecipe, 'models' | 'baseDir'>, context: BackendContext): Promise<Map<string, ModelContext>> {
  const out = new Map<string, ModelContext>();
  for (const model of resolved.models) {
    const found = await getBackend(model.backend).contextOf?.(model, context);
    if (found) out.set(model.name, found);
  }
  return out;
}

/** Options of {@link checkInputs}. */
export interface CheckInputsOptions {
  /** Context windows by model name (see {@link modelContexts}); prompts that can't fit are refused. */
  contexts?: Map<string, ModelContext>;
  /** Notes that are not errors (prompts counted under another tokenizer than the model's). */
  log?: (message: string) => void;
}

/** Prompts of one dataset that overflow one model's context. */
interface Overflow {
  dataset: DatasetRef;
  model: string;
  context: ModelContext;
  count: number;
  largest: number;
  firstLine: number;
  sameTokenizer: boolean;
}

/**
 * Reads and checks every samples file of a resolved recipe in full.
 * @throws RunInputError listing every problem (file, line, JSON path, rule), at most 20 shown.
 * @example const { inputs } = await checkInputs(resolved); inputs.datasets[0].sha256
 */
export async function checkInputs(resolved: Pick<ResolvedRecipe, 'datasets' | 'selection' | 'models'>, options: CheckInputsOptions = {}): Promise<CheckedInputs> {
  const problems: string[] = [];
  const firstSeen = new Map<string, string>();
  const identities = new Map<string, DatasetIdentity>();
  const selected = new Map<string, string[]>();
  const overflows = new Map<string, Overflow>();
  const { offset, count } = resolved.selection;
  let total = 0;
  const problem = (text: string): void => {
    total++;
    if (problems.length < KEPT_PROBLEMS) problems.push(text);
  };

  for (const dataset of resolved.datasets) {
    const known = identities.get(dataset.path);
    if (known) {
      // The same file twice (under two names): every id would repeat.
      problem(`${dataset.path}: listed twice in the run (as ${known.name} and ${dataset.name}); its sample ids would repeat`);
      continue;
    }
    let formatProblem: string | undefined;
    try {
      formatProblem = samplesFormatProblem(dataset.path);
    } catch (error) {
      problem(`${dataset.path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
      continue;
    }
    if (formatProblem) {
      problem(`${dataset.path} ${formatProblem}`);
      continue;
    }
    const { sha256, bytes } = await hashFile(dataset.path);
    let line = 0;
    let position = -1;
    let lastLineComplete = true;
    const ids: string[] = [];
    for await (const text of readLines(dataset.path)) {
      line++;
      if (text.trim() === '') continue;
      position++;
      const where = `${dataset.path}:${line}`;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        lastLineComplete = false;
        problem(`${where}: invalid JSON (${(error as Error).message})`);
        continue;
      }
      lastLineComplete = true;
      const issues = validate('sample', value);
      if (issues.length > 0) {
        for (const issue of issues) problem(`${where}: ${issue.path || '/'} ${issue.message} [${issue.rule}]`);
        continue;
      }
      const sample = value as Sample;
      if (!isScorerName(sample.metadata.scorer)) {
        problem(`${where}: /metadata/scorer names unknown scorer ${JSON.stringify(sample.metadata.scorer)}; known scorers are ${SCORER_NAMES.join(', ')}`);
      }
      const previous = firstSeen.get(sample.id);
      if (previous !== undefined) problem(`${where}: /id ${JSON.stringify(sample.id)} repeats the sample at ${previous}; ids must be unique across a run`);
      else firstSeen.set(sample.id, where);
      if (position < offset || position >= offset + count) continue;
      ids.push(sample.id);
      const needed = sample.metadata.inputTokens + sample.metadata.maxOutputTokens;
      for (const [model, context] of options.contexts ?? []) {
        if (needed <= context.tokens) continue;
        const key = `${dataset.path}\u0000${model}`;
        const entry = overflows.get(key) ?? { dataset, model, context, count: 0, largest: 0, firstLine: line, sameTokenizer: true };
        entry.count++;
        entry.largest = Math.max(entry.largest, needed);
        entry.sameTokenizer &&= context.tokenizer === undefined || context.tokenizer === sample.metadata.tokenizer;
        overflows.set(key, entry);
      }
    }
    // A truncated last line (a copy cut short) is the commonest broken line: say so.
    if (!lastLineComplete && problems.length > 0 && problems.length < KEPT_PROBLEMS && bytes > 0) {
      const last = problems[problems.length - 1] as string;
      if (last.startsWith(`${dataset.path}:${line}:`) && !endsWithNewline(dataset.path)) {
        problems[problems.length - 1] = `${last}; the file ends without a newline: it looks truncated`;
      }
    }
    const samples = position + 1;
    identities.set(dataset.path, { name: dataset.name, task: dataset.task, length: dataset.length, path: dataset.path, sha256, bytes, samples });
    selected.set(dataset.path, ids);
  }

  for (const o of overflows.values()) {
    const text =
      `${o.dataset.path}: ${o.count} selected sample${o.count === 1 ? '' : 's'} (first on line ${o.firstLine}) need${o.count === 1 ? 's' : ''} up to ${o.largest} tokens ` +
      `(prompt plus output budget), more than model ${o.model}'s context of ${o.context.tokens} (${o.context.source})`;
    if (o.sameTokenizer) problem(`${text}; drop this length, or raise the context (engine options maxLength / yarnFactor)`);
    else options.log?.(`note: ${text}, counted under the samples' tokenizer, not the model's: they may fail`);
  }
  if (total > 0) throw new RunInputError(problems, total);
  const datasets = resolved.datasets.map((d) => identities.get(d.path) as DatasetIdentity);
  return { inputs: { datasets }, selected };
}

/**
 * Checks every input of a resolved recipe against the contexts of its models (see
 * {@link checkInputs}), before a run directory is touched.
 * @throws RunInputError listing every problem.
 * @example const checked = await checkRunInputs(resolved, { env: process.env });
 */
export async function checkRunInputs(resolved: ResolvedRecipe, options: { env?: Record<string, string | undefined>; log?: (message: string) => void } = {}): Promise<CheckedInputs> {
  const context: BackendContext = { baseDir: resolved.baseDir, env: options.env ?? process.env };
  return checkInputs(resolved, { contexts: await modelContexts(resolved, context), ...(options.log ? { log: options.log } : {}) });
}

/**
 * Number of (cell, sample) pairs of a shard, exact.
 * @example countPairs(expandGrid(resolved), checked, { index: 0, count: 2 }) // 120
 */
export function countPairs(cells: readonly Cell[], checked: CheckedInputs, shard: Shard | undefined): number {
  let total = 0;
  for (const cell of cells) {
    for (const id of checked.selected.get(cell.dataset.path) ?? []) if (inShard(cell.key, id, shard)) total++;
  }
  return total;
}
