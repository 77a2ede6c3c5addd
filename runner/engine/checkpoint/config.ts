// config.json of a Hugging Face checkpoint, read into the one model description the engine uses.
// Anything the engine cannot run is refused here with the field's name, before any graph is built.

/** The RoPE variant and its parameters. */
export type RopeScaling =
  | { type: 'default' }
  | { type: 'linear'; factor: number }
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositionEmbeddings: number }
  | {
      type: 'yarn';
      factor: number;
      originalMaxPositionEmbeddings: number;
      betaFast: number;
      betaSlow: number;
      /** Scale applied to cos and sin (attention temperature). */
      attentionFactor: number;
      truncate: boolean;
    };

/** Model families the engine runs. */
export const FAMILIES = {
  llama: { architectures: ['LlamaForCausalLM'], description: 'Llama 2/3.x (RoPE default or llama3 scaling)' },
  mistral: { architectures: ['MistralForCausalLM'], description: 'Mistral (no sliding window)' },
  qwen2: { architectures: ['Qwen2ForCausalLM'], description: 'Qwen2 / Qwen2.5 (q/k/v bias, YaRN beyond 32k)' },
  qwen3: { architectures: ['Qwen3ForCausalLM'], description: 'Qwen3 dense (per-head q/k RMSNorm)' },
} as const;
export type Family = keyof typeof FAMILIES;

/** Everything the graph builder and the reference need to know about a decoder. */
export interface ModelSpec {
  family: Family;
  architecture: string;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  vocabSize: number;
  rmsNormEps: number;
  ropeTheta: number;
  rope: RopeScaling;
  maxPositionEmbeddings: number;
  tieWordEmbeddings: boolean;
  /** q/k/v projections carry a bias (Qwen2; Llama's attention_bias). */
  qkvBias: boolean;
  /** o_proj carries a bias (Llama's attention_bias). */
  outputBias: boolean;
  /** Per-head RMSNorm on q and k before RoPE (Qwen3). */
  qkNorm: boolean;
  /** Checkpoint dtype from torch_dtype / dtype. */
  dtype: string;
  bosTokenId?: number;
  eosTokenIds: number[];
}

/** Thrown for a config the engine cannot run; `field` names the config.json field. */
export class UnsupportedConfigError extends Error {
  constructor(readonly field: string, message: string) {
    super(`config.json field "${field}": ${message}`);
    this.name = 'UnsupportedConfigError';
  }
}

function num(config: Record<string, unknown>, field: string, fallback?: number): number {
  const value = config[field] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new UnsupportedConfigError(field, value === undefined ? 'is missing (a number is required).' : `is ${JSON.stringify(value)}, a number is required.`);
  }
  return value;
}

function intField(config: Record<string, unknown>, field: string, fallback?: number): number {
  const value = num(config, field, fallback);
  if (!Number.isInteger(value) || value <= 0) throw new UnsupportedConfigError(field, `is ${value}, a positive integer is required.`);
  return value;
}

function tokenIds(value: unknown): number[] {
  if (typeof value === 'number') return [value];
  if (Array.isArray(value)) return value.filter((v): v is number => typeof v === 'number');
  return [];
}

/**
 * Parses the RoPE settings of a config: `rope_scaling` (transformers 4) or `rope_parameters`
 * (transformers 5, which also carries rope_theta).
 */
export function parseRopeScaling(config: Record<string, unknown>, maxPositionEmbeddings: number): RopeScaling {
  const raw = (config['rope_scaling'] ?? config['rope_parameters'] ?? null) as Record<string, unknown> | null;
  if (raw === null) return { type: 'default' };
  if (typeof raw !== 'object') throw new UnsupportedConfigError('rope_scaling', `is ${JSON.stringify(raw)}, an object or null is required.`);
  const type = String(raw['rope_type'] ?? raw['type'] ?? 'default');
  const factor = (): number => {
    const f = raw['factor'];
    if (typeof f !== 'number' || !(f > 0)) throw new UnsupportedConfigError('rope_scaling.factor', `is ${JSON.stringify(f)}, a positive number is required.`);
    return f;
  };
  switch (type) {
    case 'default':
      return { type: 'default' };
    case 'linear':
      return { type: 'linear', factor: factor() };
    case 'llama3':
      return {
        type: 'llama3',
        factor: factor(),
        lowFreqFactor: num(raw, 'low_freq_factor'),
        highFreqFactor: num(raw, 'high_freq_factor'),
        originalMaxPositionEmbeddings: num(raw, 'original_max_position_embeddings'),
      };
    case 'yarn': {
      const f = factor();
      const mscale = (s: number, m = 1): number => (s <= 1 ? 1 : 0.1 * m * Math.log(s) + 1);
      const ms = raw['mscale'];
      const msAll = raw['mscale_all_dim'];
      const attentionFactor = typeof raw['attention_factor'] === 'number'
        ? raw['attention_factor']
        : typeof ms === 'number' && typeof msAll === 'number' && ms && msAll
          ? mscale(f, ms) / mscale(f, msAll)
          : mscale(f);
      return {
        type: 'yarn',
        factor: f,
        originalMaxPositionEmbeddings: typeof raw['original_max_position_embeddings'] === 'number' ? raw['original_max_position_embeddings'] : maxPositionEmbeddings,
        betaFast: typeof raw['beta_fast'] === 'number' ? raw['beta_fast'] : 32,
        betaSlow: typeof raw['beta_slow'] === 'number' ? raw['beta_slow'] : 1,
        attentionFactor,
        truncate: raw['truncate'] !== false,
      };
    }
    default:
      throw new UnsupportedConfigError('rope_scaling.rope_type', `"${type}" is not supported; the engine runs default, linear, llama3 and yarn.`);
  }
}

/**
 * Reads a parsed config.json into a ModelSpec.
 * @throws UnsupportedConfigError naming the first field the engine cannot run.
 * @example parseConfig(JSON.parse(readFileSync('/m/config.json', 'utf8'))).family // 'qwen2'
 */
export function parseConfig(config: Record<string, unknown>): ModelSpec {
  const architectures = config['architectures'];
  const architecture = Array.isArray(architectures) && typeof architectures[0] === 'string' ? architectures[0] : undefined;
  const modelType = typeof config['model_type'] === 'string' ? config['model_type'] : undefined;
  const family = (Object.keys(FAMILIES) as Family[]).find((f) =>
    architecture ? (FAMILIES[f].architectures as readonly string[]).includes(architecture) : f === modelType,
  );
  if (!family) {
    const supported = Object.values(FAMILIES).flatMap((f) => f.architectures).join(', ');
    throw new UnsupportedConfigError(architecture ? 'architectures' : 'model_type', `"${architecture ?? modelType}" is not supported; the engine runs ${supported}.`);
  }
  if (config['quantization_config'] !== undefined) throw new UnsupportedConfigError('quantization_config', 'quantized checkpoints are not supported; use fp16, bf16 or fp32 weights.');
  const act = config['hidden_act'] ?? 'silu';
  if (act !== 'silu') throw new UnsupportedConfigError('hidden_act', `is "${String(act)}"; the engine runs "silu" (SwiGLU) MLPs.`);
  if (config['mlp_bias'] === true) throw new UnsupportedConfigError('mlp_bias', 'MLP biases are not supported.');
  const partial = config['partial_rotary_factor'];
  if (partial !== undefined && partial !== 1 && partial !== 1.0) throw new UnsupportedConfigError('partial_rotary_factor', `is ${String(partial)}; only full rotary embeddings (1.0) are supported.`);
  const sliding = config['sliding_window'];
  const slidingUsed = family === 'qwen2' || family === 'qwen3' ? config['use_sliding_window'] === true : typeof sliding === 'number';
  if (slidingUsed) throw new UnsupportedConfigError(family === 'mistral' || family === 'llama' ? 'sliding_window' : 'use_sliding_window', `sliding-window attention (window ${String(sliding)}) is not supported; the engine attends to the whole context.`);
  if (config['layer_types'] !== undefined && Array.isArray(config['layer_types']) && config['layer_types'].some((t) => t !== 'full_attention')) {
    throw new UnsupportedConfigError('layer_types', 'only "full_attention" layers are supported.');
  }

  const hiddenSize = intField(config, 'hidden_size');
  const numHeads = intField(config, 'num_attention_heads');
  const numKvHeads = intField(config, 'num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0) throw new UnsupportedConfigError('num_key_value_heads', `${numKvHeads} does not divide num_attention_heads ${numHeads}.`);
  const headDim = config['head_dim'] === undefined || config['head_dim'] === null ? hiddenSize / numHeads : intField(config, 'head_dim');
  if (!Number.isInteger(headDim)) throw new UnsupportedConfigError('head_dim', `hidden_size ${hiddenSize} / num_attention_heads ${numHeads} is not an integer.`);
  if (headDim % 2 !== 0) throw new UnsupportedConfigError('head_dim', `is ${headDim}; rotary embeddings need an even head size.`);
  const maxPositionEmbeddings = intField(config, 'max_position_embeddings', 4096);
  const attentionBias = config['attention_bias'] === true;
  const dtype = String(config['torch_dtype'] ?? config['dtype'] ?? 'float32');
  if (!['float32', 'float16', 'bfloat16'].includes(dtype)) throw new UnsupportedConfigError('torch_dtype', `is "${dtype}"; the engine reads float32, float16 and bfloat16.`);
  const bos = config['bos_token_id'];
  return {
    family,
    architecture: architecture ?? FAMILIES[family].architectures[0],
    hiddenSize,
    intermediateSize: intField(config, 'intermediate_size'),
    numLayers: intField(config, 'num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    vocabSize: intField(config, 'vocab_size'),
    rmsNormEps: num(config, 'rms_norm_eps', 1e-6),
    ropeTheta: typeof config['rope_theta'] === 'number'
      ? config['rope_theta']
      : typeof (config['rope_parameters'] as Record<string, unknown> | undefined)?.['rope_theta'] === 'number'
        ? ((config['rope_parameters'] as Record<string, unknown>)['rope_theta'] as number)
        : num(config, 'rope_theta', 10000),
    rope: parseRopeScaling(config, maxPositionEmbeddings),
    maxPositionEmbeddings,
    tieWordEmbeddings: config['tie_word_embeddings'] === true,
    qkvBias: family === 'qwen2' ? true : attentionBias,
    outputBias: family === 'llama' || family === 'mistral' ? attentionBias : false,
    qkNorm: family === 'qwen3',
    dtype,
    ...(typeof bos === 'number' ? { bosTokenId: bos } : {}),
    eosTokenIds: tokenIds(config['eos_token_id']),
  };
}

/**
 * The longest context the model runs at with its RoPE settings (max_position_embeddings, times the
 * YaRN factor when YaRN scales an original window).
 */
export function contextLimit(spec: ModelSpec): number {
  if (spec.rope.type === 'yarn') return Math.max(spec.maxPositionEmbeddings, Math.round(spec.rope.originalMaxPositionEmbeddings * spec.rope.factor));
  return spec.maxPositionEmbeddings;
}

/** Parameter count (embeddings counted once when tied). */
export function parameterCount(spec: ModelSpec): number {
  const d = spec.hiddenSize;
  const q = spec.numHeads * spec.headDim;
  const kv = spec.numKvHeads * spec.headDim;
  const attn = d * q + 2 * d * kv + q * d + (spec.qkvBias ? q + 2 * kv : 0) + (spec.outputBias ? d : 0) + (spec.qkNorm ? 2 * spec.headDim : 0);
  const mlp = 3 * d * spec.intermediateSize;
  const layer = attn + mlp + 2 * d;
  return spec.numLayers * layer + d + spec.vocabSize * d * (spec.tieWordEmbeddings ? 1 : 2);
}
