// Suite recipes (datasets/<name>.json): which tasks, with which parameters, at which lengths, how
// many samples, from which seed. Validated with schemas/suite.schema.json when read.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertValid } from '../schemas/index.js';

export interface SuiteTaskEntry {
  /** Folder name of this entry in the output (defaults to the task id with '/' -> '.'). */
  name?: string;
  task: string;
  params?: Record<string, unknown>;
  samples?: number;
}

export interface SuiteRecipe {
  name: string;
  description?: string;
  seed?: number | string;
  lengths?: (number | string)[];
  samples?: number;
  tokenizer?: string;
  chatTemplate?: boolean;
  /** Chat-template kwargs (vLLM's chat_template_kwargs), e.g. `{ "enable_thinking": false }`. */
  templateKwargs?: Record<string, unknown>;
  sources?: Record<string, string>;
  tasks: SuiteTaskEntry[];
}

/** The datasets/ folder shipped with the package (found from source and from dist/). */
export function datasetsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'datasets')) && existsSync(join(dir, 'package.json'))) return join(dir, 'datasets');
    dir = dirname(dir);
  }
  throw new Error('Cannot find the datasets/ folder of the longweave package.');
}

/** Names of the suites shipped in datasets/. */
export function suiteNames(): string[] {
  return readdirSync(datasetsDir())
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

/**
 * Loads a suite by name (datasets/<name>.json) or by path, and validates it.
 * @throws Error naming the known suites, or a SchemaError naming the path and rule that failed.
 * @example loadSuite('quick').tasks.length
 */
export function loadSuite(nameOrPath: string): SuiteRecipe {
  const shipped = join(datasetsDir(), `${nameOrPath}.json`);
  const file = existsSync(nameOrPath) && nameOrPath.endsWith('.json') ? nameOrPath : shipped;
  if (!existsSync(file)) {
    throw new Error(`Unknown suite "${nameOrPath}": shipped suites are ${suiteNames().join(', ')}; or pass a path to a suite .json file.`);
  }
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${(error as Error).message}).`);
  }
  return assertValid<SuiteRecipe>('suite', data, file);
}
