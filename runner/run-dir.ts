// The run directory: its files and run.json, which records the recipe as written, where its
// relative paths point, the shard, and the content (sha256) of every samples file, so `--resume`
// needs nothing but the directory and no run takes answers to other prompts than its own.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './files/write-atomic.js';
import type { Shard } from './grid.js';
import type { RunInputs } from './inputs.js';
import type { ResolvedRecipe, RunRecipe } from './recipe/types.js';
import { runDifferences, transportDifferences } from './run-identity.js';
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
  /** The samples files by content (absent in run directories of longweave before 0.1.0's input checks). */
  inputs?: RunInputs;
}

/**
 * Reads run.json of a run directory.
 * @throws Error when the directory holds no run.
 */
export function readRunState(dir: string): RunState {
  const path = runPaths(dir).state;
  if (!existsSync(path)) throw new Error(`${dir} is not a run directory: it has no run.json.`);
  let state: RunState;
  try {
    state = JSON.parse(readFileSync(path, 'utf8')) as RunState;
  } catch (error) {
    throw new Error(`${path} is not valid JSON (${(error as Error).message}).`);
  }
  if (state.format !== 'longweave-run/1') throw new Error(`${path}: unknown format ${JSON.stringify(state.format)}.`);
  return state;
}

/** Writes run.json. */
export function writeRunState(dir: string, state: RunState): void {
  writeFileAtomic(runPaths(dir).state, `${JSON.stringify(state, null, 2)}\n`);
}

/** A run directory that holds a run of other inputs, recipe or shard. */
export class RunMismatchError extends Error {
  constructor(
    readonly dir: string,
    readonly differences: string[],
  ) {
    super(
      `${dir} holds a run of other inputs; its answers would mix with this run's:\n  ${differences.slice(0, 10).join('\n  ')}` +
        `${differences.length > 10 ? `\n  ... and ${differences.length - 10} more` : ''}\n` +
        `Restore what changed, run into another directory (--out), or delete ${dir} to start over.`,
    );
    this.name = 'RunMismatchError';
  }
}

/**
 * Creates a run directory (run.json first, with the inputs' hashes) or checks that the one there
 * holds the same recipe, shard and inputs.
 * @throws RunMismatchError naming every difference when the directory holds another run.
 */
export function openRunDir(resolved: ResolvedRecipe, options: { dir: string; shard?: Shard; log?: (message: string) => void }, inputs: RunInputs): ReturnType<typeof runPaths> {
  const { dir } = options;
  const paths = runPaths(dir);
  const state: RunState = { format: 'longweave-run/1', longweave: packageVersion(), recipe: resolved.recipe, baseDir: resolved.baseDir, inputs };
  if (options.shard) state.shard = options.shard;
  if (existsSync(paths.state)) {
    const previous = readRunState(dir);
    const differences = runDifferences(previous, state);
    if (differences.length > 0) throw new RunMismatchError(dir, differences);
    const transport = transportDifferences(previous, state);
    if (transport.length > 0) {
      // A server that moved, more retries: the answers stay comparable; --resume uses the new values.
      options.log?.(`${paths.state}: continuing with new transport settings: ${transport.join('; ')}`);
      writeRunState(dir, { ...previous, recipe: resolved.recipe, inputs });
    } else if (!previous.inputs) {
      // A run directory from before inputs were recorded: record them now, from here on they hold.
      options.log?.(`${paths.state} recorded no input hashes; recording the current samples files' (answers given before were not checked against them)`);
      writeRunState(dir, { ...previous, inputs });
    }
  } else {
    mkdirSync(dir, { recursive: true });
    writeRunState(dir, state);
  }
  return paths;
}
