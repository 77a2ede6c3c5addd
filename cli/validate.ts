// `longweave validate FILE...`: checks any file the package writes against its schema. The kind is
// taken from the file name (samples.jsonl, predictions.jsonl, results.jsonl, manifest.json,
// summary.json, suite recipes in datasets/) or given with --kind.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import fg from 'fast-glob';
import type { CommandModule } from 'yargs';
import { SCHEMA_NAMES, validate, type SchemaName } from '../schemas/index.js';
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

/** The schema of a file from its name, or undefined. */
export function kindOf(file: string): SchemaName | undefined {
  return BY_NAME[basename(file)];
}

export interface FileReport {
  file: string;
  kind: SchemaName;
  records: number;
  errors: string[];
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
  handler: (args) => {
    const files = args.files.flatMap((pattern) => (fg.isDynamicPattern(pattern) ? fg.sync(pattern, { dot: false }) : [pattern])).sort();
    if (files.length === 0) throw new CliError(`No files match ${args.files.join(' ')}.`);
    const reports = files.map((file) => {
      const kind = (args.kind as SchemaName | undefined) ?? kindOf(file) ?? (file.endsWith('.json') ? 'suite' : undefined);
      if (!kind) throw new CliError(`${file}: cannot tell its kind from the name; pass --kind (${SCHEMA_NAMES.join(', ')}).`);
      return validateFile(file, kind);
    });
    if (args.json) process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
    else {
      for (const r of reports) {
        process.stdout.write(`${r.errors.length === 0 ? 'ok  ' : 'FAIL'} ${r.file} (${r.kind}, ${r.records} records)\n`);
        for (const e of r.errors) process.stdout.write(`     ${e}\n`);
      }
    }
    if (reports.some((r) => r.errors.length > 0)) process.exitCode = 1;
  },
};
