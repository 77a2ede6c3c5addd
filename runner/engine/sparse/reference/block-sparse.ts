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

/**
 * Block-Sparse over one prefill chunk, as a chunked prefill computes it: the queries of positions
 * `past..L-1` over all L keys. Blocks are aligned to absolute positions; a query block is pooled over
 * its rows in the chunk only (rows before `past` belong to earlier chunks, whose queries are gone),
 * key blocks over all their keys (a partial last block over its real tokens). When `past` is a
 * multiple of the block size this is `blockSparseAttention`'s rows past..L-1 (the query blocks lie
 * wholly in the chunk); a chunk starting mid-block pools the straddling block's query over fewer rows.
 * `input.query` has all L rows; rows before `past` are not read.
 * @returns `output` `[numHeads, L - past, headDim]`; `selection.heads[s][a]` the key blocks of query
 * block a (empty for blocks that end before `past`).
 * @example blockSparseChunkAttention(input, { blockSize: 16, topBlocks: 3 }, {}, 32).output
 */
export function blockSparseChunkAttention(
  input: PrefillInput,
  budget: BlockSparseBudget,
  params: Partial<BlockSparseParams> = {},
  past = 0,
): { output: Float64Array; selection: BlockSparseSelection } {
  const p = { ...BLOCK_SPARSE_DEFAULTS, ...params };
  const group = checkAttentionShapes(input.query, input.key, input.value, 'prefill');
  const { blockSize: bs, topBlocks } = budget;
  if (!Number.isInteger(bs) || bs < 1) throw new RangeError(`blockSize is ${bs}; a positive integer is required.`);
  if (!Number.isInteger(topBlocks) || topBlocks < 1) throw new RangeError(`topBlocks is ${topBlocks}; a positive integer is required.`);
  const L = input.key.length;
  if (!Number.isInteger(past) || past < 0 || past >= L) throw new RangeError(`past is ${past}; an integer in [0, ${L}) is required.`);
  const d = input.query.headDim;
  const nb = Math.ceil(L / bs);
  const first = Math.floor(past / bs);
  const pooledKeys = Array.from({ length: input.key.heads }, (_, g) => meanPool(input.key, g, bs));
  // Pooled queries of the chunk's rows, per query head: [nb, d] (blocks before `first` stay zero).
  const pooledQueries = Array.from({ length: input.query.heads }, (_, h) => {
    const out = new Float64Array(nb * d);
    for (let a = first; a < nb; a++) {
      const from = Math.max(past, a * bs);
      const end = Math.min(L, (a + 1) * bs);
      for (let i = from; i < end; i++) {
        const o = rowOffset(input.query, h, i);
        for (let x = 0; x < d; x++) out[a * d + x] = out[a * d + x]! + input.query.data[o + x]!;
      }
      for (let x = 0; x < d; x++) out[a * d + x] = out[a * d + x]! / (end - from);
    }
    return out;
  });
  const selecting = p.scope === 'kv-head' ? input.key.heads : input.query.heads;
  const heads: Int32Array[][] = [];
  for (let s = 0; s < selecting; s++) {
    const members = p.scope === 'kv-head' ? Array.from({ length: group }, (_, m) => s * group + m) : [s];
    const perBlock: Int32Array[] = [];
    for (let a = 0; a < nb; a++) {
      if (a < first) {
        perBlock.push(new Int32Array(0));
        continue;
      }
      const row = new Float64Array(a + 1);
      for (const h of members) {
        const qp = pooledQueries[h]!;
        const kp = pooledKeys[Math.floor(h / group)]!;
        for (let b = 0; b <= a; b++) {
          let dotp = 0;
          for (let x = 0; x < d; x++) dotp += qp[a * d + x]! * kp[b * d + x]!;
          row[b] = row[b]! + dotp;
        }
      }
      perBlock.push(topIndices(row, topBlocks, (b) => b === a || b === a - 1 || b === 0));
    }
    heads.push(perBlock);
  }
  const sets = heads.map((blocks) => blocks.map((b) => new Set(b)));
  const pick = (h: number) => sets[p.scope === 'kv-head' ? Math.floor(h / group) : h]!;
  // Rows before `past` (not part of the chunk) attend densely; they are dropped below.
  const { output: full } = maskedCausalAttention(input, (h, i, j) => i < past || pick(h)[Math.floor(i / bs)]!.has(Math.floor(j / bs)));
  const rows = L - past;
  const output = new Float64Array(input.query.heads * rows * d);
  for (let h = 0; h < input.query.heads; h++) output.set(full.subarray(rowOffset(input.query, h, past), rowOffset(input.query, h, L)), h * rows * d);
  return { output, selection: { scope: p.scope, blockSize: bs, heads } };
}
