// Quest (as the paper runs it): the cache is cut into 16-token pages; each page keeps the
// element-wise min and max of its keys, updated as tokens arrive. A decode query scores a page by
// sum_d max(q_d * min_d, q_d * max_d), an upper bound of q.k over the page; the scores of the query
// heads that share a KV head are summed, so a KV group reads one set of pages. The step reads the
// top `pageBudget` earlier pages plus the current (partial) page; nothing is evicted.
import type { QuestBudget } from '../budget.js';
import { decodeSparsity } from '../sparsity.js';
import { checkAttentionShapes, rowOffset, type DecodeInput, type HeadTensor } from '../tensor.js';
import { maskedDecodeAttention } from './dense.js';
import type { DecodeResult } from './result.js';
import { topIndices } from './select.js';

export interface QuestParams {
  /** `kv-head`: scores summed over the query heads of a KV head (one page set per KV head); `query-head`: each query head picks its own. */
  scope: 'kv-head' | 'query-head';
}

export const QUEST_DEFAULTS: QuestParams = { scope: 'kv-head' };

/** Per-page key bounds: `[kvHeads, pages, headDim]` each. */
export interface PageBounds {
  pageSize: number;
  pages: number;
  headDim: number;
  kvHeads: number;
  min: Float64Array;
  max: Float64Array;
}

/**
 * Min and max keys of every page of the first `length` cache positions.
 * @example pageBounds(key, 16).pages // ceil(L / 16)
 */
export function pageBounds(key: HeadTensor, pageSize: number, length = key.length): PageBounds {
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError(`pageSize is ${pageSize}; a positive integer is required.`);
  const pages = Math.ceil(length / pageSize);
  const d = key.headDim;
  const bounds: PageBounds = { pageSize, pages, headDim: d, kvHeads: key.heads, min: new Float64Array(key.heads * pages * d).fill(Infinity), max: new Float64Array(key.heads * pages * d).fill(-Infinity) };
  for (let g = 0; g < key.heads; g++) for (let j = 0; j < length; j++) updatePageBounds(bounds, key, g, j);
  return bounds;
}

/**
 * Folds the key at `position` into its page's bounds (what a decode step does for its new token).
 * Grows `bounds.pages` when the position opens a new page.
 */
export function updatePageBounds(bounds: PageBounds, key: HeadTensor, kvHead: number, position: number): void {
  const page = Math.floor(position / bounds.pageSize);
  if (page >= bounds.pages) {
    const grow = (a: Float64Array, fill: number): Float64Array => {
      const b = new Float64Array(bounds.kvHeads * (page + 1) * bounds.headDim).fill(fill);
      for (let g = 0; g < bounds.kvHeads; g++) b.set(a.subarray(g * bounds.pages * bounds.headDim, (g + 1) * bounds.pages * bounds.headDim), g * (page + 1) * bounds.headDim);
      return b;
    };
    bounds.min = grow(bounds.min, Infinity);
    bounds.max = grow(bounds.max, -Infinity);
    bounds.pages = page + 1;
  }
  const o = rowOffset(key, kvHead, position);
  const base = (kvHead * bounds.pages + page) * bounds.headDim;
  for (let x = 0; x < bounds.headDim; x++) {
    const v = key.data[o + x]!;
    if (v < bounds.min[base + x]!) bounds.min[base + x] = v;
    if (v > bounds.max[base + x]!) bounds.max[base + x] = v;
  }
}

/**
 * Page scores of each selecting head (KV head, or query head): `[heads][pages]`.
 * @example questPageScores(query, bounds, 'kv-head')[0][3]
 */
export function questPageScores(query: HeadTensor, bounds: PageBounds, scope: QuestParams['scope']): Float64Array[] {
  const group = query.heads / bounds.kvHeads;
  const selecting = scope === 'kv-head' ? bounds.kvHeads : query.heads;
  const d = bounds.headDim;
  const out = Array.from({ length: selecting }, () => new Float64Array(bounds.pages));
  for (let h = 0; h < query.heads; h++) {
    const g = Math.floor(h / group);
    const target = out[scope === 'kv-head' ? g : h]!;
    const q = rowOffset(query, h, 0);
    for (let p = 0; p < bounds.pages; p++) {
      const base = (g * bounds.pages + p) * d;
      let s = 0;
      for (let x = 0; x < d; x++) {
        const qx = query.data[q + x]!;
        s += Math.max(qx * bounds.min[base + x]!, qx * bounds.max[base + x]!);
      }
      target[p] = target[p]! + s;
    }
  }
  return out;
}

/** Per selecting head: the pages read this step, ascending (the current page last). */
export interface QuestSelection {
  scope: QuestParams['scope'];
  pageSize: number;
  heads: Int32Array[];
}

/**
 * Selects the pages of one decode step.
 * @example questSelect(input, { pageSize: 16, pageBudget: 2 }).heads[0] // e.g. Int32Array [1, 4, 6]
 */
export function questSelect(input: DecodeInput, budget: QuestBudget, params: Partial<QuestParams> = {}, bounds?: PageBounds): QuestSelection {
  const p = { ...QUEST_DEFAULTS, ...params };
  checkAttentionShapes(input.query, input.key, input.value, 'decode');
  const b = bounds ?? pageBounds(input.key, budget.pageSize);
  const current = b.pages - 1;
  const scores = questPageScores(input.query, b, p.scope);
  const heads = scores.map((s) => {
    const previous = topIndices(s, Math.min(budget.pageBudget, current), () => false, current);
    const pages = new Int32Array(previous.length + 1);
    pages.set(previous);
    pages[previous.length] = current;
    return pages;
  });
  return { scope: p.scope, pageSize: budget.pageSize, heads };
}

/**
 * One Quest decode step: pages, attention over their tokens, and the fraction of the cache not
 * read (1 - (pageBudget x pageSize + current page tokens) / L).
 * @example questAttention(input, questBudget(10, input.key.length)).sparsity
 */
export function questAttention(input: DecodeInput, budget: QuestBudget, params: Partial<QuestParams> = {}): DecodeResult<QuestSelection> {
  const selection = questSelect(input, budget, params);
  const group = input.query.heads / input.key.heads;
  const sets = selection.heads.map((pages) => new Set(pages));
  const ps = budget.pageSize;
  const perHead = selection.scope === 'query-head' ? (h: number, j: number) => sets[h]!.has(Math.floor(j / ps)) : undefined;
  // With per-query-head pages a KV head reads the union of its query heads' pages.
  const readable = (g: number, j: number): boolean => {
    if (selection.scope === 'kv-head') return sets[g]!.has(Math.floor(j / ps));
    for (let m = 0; m < group; m++) if (sets[g * group + m]!.has(Math.floor(j / ps))) return true;
    return false;
  };
  const { output, readTokens } = maskedDecodeAttention(input, readable, perHead);
  const read = readTokens.reduce((a, b) => a + b, 0) / readTokens.length;
  return { output, selection, readTokens: read, sparsity: decodeSparsity(read, input.key.length) };
}
