// config.json objects of real model shapes, for benchmarks and GPU checks with random weights
// (nothing is downloaded: the weights are synthetic, only the shapes are real).

export const MODEL_SHAPES = {
  'qwen2.5-7b': {
    architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', hidden_size: 3584, intermediate_size: 18944, num_hidden_layers: 28,
    num_attention_heads: 28, num_key_value_heads: 4, vocab_size: 152064, rms_norm_eps: 1e-6, rope_theta: 1000000,
    max_position_embeddings: 32768, tie_word_embeddings: false, use_sliding_window: false, hidden_act: 'silu', torch_dtype: 'bfloat16',
    bos_token_id: 151643, eos_token_id: 151645,
  },
  'llama3.1-8b': {
    architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32,
    num_attention_heads: 32, num_key_value_heads: 8, vocab_size: 128256, rms_norm_eps: 1e-5, rope_theta: 500000,
    max_position_embeddings: 131072, tie_word_embeddings: false, hidden_act: 'silu', torch_dtype: 'bfloat16', attention_bias: false, mlp_bias: false,
    rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 },
    bos_token_id: 128000, eos_token_id: [128001, 128008, 128009],
  },
} as const satisfies Record<string, Record<string, unknown>>;

export type ModelShape = keyof typeof MODEL_SHAPES;

/**
 * A shape's config.json, optionally with fewer layers.
 * @throws Error naming the allowed shapes.
 * @example shapeConfig('qwen2.5-7b', { num_hidden_layers: 2 })
 */
export function shapeConfig(name: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const shape = (MODEL_SHAPES as Record<string, Record<string, unknown>>)[name];
  if (!shape) throw new Error(`Unknown model shape "${name}"; allowed: ${Object.keys(MODEL_SHAPES).join(', ')}.`);
  return JSON.parse(JSON.stringify({ ...shape, ...overrides })) as Record<string, unknown>;
}
