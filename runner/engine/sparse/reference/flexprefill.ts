// FlexPrefill (as the paper runs it): vertical and slash statistics from the softmax of the last
// queries (512 in the paper's code), averaged over those rows; each head keeps the smallest number
// of columns (and of diagonals) whose sorted cumulative score exceeds alpha, floored at min_budget
// and, when the budget sets one, capped at max_budget (FlexPrefill's own code has the cap; the
// Sparse Frontier's runs set none); the first 4 columns and the 64 nearest diagonals are forced.
// Computed like Vertical-Slash.
import type { FlexPrefillBudget } from '../budget.js';
import { checkAttentionShapes, type PrefillInput } from '../tensor.js';
import type { PrefillResult } from './result.js';
import { coverBudget, topIndices } from './select.js';
import { chunkPatternReference, patternAttention, selectingHeads, verticalSlashStatistics, type ChunkInput, type VerticalSlashParams, type VerticalSlashSelection } from './vertical-slash.js';

export type FlexPrefillParams = VerticalSlashParams;

export const FLEXPREFILL_DEFAULTS: FlexPrefillParams = { lastQueries: 512, forcedVertical: 4, forcedSlash: 64, tileSize: 64, slashMode: 'tile', scope: 'query-head' };

/** A FlexPrefill selection: a Vertical-Slash selection whose counts differ per head. */
export type FlexPrefillSelection = VerticalSlashSelection;

/**
 * Selects each head's verticals and slashes with its own budget.
 * @example flexPrefillSelect(input, { alpha: 0.9, minBudget: 8 }).heads.map((h) => h.vertical.length)
 */
export function flexPrefillSelect(input: PrefillInput, budget: FlexPrefillBudget, params: Partial<FlexPrefillParams> = {}): FlexPrefillSelection {
  const p = { ...FLEXPREFILL_DEFAULTS, ...params };
  checkAttentionShapes(input.query, input.key, input.value, 'prefill');
  const L = input.key.length;
  const heads = [];
  for (let s = 0; s < selectingHeads(input, p.scope); s++) {
    const stats = verticalSlashStatistics(input, s, p.scope, p.lastQueries);
    // Means over the estimation rows (and the group's heads), so each statistic sums to 1.
    const norm = stats.rows * (p.scope === 'kv-head' ? input.query.heads / input.key.heads : 1);
    const vertical = stats.vertical.map((x) => x / norm);
    const slash = stats.slash.map((x) => x / norm);
    // Never fewer than the forced ones (the paper's min_budget of 512 always covers them), nor more
    // than max_budget (the forced ones still kept).
    const cap = (forced: number): number => Math.max(forced, budget.maxBudget ?? L);
    const verticalCount = Math.min(L, cap(p.forcedVertical), Math.max(budget.minBudget, p.forcedVertical, coverBudget(vertical, budget.alpha)));
    const slashCount = Math.min(L, cap(p.forcedSlash), Math.max(budget.minBudget, p.forcedSlash, coverBudget(slash, budget.alpha)));
    heads.push({
      vertical: topIndices(vertical, verticalCount, (j) => j < p.forcedVertical),
      slash: topIndices(slash, slashCount, (o) => o < p.forcedSlash),
    });
  }
  return { scope: p.scope, heads };
}

/**
 * FlexPrefill prefill: selection, restricted attention, measured sparsity (as Vertical-Slash).
 * @example flexPrefillAttention(input, flexPrefillBudget(5, 300)).sparsity
 */
export function flexPrefillAttention(input: PrefillInput, budget: FlexPrefillBudget, params: Partial<FlexPrefillParams> = {}): PrefillResult<FlexPrefillSelection> {
  return patternAttention(input, flexPrefillSelect(input, budget, params), { ...FLEXPREFILL_DEFAULTS, ...params });
}

/**
 * FlexPrefill on one prefill chunk (semantics of chunkPatternReference: estimation from the chunk's
 * last min(lastQueries, S) queries, averaged over them; tiles at absolute positions).
 * @example flexPrefillChunkAttention({ query, key, value }, { alpha: 0.5, minBudget: 8 }).output
 */
export function flexPrefillChunkAttention(chunk: ChunkInput, budget: FlexPrefillBudget, params: Partial<FlexPrefillParams> = {}): PrefillResult<FlexPrefillSelection> {
  const p = { ...FLEXPREFILL_DEFAULTS, ...params };
  return chunkPatternReference(chunk, p.lastQueries, (input, lastQueries) => flexPrefillAttention(input, budget, { ...p, lastQueries }));
}
