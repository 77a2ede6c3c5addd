// A one-cell recipe from command-line flags: `longweave run --backend openai --base-url URL
// --model NAME --samples FILE --out DIR` is the same run as a recipe with one model and one
// dataset per file, dense attention.
import { basename, dirname } from 'node:path';
import type { ModelSpec, RunRecipe } from './types.js';

/** The flags of a single-cell run. */
export interface CellFlags {
  backend: string;
  model: string;
  samples: string[];
  name?: string;
  baseUrl?: string[];
  endpoint?: 'chat' | 'completions';
  apiKeyEnv?: string;
  concurrency?: number;
  timeoutMs?: number;
  retries?: number;
  maxOutputTokens?: number;
  limit?: number;
  corruptRate?: number;
  predictions?: string;
  parameters?: number;
  /** Engine: `cpu` or `webgpu`. */
  device?: string;
}

/**
 * Builds the recipe; the schema and the checks of the recipe loader then apply as to any recipe.
 * @example flagsToRecipe({ backend: 'oracle', model: 'gold', samples: ['data/niah/4096/samples.jsonl'] }).models[0].backend // 'oracle'
 */
export function flagsToRecipe(flags: CellFlags): RunRecipe {
  const options: Record<string, unknown> = {};
  if (flags.backend === 'openai') {
    if (flags.baseUrl?.length === 1) options['baseUrl'] = flags.baseUrl[0];
    else if (flags.baseUrl && flags.baseUrl.length > 1) options['baseUrls'] = flags.baseUrl;
    if (flags.endpoint) options['endpoint'] = flags.endpoint;
    if (flags.apiKeyEnv) options['apiKeyEnv'] = flags.apiKeyEnv;
    if (flags.timeoutMs !== undefined) options['timeoutMs'] = flags.timeoutMs;
    if (flags.retries !== undefined) options['retries'] = flags.retries;
    if (flags.maxOutputTokens !== undefined) options['maxOutputTokens'] = flags.maxOutputTokens;
  }
  if (flags.backend === 'engine') {
    // --model names the checkpoint folder; the run is labelled by the folder's name.
    options['path'] = flags.model;
    if (flags.device !== undefined) options['device'] = flags.device;
  }
  if (flags.backend === 'oracle' && flags.corruptRate !== undefined) options['corruptRate'] = flags.corruptRate;
  if (flags.backend === 'replay' && flags.predictions !== undefined) options['predictions'] = flags.predictions;
  if (flags.concurrency !== undefined) options['concurrency'] = flags.concurrency;
  const name = flags.backend === 'engine' ? basename(flags.model.replace(/[\\/]+$/, '')) || flags.model : flags.model;
  const model: ModelSpec = { name, backend: flags.backend };
  if (Object.keys(options).length > 0 || flags.backend === 'openai' || flags.backend === 'replay') model.options = options;
  if (flags.parameters !== undefined) model.parameters = flags.parameters;
  const recipe: RunRecipe = {
    name: flags.name ?? `${name.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'run'}`,
    datasets: flags.samples.map((path) => ({ path })),
    models: [model],
  };
  if (flags.limit !== undefined) recipe.samples = flags.limit;
  return recipe;
}

/** A short label for a samples file: its folder names when the file is samples.jsonl. */
export function datasetLabel(path: string): string {
  return basename(path) === 'samples.jsonl' ? basename(dirname(path)) : basename(path);
}
