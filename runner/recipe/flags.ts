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
  /** Prefill attention method (default dense). */
  attention?: string;
  /** Decode attention method (default dense). */
  decodeAttention?: string;
  /** Compression ratios swept for a sparse method. */
  compression?: number[];
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
  const prefill = flags.attention ?? 'dense';
  const decode = flags.decodeAttention ?? 'dense';
  if (prefill !== 'dense' || decode !== 'dense') {
    if (!flags.compression || flags.compression.length === 0) {
      throw new Error(`--compression is required with --attention ${prefill} / --decode-attention ${decode}, e.g. --compression 1.5,2,5,10,20.`);
    }
    // Dense (C = 1) is always run beside the sparse method: accuracy against compression needs it.
    recipe.attention = [{ prefill: 'dense', decode: 'dense' }, { prefill, decode, compression: flags.compression }];
  } else if (flags.compression && flags.compression.some((c) => c !== 1)) {
    throw new Error('--compression needs a sparse --attention or --decode-attention method; dense attention has C = 1.');
  }
  return recipe;
}

/** A short label for a samples file: its folder names when the file is samples.jsonl. */
export function datasetLabel(path: string): string {
  return basename(path) === 'samples.jsonl' ? basename(dirname(path)) : basename(path);
}

/** Recipe option names of a one-cell run, and the flag that sets each. */
const OPTION_FLAGS: Record<string, string> = {
  baseUrl: '--base-url',
  baseUrls: '--base-url',
  endpoint: '--endpoint',
  apiKeyEnv: '--api-key-env',
  timeoutMs: '--timeout-ms',
  retries: '--retries',
  maxOutputTokens: '--max-output-tokens',
  concurrency: '--concurrency',
  corruptRate: '--corrupt-rate',
  predictions: '--predictions',
  path: '--model',
  device: '--device',
};

/**
 * The command-line flag behind a JSON path of a recipe built by {@link flagsToRecipe}, so an error
 * in a one-cell run names what the user typed (`--api-key-env`), not a recipe path; undefined for
 * paths no flag sets. For a samples file, the flag comes with the file it names.
 * @example flagForPath('/models/0/options/apiKeyEnv', recipe) // '--api-key-env'
 * @example flagForPath('/datasets/1/path', recipe) // '--samples data/b/samples.jsonl'
 */
export function flagForPath(path: string, recipe: Pick<RunRecipe, 'datasets'>): string | undefined {
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'models') {
    if (parts[2] === 'options') return parts[3] === undefined ? '--model' : OPTION_FLAGS[parts[3]];
    return parts[2] === 'backend' ? '--backend' : '--model';
  }
  if (parts[0] === 'datasets') {
    const file = parts[1] !== undefined ? recipe.datasets?.[Number(parts[1])]?.path : undefined;
    return file !== undefined ? `--samples ${file}` : '--samples';
  }
  if (parts[0] === 'samples') return '--limit';
  if (parts[0] === 'name') return '--model';
  if (parts[0] === 'attention') return parts[2] === 'compression' ? '--compression' : '--attention / --decode-attention';
  return undefined;
}
