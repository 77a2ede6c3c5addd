// SnapKV and Ada-SnapKV (as the paper runs them): right after prefill, the softmax of the last 256
// queries against all keys scores every token; scores are average-pooled (kernel 21); the first 4
// and last 128 tokens are forced; the top tokens are kept and the rest evicted, for all later
// decode steps. SnapKV: per KV head, importance = sum over the window rows of the softmax,
// averaged over the group's query heads; every KV head keeps `capacity` tokens. Ada-SnapKV:
// importance = max over window rows and over the group's heads; the heads share capacity x heads
// tokens, each keeping at least max(floor(capacity x 0.2), forced) of its own best.
import type { SnapKvBudget } from '../budget.js';
import { decodeSparsity } from '../sparsity.js';
import { checkAttentionShapes, type DecodeInput, type PrefillInput } from '../tensor.js';
import { maskedDecodeAttention } from './dense.js';
import type { DecodeResult } from './result.js';
import { avgPool1d, lastQueriesSoftmax, topIndices } from './select.js';

export interface SnapKvParams {
  /** Observation window: the last queries whose attention scores the tokens. */
  window: number;
  /** Average-pooling kernel (odd). */
  kernel: number;
  /** Most recent tokens always kept. */
  recent: number;
  /** First tokens always kept. */
  prefix: number;
  /** Ada-SnapKV only: each head's floor as a fraction of `capacity`. */
  floorRatio: number;
}

export const SNAPKV_DEFAULTS: SnapKvParams = { window: 256, kernel: 21, recent: 128, prefix: 4, floorRatio: 0.2 };

/** Tokens each KV head keeps, ascending. */
export interface SnapKvSelection {
  kept: Int32Array[];
}

/**
 * Pooled token importance per KV head, `[kvHeads][L]`, before forcing.
 * @example snapKvImportance(input, 'mean-sum', SNAPKV_DEFAULTS)[0].length // L
 */
export function snapKvImportance(input: PrefillInput, aggregate: 'mean-sum' | 'max-max', params: SnapKvParams): Float64Array[] {
  const group = checkAttentionShapes(input.query, input.key, input.value, 'prefill');
  const L = input.key.length;
  const out: Float64Array[] = [];
  for (let g = 0; g < input.key.heads; g++) {
    const imp = new Float64Array(L).fill(aggregate === 'max-max' ? -Infinity : 0);
    for (let m = 0; m < group; m++) {
      const { probs, rows } = lastQueriesSoftmax(input.query, g * group + m, input.key, g, params.window);
      for (let j = 0; j < L; j++) {
        let v = aggregate === 'max-max' ? -Infinity : 0;
        for (let r = 0; r < rows; r++) v = aggregate === 'max-max' ? Math.max(v, probs[r * L + j]!) : v + probs[r * L + j]!;
        imp[j] = aggregate === 'max-max' ? Math.max(imp[j]!, v) : imp[j]! + v / group;
      }
    }
    out.push(avgPool1d(imp, params.kernel));
  }
  return out;
}

const isForced = (L: number, p: SnapKvParams) => (j: number) => j < p.prefix || j >= L - p.recent;

/**
 * SnapKV's kept tokens: the top `capacity` per KV head, forced ones included.
 * @example snapKvSelect(input, { capacity: 64 }, { window: 16, kernel: 5, recent: 8, prefix: 2 }).kept[0].length // 64
 */
export function snapKvSelect(input: PrefillInput, budget: SnapKvBudget, params: Partial<SnapKvParams> = {}): SnapKvSelection {
  const p = { ...SNAPKV_DEFAULTS, ...params };
  const L = input.key.length;
  const capacity = Math.min(budget.capacity, L);
  const importance = snapKvImportance(input, 'mean-sum', p);
  return { kept: importance.map((imp) => topIndices(imp, capacity, isForced(L, p))) };
}

/**
 * Ada-SnapKV's kept tokens: capacity x kvHeads in total, at least the floor per head.
 * @example adaSnapKvSelect(input, { capacity: 64 }).kept.map((k) => k.length) // sums to 64 x kvHeads
 */
export function adaSnapKvSelect(input: PrefillInput, budget: SnapKvBudget, params: Partial<SnapKvParams> = {}): SnapKvSelection {
  const p = { ...SNAPKV_DEFAULTS, ...params };
  const L = input.key.length;
  const heads = input.key.heads;
  const capacity = Math.min(budget.capacity, L);
  const forced = isForced(L, p);
  const importance = snapKvImportance(input, 'max-max', p);
  const floor = Math.min(L, capacity, Math.max(Math.floor(capacity * p.floorRatio), Math.min(L, p.recent + p.prefix)));
  const chosen = importance.map((imp) => new Set(topIndices(imp, floor, forced)));
  // The rest of the shared budget goes to the best remaining (head, token) pairs, all heads together.
  const remaining = capacity * heads - floor * heads;
  const flat = new Float64Array(heads * L);
  for (let g = 0; g < heads; g++) for (let j = 0; j < L; j++) flat[g * L + j] = chosen[g]!.has(j) ? -Infinity : forced(j) ? Infinity : importance[g]![j]!;
  for (const x of topIndices(flat, remaining)) chosen[Math.floor(x / L)]!.add(x % L);
  return { kept: chosen.map((s) => Int32Array.from(s).sort()) };
}

/**
 * A decode step after SnapKV/Ada-SnapKV eviction: the cache holds the kept prefill tokens plus
 * every token after the prefill (`prefillLength`..L-1). Sparsity: the fraction of the full cache
 * the step does not read.
 * @example snapKvDecode(step, selection, 300).sparsity
 */
export function snapKvDecode(input: DecodeInput, selection: SnapKvSelection, prefillLength: number): DecodeResult<SnapKvSelection> {
  checkAttentionShapes(input.query, input.key, input.value, 'decode');
  if (selection.kept.length !== input.key.heads) throw new RangeError(`selection has ${selection.kept.length} KV heads; the cache has ${input.key.heads}.`);
  const sets = selection.kept.map((k) => new Set(k));
  const { output, readTokens } = maskedDecodeAttention(input, (g, j) => j >= prefillLength || sets[g]!.has(j));
  const read = readTokens.reduce((a, b) => a + b, 0) / readTokens.length;
  return { output, selection, readTokens: read, sparsity: decodeSparsity(read, input.key.length) };
}
