// The design's cost model (paper, Appendix B) for dense runs, and the memory a run needs: what the
// benchmark compares measured times against and what `engine info` prints.
import type { ModelSpec } from './checkpoint/config.js';
import { parameterCount } from './checkpoint/config.js';

/**
 * Prefill FLOPs for one sequence of L tokens at attention density rho (1 = dense). The attention
 * term counts L^2, not the causal half, as the paper does.
 * @example prefillFlops(spec, 32768)
 */
export function prefillFlops(spec: ModelSpec, length: number, density = 1): number {
  const L = length;
  const d = spec.hiddenSize;
  const N = spec.numLayers;
  const h = spec.numHeads;
  const dh = spec.headDim;
  return (
    2 * L * d +
    N * (2 * L * d * (2 * d + 2 * dh * spec.numKvHeads) + density * (4 * h * L * L * dh + 3 * h * L * L)) +
    N * (6 * L * d * spec.intermediateSize + 2 * L * spec.intermediateSize) +
    2 * L * d * spec.vocabSize
  );
}

/** FLOPs actually executed by a causal dense prefill: linear layers plus half the L^2 attention. */
export function causalPrefillFlops(spec: ModelSpec, length: number): { linear: number; attention: number } {
  const L = length;
  const q = spec.numHeads * spec.headDim;
  const kv = spec.numKvHeads * spec.headDim;
  const d = spec.hiddenSize;
  const perToken = 2 * (d * (q + 2 * kv) + q * d + 3 * d * spec.intermediateSize);
  const linear = spec.numLayers * perToken * L + 2 * d * spec.vocabSize; // lm_head on the last token only
  const attention = spec.numLayers * 4 * spec.numHeads * spec.headDim * (L * (L + 1)) / 2;
  return { linear, attention };
}

/** Bytes one decode step reads at context length L: every weight once plus the KV cache. */
export function decodeBytes(spec: ModelSpec, length: number, bytesPerValue = 2, density = 1): { weights: number; kvCache: number } {
  const weights = parameterCount(spec) * bytesPerValue;
  const kvCache = spec.numLayers * 2 * length * spec.numKvHeads * spec.headDim * bytesPerValue * density;
  return { weights, kvCache };
}

/**
 * GPU memory a run at L tokens needs, in bytes (weights, KV cache, peak activations of one chunk).
 * `weightCopies` is 2 when a separate decode graph holds the weights again (WebGPU's default);
 * `weightBytes` is 4 when fp32 MatMuls' weight casts are folded at load (weightCasts 'folded').
 */
export function memoryNeeded(spec: ModelSpec, length: number, chunkSize = 4096, bytesPerValue = 2, weightCopies = 1, weightBytes = bytesPerValue): { weights: number; kvCache: number; activations: number; total: number } {
  const weights = weightCopies * (parameterCount(spec) * weightBytes + (spec.tieWordEmbeddings ? spec.vocabSize * spec.hiddenSize * weightBytes : 0));
  // The cache of the previous step and the new one are alive together while a step runs.
  const kvCache = 2 * spec.numLayers * 2 * length * spec.numKvHeads * spec.headDim * bytesPerValue;
  const S = Math.min(chunkSize, length);
  const activations = S * (2 * spec.intermediateSize + 4 * spec.hiddenSize + spec.numHeads * spec.headDim * 2) * bytesPerValue * 2;
  return { weights, kvCache, activations, total: weights + kvCache + activations };
}

/**
 * GPU memory of a one-run generation (CUDA: graph/generation-graph.ts) of a `length`-token prompt
 * and `newTokens` generated tokens, in bytes: fp16 weights once; the prompt's KV cache (padded to
 * whole 256-token blocks) and the decode tail (carried and appended, so twice); the prefill's
 * activations over the whole prompt (projections, attention in and out, residual and norms, fp16)
 * and one MLP chunk's intermediates (gate/up, their split, SiLU and product).
 * @example oneRunMemory(spec, 131072, 8192, 512).total
 */
export function oneRunMemory(spec: ModelSpec, length: number, mlpChunk = 4096, newTokens = 512): { weights: number; kvCache: number; activations: number; total: number } {
  const bytes = 2;
  const weights = (parameterCount(spec) + (spec.tieWordEmbeddings ? spec.vocabSize * spec.hiddenSize : 0)) * bytes;
  const padded = Math.ceil(length / 256) * 256;
  const perToken = spec.numLayers * 2 * spec.numKvHeads * spec.headDim * bytes;
  const kvCache = padded * perToken + 2 * newTokens * perToken;
  const qDim = spec.numHeads * spec.headDim;
  const kvDim = spec.numKvHeads * spec.headDim;
  const activations = padded * (3 * qDim + 4 * kvDim + 5 * spec.hiddenSize) * bytes + Math.min(mlpChunk, padded) * 7 * spec.intermediateSize * bytes;
  return { weights, kvCache, activations, total: weights + kvCache + activations };
}
