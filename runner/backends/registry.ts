// The backend registry: one literal map that is the list of valid `backend` names, the lookup
// table and the documentation. The embedded engine registers here too, but its module is loaded
// only when a recipe uses it, so HTTP-only installs never touch onnxruntime.
import type { ValidationIssue } from '../../schemas/index.js';
import type { ModelSpec } from '../recipe/types.js';
import type { Backend } from '../types.js';
import type { BackendContext, BackendEntry } from './entry.js';
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
