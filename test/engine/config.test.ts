// config.json parsing (families, refusals naming the field), RoPE variants, fp16/bf16 conversion,
// safetensors round trips and the cost model's memory figures.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contextLimit, parameterCount, parseConfig, UnsupportedConfigError } from '../../runner/engine/checkpoint/config.js';
import { shapeConfig } from '../../runner/engine/checkpoint/shapes.js';
import { tinyConfig } from '../../runner/engine/checkpoint/synthetic.js';
import { inverseFrequencies } from '../../runner/engine/rope.js';
import { bf16ToFloat, convertBytes, floatToBf16, floatToHalf, halfToFloat } from '../../runner/engine/dtype.js';
import { readSafetensorsHeader, readTensorBytes, writeSafetensors } from '../../runner/engine/checkpoint/safetensors.js';
import { openCheckpoint } from '../../runner/engine/checkpoint/checkpoint.js';
import { withYarn } from '../../runner/engine/engine.js';
import { memoryNeeded } from '../../runner/engine/cost.js';

function refusal(config: Record<string, unknown>): { field: string; message: string } {
  try {
    parseConfig(config);
  } catch (error) {
    if (error instanceof UnsupportedConfigError) return { field: error.field, message: error.message };
    throw error;
  }
  throw new Error('config was accepted');
}

describe('parseConfig', () => {
  it('reads each family', () => {
    expect(parseConfig(tinyConfig('qwen2'))).toMatchObject({ family: 'qwen2', qkvBias: true, qkNorm: false, tieWordEmbeddings: true, headDim: 16 });
    expect(parseConfig(tinyConfig('qwen3'))).toMatchObject({ family: 'qwen3', qkvBias: false, qkNorm: true, headDim: 32, dtype: 'bfloat16' });
    expect(parseConfig(tinyConfig('llama')).rope).toEqual({ type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 64 });
    expect(parseConfig(tinyConfig('mistral'))).toMatchObject({ family: 'mistral', numKvHeads: 2, eosTokenIds: [257] });
  });

  it('reads transformers 5 rope_parameters', () => {
    const spec = parseConfig({ ...tinyConfig('qwen2'), rope_theta: undefined, rope_parameters: { rope_type: 'default', rope_theta: 12345 } });
    expect(spec.ropeTheta).toBe(12345);
    expect(spec.rope).toEqual({ type: 'default' });
  });

  it('refuses what it cannot run, naming the field', () => {
    expect(refusal({ ...tinyConfig('llama'), architectures: ['GPTNeoXForCausalLM'] })).toEqual({
      field: 'architectures',
      message: 'config.json field "architectures": "GPTNeoXForCausalLM" is not supported; the engine runs LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM.',
    });
    expect(refusal({ ...tinyConfig('mistral'), sliding_window: 4096 }).field).toBe('sliding_window');
    expect(refusal({ ...tinyConfig('qwen2'), use_sliding_window: true }).field).toBe('use_sliding_window');
    expect(refusal({ ...tinyConfig('llama'), hidden_act: 'gelu' }).field).toBe('hidden_act');
    expect(refusal({ ...tinyConfig('llama'), rope_scaling: { rope_type: 'longrope', factor: 2 } }).field).toBe('rope_scaling.rope_type');
    expect(refusal({ ...tinyConfig('llama'), num_key_value_heads: 3 }).field).toBe('num_key_value_heads');
    expect(refusal({ ...tinyConfig('llama'), quantization_config: { bits: 4 } }).field).toBe('quantization_config');
    expect(refusal({ ...tinyConfig('llama'), partial_rotary_factor: 0.5 }).field).toBe('partial_rotary_factor');
    expect(refusal({ ...tinyConfig('qwen3'), hidden_size: undefined }).field).toBe('hidden_size');
    expect(refusal({ ...tinyConfig('qwen3'), torch_dtype: 'int8' }).field).toBe('torch_dtype');
  });

  it('counts parameters of real shapes', () => {
    expect(parameterCount(parseConfig(shapeConfig('qwen2.5-7b')))).toBe(7615616512);
    expect(parameterCount(parseConfig(shapeConfig('llama3.1-8b')))).toBe(8030261248);
  });
});

describe('RoPE', () => {
  it('default: theta^(-2i/d)', () => {
    const { inv, attentionFactor } = inverseFrequencies(8, 10000, { type: 'default' });
    expect([...inv]).toEqual([1, 0.1, 0.01, 0.001].map((x, i) => expect.closeTo(x, 12 - i)));
    expect(attentionFactor).toBe(1);
  });

  it('llama3: keeps high frequencies, divides low ones by the factor, smooths between', () => {
    const base = inverseFrequencies(128, 500000, { type: 'default' }).inv;
    const rope = { type: 'llama3' as const, factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 };
    const { inv } = inverseFrequencies(128, 500000, rope);
    base.forEach((f, i) => {
      const wavelen = (2 * Math.PI) / f;
      if (wavelen < 8192 / 4) expect(inv[i]).toBe(f);
      else if (wavelen > 8192) expect(inv[i]).toBeCloseTo(f / 8, 15);
      else {
        expect(inv[i]!).toBeLessThan(f);
        expect(inv[i]!).toBeGreaterThan(f / 8);
      }
    });
  });

  it('YaRN (Qwen2.5 x4 over 32k): extrapolates high frequencies, interpolates low ones, scales attention', () => {
    const spec = withYarn(parseConfig(shapeConfig('qwen2.5-7b')), 4);
    expect(contextLimit(spec)).toBe(131072);
    expect(spec.rope).toMatchObject({ type: 'yarn', factor: 4, originalMaxPositionEmbeddings: 32768 });
    const { inv, attentionFactor } = inverseFrequencies(128, 1e6, spec.rope);
    const base = inverseFrequencies(128, 1e6, { type: 'default' }).inv;
    expect(attentionFactor).toBeCloseTo(0.1 * Math.log(4) + 1, 15);
    // Correction range for beta_fast 32 / beta_slow 1 at 32k, theta 1e6, d 128:
    // floor(128 ln(32768 / (32 2pi)) / (2 ln 1e6)) = floor(23.6) = 23, ceil(39.65) = 40.
    expect(inv[0]).toBe(base[0]);
    expect(inv[23]).toBe(base[23]);
    expect(inv[40]).toBeCloseTo(base[40]! / 4, 18);
    expect(inv[63]).toBeCloseTo(base[63]! / 4, 18);
    expect(inv[30]! / base[30]!).toBeCloseTo(1 - ((30 - 23) / (40 - 23)) * 0.75, 12);
  });
});

describe('dtype conversion', () => {
  it('rounds to fp16 to nearest even and decodes bf16', () => {
    expect(floatToHalf(1)).toBe(0x3c00);
    expect(floatToHalf(-2)).toBe(0xc000);
    expect(floatToHalf(65504)).toBe(0x7bff);
    expect(floatToHalf(65520)).toBe(0x7c00);
    expect(floatToHalf(2 ** -24)).toBe(1);
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie -> even
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(halfToFloat(0x3555)).toBeCloseTo(0.333251953125, 15);
    expect(bf16ToFloat(floatToBf16(3.140625))).toBe(3.140625);
    const bf16 = new Uint8Array(new Uint16Array([floatToBf16(0.5), floatToBf16(-1.25)]).buffer);
    expect([...new Float32Array(convertBytes(bf16, 'BF16', 'F32').buffer)]).toEqual([0.5, -1.25]);
    expect([...new Uint16Array(convertBytes(bf16, 'BF16', 'F16').buffer)]).toEqual([0x3800, 0xbd00]);
  });
});

describe('checkpoint files', () => {
  it('round-trips safetensors and refuses missing weights with the file named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-st-'));
    try {
      const data = new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer);
      writeSafetensors(join(dir, 'a.safetensors'), [{ name: 'w', dtype: 'F32', shape: [2, 3], data }]);
      const entry = readSafetensorsHeader(join(dir, 'a.safetensors')).get('w')!;
      expect(entry.shape).toEqual([2, 3]);
      expect([...new Float32Array(readTensorBytes(entry).slice().buffer)]).toEqual([1, 2, 3, 4, 5, 6]);
      writeFileSync(join(dir, 'config.json'), JSON.stringify(tinyConfig('qwen2')));
      expect(() => openCheckpoint(dir)).toThrow(/neither model.safetensors nor model.safetensors.index.json/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('memory', () => {
  it('sizes a 128k-token run of a 7B model under 80 GB', () => {
    const spec = withYarn(parseConfig(shapeConfig('qwen2.5-7b')), 4);
    const m = memoryNeeded(spec, 131072);
    expect(m.weights).toBe(7615616512 * 2);
    expect(m.kvCache).toBe(2 * 28 * 2 * 131072 * 4 * 128 * 2);
    expect(m.total).toBeLessThan(80e9);
  });
});
