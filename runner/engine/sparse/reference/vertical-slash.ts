// Vertical-Slash (MInference, as the paper runs it): the softmax of the last queries (64 by default)
// against all keys gives a score per key column (vertical) and per diagonal (slash, offset o = query
// - key); each head keeps its top columns, the first few forced, and its top diagonals, the nearest
// forced. As computed (MInference's kernel, and our graphs), a slash is a band of 64-column tiles:
// query block b (rows 64b..64b+63) with slash o reads keys 64b-o .. 64b-o+63, plus the gathered
// vertical columns. `slashMode: 'diagonal'` gives the idealised pattern (only the diagonal itself).
import type { VerticalSlashBudget } from '../budget.js';
import { prefillSparsity } from '../sparsity.js';
import { checkAttentionShapes, headTensor, type HeadTensor, type PrefillInput } from '../tensor.js';
import { maskedCausalAttention, type PairMask } from './dense.js';
import { lastQueriesSoftmax, topIndices, verticalSlashSums } from './select.js';
import type { PrefillResult } from './result.js';

/** Vertical-Slash options (defaults in VERTICAL_SLASH_DEFAULTS). */
export interface VerticalSlashParams {
  /** Queries whose attention estimates the pattern (the last ones of the prompt). */
  lastQueries: number;
  /** The first columns, always kept (attention sinks). */
  forcedVertical: number;
  /** The nearest diagonals (offsets 0..n-1), always kept (local attention). */
  forcedSlash: number;
  /** Query/key tile size of the slash bands. */
  tileSize: number;
  slashMode: 'tile' | 'diagonal';
  /** `query-head`: each query head selects (the paper); `kv-head`: the heads of a KV group share one selection from their summed statistics. */
  scope: 'query-head' | 'kv-head';
}

export const VERTICAL_SLASH_DEFAULTS: VerticalSlashParams = { lastQueries: 64, forcedVertical: 4, forcedSlash: 64, tileSize: 64, slashMode: 'tile', scope: 'query-head' };

/** Kept columns and diagonals of one selecting head, ascending. */
export interface VerticalSlashHead {
  vertical: Int32Array;
  slash: Int32Array;
}

/** A Vertical-Slash (or FlexPrefill) selection: one entry per query head, or per KV head. */
export interface VerticalSlashSelection {
  scope: 'query-head' | 'kv-head';
  heads: VerticalSlashHead[];
}

/**
 * The vertical and slash statistics of one selecting head: summed softmax of the last queries over
 * each key column and each diagonal. With `kv-head` scope, summed over the group's query heads.
 */
export function verticalSlashStatistics(input: PrefillInput, selectingHead: number, scope: VerticalSlashParams['scope'], lastQueries: number): { vertical: Float64Array; slash: Float64Array; rows: number } {
  const group = input.query.heads / input.key.heads;
  const L = input.key.length;
  const heads = scope === 'kv-head' ? Array.from({ length: group }, (_, m) => selectingHead * group + m) : [selectingHead];
  const vertical = new Float64Array(L);
  const slash = new Float64Array(L);
  let rows = 0;
  for (const h of heads) {
    const soft = lastQueriesSoftmax(input.query, h, input.key, Math.floor(h / group), lastQueries);
    const sums = verticalSlashSums(soft.probs, soft.rows, soft.first, L);
    for (let j = 0; j < L; j++) {
      vertical[j] = vertical[j]! + sums.vertical[j]!;
      slash[j] = slash[j]! + sums.slash[j]!;
    }
    rows = soft.rows;
  }
  return { vertical, slash, rows };
}

/** Number of selecting heads for a scope. */
export const selectingHeads = (input: PrefillInput, scope: VerticalSlashParams['scope']): number => (scope === 'kv-head' ? input.key.heads : input.query.heads);

/**
 * Selects each head's verticals and slashes for a budget.
 * @example verticalSlashSelect(input, { verticalCount: 8, slashCount: 8 }).heads[0].slash // includes 0..forcedSlash-1
 */
export function verticalSlashSelect(input: PrefillInput, budget: VerticalSlashBudget, params: Partial<VerticalSlashParams> = {}): VerticalSlashSelection {
  const p = { ...VERTICAL_SLASH_DEFAULTS, ...params };
  checkAttentionShapes(input.query, input.key, input.value, 'prefill');
  const L = input.key.length;
  const heads: VerticalSlashHead[] = [];
  for (let s = 0; s < selectingHeads(input, p.scope); s++) {
    const stats = verticalSlashStatistics(input, s, p.scope, p.lastQueries);
    heads.push({
      vertical: topIndices(stats.vertical, Math.min(budget.verticalCount, L), (j) => j < p.forcedVertical),
      slash: topIndices(stats.slash, Math.min(budget.slashCount, L), (o) => o < p.forcedSlash),
    });
  }
  return { scope: p.scope, heads };
}

/**
 * The keys a query block reads under a selection head: the union of its slash tiles and the
 * vertical columns, limited to keys <= the block's last row. What a "fused kernel over the union
 * of a query chunk's keys" formulation gathers.
 * @example rowBlockKeys(sel.heads[0], 1, 300, 64, 'tile') // sorted key positions for rows 64..127
 */
export function rowBlockKeys(head: VerticalSlashHead, rowBlock: number, length: number, tileSize: number, slashMode: VerticalSlashParams['slashMode']): Int32Array {
  const covered = coverage(head, rowBlock, length, tileSize, slashMode);
  const keys: number[] = [];
  for (let j = 0; j < covered.length; j++) if (covered[j]) keys.push(j);
  return Int32Array.from(keys);
}

function coverage(head: VerticalSlashHead, rowBlock: number, length: number, tileSize: number, slashMode: VerticalSlashParams['slashMode']): Uint8Array {
  const start = rowBlock * tileSize;
  const end = Math.min(start + tileSize, length) - 1;
  const covered = new Uint8Array(end + 1);
  for (const j of head.vertical) if (j <= end) covered[j] = 1;
  for (const o of head.slash) {
    // tile: the band of query rows start..end shifted left by o; diagonal: only key i - o per row.
    const lo = start - o;
    const hi = slashMode === 'tile' ? start - o + tileSize - 1 : end - o;
    for (let j = Math.max(0, lo); j <= Math.min(hi, end); j++) covered[j] = 1;
  }
  return covered;
}

/**
 * The query-key mask of a Vertical-Slash selection.
 * @example maskedCausalAttention(input, verticalSlashMask(sel, input, 'tile'))
 */
export function verticalSlashMask(selection: VerticalSlashSelection, input: PrefillInput, params: Partial<VerticalSlashParams> = {}): PairMask {
  const p = { ...VERTICAL_SLASH_DEFAULTS, ...params };
  const L = input.key.length;
  const group = input.query.heads / input.key.heads;
  const pick = (h: number): VerticalSlashHead => selection.heads[selection.scope === 'kv-head' ? Math.floor(h / group) : h]!;
  if (p.slashMode === 'diagonal') {
    const sets = selection.heads.map((hd) => ({ v: new Set(hd.vertical), s: new Set(hd.slash) }));
    return (h, i, j) => {
      const s = sets[selection.scope === 'kv-head' ? Math.floor(h / group) : h]!;
      return s.v.has(j) || s.s.has(i - j);
    };
  }
  const blocks = Math.ceil(L / p.tileSize);
  const cache = new Map<VerticalSlashHead, Uint8Array[]>();
  return (h, i, j) => {
    const head = pick(h);
    let rows = cache.get(head);
    if (!rows) cache.set(head, (rows = Array.from({ length: blocks }, (_, b) => coverage(head, b, L, p.tileSize, p.slashMode))));
    return rows[Math.floor(i / p.tileSize)]![j] === 1;
  };
}

/**
 * Vertical-Slash prefill: selection, attention restricted to it, and the measured effective
 * sparsity (1 - kept causal pairs / L(L+1)/2, averaged over query heads; the quantity the paper's
 * code estimates as blocks x 64 x 64 + columns x 64).
 * @example verticalSlashAttention(input, verticalSlashBudget(5, 300)).sparsity
 */
export function verticalSlashAttention(input: PrefillInput, budget: VerticalSlashBudget, params: Partial<VerticalSlashParams> = {}): PrefillResult<VerticalSlashSelection> {
  const selection = verticalSlashSelect(input, budget, params);
  return patternAttention(input, selection, params);
}

/** Attention and sparsity of a given vertical/slash selection (shared with FlexPrefill). */
export function patternAttention<S extends VerticalSlashSelection>(input: PrefillInput, selection: S, params: Partial<VerticalSlashParams> = {}): PrefillResult<S> {
  const { output, keptPairs } = maskedCausalAttention(input, verticalSlashMask(selection, input, params));
  const kept = keptPairs.reduce((a, b) => a + b, 0) / keptPairs.length;
  return { output, selection, keptPairs: kept, sparsity: prefillSparsity(kept, input.key.length) };
}

/** One prefill chunk: S new queries at positions P..P+S-1 over the cache and themselves (P+S keys). */
export interface ChunkInput {
  /** `[numHeads, S, headDim]`, RoPE applied. */
  query: HeadTensor;
  /** `[numKvHeads, P + S, headDim]`, RoPE applied. */
  key: HeadTensor;
  /** `[numKvHeads, P + S, headDim]`. */
  value: HeadTensor;
}

/**
 * Runs a whole-prompt pattern reference on one chunk with the engine's chunked-prefill semantics:
 * the pattern is estimated from the chunk's own last min(lastQueries, S) queries against all P + S
 * keys (causal), tiles are aligned to absolute positions (query block b = rows 64b..64b+63), and only
 * the chunk's rows are returned (`[numHeads, S, headDim]`). With P = 0 this is the whole-prompt
 * reference. Rows 0..P-1 of the padded query are zeros: they are neither estimated from nor returned.
 * @example chunkPatternReference(chunk, 64, (input, lastQueries) => verticalSlashAttention(input, budget, { lastQueries }))
 */
export function chunkPatternReference<S>(chunk: ChunkInput, lastQueries: number, run: (input: PrefillInput, lastQueries: number) => PrefillResult<S>): PrefillResult<S> {
  const { query: q, key: k } = chunk;
  const S = q.length;
  const T = k.length;
  if (S > T) throw new RangeError(`The chunk has ${S} queries but only ${T} keys.`);
  const P = T - S;
  const full = headTensor(q.heads, T, q.headDim);
  for (let h = 0; h < q.heads; h++) full.data.set(q.data.subarray(h * S * q.headDim, (h + 1) * S * q.headDim), (h * T + P) * q.headDim);
  const result = run({ query: full, key: k, value: chunk.value }, Math.min(lastQueries, S));
  const output = new Float64Array(q.heads * S * q.headDim);
  for (let h = 0; h < q.heads; h++) output.set(result.output.subarray((h * T + P) * q.headDim, (h * T + T) * q.headDim), h * S * q.headDim);
  return { ...result, output };
}

/**
 * Vertical-Slash on one prefill chunk (see chunkPatternReference for the semantics).
 * @example verticalSlashChunkAttention({ query, key, value }, { verticalCount: 8, slashCount: 70 }).output
 */
export function verticalSlashChunkAttention(chunk: ChunkInput, budget: VerticalSlashBudget, params: Partial<VerticalSlashParams> = {}): PrefillResult<VerticalSlashSelection> {
  const p = { ...VERTICAL_SLASH_DEFAULTS, ...params };
  return chunkPatternReference(chunk, p.lastQueries, (input, lastQueries) => verticalSlashAttention(input, budget, { ...p, lastQueries }));
}
