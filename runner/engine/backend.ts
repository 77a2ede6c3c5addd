// The runner's `engine` backend: one sample in, one greedy prediction out, through the embedded
// engine. Requests run one at a time (the engine's worker serialises them anyway).
import { existsSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import type { Backend, BackendRequest, Prediction } from '../types.js';
import type { ModelSpec as RecipeModel } from '../recipe/types.js';
import type { BackendContext } from '../backends/entry.js';
import type { ValidationIssue } from '../../schemas/index.js';
import { Engine, type EngineOptions } from './engine.js';
import { openCheckpoint } from './checkpoint/checkpoint.js';
import { renderChat } from '../../generators/tokenizers/chat-template.js';

/** Options of `createEngineBackend`. */
export interface EngineBackendOptions extends EngineOptions {
  /** Path of a Hugging Face checkpoint directory. */
  model: string;
  /** Model name recorded in predictions (default: the folder's name). */
  modelName?: string;
}

/** Attention settings this build of the engine can run. */
function checkAttention(request: BackendRequest): void {
  const a = request.attention;
  if (!a) return;
  if (a.prefill !== 'dense' || a.decode !== 'dense' || a.compression !== 1) {
    throw new Error(`Attention ${a.prefill}/${a.decode} at compression ${a.compression} is not available in the engine yet; only dense (compression 1) runs.`);
  }
}

/** Recipe `options` of an engine model, as the run recipe writes them. */
const OPTION_KEYS = {
  path: 'checkpoint directory (relative to the recipe); default: the model name',
  device: '"cpu" or "webgpu" (default cpu)',
  precision: '"fp32" or "fp16" (default fp16 on webgpu, fp32 on cpu)',
  chunkSize: 'prefill chunk length in tokens (default 4096)',
  maxLength: 'longest context the graph serves (default: the context limit)',
  yarnFactor: 'YaRN factor over max_position_embeddings (Qwen2.5 beyond 32k)',
  cacheDir: 'graph cache folder',
  singleGraph: 'one graph for prefill and decode (weights held once; slower decode on WebGPU)',
} as const;

function recipeOptions(model: RecipeModel, context: BackendContext): EngineBackendOptions {
  const o = model.options ?? {};
  const path = typeof o['path'] === 'string' ? o['path'] : model.name;
  return {
    model: isAbsolute(path) ? path : resolve(context.baseDir, path),
    modelName: model.name,
    ...(o['device'] === 'webgpu' || o['device'] === 'cpu' ? { device: o['device'] } : {}),
    ...(o['precision'] === 'fp16' || o['precision'] === 'fp32' ? { precision: o['precision'] } : {}),
    ...(typeof o['chunkSize'] === 'number' ? { chunkSize: o['chunkSize'] } : {}),
    ...(typeof o['maxLength'] === 'number' ? { maxLength: o['maxLength'] } : {}),
    ...(typeof o['yarnFactor'] === 'number' ? { yarnFactor: o['yarnFactor'] } : {}),
    ...(typeof o['cacheDir'] === 'string' ? { cacheDir: resolve(context.baseDir, o['cacheDir']) } : {}),
    ...(o['singleGraph'] === true ? { singleGraph: true } : {}),
    log: (line) => void process.stderr.write(`${line}\n`),
  };
}

/**
 * Checks a recipe model's engine options before a run starts: known keys, their types, and that the
 * checkpoint exists and is one the engine can run. Paths in issues are relative to `options`.
 * @example await checkEngineOptions({ path: 'models/qwen', device: 'webgpu' }, { baseDir: '.', env: {} }) // []
 */
export function checkEngineOptions(options: Record<string, unknown>, context: BackendContext): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const issue = (path: string, message: string): void => void issues.push({ path, rule: 'engine', message });
  for (const key of Object.keys(options)) if (!(key in OPTION_KEYS)) issue(key, `unknown engine option; allowed: ${Object.keys(OPTION_KEYS).join(', ')}`);
  if (options['device'] !== undefined && options['device'] !== 'cpu' && options['device'] !== 'webgpu') issue('device', `must be "cpu" or "webgpu", got ${JSON.stringify(options['device'])}`);
  if (options['precision'] !== undefined && options['precision'] !== 'fp16' && options['precision'] !== 'fp32') issue('precision', `must be "fp16" or "fp32", got ${JSON.stringify(options['precision'])}`);
  for (const key of ['chunkSize', 'maxLength'] as const) {
    const v = options[key];
    if (v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v > 0)) issue(key, `must be a positive integer, got ${JSON.stringify(v)}`);
  }
  if (options['singleGraph'] !== undefined && typeof options['singleGraph'] !== 'boolean') issue('singleGraph', `must be true or false, got ${JSON.stringify(options['singleGraph'])}`);
  if (options['yarnFactor'] !== undefined && !(typeof options['yarnFactor'] === 'number' && options['yarnFactor'] > 1)) issue('yarnFactor', `must be a number greater than 1, got ${JSON.stringify(options['yarnFactor'])}`);
  if (typeof options['path'] === 'string') {
    const dir = isAbsolute(options['path']) ? options['path'] : resolve(context.baseDir, options['path']);
    if (!existsSync(join(dir, 'config.json'))) issue('path', `${dir} has no config.json (a Hugging Face checkpoint directory is required)`);
    else {
      try {
        openCheckpoint(dir);
      } catch (error) {
        issue('path', (error as Error).message);
      }
    }
  } else if (options['path'] !== undefined) issue('path', 'must be a string');
  return issues;
}

/**
 * Creates the engine backend for a local checkpoint (builds or reuses its graph, starts the
 * session). Takes either the runner's recipe model and context (the backend registry's contract)
 * or engine options directly.
 * @throws UnsupportedConfigError naming the config field the engine can't run.
 * @example const backend = await createEngineBackend({ model: '/models/Qwen2.5-7B-Instruct', device: 'webgpu' })
 */
export async function createEngineBackend(spec: EngineBackendOptions | RecipeModel, context?: BackendContext): Promise<Backend> {
  const options = 'backend' in spec ? recipeOptions(spec, context ?? { baseDir: process.cwd(), env: {} }) : spec;
  const { model, modelName, ...engineOptions } = options;
  const engine = await Engine.load(model, engineOptions);
  const name = modelName ?? basename(model.replace(/\/+$/, ''));
  return {
    name: 'engine',
    model: name,
    async generate(request: BackendRequest): Promise<Omit<Prediction, 'id'>> {
      const started = performance.now();
      const attention = { prefill: 'dense', decode: 'dense', compression: 1, ...(request.attention ?? {}) };
      try {
        checkAttention(request);
        if (request.signal?.aborted) throw new Error('Aborted before the request started.');
        const tok = engine.tokenizer;
        const messages = request.sample.messages.length ? request.sample.messages : [{ role: 'user' as const, content: request.sample.input }];
        let text = tok.chatTemplate ? renderChat(tok.chatTemplate, messages) : messages.map((m) => m.content).join('\n');
        if (request.sample.answerPrefix) text += request.sample.answerPrefix;
        const promptIds = tok.encode(text);
        const result = await engine.generateIds(promptIds, request.maxOutputTokens);
        const stops = new Set(engine.stopTokenIds);
        const outputIds = result.finishReason === 'stop' && stops.has(result.tokens.at(-1)!) ? result.tokens.slice(0, -1) : result.tokens;
        return {
          output: tok.decode(outputIds),
          finishReason: result.finishReason,
          usage: { promptTokens: promptIds.length, completionTokens: result.tokens.length },
          latencyMs: Math.round(performance.now() - started),
          backend: 'engine',
          model: name,
          attention: { ...attention, sparsity: 0, executed: { prefillMs: Math.round(result.timings.prefillMs) } },
        };
      } catch (error) {
        return {
          output: '',
          finishReason: 'error',
          error: error instanceof Error ? error.message : String(error),
          latencyMs: Math.round(performance.now() - started),
          backend: 'engine',
          model: name,
          attention,
        };
      }
    },
    close: () => engine.close(),
  };
}
