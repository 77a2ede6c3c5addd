// Vertical-Slash (MInference) prefill graph: the chunk's last queries (64 by default) estimate per
// query head (or per KV head, scope 'kv-head') the column and diagonal scores; each head keeps its
// top `verticalCount` columns (the first `forcedVertical` forced) and top `slashCount` offsets (the
// nearest `forcedSlash` forced); query block b reads its slash tiles (the union, deduplicated) plus
// the kept columns, gathered, so work falls with the budget. The graph, its cost (estimation is
// lastQueries x T per head; TopK over T columns is a bitonic sort on WebGPU, run once per head,
// layer and chunk) and its chunked-prefill semantics are described in pattern-prefill.ts. Budget:
// verticalSlashBudget (runner/engine/sparse/budget.ts); reference:
// runner/engine/sparse/reference/vertical-slash.ts (verticalSlashChunkAttention for chunks).
import { VERTICAL_SLASH_DEFAULTS } from '../sparse/reference/vertical-slash.js';
import type { AttentionBuilder } from './types.js';
import { forcedScores, intOps, patternParams, patternPrefill, topK } from './pattern-prefill.js';
import { indicesAsFloat } from './webgpu-ints.js';
import { budgetKnob } from './budget-knob.js';

/** Graph inputs (int64 scalars) of the budget when params do not bake it in. */
export const VERTICAL_SLASH_IO = { vertical: 'attention.prefill.vertical', slash: 'attention.prefill.slash' } as const;

export const verticalSlashAttention: AttentionBuilder = {
  id: 'vertical-slash',
  chunked: true,
  phase: 'prefill',
  description: 'Vertical-Slash (MInference): last-query estimation, top columns and diagonals per head, slash tiles plus columns gathered per 64-query block (params verticalCount, slashCount from verticalSlashBudget, or graph inputs).',
  build: (ctx) => {
    const p = patternParams('vertical-slash', VERTICAL_SLASH_DEFAULTS, ctx.params);
    const verticalCount = budgetKnob(ctx, 'verticalCount', VERTICAL_SLASH_IO.vertical, 'vertical-slash', 0);
    const slashCount = budgetKnob(ctx, 'slashCount', VERTICAL_SLASH_IO.slash, 'vertical-slash', 0);
    return patternPrefill(ctx, p, (stats) => {
      const g = ctx.graph;
      const pick = (scores: string, count: string, forced: number): string =>
        indicesAsFloat(intOps(ctx), topK(ctx, forcedScores(ctx, scores, stats.total, forced), g.op('Min', [count, stats.total])).indices, stats.total);
      return { vertical: pick(stats.vertical, verticalCount, p.forcedVertical), slash: pick(stats.slash, slashCount, p.forcedSlash) };
    });
  },
  budgetInputs: (b) => ({ [VERTICAL_SLASH_IO.vertical]: b['verticalCount']!, [VERTICAL_SLASH_IO.slash]: b['slashCount']! }),
};
