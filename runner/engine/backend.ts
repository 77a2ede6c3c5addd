// The runner's `engine` backend: one sample in, one greedy prediction out, through the embedded
// engine. Requests run one at a time (the engine's worker serialises them anyway).
import { basename } from 'node:path';
import type { Backend, BackendRequest, Prediction } from '../types.js';
import { Engine, type EngineOptions } from './engine.js';
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

/**
 * Creates the engine backend for a local checkpoint (builds or reuses its graph, starts the session).
 * @throws UnsupportedConfigError naming the config field the engine can't run.
 * @example const backend = await createEngineBackend({ model: '/models/Qwen2.5-7B-Instruct', device: 'webgpu' })
 */
export async function createEngineBackend(options: EngineBackendOptions): Promise<Backend> {
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
