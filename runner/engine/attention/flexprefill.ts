// FlexPrefill prefill graph: statistics as Vertical-Slash from the chunk's last queries (512 by
// default), averaged over those rows (and the group's heads with scope 'kv-head'); each head keeps
// the smallest number of columns (and of offsets) whose sorted cumulative score exceeds alpha,
// floored at min_budget and at the forced counts, at most T and params.maxBudget (FlexPrefill's own
// max_budget, unset by default as in the paper's runs: it bounds the work of a near-dense pattern,
// which flat attention gives at high alpha). In the graph: a full TopK sort of each
// head's statistic, CumSum, a count of the prefix <= alpha; the per-head counts are ragged, so the
// top max-count entries are taken (forced first) with a validity mask. The rest (tiles, gather,
// attention, chunked prefill, memory) is Vertical-Slash's: see pattern-prefill.ts. Cost of the
// selection: four TopK sorts over T per head (bitonic on WebGPU), once per layer and chunk; with
// params.coverage 'bisect' the two full sorts become a bisection on the threshold (below; opt-in:
// on the H100 at 64k it was 15% faster than the sorts before the estimation's sums became MatMuls,
// and 28% slower after, docs/sparse-attention.md). Budget:
// flexPrefillBudget; alpha is fed in parts per million. Reference:
// runner/engine/sparse/reference/flexprefill.ts (flexPrefillChunkAttention for chunks).
import { int } from '../onnx/graph-builder.js';
import { FLEXPREFILL_DEFAULTS } from '../sparse/reference/flexprefill.js';
import type { AttentionBuilder, AttentionContext } from './types.js';
import { f32, forcedScores, intOps, patternParams, patternPrefill, topK } from './pattern-prefill.js';
import { indicesAsFloat, scalarOnGpu } from './webgpu-ints.js';
import { budgetKnob } from './budget-knob.js';

/** Graph inputs (int64 scalars) of the budget when params do not bake it in. */
export const FLEXPREFILL_IO = { alphaPpm: 'attention.prefill.alpha_ppm', minBudget: 'attention.prefill.min_budget' } as const;

function alphaValue(ctx: AttentionContext): string {
  const value = ctx.params['alpha'];
  if (value === undefined) return ctx.graph.op('Div', [scalarOnGpu(intOps(ctx), ctx.sharedInput(FLEXPREFILL_IO.alphaPpm, 'int64', [])), f32(ctx, 1e6)]);
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new Error(`flexprefill needs params.alpha as a number in [0, 1]; got ${JSON.stringify(value)}.`);
  return f32(ctx, value);
}

export const flexPrefillAttention: AttentionBuilder = {
  id: 'flexprefill',
  chunked: true,
  phase: 'prefill',
  description: 'FlexPrefill: per-head column and diagonal counts from the cumulative-score threshold alpha (floored at min_budget, optionally capped at params.maxBudget), computed as Vertical-Slash tiles plus columns (params alpha, minBudget from flexPrefillBudget, or graph inputs).',
  build: (ctx) => {
    const p = patternParams('flexprefill', FLEXPREFILL_DEFAULTS, ctx.params);
    const alpha = alphaValue(ctx);
    const minBudget = budgetKnob(ctx, 'minBudget', FLEXPREFILL_IO.minBudget, 'flexprefill', 0);
    const g = ctx.graph;
    const G = ctx.spec.numHeads / ctx.spec.numKvHeads;
    const coverage = ctx.params['coverage'] ?? 'sort';
    if (coverage !== 'sort' && coverage !== 'bisect') throw new Error(`flexprefill params.coverage must be "sort" or "bisect"; got ${JSON.stringify(coverage)}.`);
    const maxBudget = ctx.params['maxBudget'];
    if (maxBudget !== undefined && (typeof maxBudget !== 'number' || !Number.isInteger(maxBudget) || maxBudget < 1)) throw new Error(`flexprefill needs params.maxBudget as an integer >= 1; got ${JSON.stringify(maxBudget)}.`);
    const iterations = ctx.params['coverageIterations'] ?? 40;
    if (typeof iterations !== 'number' || !Number.isInteger(iterations) || iterations < 1) throw new Error(`flexprefill params.coverageIterations must be a positive integer; got ${JSON.stringify(iterations)}.`);
    /** 1 (float) per entry of the sorted statistic whose cumulative sum stays within alpha (a full sort, then CumSum). */
    const sortedCoverage = (mean: string, total: string): string => {
      const sorted = topK(ctx, mean, total).values;
      return g.op('Cast', [g.op('LessOrEqual', [g.op('CumSum', [sorted, g.int64([1], [])]), alpha])], { to: int(1) });
    };
    /**
     * The same count without sorting: the largest set of top entries whose sum stays within alpha
     * is {v > t} for the smallest threshold t with sum(v > t) <= alpha, found by bisecting t between
     * 0 and the row's maximum (`iterations` halvings of small elementwise ops and a ReduceSum, all on
     * the GPU, against a full bitonic sort of T entries). Equal to the sorted count unless entries
     * tie at the threshold or lie closer than max / 2^iterations.
     */
    const bisectedCoverage = (mean: string): string => {
      const axis = g.int64([1]);
      let high = g.op('ReduceMax', [mean, axis], { keepdims: int(1) });
      let low = g.op('Mul', [high, f32(ctx, 0)]);
      for (let i = 0; i < iterations; i++) {
        const mid = g.op('Mul', [g.op('Add', [low, high]), f32(ctx, 0.5)]);
        const above = g.op('ReduceSum', [g.op('Where', [g.op('Greater', [mean, mid]), mean, f32(ctx, 0)]), axis], { keepdims: int(1) });
        const fits = g.op('LessOrEqual', [above, alpha]);
        high = g.op('Where', [fits, mid, high]);
        low = g.op('Where', [fits, low, mid]);
      }
      return g.op('Cast', [g.op('Greater', [mean, high])], { to: int(1) });
    };
    // Counts are float32 on the GPU (exact below 2^24); only the longest head's count is read on the
    // host (TopK's k), one wait per statistic (webgpu-ints.ts).
    const toF = (x: string): string => g.op('Cast', [x], { to: int(1) });
    return patternPrefill(ctx, p, (stats) => {
      // Scalars made on the GPU (webgpu-ints.ts: a host scalar read by a GPU kernel is copied up mid-run).
      const rows = scalarOnGpu(intOps(ctx), stats.rows);
      const norm = p.scope === 'kv-head' ? g.op('Mul', [rows, f32(ctx, G)]) : rows;
      const pick = (raw: string, forced: number): { indices: string; valid: string } => {
        const mean = g.op('Div', [raw, norm]);
        const within = coverage === 'sort' ? sortedCoverage(mean, stats.total) : bisectedCoverage(mean);
        const cover = g.op('Add', [g.op('ReduceSum', [within, g.int64([1])], { keepdims: int(0) }), f32(ctx, 1)]);
        const floor = scalarOnGpu(intOps(ctx), g.op('Max', [minBudget, g.int64([forced], [])]));
        const capped = g.op('Min', [g.op('Max', [floor, cover]), scalarOnGpu(intOps(ctx), stats.total)]); // [Hs]
        // params.maxBudget caps the count (never below the forced ones), as FlexPrefill's max_budget.
        const count = maxBudget === undefined ? capped : g.op('Min', [capped, f32(ctx, Math.max(maxBudget as number, forced))]);
        const most = g.op('Cast', [g.op('ReduceMax', [count, g.int64([0])], { keepdims: int(0) })], { to: int(7) });
        const indices = indicesAsFloat(intOps(ctx), topK(ctx, forcedScores(ctx, mean, stats.total, forced), most).indices, stats.total);
        const rank = g.op('Reshape', [g.op('Range', [f32(ctx, 0), toF(most), f32(ctx, 1)]), g.int64([1, -1])]);
        return { indices, valid: g.op('Less', [rank, g.op('Reshape', [count, g.int64([-1, 1])])]) };
      };
      const v = pick(stats.vertical, p.forcedVertical);
      const s = pick(stats.slash, p.forcedSlash);
      return { vertical: v.indices, verticalValid: v.valid, slash: s.indices, slashValid: s.valid };
    });
  },
  budgetInputs: (b) => ({ [FLEXPREFILL_IO.alphaPpm]: Math.round(b['alpha']! * 1e6), [FLEXPREFILL_IO.minBudget]: b['minBudget']! }),
};
