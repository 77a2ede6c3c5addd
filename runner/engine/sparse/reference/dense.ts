// Dense causal GQA attention in float64, and the same computation restricted by a selection mask:
// the "test reference" every sparse method's graph is compared with. Scores are q.k / sqrt(d);
// softmax runs over the allowed causal keys of each row only. Slow by design (O(L^2) per head).
import { checkAttentionShapes, dot, rowOffset, type DecodeInput, type PrefillInput } from '../tensor.js';

/** Whether query head `head` at position `query` may attend to key position `key` (key <= query). */
export type PairMask = (head: number, query: number, key: number) => boolean;

/** Output of a masked prefill: `[numHeads, L, headDim]` and the causal pairs each head computed. */
export interface MaskedPrefill {
  output: Float64Array;
  /** Causal pairs kept, per query head. */
  keptPairs: Float64Array;
}

/**
 * Causal attention where each row attends only to the keys the mask allows.
 * @throws Error naming the head and row when a row is left with no key (a selection bug).
 * @example maskedCausalAttention(input, (h, i, j) => i - j < 4).output // sliding window of 4
 */
export function maskedCausalAttention(input: PrefillInput, allowed: PairMask): MaskedPrefill {
  const { query: q, key: k, value: v } = input;
  const group = checkAttentionShapes(q, k, v, 'prefill');
  const L = q.length;
  const d = q.headDim;
  const scale = 1 / Math.sqrt(d);
  const output = new Float64Array(q.heads * L * d);
  const keptPairs = new Float64Array(q.heads);
  const scores = new Float64Array(L);
  const keys = new Int32Array(L);
  for (let h = 0; h < q.heads; h++) {
    const g = Math.floor(h / group);
    for (let i = 0; i < L; i++) {
      let n = 0;
      let max = -Infinity;
      for (let j = 0; j <= i; j++) {
        if (!allowed(h, i, j)) continue;
        const s = dot(q, h, i, k, g, j) * scale;
        keys[n] = j;
        scores[n++] = s;
        if (s > max) max = s;
      }
      if (n === 0) throw new Error(`Query head ${h}, row ${i} has no key to attend to; every selection must keep at least one causal key per row.`);
      keptPairs[h] = keptPairs[h]! + n;
      let z = 0;
      for (let m = 0; m < n; m++) z += scores[m] = Math.exp(scores[m]! - max);
      const out = rowOffset(q, h, i);
      for (let m = 0; m < n; m++) {
        const p = scores[m]! / z;
        const vo = rowOffset(v, g, keys[m]!);
        for (let x = 0; x < d; x++) output[out + x] = output[out + x]! + p * v.data[vo + x]!;
      }
    }
  }
  return { output, keptPairs };
}

/**
 * Dense causal GQA attention, `[numHeads, L, headDim]` in float64.
 * @example denseCausalAttention({ query, key, value })
 */
export function denseCausalAttention(input: PrefillInput): Float64Array {
  return maskedCausalAttention(input, () => true).output;
}

/** Whether KV head `kvHead` reads cache position `position` in this decode step. */
export type ReadMask = (kvHead: number, position: number) => boolean;

/** Output of a decode step: `[numHeads, headDim]` and the cache entries each KV head read. */
export interface MaskedDecode {
  output: Float64Array;
  /** Cache positions read, per KV head. */
  readTokens: Float64Array;
}

/**
 * One decode step: the query (position L-1) attends to the cache positions the mask allows.
 * `readable` may depend on the query head through `perQueryHead` (Quest with per-head pages).
 * @throws Error when a head reads nothing.
 * @example maskedDecodeAttention(input, (g, j) => j >= input.key.length - 8) // last 8 tokens
 */
export function maskedDecodeAttention(input: DecodeInput, readable: ReadMask, perQueryHead?: (head: number, position: number) => boolean): MaskedDecode {
  const { query: q, key: k, value: v } = input;
  const group = checkAttentionShapes(q, k, v, 'decode');
  const L = k.length;
  const d = q.headDim;
  const scale = 1 / Math.sqrt(d);
  const output = new Float64Array(q.heads * d);
  const readTokens = new Float64Array(k.heads);
  for (let g = 0; g < k.heads; g++) for (let j = 0; j < L; j++) if (readable(g, j)) readTokens[g] = readTokens[g]! + 1;
  const scores = new Float64Array(L);
  const keys = new Int32Array(L);
  for (let h = 0; h < q.heads; h++) {
    const g = Math.floor(h / group);
    let n = 0;
    let max = -Infinity;
    for (let j = 0; j < L; j++) {
      if (!(perQueryHead ? perQueryHead(h, j) : readable(g, j))) continue;
      const s = dot(q, h, 0, k, g, j) * scale;
      keys[n] = j;
      scores[n++] = s;
      if (s > max) max = s;
    }
    if (n === 0) throw new Error(`Query head ${h} reads no cache entry; a decode selection must keep at least one.`);
    let z = 0;
    for (let m = 0; m < n; m++) z += scores[m] = Math.exp(scores[m]! - max);
    for (let m = 0; m < n; m++) {
      const p = scores[m]! / z;
      const vo = rowOffset(v, g, keys[m]!);
      for (let x = 0; x < d; x++) output[h * d + x] = output[h * d + x]! + p * v.data[vo + x]!;
    }
  }
  return { output, readTokens };
}

/**
 * Dense decode attention over the whole cache, `[numHeads, headDim]`.
 * @example denseDecodeAttention({ query, key, value })
 */
export function denseDecodeAttention(input: DecodeInput): Float64Array {
  return maskedDecodeAttention(input, () => true).output;
}
