// Rotary position embeddings: inverse frequencies for each RoPE variant (as transformers computes
// them) and the cos/sin tables the graph and the reference use. Tables are computed in float64.
import type { ModelSpec, RopeScaling } from './checkpoint/config.js';

/**
 * Inverse frequencies (head_dim / 2 of them) and the factor applied to cos and sin.
 * @example inverseFrequencies(128, 1e6, { type: 'default' }).inv.length // 64
 */
export function inverseFrequencies(headDim: number, theta: number, rope: RopeScaling): { inv: Float64Array; attentionFactor: number } {
  const half = headDim / 2;
  const base = new Float64Array(half);
  for (let i = 0; i < half; i++) base[i] = 1 / theta ** ((2 * i) / headDim);
  switch (rope.type) {
    case 'default':
      return { inv: base, attentionFactor: 1 };
    case 'linear':
      return { inv: base.map((f) => f / rope.factor), attentionFactor: 1 };
    case 'llama3': {
      const lowWavelen = rope.originalMaxPositionEmbeddings / rope.lowFreqFactor;
      const highWavelen = rope.originalMaxPositionEmbeddings / rope.highFreqFactor;
      const inv = base.map((f) => {
        const wavelen = (2 * Math.PI) / f;
        if (wavelen < highWavelen) return f;
        if (wavelen > lowWavelen) return f / rope.factor;
        const smooth = (rope.originalMaxPositionEmbeddings / wavelen - rope.lowFreqFactor) / (rope.highFreqFactor - rope.lowFreqFactor);
        return (1 - smooth) * (f / rope.factor) + smooth * f;
      });
      return { inv, attentionFactor: 1 };
    }
    case 'yarn': {
      const correctionDim = (rotations: number): number =>
        (headDim * Math.log(rope.originalMaxPositionEmbeddings / (rotations * 2 * Math.PI))) / (2 * Math.log(theta));
      let low = correctionDim(rope.betaFast);
      let high = correctionDim(rope.betaSlow);
      if (rope.truncate) {
        low = Math.floor(low);
        high = Math.ceil(high);
      }
      low = Math.max(low, 0);
      high = Math.min(high, headDim - 1);
      if (low === high) high += 0.001;
      const inv = base.map((f, i) => {
        const ramp = Math.min(1, Math.max(0, (i - low) / (high - low)));
        const extrapolation = 1 - ramp;
        return (f / rope.factor) * (1 - extrapolation) + f * extrapolation;
      });
      return { inv, attentionFactor: rope.attentionFactor };
    }
  }
}

/** cos and sin tables, [positions, head_dim / 2] row-major, scaled by the attention factor. */
export interface RopeTables {
  cos: Float64Array;
  sin: Float64Array;
  positions: number;
  half: number;
}

/**
 * Tables for positions 0 .. positions-1.
 * @example ropeTables(spec, 4096).cos.length // 4096 * headDim / 2
 */
export function ropeTables(spec: ModelSpec, positions: number): RopeTables {
  const { inv, attentionFactor } = inverseFrequencies(spec.headDim, spec.ropeTheta, spec.rope);
  const half = spec.headDim / 2;
  const cos = new Float64Array(positions * half);
  const sin = new Float64Array(positions * half);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      const angle = p * inv[i]!;
      cos[p * half + i] = Math.cos(angle) * attentionFactor;
      sin[p * half + i] = Math.sin(angle) * attentionFactor;
    }
  }
  return { cos, sin, positions, half };
}
