// Block-Sparse (MInference, as the paper runs it): queries and keys are mean-pooled over blocks of
// 16 (the paper's Table 6) or 64 tokens; pooled query block x pooled key block dot products score
// the blocks; each query block keeps its top-k causal key blocks, with its diagonal block, the block
// below it and the first block forced. A partial last block is pooled over its real tokens.
import type { BlockSparseBudget } from '../budget.js';
import { blockSparseSparsity } from '../sparsity.js';
import { checkAttentionShapes, rowOffset, type HeadTensor, type PrefillInput } from '../tensor.js';
import { maskedCausalAttention } from './dense.js';
import type { PrefillResult } from './result.js';
import { topIndices } from './select.js';

export interface BlockSparseParams {
  /** `query-head`: each query head selects (the paper); `kv-head`: a KV group shares one selection from summed scores. */
  scope: 'query-head' | 'kv-head';
}

export const BLOCK_SPARSE_DEFAULTS: BlockSparseParams = { scope: 'query-head' };

/** Per selecting head, per query block: the kept key blocks, ascending. */
export interface BlockSparseSelection {
  scope: BlockSparseParams['scope'];
  blockSize: number;
  heads: Int32Array[][];
}

/** Mean of each block of rows of one head: `[blocks, headDim]`. */
export function meanPool(t: HeadTensor, head: number, blockSize: number): Float64Array {
  const blocks = Math.ceil(t.length / blockSize);
  const d = t.headDim;
  const out = new Float64Array(blocks * d);
  for (let b = 0; b < blocks; b++) {
    const end = Math.min(t.length, (b + 1) * blockSize);
    for (let i = b * blockSize; i < end; i++) {
      const o = rowOffset(t, head, i);
      for (let x = 0; x < d; x++) out[b * d + x] = out[b * d + x]! + t.data[o + x]!;
    }
    const n = end - b * blockSize;
    for (let x = 0; x < d; x++) out[b * d + x] = out[b * d + x]! / n;
  }
  return out;
}

/**
 * Pooled block scores of one query head: `[blocks, blocks]`, query block x key block, no scaling
 * (only the order matters).
 */
export function blockScores(input: PrefillInput, head: number, blockSize: number): Float64Array {
  const group = input.query.heads / input.key.heads;
  const qp = meanPool(input.query, head, blockSize);
  const kp = meanPool(input.key, Math.floor(head / group), blockSize);
  const nb = Math.ceil(input.key.length / blockSize);
  const d = input.query.headDim;
  const scores = new Float64Array(nb * nb);
  for (let a = 0; a < nb; a++) {
    for (let b = 0; b < nb; b++) {
      let s = 0;
      for (let x = 0; x < d; x++) s += qp[a * d + x]! * kp[b * d + x]!;
      scores[a * nb + b] = s;
    }
  }
  return scores;
}

/**
 * Selects each head's key blocks per query block.
 * @example blockSparseSelect(input, { blockSize: 16, topBlocks: 3 }).heads[0][5] // Int32Array [0, 4, 5]
 */
export function blockSparseSelect(input: PrefillInput, budget: BlockSparseBudget, params: Partial<BlockSparseParams> = {}): BlockSparseSelection {
  const p = { ...BLOCK_SPARSE_DEFAULTS, ...params };
  const group = checkAttentionShapes(input.query, input.key, input.value, 'prefill');
  const { blockSize, topBlocks } = budget;
  if (!Number.isInteger(blockSize) || blockSize < 1) throw new RangeError(`blockSize is ${blockSize}; a positive integer is required.`);
  if (!Number.isInteger(topBlocks) || topBlocks < 1) throw new RangeError(`topBlocks is ${topBlocks}; a positive integer is required.`);
  const nb = Math.ceil(input.key.length / blockSize);
  const selecting = p.scope === 'kv-head' ? input.key.heads : input.query.heads;
  const heads: Int32Array[][] = [];
  for (let s = 0; s < selecting; s++) {
    const members = p.scope === 'kv-head' ? Array.from({ length: group }, (_, m) => s * group + m) : [s];
    const scores = new Float64Array(nb * nb);
    for (const h of members) {
      const one = blockScores(input, h, blockSize);
      for (let x = 0; x < one.length; x++) scores[x] = scores[x]! + one[x]!;
    }
    const perBlock: Int32Array[] = [];
    for (let a = 0; a < nb; a++) {
      const row = scores.subarray(a * nb, a * nb + a + 1); // causal key blocks 0..a
      perBlock.push(topIndices(row, topBlocks, (b) => b === a || b === a - 1 || b === 0));
    }
    heads.push(perBlock);
  }
  return { scope: p.scope, blockSize, heads };
}

/**
 * Block-Sparse prefill. `sparsity` is the paper's (blocks over the causal block triangle, as its
 * code computes it); `keptPairs` counts the causal token pairs actually computed.
 * @example blockSparseAttention(input, blockSparseBudget(10, 300)).sparsity
 */
export function blockSparseAttention(input: PrefillInput, budget: BlockSparseBudget, params: Partial<BlockSparseParams> = {}): PrefillResult<BlockSparseSelection> {
  const selection = blockSparseSelect(input, budget, params);
  const group = input.query.heads / input.key.heads;
  const bs = budget.blockSize;
  const sets = selection.heads.map((blocks) => blocks.map((b) => new Set(b)));
  const pick = (h: number) => sets[selection.scope === 'kv-head' ? Math.floor(h / group) : h]!;
  const { output, keptPairs } = maskedCausalAttention(input, (h, i, j) => pick(h)[Math.floor(i / bs)]!.has(Math.floor(j / bs)));
  const nb = Math.ceil(input.key.length / bs);
  let selected = 0;
  for (const blocks of selection.heads) for (const b of blocks) selected += b.length;
  const sparsity = 1 - selected / selection.heads.length / ((nb * (nb + 1)) / 2);
  return { output, selection, sparsity, keptPairs: keptPairs.reduce((a, b) => a + b, 0) / keptPairs.length };
}

/** The paper's closed form, re-exported for callers that only have the budget. */
export const blockSparseFormula = blockSparseSparsity;
