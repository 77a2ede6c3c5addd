// `longweave validate FILE...`: checks any file the package writes against its schema. The kind is
// taken from the file name (samples.jsonl, predictions.jsonl, results.jsonl, manifest.json,
// summary.json), from a .json file's content (run recipes name models; suite recipes otherwise) or
// given with --kind. A manifest's files are checked against the sizes, hashes and counts it
// records; a run recipe is checked as `longweave run` checks it, its data folder's files too.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import fg from 'fast-glob';
import type { CommandModule } from 'yargs';
import { SCHEMA_NAMES, SchemaError, validate, type SchemaName } from '../schemas/index.js';
import { hashFile } from '../runner/inputs.js';
import { readLines } from '../runner/jsonl/read-lines.js';
import { loadRecipeFile } from '../runner/recipe/load.js';
import type { RunRecipe } from '../runner/recipe/types.js';
import type { Manifest } from './dataset.js';
import { CliError } from './errors.js';

interface ValidateArgs {
  files: string[];
  kind: string | undefined;
  json: boolean;
}

const BY_NAME: Record<string, SchemaName> = {
  'samples.jsonl': 'sample',
  'predictions.jsonl': 'prediction',
  'results.jsonl': 'result',
  'manifest.json': 'manifest',
  'summary.json': 'summary',
};

/**
 * The schema of a file from its name, or for other .json files from its content (a run recipe
 * names models; anything else is taken for a suite recipe); undefined when it can't tell.
 */
export function kindOf(file: string): SchemaName | undefined {
  const byName = BY_NAME[basename(file)];
  if (byName || !file.endsWith('.json')) return byName;
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return value && typeof value === 'object' && 'models' in value ? 'run-recipe' : 'suite';
  } catch {
    return 'suite';
  }
}

export interface FileReport {
  file: string;
  kind: SchemaName;
  records: number;
  /** Samples files checked against a manifest (manifests and run recipes with `data`). */
  files?: number;
  errors: string[];
}

/** Errors kept per file; the count of the rest is reported. */
const MAX_ERRORS = 20;

/** sha256, size and sample lines of a file, streaming. */
async function measure(path: string): Promise<{ sha256: string; bytes: number; samples: number }> {
  const { sha256, bytes } = await hashFile(path);
  let samples = 0;
  for await (const line of readLines(path)) if (line.trim() !== '') samples++;
  return { sha256, bytes, samples };
}

/**
 * Checks that the files a manifest lists are the ones it describes: present, with the recorded
 * size, sha256 and sample count. A file edited, truncated or replaced after `generate` fails here.
 * @example await checkManifestFiles('data/quick/manifest.json') // { files: 4, errors: [] }
 */
export async function checkManifestFiles(manifestPath: string): Promise<{ files: number; errors: string[] }> {
  const errors: string[] = [];
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  } catch {
    return { files: 0, errors }; // the schema check reports it
  }
  if (!Array.isArray(manifest.files)) return { files: 0, errors };
  const dir = dirname(manifestPath);
  for (const [i, entry] of manifest.files.entries()) {
    if (typeof entry?.path !== 'string') continue;
    const path = resolve(dir, entry.path);
    const where = `/files/${i} (${entry.path})`;
    if (!existsSync(path)) {
      errors.push(`${where}: the file is missing`);
      continue;
    }
    const found = await measure(path);
    if (found.bytes !== entry.bytes) errors.push(`${where}: ${found.bytes} bytes, the manifest records ${entry.bytes}: the file changed after it was generated`);
    else if (found.sha256 !== entry.sha256) errors.push(`${where}: sha256 ${found.sha256.slice(0, 12)}..., the manifest records ${String(entry.sha256).slice(0, 12)}...: the file changed after it was generated`);
    if (found.samples !== entry.samples) errors.push(`${where}: ${found.samples} samples, the manifest records ${entry.samples}`);
  }
  return { files: manifest.files.length, errors };
}

/**
 * Checks a run recipe as `longweave run` would before any request (schema, tasks, lengths, files,
 * URLs, keys), and the files of its `data` folder against their manifest.
 */
async function validateRunRecipe(file: string): Promise<FileReport> {
  const report: FileReport = { file, kind: 'run-recipe', records: 1, errors: [] };
  let recipe: RunRecipe | undefined;
  try {
    recipe = (await loadRecipeFile(file)).recipe;
  } catch (error) {
    if (!(error instanceof SchemaError)) throw error;
    report.errors.push(...error.issues.map((i) => `${i.path || '/'} ${i.message} [${i.rule}]`));
    try {
      recipe = JSON.parse(readFileSync(file, 'utf8')) as RunRecipe;
    } catch {
      return report;
    }
  }
  // A data folder the recipe check already found wanting (no manifest, a file missing) is not checked twice.
  if (typeof recipe?.data === 'string' && !report.errors.some((e) => e.startsWith('/data '))) {
    const manifest = join(resolve(dirname(file), recipe.data), 'manifest.json');
    if (existsSync(manifest)) {
      const checked = await checkManifestFiles(manifest);
      report.files = checked.files;
      report.errors.push(...checked.errors.map((e) => `/data: ${manifest} ${e}`));
    }
  }
  return report;
}

/** Validates one file; JSONL files line by line. Reports at most 20 errors per file. */
export function validateFile(file: string, kind: SchemaName): FileReport {
  const errors: string[] = [];
  let records = 0;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return { file, kind, records, errors: [`cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`] };
  }
  const check = (value: unknown, where: string): void => {
    records++;
    for (const issue of validate(kind, value)) {
      if (errors.length < 20) errors.push(`${where}: ${issue.path || '/'} ${issue.message} [${issue.rule}]`);
    }
  };
  if (file.endsWith('.jsonl')) {
    const lines = text.split('\n');
    const ids = new Set<string>();
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (error) {
        if (errors.length < 20) errors.push(`line ${i + 1}: invalid JSON (${(error as Error).message})`);
        return;
      }
      check(value, `line ${i + 1}`);
      const id = (value as { id?: unknown }).id;
      if (typeof id === 'string') {
        if (ids.has(id) && errors.length < 20) errors.push(`line ${i + 1}: /id "${id}" is a duplicate`);
        ids.add(id);
      }
    });
  } else {
    try {
      check(JSON.parse(text), 'file');
    } catch (error) {
      errors.push(`invalid JSON (${(error as Error).message})`);
    }
  }
  return { file, kind, records, errors };
}

export const validateCommand: CommandModule<object, ValidateArgs> = {
  command: 'validate <files..>',
  describe: 'Check files the package reads or writes against their schemas (globs allowed)',
  builder: (y) =>
    y
      .positional('files', { type: 'string', array: true, demandOption: true, describe: 'Files or globs' })
      .option('kind', { type: 'string', choices: [...SCHEMA_NAMES], describe: 'Schema to use when the file name does not tell' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the reports as JSON' }),
  handler: async (args) => {
    const files = args.files.flatMap((pattern) => (fg.isDynamicPattern(pattern) ? fg.sync(pattern, { dot: false }) : [pattern])).sort();
    if (files.length === 0) throw new CliError(`No files match ${args.files.join(' ')}.`);
    const reports: FileReport[] = [];
    for (const file of files) {
      const kind = (args.kind as SchemaName | undefined) ?? kindOf(file);
      if (!kind) throw new CliError(`${file}: cannot tell its kind from the name; pass --kind (${SCHEMA_NAMES.join(', ')}).`);
      if (kind === 'run-recipe') {
        reports.push(await validateRunRecipe(file));
        continue;
      }
      const report = validateFile(file, kind);
      if (kind === 'manifest' && existsSync(file)) {
        const checked = await checkManifestFiles(file);
        report.files = checked.files;
        report.errors.push(...checked.errors);
      }
      if (report.errors.length > MAX_ERRORS) report.errors.splice(MAX_ERRORS, Infinity, `... and ${report.errors.length - MAX_ERRORS} more`);
      reports.push(report);
    }
    if (args.json) process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
    else {
      for (const r of reports) {
        const checked = r.files !== undefined ? `, ${r.files} samples files checked` : '';
        process.stdout.write(`${r.errors.length === 0 ? 'ok  ' : 'FAIL'} ${r.file} (${r.kind}, ${r.records} records${checked})\n`);
        for (const e of r.errors) process.stdout.write(`     ${e}\n`);
      }
    }
    if (reports.some((r) => r.errors.length > 0)) process.exitCode = 1;
  },
};
