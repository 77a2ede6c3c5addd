// Expected cost of one (cell, sample) pair, in estimated seconds, for ordering work longest-first.
// It uses the design's Appendix B cost model through the engine's formulas (prefill FLOPs with
// the L^2 attention term at density 1/C for sparse prefill, decode bytes per step with the KV
// cache at 1/C for sparse decode), turned into time with rough rates of the engine on an H100:
// only the order of pairs matters, and the order hardly depends on the rates.
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { loadEngineCostModel, type CostModel } from '../analysis/cost.js';
import type { ModelSpec } from '../recipe/types.js';
import type { AttentionSetting } from '../types.js';

/** How cost figures become seconds. */
export interface CostRates {
  /** Prefill throughput (fused attention and MatMul on WebGPU, notes/webgpu-on-h100.md: ~13 TFLOP/s). */
  prefillFlopsPerSecond: number;
  /** Decode memory throughput. */
  decodeBytesPerSecond: number;
  /** Fixed time per decode step (dispatch overhead). */
  decodeStepSeconds: number;
}

export const DEFAULT_RATES: CostRates = { prefillFlopsPerSecond: 13e12, decodeBytesPerSecond: 2e12, decodeStepSeconds: 2e-3 };

/** The figures a cost model gives for one cell. */
export interface CostFigures {
  prefillFlops: number;
  decodeBytesPerStep: number;
}

/**
 * Estimated seconds of one generation: prefill FLOPs over the prefill rate, plus each output
 * token's step (bytes read over the memory rate, plus the fixed step time).
 * @example expectedSeconds({ prefillFlops: 13e12, decodeBytesPerStep: 2e9 }, 100) // 1 + 100 * (0.001 + 0.002) = 1.3
 */
export function expectedSeconds(figures: CostFigures, outputTokens: number, rates: CostRates = DEFAULT_RATES): number {
  return figures.prefillFlops / rates.prefillFlopsPerSecond + outputTokens * (figures.decodeBytesPerStep / rates.decodeBytesPerSecond + rates.decodeStepSeconds);
}

/**
 * A shape-free stand-in when no cost model is available: prompt tokens with a quadratic term
 * that overtakes the linear one at 16K tokens, plus output tokens. Only its order matters.
 * @example proxyCost(16384, 0) // 32768
 */
export function proxyCost(length: number, outputTokens: number): number {
  return length * (1 + length / 16384) + 64 * outputTokens;
}

/**
 * The shape the cost model uses for a model without a config: Llama 3.1 8B's (a mid-size model
 * of the paper's range), as a Hugging Face config.json.
 */
export const REFERENCE_CONFIG: Readonly<Record<string, unknown>> = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  hidden_size: 4096,
  intermediate_size: 14336,
  num_hidden_layers: 32,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  head_dim: 128,
  vocab_size: 128256,
  max_position_embeddings: 131072,
  rms_norm_eps: 1e-5,
  rope_theta: 500000,
  tie_word_embeddings: false,
  torch_dtype: 'bfloat16',
};

function readJson(path: string): Record<string, unknown> | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** The config.json a model's cost is computed from: its `config`, or the engine checkpoint's. */
export function modelConfig(model: ModelSpec, baseDir: string): Record<string, unknown> | undefined {
  if (model.config !== undefined) return readJson(resolve(baseDir, model.config));
  if (model.backend === 'engine') {
    const path = typeof model.options?.['path'] === 'string' ? model.options['path'] : model.name;
    return readJson(join(isAbsolute(path) ? path : resolve(baseDir, path), 'config.json'));
  }
  return undefined;
}

/** Expected seconds of one pair: model (index into `models`), prompt tokens, output budget, attention. */
export type PairCost = (model: number, length: number, outputTokens: number, attention: AttentionSetting) => number;

/**
 * Builds the pair cost of a run's models. Figures are cached per (model, length, setting).
 * @example const cost = await pairCost(resolved.models, resolved.baseDir); cost(0, 32768, 64, dense)
 */
export async function pairCost(models: readonly ModelSpec[], baseDir: string, rates: CostRates = DEFAULT_RATES, costModel?: CostModel): Promise<PairCost> {
  const model = costModel ?? (await loadEngineCostModel());
  const configs = models.map((m) => modelConfig(m, baseDir) ?? (REFERENCE_CONFIG as Record<string, unknown>));
  const cache = new Map<string, CostFigures | null>();
  return (index, length, outputTokens, attention) => {
    const key = `${index}\u0000${length}\u0000${attention.prefill}\u0000${attention.decode}\u0000${attention.compression}`;
    let figures = cache.get(key);
    if (figures === undefined) {
      const config = configs[index];
      const answer = model && config ? model({ model: models[index]?.name ?? '', config, length, prefill: attention.prefill, decode: attention.decode, compression: attention.compression }) : undefined;
      const prefillFlops = answer?.['prefillFlops'];
      const decodeBytesPerStep = answer?.['decodeBytesPerStep'];
      figures = typeof prefillFlops === 'number' && typeof decodeBytesPerStep === 'number' && Number.isFinite(prefillFlops + decodeBytesPerStep) ? { prefillFlops, decodeBytesPerStep } : null;
      cache.set(key, figures);
    }
    return figures ? expectedSeconds(figures, outputTokens, rates) : proxyCost(length, outputTokens);
  };
}
