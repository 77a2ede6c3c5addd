// Random-weight checkpoints: a WeightSource that invents every tensor of a config from a seed, and
// a writer that saves one in Hugging Face's layout (config.json + model.safetensors + tokenizer).
// Tests build tiny ones of each family; the benchmark builds 7B-shaped ones straight into graphs.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Random } from '../../../generators/core/random.js';
import { parseConfig, type ModelSpec } from './config.js';
import type { RawTensor, WeightSource } from './checkpoint.js';
import { BYTES, floatToBf16, floatToHalf, type ElementType } from '../dtype.js';
import { writeSafetensors } from './safetensors.js';
import { layerNames, EMBED, FINAL_NORM, LM_HEAD } from '../graph/weight-layout.js';

/** Names and shapes of every tensor a config's checkpoint holds, in a stable order. */
export function tensorShapes(spec: ModelSpec): Map<string, number[]> {
  const d = spec.hiddenSize;
  const q = spec.numHeads * spec.headDim;
  const kv = spec.numKvHeads * spec.headDim;
  const shapes = new Map<string, number[]>();
  shapes.set(EMBED, [spec.vocabSize, d]);
  for (let layer = 0; layer < spec.numLayers; layer++) {
    const n = layerNames(layer);
    shapes.set(n.inputNorm, [d]);
    shapes.set(`${n.q}.weight`, [q, d]);
    shapes.set(`${n.k}.weight`, [kv, d]);
    shapes.set(`${n.v}.weight`, [kv, d]);
    if (spec.qkvBias) {
      shapes.set(`${n.q}.bias`, [q]);
      shapes.set(`${n.k}.bias`, [kv]);
      shapes.set(`${n.v}.bias`, [kv]);
    }
    shapes.set(`${n.o}.weight`, [d, q]);
    if (spec.outputBias) shapes.set(`${n.o}.bias`, [d]);
    if (spec.qkNorm) {
      shapes.set(n.qNorm, [spec.headDim]);
      shapes.set(n.kNorm, [spec.headDim]);
    }
    shapes.set(n.postNorm, [d]);
    shapes.set(`${n.gate}.weight`, [spec.intermediateSize, d]);
    shapes.set(`${n.up}.weight`, [spec.intermediateSize, d]);
    shapes.set(`${n.down}.weight`, [d, spec.intermediateSize]);
  }
  shapes.set(FINAL_NORM, [d]);
  if (!spec.tieWordEmbeddings) shapes.set(LM_HEAD, [spec.vocabSize, d]);
  return shapes;
}

/** Options of a synthetic source. */
export interface SyntheticOptions {
  seed: string;
  dtype: ElementType;
  /** Uniform weights in [-scale, scale] (norm weights are 1 +/- scale). */
  scale?: number;
  /**
   * `exact`: every value drawn from the seeded PRNG (reproducible bit for bit, slow: tests).
   * `fast`: tensors cut from one seeded random pool (benchmarks of large models).
   */
  mode?: 'exact' | 'fast';
}

/** Encodes float values to raw bytes of `dtype`. */
export function encodeValues(values: ArrayLike<number>, dtype: ElementType): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(Float32Array.from(values).buffer);
  const out = new Uint16Array(values.length);
  const enc = dtype === 'F16' ? floatToHalf : floatToBf16;
  for (let i = 0; i < values.length; i++) out[i] = enc(values[i]!);
  return new Uint8Array(out.buffer);
}

/** A WeightSource whose tensors are seeded random numbers. */
export class SyntheticSource implements WeightSource {
  private readonly shapes: Map<string, number[]>;
  private pool: Uint8Array | null = null;

  constructor(readonly spec: ModelSpec, readonly options: SyntheticOptions) {
    this.shapes = tensorShapes(spec);
  }

  entries(): Map<string, { dtype: ElementType; shape: number[] }> {
    return new Map([...this.shapes].map(([name, shape]) => [name, { dtype: this.options.dtype, shape }]));
  }

  fingerprint(): string {
    return createHash('sha256').update(JSON.stringify({ spec: this.spec, options: this.options })).digest('hex');
  }

  /** In `fast` mode, random bytes of the packed shape directly (the values are random either way). */
  packedLinear(names: readonly string[], to: ElementType): { bytes: Uint8Array; rows: number; cols: number } | null {
    if ((this.options.mode ?? 'exact') !== 'fast' || to !== this.options.dtype) return null;
    const shapes = names.map((n) => this.shapes.get(`${n}.weight`));
    if (shapes.some((s) => !s)) return null;
    const rows = shapes[0]![1]!;
    const cols = shapes.reduce((a, s) => a + s![0]!, 0);
    return { bytes: this.poolBytes(names.join('+'), rows * cols * BYTES[to]), rows, cols };
  }

  read(name: string): RawTensor {
    const shape = this.shapes.get(name);
    if (!shape) throw new Error(`Synthetic checkpoint has no tensor "${name}".`);
    const count = shape.reduce((a, x) => a * x, 1);
    const scale = this.options.scale ?? 0.05;
    const isNorm = name.endsWith('norm.weight');
    const dtype = this.options.dtype;
    if ((this.options.mode ?? 'exact') === 'exact' || isNorm) {
      const random = new Random(`${this.options.seed}/${name}`);
      const values = new Float64Array(count);
      for (let i = 0; i < count; i++) values[i] = (isNorm ? 1 : 0) + (2 * random.next() - 1) * scale;
      return { dtype, shape, bytes: encodeValues(values, dtype) };
    }
    return { dtype, shape, bytes: this.poolBytes(name, count * BYTES[dtype]) };
  }

  /** `size` bytes cut from the random pool at an offset derived from `name`. */
  private poolBytes(name: string, size: number): Uint8Array {
    const pool = this.randomPool();
    const bytes = new Uint8Array(size);
    let at = (Number.parseInt(createHash('sha256').update(name).digest('hex').slice(0, 8), 16) % (pool.byteLength / 4)) * 4;
    for (let done = 0; done < size;) {
      const n = Math.min(size - done, pool.byteLength - at);
      bytes.set(pool.subarray(at, at + n), done);
      done += n;
      at = 0;
    }
    return bytes;
  }

  private randomPool(): Uint8Array {
    if (this.pool) return this.pool;
    const count = 1 << 24;
    const random = new Random(`${this.options.seed}/pool`);
    const scale = this.options.scale ?? 0.05;
    const values = new Float64Array(count);
    for (let i = 0; i < count; i++) values[i] = (2 * random.next() - 1) * scale;
    this.pool = encodeValues(values, this.options.dtype);
    return this.pool;
  }
}

/** Families of the tiny fixture checkpoints (CI compares them with stored transformers logits). */
export const FIXTURE_FAMILIES = ['llama', 'mistral', 'qwen2', 'qwen3'] as const;
export type FixtureFamily = (typeof FIXTURE_FAMILIES)[number];

/** The seed of each family's fixture checkpoint (the stored transformers logits come from these). */
export const fixtureSeed = (family: FixtureFamily): string => `longweave-engine-fixture/${family}`;

/**
 * Writes a family's tiny fixture checkpoint into `root/family` (Llama's in two shards) and returns
 * the folder; the files are bit-identical on every machine.
 */
export function writeFixtureCheckpoint(family: FixtureFamily, root: string): string {
  const dir = join(root, family);
  writeRandomCheckpoint(dir, tinyConfig(family), fixtureSeed(family), { shards: family === 'llama' ? 2 : 1 });
  return dir;
}

/** Hugging Face config.json objects of tiny models of each family, for tests. */
export function tinyConfig(family: 'llama' | 'qwen2' | 'qwen3' | 'mistral', overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = {
    hidden_size: 64,
    intermediate_size: 96,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    vocab_size: 272,
    rms_norm_eps: 1e-6,
    max_position_embeddings: 512,
    hidden_act: 'silu',
    torch_dtype: 'float32',
    bos_token_id: 256,
    eos_token_id: 257,
  };
  const byFamily: Record<string, Record<string, unknown>> = {
    llama: {
      architectures: ['LlamaForCausalLM'], model_type: 'llama', rope_theta: 500000, attention_bias: false, mlp_bias: false, tie_word_embeddings: false,
      rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 },
    },
    mistral: { architectures: ['MistralForCausalLM'], model_type: 'mistral', rope_theta: 1000000, sliding_window: null, tie_word_embeddings: false, head_dim: 16 },
    qwen2: { architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', rope_theta: 1000000, tie_word_embeddings: true, use_sliding_window: false, sliding_window: 512, max_window_layers: 2 },
    qwen3: {
      architectures: ['Qwen3ForCausalLM'], model_type: 'qwen3', rope_theta: 1000000, tie_word_embeddings: true, head_dim: 32, attention_bias: false,
      use_sliding_window: false, sliding_window: null, torch_dtype: 'bfloat16',
    },
  };
  return { ...base, ...byFamily[family], ...overrides };
}

/** A byte-level tokenizer.json (256 byte tokens, no merges) with ChatML special tokens, for tests. */
export function tinyTokenizer(): { tokenizer: Record<string, unknown>; config: Record<string, unknown> } {
  // GPT-2's byte-to-unicode map, so every byte is one token of the ByteLevel pre-tokenizer.
  const bytes: number[] = [];
  for (let b = 33; b <= 126; b++) bytes.push(b);
  for (let b = 161; b <= 172; b++) bytes.push(b);
  for (let b = 174; b <= 255; b++) bytes.push(b);
  const chars = new Map<number, string>();
  for (const b of bytes) chars.set(b, String.fromCharCode(b));
  let extra = 0;
  for (let b = 0; b < 256; b++) if (!chars.has(b)) chars.set(b, String.fromCharCode(256 + extra++));
  const vocab: Record<string, number> = {};
  for (let b = 0; b < 256; b++) vocab[chars.get(b)!] = b;
  const specials = ['<|endoftext|>', '<|im_end|>', '<|im_start|>'];
  return {
    tokenizer: {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: specials.map((content, i) => ({ id: 256 + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
      normalizer: null,
      pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
      post_processor: null,
      decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab, merges: [] },
    },
    config: {
      eos_token: '<|im_end|>',
      bos_token: null,
      pad_token: '<|endoftext|>',
      chat_template:
        "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
    },
  };
}

/**
 * Writes a random-weight checkpoint in Hugging Face's layout. With `mode: 'exact'` the files are
 * bit-identical on every machine for the same config and seed.
 * @example writeRandomCheckpoint('/tmp/tiny-qwen2', tinyConfig('qwen2'), 'seed-1')
 */
export function writeRandomCheckpoint(dir: string, config: Record<string, unknown>, seed: string, options: { shards?: number } = {}): ModelSpec {
  const spec = parseConfig(config);
  const dtype: ElementType = spec.dtype === 'bfloat16' ? 'BF16' : spec.dtype === 'float16' ? 'F16' : 'F32';
  const source = new SyntheticSource(spec, { seed, dtype, mode: 'exact' });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  const tensors = [...tensorShapes(spec).keys()].map((name) => {
    const t = source.read(name);
    return { name, dtype: t.dtype, shape: t.shape, data: t.bytes };
  });
  const shards = options.shards ?? 1;
  if (shards <= 1) {
    writeSafetensors(join(dir, 'model.safetensors'), tensors);
  } else {
    const weightMap: Record<string, string> = {};
    const per = Math.ceil(tensors.length / shards);
    for (let s = 0; s < shards; s++) {
      const file = `model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
      const part = tensors.slice(s * per, (s + 1) * per);
      writeSafetensors(join(dir, file), part);
      for (const t of part) weightMap[t.name] = file;
    }
    const totalSize = tensors.reduce((a, t) => a + t.data.byteLength, 0);
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap }, null, 2));
  }
  const tok = tinyTokenizer();
  if (spec.vocabSize >= 259) {
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tok.tokenizer));
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(tok.config, null, 2));
  }
  return spec;
}
