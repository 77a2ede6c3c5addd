// Cost models of the sparse methods, after the design's Appendix B formulas: prefill FLOPs (the
// dense formula of ../cost.ts with the attention term scaled by the density 1 - sparsity, plus each
// method's pattern-selection FLOPs) and decode memory traffic per step (weights, the KV cache read
// at the method's density, plus what selection reads). The attention term counts L^2, not the
// causal half, as the paper does; densities are relative to causal attention (the paper's
// sparsity), so a dense run is density 1. Derivations: docs/sparse-attention.md.
import type { ModelSpec } from '../checkpoint/config.js';
import { prefillFlops } from '../cost.js';

/** The model dimensions the formulas read (a ModelSpec has them all). */
export type CostShape = Pick<ModelSpec, 'hiddenSize' | 'intermediateSize' | 'numLayers' | 'numHeads' | 'numKvHeads' | 'headDim' | 'vocabSize'>;

const asSpec = (shape: CostShape): ModelSpec => shape as ModelSpec;

/** Dense prefill FLOPs split into everything but attention (`linear`) and the attention term. */
export function densePrefillParts(shape: CostShape, length: number, batch = 1): { linear: number; attention: number } {
  const linear = prefillFlops(asSpec(shape), length, 0);
  const attention = prefillFlops(asSpec(shape), length, 1) - linear;
  return { linear: batch * linear, attention: batch * attention };
}

/**
 * Attention's share of dense prefill FLOPs at length L.
 * @example attentionShare(qwen14b, 131072) // about 0.82
 */
export function attentionShare(shape: CostShape, length: number): number {
  const { linear, attention } = densePrefillParts(shape, length);
  return attention / (linear + attention);
}

/**
 * The best whole-prefill speedup compression C can give when attention is `share` of the FLOPs
 * (Amdahl): 1 / (1 - share + share / C).
 * @example bestCaseSpeedup(0.4, 5) // 1.47
 */
export const bestCaseSpeedup = (share: number, compression: number): number => 1 / (1 - share + share / compression);

/** Prefill FLOPs of a sparse run. */
export interface PrefillCost {
  /** Everything but attention (projections, MLP, embeddings, logits). */
  linear: number;
  /** The attention term at the method's density. */
  attention: number;
  /** Pattern selection (estimation, sorting, indexing). */
  selection: number;
  total: number;
  density: number;
}

/**
 * Prefill FLOPs at attention density `density` (1 - effective sparsity) plus `selection` FLOPs.
 * @example prefillCost(spec, 65536, 0.2, verticalSlashSelectionFlops(spec, 65536, {...})).total
 */
export function prefillCost(shape: CostShape, length: number, density: number, selection = 0, batch = 1): PrefillCost {
  const { linear, attention } = densePrefillParts(shape, length, batch);
  const a = attention * density;
  return { linear, attention: a, selection, total: linear + a + selection, density };
}

const log2 = Math.log2;

/**
 * Vertical-Slash selection (the design's formula, per layer and head, with the score product per
 * head: 2 d_h L q): B N h [2 d_h L q + 5 L q + 2 L log2 L + (L / 64)(k_v + k_s)]. q estimation
 * queries: 2 d_h L q scores, 3 L q softmax, 2 L q vertical and slash sums; two top-k over L; the
 * index of each 64-row block lists k_v + k_s entries.
 */
export function verticalSlashSelectionFlops(shape: CostShape, length: number, knobs: { lastQueries: number; verticalCount: number; slashCount: number }, batch = 1): number {
  const L = length;
  const q = Math.min(knobs.lastQueries, L);
  const perHead = 2 * shape.headDim * L * q + 5 * L * q + 2 * L * log2(L) + (L / 64) * (knobs.verticalCount + knobs.slashCount);
  return batch * shape.numLayers * shape.numHeads * perHead;
}

/**
 * FlexPrefill selection: Vertical-Slash's terms plus the coverage budget (two more sorts, 2 L log2
 * L, two cumulative sums and two counts, 4 L): B N h [2 d_h L q + 5 L q + 4 L log2 L + 4 L +
 * (L / 64)(k_v + k_s)], with k_v, k_s the counts the heads end up with (at least min_budget).
 */
export function flexPrefillSelectionFlops(shape: CostShape, length: number, knobs: { lastQueries: number; verticalCount: number; slashCount: number }, batch = 1): number {
  const L = length;
  const q = Math.min(knobs.lastQueries, L);
  const perHead = 2 * shape.headDim * L * q + 5 * L * q + 4 * L * log2(L) + 4 * L + (L / 64) * (knobs.verticalCount + knobs.slashCount);
  return batch * shape.numLayers * shape.numHeads * perHead;
}

/**
 * Block-Sparse selection, n_b = ceil(L / b) blocks: mean pooling of queries and keys (2 L d_h
 * additions per head), the pooled score matrix (2 d_h n_b^2), a top-k over each query block's row
 * (n_b log2 n_b each, n_b rows) and the index (n_b k): B N h [2 L d_h + 2 d_h n_b^2 + n_b^2 log2 n_b + n_b k].
 */
export function blockSparseSelectionFlops(shape: CostShape, length: number, knobs: { blockSize: number; topBlocks: number }, batch = 1): number {
  const nb = Math.ceil(length / knobs.blockSize);
  const perHead = 2 * length * shape.headDim + 2 * shape.headDim * nb * nb + nb * nb * log2(Math.max(nb, 2)) + nb * Math.min(knobs.topBlocks, nb);
  return batch * shape.numLayers * shape.numHeads * perHead;
}

/**
 * SnapKV / Ada-SnapKV selection, once after prefill, window w: per query head 2 d_h L w scores, 3 L
 * w softmax, L w over the window rows, L w over the group (5 L w in all); per KV head the pooling
 * (kernel additions per token) and a top-k over L; Ada-SnapKV adds one top-k over all heads'
 * tokens: B N [h (2 d_h L w + 5 L w) + n_kv (kernel L + L log2 L)] (+ B N n_kv L log2(n_kv L)).
 */
export function snapKvSelectionFlops(shape: CostShape, length: number, knobs: { window: number; kernel: number }, adaptive = false, batch = 1): number {
  const L = length;
  const w = Math.min(knobs.window, L);
  const perLayer =
    shape.numHeads * (2 * shape.headDim * L * w + 5 * L * w) +
    shape.numKvHeads * (knobs.kernel * L + L * log2(L)) +
    (adaptive ? shape.numKvHeads * L * log2(shape.numKvHeads * L) : 0);
  return batch * shape.numLayers * perLayer;
}

/** Decode memory traffic of one step, in values (multiply by bytes per value for bytes). */
export interface DecodeTraffic {
  /** N (4 d^2 + 3 d d_mlp) + d |V| + d: every weight once (the paper's count). */
  weights: number;
  /** B N 2 L d_h n_kv density: the keys and values read. */
  kvCache: number;
  /** What selection reads (Quest's page bounds). */
  selection: number;
  total: number;
  density: number;
}

/**
 * Values read by one decode step at cache length L (the design's formula).
 * @example decodeTraffic(qwen7b, 131072, 0.05, questSelectionValues(qwen7b, 131072, 16)).total
 */
export function decodeTraffic(shape: CostShape, length: number, density: number, selection = 0, batch = 1): DecodeTraffic {
  const d = shape.hiddenSize;
  const weights = shape.numLayers * (4 * d * d + 3 * d * shape.intermediateSize) + d * shape.vocabSize + d;
  const kvCache = batch * shape.numLayers * 2 * length * shape.headDim * shape.numKvHeads * density;
  return { weights, kvCache, selection, total: weights + kvCache + selection, density };
}

/**
 * Quest's page bounds read per step: min and max keys of every page, B N n_kv 2 d_h ceil(L / p).
 * (The design writes 2 d L / p; per KV head the bounds are d_h wide.)
 */
export function questSelectionValues(shape: CostShape, length: number, pageSize: number, batch = 1): number {
  return batch * shape.numLayers * shape.numKvHeads * 2 * shape.headDim * Math.ceil(length / pageSize);
}
