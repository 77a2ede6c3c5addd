// The attention methods the engine can put into a graph, as one typed map: the registry, the list
// of valid names and their documentation at once.
import { denseAttention } from './dense.js';
import { denseDecodeAttention } from './dense-decode.js';
import { denseDecodeBlockedAttention } from './dense-decode-blocked.js';
import { aShapeAttention, streamingLlmAttention } from './sink-window.js';
import { verticalSlashAttention } from './vertical-slash.js';
import { flexPrefillAttention } from './flexprefill.js';
import { blockSparseAttention } from './block-sparse.js';
import { questAttention } from './quest.js';
import { snapKvAttention } from './snapkv.js';
import { adaSnapKvAttention } from './ada-snapkv.js';
import { DEFAULT_PREFILL_CHUNK, type AttentionBuilder } from './types.js';

export { DEFAULT_PREFILL_CHUNK };

export const ATTENTION_METHODS = {
  dense: denseAttention,
  'dense-decode': denseDecodeAttention,
  'dense-decode-blocked': denseDecodeBlockedAttention,
  'a-shape': aShapeAttention,
  'streaming-llm': streamingLlmAttention,
  'vertical-slash': verticalSlashAttention,
  flexprefill: flexPrefillAttention,
  'block-sparse': blockSparseAttention,
  quest: questAttention,
  snapkv: snapKvAttention,
  'ada-snapkv': adaSnapKvAttention,
} as const satisfies Record<string, AttentionBuilder>;

export type AttentionMethodId = keyof typeof ATTENTION_METHODS;

/**
 * Looks up an attention method.
 * @throws Error naming the allowed ids when `id` is unknown.
 * @example attentionMethod('dense').phase // 'both'
 */
export function attentionMethod(id: string): AttentionBuilder {
  const method = (ATTENTION_METHODS as Record<string, AttentionBuilder>)[id];
  if (!method) throw new Error(`Unknown attention method "${id}"; allowed: ${Object.keys(ATTENTION_METHODS).join(', ')}.`);
  return method;
}

/**
 * The graph setting that sizes a `chunked` method's fixed passes to a prefill chunk of `chunk`
 * tokens (AttentionContext.prefillChunk), or none: other methods, and the default chunk, leave the
 * graph (and its cache key) as it is.
 * @example prefillChunkSetting('vertical-slash', 8192) // { prefillChunk: 8192 }
 */
export function prefillChunkSetting(id: string, chunk: number): { prefillChunk?: number } {
  return attentionMethod(id).chunked && chunk !== DEFAULT_PREFILL_CHUNK ? { prefillChunk: chunk } : {};
}
