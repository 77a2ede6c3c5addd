// Seeded random attention inputs for the sparse-attention reference tests.
import { Random } from '../../../generators/core/random.js';
import { headTensor, type DecodeInput, type HeadTensor, type PrefillInput } from '../../../runner/engine/sparse/tensor.js';

/** Uniform values in [-scale, scale] from a seed, as float32 like the engine's tensors. */
export function randomTensor(seed: string, heads: number, length: number, headDim: number, scale = 1): HeadTensor {
  const rng = new Random(seed);
  const data = new Float32Array(heads * length * headDim);
  for (let i = 0; i < data.length; i++) data[i] = (rng.next() * 2 - 1) * scale;
  return headTensor(heads, length, headDim, data);
}

/** A prefill input: `heads` query heads over `kvHeads` KV heads. Queries are scaled so attention is peaked. */
export function randomPrefill(seed: string, heads: number, kvHeads: number, length: number, headDim = 8): PrefillInput {
  return {
    query: randomTensor(`${seed}/q`, heads, length, headDim, 2),
    key: randomTensor(`${seed}/k`, kvHeads, length, headDim, 2),
    value: randomTensor(`${seed}/v`, kvHeads, length, headDim),
  };
}

/** A decode step whose cache is the prefill's keys and values plus one new token. */
export function stepAfter(prefill: PrefillInput, seed: string): DecodeInput {
  const extend = (t: HeadTensor, fresh: HeadTensor): HeadTensor => {
    const out = headTensor(t.heads, t.length + 1, t.headDim);
    for (let h = 0; h < t.heads; h++) {
      out.data.set(t.data.subarray(h * t.length * t.headDim, (h + 1) * t.length * t.headDim), h * (t.length + 1) * t.headDim);
      out.data.set(fresh.data.subarray(h * t.headDim, (h + 1) * t.headDim), (h * (t.length + 1) + t.length) * t.headDim);
    }
    return out;
  };
  const { heads, headDim } = prefill.query;
  return {
    query: randomTensor(`${seed}/q1`, heads, 1, headDim, 2),
    key: extend(prefill.key, randomTensor(`${seed}/k1`, prefill.key.heads, 1, headDim, 2)),
    value: extend(prefill.value, randomTensor(`${seed}/v1`, prefill.key.heads, 1, headDim)),
  };
}

/** A decode step over a random cache of `length` positions. */
export function randomDecode(seed: string, heads: number, kvHeads: number, length: number, headDim = 8): DecodeInput {
  return {
    query: randomTensor(`${seed}/q`, heads, 1, headDim, 2),
    key: randomTensor(`${seed}/k`, kvHeads, length, headDim, 2),
    value: randomTensor(`${seed}/v`, kvHeads, length, headDim),
  };
}

/** Largest absolute difference. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`Length mismatch: ${a.length} vs ${b.length}.`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** The GQA shapes the issue asks for: group sizes 1, 4 and 7. */
export const SHAPES = [
  { name: 'group 1', heads: 2, kvHeads: 2 },
  { name: 'group 4', heads: 4, kvHeads: 1 },
  { name: 'group 7', heads: 14, kvHeads: 2 },
] as const;
