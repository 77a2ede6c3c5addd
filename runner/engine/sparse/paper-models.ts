// config.json shapes of the paper's models (Qwen2.5 7B, 14B, 32B, 72B Instruct), for the cost
// model and benchmarks: only the dimensions, nothing is downloaded.
import { parseConfig, type ModelSpec } from '../checkpoint/config.js';
import { shapeConfig } from '../checkpoint/shapes.js';

const qwen = (hidden: number, intermediate: number, layers: number, heads: number, kvHeads: number): Record<string, unknown> =>
  shapeConfig('qwen2.5-7b', { hidden_size: hidden, intermediate_size: intermediate, num_hidden_layers: layers, num_attention_heads: heads, num_key_value_heads: kvHeads });

/** The paper's four model shapes by name. */
export const PAPER_MODEL_CONFIGS = {
  'qwen2.5-7b': shapeConfig('qwen2.5-7b'),
  'qwen2.5-14b': qwen(5120, 13824, 48, 40, 8),
  'qwen2.5-32b': qwen(5120, 27648, 64, 40, 8),
  'qwen2.5-72b': qwen(8192, 29568, 80, 64, 8),
} as const;

export type PaperModel = keyof typeof PAPER_MODEL_CONFIGS;

/**
 * The ModelSpec of one of the paper's models.
 * @example paperModelSpec('qwen2.5-14b').numLayers // 48
 */
export function paperModelSpec(name: PaperModel): ModelSpec {
  return parseConfig(PAPER_MODEL_CONFIGS[name]);
}
