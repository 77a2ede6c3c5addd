// The run directory: its files and run.json, which records the recipe as written, where its
// relative paths point, and the shard, so `--resume` needs nothing but the directory.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../cli/io.js';
import type { Shard } from './grid.js';
import type { RunRecipe } from './recipe/types.js';
import { packageVersion } from '../generators/version.js';

export { packageVersion };

/** Paths of a run directory's files. */
export function runPaths(dir: string) {
  return {
    state: join(dir, 'run.json'),
    predictions: join(dir, 'predictions.jsonl'),
    results: join(dir, 'results.jsonl'),
    sampleInfo: join(dir, 'sample-info.jsonl'),
    summary: join(dir, 'summary.json'),
    report: join(dir, 'report.html'),
  };
}

/** run.json. */
export interface RunState {
  format: 'longweave-run/1';
  longweave: string;
  recipe: RunRecipe;
  /** Directory the recipe's relative paths are resolved against. */
  baseDir: string;
  shard?: Shard;
}

/**
 * Reads run.json of a run directory.
 * @throws Error when the directory holds no run.
 */
export function readRunState(dir: string): RunState {
  const path = runPaths(dir).state;
  if (!existsSync(path)) throw new Error(`${dir} is not a run directory: it has no run.json.`);
  const state = JSON.parse(readFileSync(path, 'utf8')) as RunState;
  if (state.format !== 'longweave-run/1') throw new Error(`${path}: unknown format ${JSON.stringify(state.format)}.`);
  return state;
}

/** Writes run.json. */
export function writeRunState(dir: string, state: RunState): void {
  writeFileAtomic(runPaths(dir).state, `${JSON.stringify(state, null, 2)}\n`);
}
