// Writing a generated dataset to disk: one samples.jsonl per task entry and length plus a
// manifest.json. Files are written into a hidden staging folder and moved into place only when
// every one is complete, manifest last, so an interrupted run leaves the output as it was.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generateSample } from '../generators/generate.js';
import { getTask } from '../generators/tasks/index.js';
import { resolveParams } from '../generators/params.js';
import { formatLength } from '../generators/core/length.js';
import type { Tokenizer } from '../generators/tokenizers/types.js';
import { packageVersion } from '../generators/version.js';
import { promptFormat } from '../generators/core/prompt-format.js';
import { SOURCE_HELP } from '../generators/qa/source.js';
import { assertValid } from '../schemas/index.js';
import { withDiskFull } from '../runner/files/disk-full.js';
import { writeFileAtomic } from '../runner/files/write-atomic.js';
import { CliError } from './errors.js';
import type { Progress } from './progress.js';

/** One file to write: a task entry at one length. */
export interface DatasetJob {
  name: string;
  task: string;
  params: Record<string, unknown>;
  length: number;
  samples: number;
}

export interface DatasetPlan {
  suite: string;
  seed: number | string;
  tokenizer: Tokenizer;
  chatTemplate: boolean;
  jobs: DatasetJob[];
  sources?: Record<string, string>;
}

export interface ManifestFile {
  path: string;
  name: string;
  task: string;
  length: number;
  samples: number;
  sha256: string;
  bytes: number;
  params: Record<string, unknown>;
}

export interface Manifest {
  format: 'longweave-dataset/1';
  suite: string;
  seed: number | string;
  tokenizer: string;
  /** sha256 of the tokenizer's defining file (absent in manifests written before it was recorded). */
  tokenizerSha256?: string;
  chatTemplate: boolean;
  /** sha256 of the chat template's source, when chatTemplate. */
  chatTemplateSha256?: string;
  /** The chat-template kwargs ({} for none), when chatTemplate. */
  templateKwargs?: Record<string, unknown>;
  versions: { longweave: string; tasks: Record<string, number> };
  files: ManifestFile[];
}

/** Relative path of a job's file inside the output folder. */
export function jobPath(job: DatasetJob): string {
  return `${job.name}/${formatLength(job.length)}/samples.jsonl`;
}

/**
 * Checks that the output can be written: not an existing dataset (unless force), a writable folder.
 * @throws CliError naming the folder and what to do.
 */
export function checkOutput(out: string, plan: DatasetPlan, force: boolean): void {
  if (existsSync(out) && !statSync(out).isDirectory()) throw new CliError(`--out ${out} exists and is not a folder.`);
  if (!force) {
    const clash = [join(out, 'manifest.json'), ...plan.jobs.map((j) => join(out, jobPath(j)))].find((p) => existsSync(p));
    if (clash) throw new CliError(`${clash} already exists; pass --force to overwrite the dataset in ${out}.`);
  }
  try {
    mkdirSync(out, { recursive: true });
    const probe = join(out, `.longweave-write-test-${process.pid}`);
    writeFileAtomic(probe, '');
    rmSync(probe);
  } catch (error) {
    throw new CliError(`Cannot write to --out ${out}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`);
  }
}

/** Thrown when generation was stopped (Ctrl-C); the staging folder is gone, `out` as it was. */
export class GenerationInterrupted extends CliError {
  constructor(out: string) {
    super(`interrupted; nothing was written to ${out}`, 130);
    this.name = 'GenerationInterrupted';
  }
}

/**
 * Generates and writes every job of the plan, then the manifest; returns the manifest. Between
 * samples it yields to the event loop, so a signal handler can stop it.
 * @throws the generator's error (ParamError, LengthError), or GenerationInterrupted when `signal`
 *   aborts, with nothing left in `out`.
 */
export async function writeDataset(out: string, plan: DatasetPlan, progress: Progress, signal?: AbortSignal): Promise<Manifest> {
  // Leftovers of interrupted runs are removed first.
  for (const entry of existsSync(out) ? readdirSync(out) : []) {
    if (entry.startsWith('.longweave-staging-')) rmSync(join(out, entry), { recursive: true, force: true });
  }
  const staging = join(out, `.longweave-staging-${process.pid}`);
  mkdirSync(staging, { recursive: true });
  const files: ManifestFile[] = [];
  const total = plan.jobs.reduce((sum, j) => sum + j.samples, 0);
  progress.start(total, plan.jobs[0]?.name ?? '');
  try {
    for (const job of plan.jobs) {
      const rel = jobPath(job);
      const file = join(staging, rel);
      mkdirSync(dirname(file), { recursive: true });
      const hash = createHash('sha256');
      let bytes = 0;
      const fd = openSync(file, 'w');
      try {
        for (let index = 0; index < job.samples; index++) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          if (signal?.aborted) throw new GenerationInterrupted(out);
          const sample = generateSample({
            task: job.task,
            params: job.params,
            length: job.length,
            index,
            seed: plan.seed,
            tokenizer: plan.tokenizer,
            chatTemplate: plan.chatTemplate,
            ...(plan.sources ? { sources: plan.sources } : {}),
          });
          assertValid('sample', sample, `${rel} sample ${index}`);
          const line = Buffer.from(`${JSON.stringify(sample)}\n`, 'utf8');
          withDiskFull(file, () => writeSync(fd, line));
          hash.update(line);
          bytes += line.length;
          progress.tick(`${job.name} ${formatLength(job.length)}`);
        }
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      files.push({ path: rel, name: job.name, task: job.task, length: job.length, samples: job.samples, sha256: hash.digest('hex'), bytes, params: job.params });
    }
    progress.stop();
    const manifest: Manifest = {
      format: 'longweave-dataset/1',
      suite: plan.suite,
      seed: plan.seed,
      ...promptFormat(plan.tokenizer, plan.chatTemplate),
      versions: {
        longweave: packageVersion(),
        tasks: Object.fromEntries([...new Set(plan.jobs.map((j) => j.task))].sort().map((t) => [t, getTask(t).version])),
      },
      files,
    };
    assertValid('manifest', manifest, 'manifest.json');
    for (const f of files) {
      const target = join(out, f.path);
      mkdirSync(dirname(target), { recursive: true });
      renameSync(join(staging, f.path), target);
    }
    writeFileAtomic(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    return manifest;
  } finally {
    progress.stop();
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Builds the jobs of a plan, validating every task and parameter before anything is written. */
export function planJobs(
  entries: { name?: string; task: string; params?: Record<string, unknown>; samples?: number }[],
  lengths: number[],
  samples: number,
): DatasetJob[] {
  const jobs: DatasetJob[] = [];
  const names = new Set<string>();
  for (const entry of entries) {
    const task = getTask(entry.task);
    const params = resolveParams(task, entry.params ?? {});
    const name = entry.name ?? task.id.replace('/', '.');
    if (names.has(name)) throw new CliError(`Two task entries are named "${name}"; give each a distinct "name".`);
    names.add(name);
    for (const length of lengths) jobs.push({ name, task: task.id, params, length, samples: entry.samples ?? samples });
  }
  return jobs;
}

/**
 * Checks, before anything is generated, that every task reading the user's own data has a source
 * file that exists; lists every missing one at once.
 * @throws CliError naming each task, the file format it needs, and how to pass it.
 */
export function checkSources(jobs: readonly DatasetJob[], sources: Record<string, string> | undefined): void {
  const tasks = [...new Set(jobs.map((j) => j.task))].filter((t) => SOURCE_HELP[t] !== undefined);
  const missing = tasks.filter((t) => !sources?.[t]);
  if (missing.length > 0) {
    const needs = missing.map((t) => `${t} needs ${SOURCE_HELP[t]?.help ?? 'a source file'}`).join('; ');
    throw new CliError(
      `${missing.length === 1 ? 'A task reads' : `${missing.length} tasks read`} your own data and no source was given: ${needs}. ` +
        `Pass --source TASK=PATH for each (e.g. --source ${missing[0]}=PATH), or "sources" in the suite recipe.`,
    );
  }
  for (const t of tasks) {
    const path = sources?.[t] as string;
    if (!existsSync(path)) throw new CliError(`--source ${t}=${path}: the file does not exist.`);
  }
}
