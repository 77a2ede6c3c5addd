// The backend registry: one literal map that is the list of valid `backend` names, the lookup
// table and the documentation. The embedded engine registers here too, but its module is loaded
// only when a recipe uses it, so HTTP-only installs never touch onnxruntime.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ValidationIssue } from '../../schemas/index.js';
import type { ModelSpec } from '../recipe/types.js';
import type { Backend } from '../types.js';
import type { BackendContext, BackendEntry, ModelContext } from './entry.js';
import { openaiBackend } from './openai.js';
import { oracleBackend } from './oracle.js';
import { replayBackend } from './replay.js';

/**
 * What `runner/engine/backend.ts` must export for the `engine` entry below:
 * `createEngineBackend(model, context)` returning a {@link Backend}, and optionally
 * `checkEngineOptions(options, context)` returning issues with paths relative to `options`.
 */
export interface EngineModule {
  createEngineBackend(model: ModelSpec, context: BackendContext): Promise<Backend>;
  checkEngineOptions?(options: Record<string, unknown>, context: BackendContext): Promise<ValidationIssue[]> | ValidationIssue[];
}

// A variable specifier keeps the type checker from requiring the file before the engine lands.
const ENGINE_MODULE = '../engine/backend.js';

async function loadEngine(): Promise<EngineModule | undefined> {
  try {
    return (await import(ENGINE_MODULE)) as EngineModule;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes('engine/backend')) return undefined;
    throw error;
  }
}

/**
 * The engine's context for a recipe model: `maxLength` when set, else the checkpoint's limit
 * (max_position_embeddings, times `yarnFactor` or the checkpoint's own YaRN factor), as the engine
 * computes it. Undefined when the checkpoint can't be read (its own check reports that).
 */
async function engineContext(model: ModelSpec, context: BackendContext): Promise<ModelContext | undefined> {
  const options = model.options ?? {};
  const path = typeof options['path'] === 'string' ? options['path'] : model.name;
  try {
    const { resolveModelPath } = await import('../engine/checkpoint/builtin.js');
    const { contextLimit, parseConfig } = await import('../engine/checkpoint/config.js');
    const dir = resolveModelPath(path, context.baseDir);
    const tokenizer = path.startsWith('builtin:') ? path : existsSync(join(dir, 'tokenizer.json')) ? `hf:${join(dir, 'tokenizer.json')}` : undefined;
    const withTokenizer = tokenizer ? { tokenizer } : {};
    if (typeof options['maxLength'] === 'number') return { tokens: options['maxLength'], ...withTokenizer, source: 'engine option maxLength' };
    const spec = parseConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>);
    const yarn = typeof options['yarnFactor'] === 'number' && spec.rope.type === 'default' ? options['yarnFactor'] : undefined;
    if (yarn) return { tokens: Math.round(spec.maxPositionEmbeddings * yarn), ...withTokenizer, source: `max_position_embeddings ${spec.maxPositionEmbeddings} x yarnFactor ${yarn}` };
    return { tokens: contextLimit(spec), ...withTokenizer, source: `the context limit of ${join(dir, 'config.json')}` };
  } catch {
    return undefined;
  }
}

const engineBackend: BackendEntry = {
  description: 'The embedded onnxruntime engine (runner/engine): dense or sparse attention on the GPU or CPU.',
  supportsAttention: true,
  check: async (options, context) => {
    const engine = await loadEngine();
    if (!engine) return [{ path: '', rule: 'backend', message: 'the engine backend is not available in this build (runner/engine/backend.js is missing)' }];
    return engine.checkEngineOptions ? engine.checkEngineOptions(options, context) : [];
  },
  create: async (model, context) => {
    const engine = await loadEngine();
    if (!engine) throw new Error('The engine backend is not available in this build (runner/engine/backend.js is missing).');
    return engine.createEngineBackend(model, context);
  },
  contextOf: engineContext,
};

/** All backends by name. */
export const BACKENDS = {
  openai: openaiBackend,
  oracle: oracleBackend,
  replay: replayBackend,
  engine: engineBackend,
} satisfies Record<string, BackendEntry>;

export type BackendName = keyof typeof BACKENDS;

/** All backend names. */
export const BACKEND_NAMES = Object.keys(BACKENDS) as BackendName[];

/**
 * Looks a backend up by name.
 * @throws Error naming the known backends.
 * @example getBackend('oracle').supportsAttention // true
 */
export function getBackend(name: string): BackendEntry {
  const entry = (BACKENDS as Record<string, BackendEntry>)[name];
  if (!entry) throw new Error(`Unknown backend "${name}": known backends are ${BACKEND_NAMES.join(', ')}.`);
  return entry;
}
