// A run recipe as written (schemas/run-recipe.schema.json) and as resolved against the files it
// names: datasets found, lengths parsed, attention settings expanded one per compression ratio.
import type { AttentionSetting } from '../types.js';

/** One model of the grid, as written. */
export interface ModelSpec {
  name: string;
  backend: string;
  /** Model size in parameters (scaling law). */
  parameters?: number;
  /** Hugging Face config.json (cost model). */
  config?: string;
  /** Backend options; each backend documents its own. */
  options?: Record<string, unknown>;
}

/** One attention entry, as written. */
export interface AttentionSpec {
  prefill: string;
  decode: string;
  compression?: number | number[];
  params?: Record<string, unknown>;
}

/** A run recipe, as written. */
export interface RunRecipe {
  $schema?: string;
  name: string;
  description?: string;
  data?: string;
  tasks?: string[];
  lengths?: (number | string)[];
  datasets?: { path: string; name?: string; task?: string; length?: number }[];
  samples?: number | { count?: number; offset?: number };
  models: ModelSpec[];
  attention?: AttentionSpec[];
  scoring?: { compat?: 'paper-reference' };
  run?: { fsyncEveryMs?: number; bootstrapResamples?: number; alpha?: number };
}

/** One samples file of the grid. */
export interface DatasetRef {
  /** Label in reports: the manifest's dataset name, or the task id. */
  name: string;
  /** Task id of its samples. */
  task: string;
  length: number;
  /** Absolute path of samples.jsonl. */
  path: string;
  /** Number of samples in the file, when known (manifest). */
  samples?: number;
}

/** A recipe after its files were found and its settings expanded. */
export interface ResolvedRecipe {
  recipe: RunRecipe;
  /** Directory relative paths in the recipe are resolved against. */
  baseDir: string;
  datasets: DatasetRef[];
  models: ModelSpec[];
  attention: AttentionSetting[];
  selection: { offset: number; count: number };
}
