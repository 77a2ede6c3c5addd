// Quest decode in the one-run graph's Loop (loop-decode.ts). Positions are cut into 16-token pages
// (params.pageSize) across the prompt and the generated tokens; a step at position T - 1 reads the
// top min(pageBudget, current) earlier pages by the upper bound sum_d max(q_d min_d, q_d max_d),
// summed over the query heads of a KV head, plus the current page (the page of T - 1), as the
// reference does.
//
//   prepare (outer graph, once): min and max keys of the prompt's Pc = floor(P / 16) complete pages
//     [1, kv, Pc, d]; the prompt keys of page Pc (the page the prompt ends in, < 16 tokens)
//   attend (each step):
//     R = those keys ++ the tail: pages Pc .. current, padded to whole pages --> their bounds
//     scores [1, kv, 1, current + 1] = bound scores of the Pc prompt pages ++ of the R pages, the
//       current page's set to +inf --> TopK(min(budget, current) + 1): the current page and the
//       chosen earlier pages (so k is never 0)
//     prompt part: the chosen pages' tokens gathered from the prompt cache (k + 1 pages), a bias
//       masking positions >= P (pages the prompt doesn't hold, the padding)
//     tail part: every generated token, a bias keeping those in a chosen page or the current one
//     --> one softmax over both (loop-attend.ts)
// A step reads (k + 1) x 16 prompt keys and values, the 2 x Pc bound rows (the selection, as the
// paper's cost model counts it), the tail, and the keys of R for their bounds (under 16 prompt keys
// more than the tail): the prompt's part falls with the budget. Budget: the int64 input `attention.decode.page_budget` of the stepwise
// builder (quest.ts, questBudget), or params.pageBudget baked in. Reference:
// runner/engine/sparse/reference/quest.ts (scope 'kv-head').
import { int } from '../onnx/graph-builder.js';
import { budgetKnob } from './budget-knob.js';
import { QUEST_IO } from './quest.js';
import { attendSegments } from './loop-attend.js';
import type { LoopDecodeMethod, LoopPrepareContext, LoopStepContext } from './loop-decode.js';

function pageSizeOf(params: Record<string, unknown>): number {
  const value = params['pageSize'] ?? 16;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new Error(`quest needs params.pageSize as an integer >= 1; got ${JSON.stringify(value)}.`);
  const scope = params['scope'] ?? 'kv-head';
  if (scope !== 'kv-head') throw new Error(`quest in the one-run graph selects pages per KV head (params.scope "kv-head"); got ${JSON.stringify(scope)}.`);
  return value;
}

const f32 = (g: LoopStepContext['graph'], x: number): string => g.inline('c_f32', 'float', [], new Uint8Array(Float32Array.of(x).buffer));

/**
 * Page scores `[1, kv, 1, pages]` (float32) of bounds `[1, kv, pages, d]`: the upper bound of q.k
 * summed over the group, as (sum_h relu(q_h)) . max + (sum_h min(q_h, 0)) . min (the same sum, as min <= max).
 */
function boundScores(ctx: LoopStepContext, min: string, max: string): string {
  const g = ctx.graph;
  const group = g.int64([2]);
  const positive = g.op('ReduceSum', [g.op('Relu', [ctx.query]), group], { keepdims: int(1) });
  const negative = g.op('Sub', [g.op('ReduceSum', [ctx.query, group], { keepdims: int(1) }), positive]);
  const times = (q: string, bound: string): string => g.op('FusedMatMul', [q, bound], { transA: int(0), transB: int(1) }, 'com.microsoft');
  const scores = g.op('Add', [times(positive, max), times(negative, min)]);
  return ctx.valueType === 'float16' ? g.op('Cast', [scores], { to: int(1) }) : scores;
}

export const questLoopDecode: LoopDecodeMethod = {
  id: 'quest',
  description: 'Quest: 16-token pages with min/max key bounds (the prompt\'s once, the generated tokens\' each step); top pages by upper-bound score plus the current page, their tokens gathered and attended.',
  prepare(ctx: LoopPrepareContext) {
    const { graph: g, spec } = ctx;
    const kv = spec.numKvHeads;
    const d = spec.headDim;
    const pageSize = pageSizeOf(ctx.params);
    const budget = budgetKnob({ graph: g, params: ctx.params, sharedInput: (name) => ctx.budgetInput(name) }, 'pageBudget', QUEST_IO.pageBudget, 'quest', 0);
    const page = g.int64([pageSize]);
    const axis2 = g.int64([2]);
    const zero = g.int64([0]);
    const complete = g.op('Div', [ctx.promptLength, page]); // Pc
    const completeEnd = g.op('Mul', [complete, page]);
    const pages = g.op('Reshape', [g.op('Slice', [ctx.promptKey, zero, completeEnd, axis2]), g.op('Concat', [g.int64([1, kv]), complete, g.int64([pageSize, d])], { axis: int(0) })]);
    const axis3 = g.int64([3]);
    // The cache as rows [kv x Pp, d] for the token gather, and where each head's rows start.
    const padded = g.op('Shape', [ctx.promptKey], { start: int(2), end: int(3) });
    const rows = (cache: string): string => g.op('Reshape', [cache, g.int64([-1, d])]);
    const headStart = g.op('Mul', [g.int64(Array.from({ length: kv }, (_, h) => h), [1, kv, 1, 1]), padded]);
    return {
      min: g.op('ReduceMin', [pages, axis3], { keepdims: int(0) }),
      max: g.op('ReduceMax', [pages, axis3], { keepdims: int(0) }),
      lastPromptPage: g.op('Slice', [ctx.promptKey, completeEnd, ctx.promptLength, axis2]),
      keyRows: rows(ctx.promptKey),
      valueRows: rows(ctx.promptValue),
      headStart,
      paddedLast: g.op('Sub', [padded, g.int64([1])]),
      complete,
      promptLength: ctx.promptLength,
      budget: g.op('Reshape', [budget, g.int64([1])]),
    };
  },
  attend(ctx) {
    const { graph: g, spec } = ctx;
    const kv = spec.numKvHeads;
    const d = spec.headDim;
    const s = ctx.state;
    const pageSize = pageSizeOf(ctx.params);
    const page = g.int64([pageSize]);
    const one = g.int64([1]);
    const current = g.op('Div', [ctx.position, page]);
    const complete = s['complete']!;
    // R: the keys of pages Pc .. current (the prompt's last partial page, then the tail), padded to whole pages.
    const recentPages = g.op('Add', [g.op('Sub', [current, complete]), one]);
    const recent = g.op('Concat', [s['lastPromptPage']!, ctx.tailKey], { axis: int(2) });
    const fill = g.op('Sub', [g.op('Mul', [recentPages, page]), g.op('Shape', [recent], { start: int(2), end: int(3) })]);
    const recentBlocks = g.op('Reshape', [
      g.op('Pad', [recent, g.op('Concat', [g.int64([0, 0, 0, 0, 0, 0]), fill, g.int64([0])], { axis: int(0) })]),
      g.op('Concat', [g.int64([1, kv]), recentPages, g.int64([pageSize, d])], { axis: int(0) }),
    ]);
    const axis3 = g.int64([3]);
    const recentScores = boundScores(ctx, g.op('ReduceMin', [recentBlocks, axis3], { keepdims: int(0) }), g.op('ReduceMax', [recentBlocks, axis3], { keepdims: int(0) }));
    // Columns are page numbers 0 .. current; the current page's (the last) is +inf, so TopK(k + 1)
    // gives it and the best k earlier pages.
    const scores = g.op('Concat', [boundScores(ctx, s['min']!, s['max']!), recentScores], { axis: int(-1) });
    const columns = g.op('Range', [g.int64([0], []), g.op('Reshape', [g.op('Add', [current, one]), g.int64([], [0])]), g.int64([1], [])]);
    const ranked = g.op('Where', [g.op('Equal', [columns, current]), f32(g, Infinity), scores]);
    const k = g.op('Add', [g.op('Min', [s['budget']!, current]), one]);
    const [, chosen] = g.node('TopK', [ranked, k], { axis: int(-1), largest: int(1), sorted: int(1) }, { outputs: 2 }); // [1, kv, 1, k + 1]
    const chosenPages = g.op('Reshape', [chosen!, g.int64([1, kv, -1, 1])]);

    // Prompt part: the chosen pages' tokens, read from the prompt cache (positions past Pp - 1 clamped, all masked).
    const arange = g.int64(Array.from({ length: pageSize }, (_, i) => i), [1, 1, 1, pageSize]);
    const tokens = g.op('Add', [g.op('Mul', [chosenPages, page]), arange]); // [1, kv, k + 1, 16]
    const index = g.op('Reshape', [g.op('Add', [g.op('Min', [tokens, s['paddedLast']!]), s['headStart']!]), g.int64([1, kv, -1])]);
    const gather = (table: string): string => g.op('Gather', [table, index], { axis: int(0) });
    const inPrompt = g.op('Less', [g.op('Reshape', [tokens, g.int64([1, kv, 1, -1])]), s['promptLength']!]);
    const promptBias = g.op('Where', [inPrompt, f32(g, 0), f32(g, -Infinity)]);

    // Tail part: a generated token is read when its page (of pages Pc .. current) was chosen.
    const recentIds = g.op('Reshape', [g.op('Add', [g.op('Range', [g.int64([0], []), g.op('Reshape', [recentPages, g.int64([], [0])]), g.int64([1], [])]), complete]), g.int64([1, 1, 1, -1])]);
    const picked = g.op('ReduceMax', [g.op('Cast', [g.op('Equal', [chosenPages, recentIds])], { to: int(1) }), g.int64([2])], { keepdims: int(1) }); // [1, kv, 1, R pages]
    const promptLength = g.op('Reshape', [s['promptLength']!, g.int64([], [0])]);
    const tailPositions = g.op('Range', [promptLength, g.op('Reshape', [g.op('Add', [ctx.position, one]), g.int64([], [0])]), g.int64([1], [])]);
    const tailPage = g.op('Sub', [g.op('Div', [tailPositions, page]), complete]);
    const tailBias = g.op('Where', [g.op('Greater', [g.op('Gather', [picked, tailPage], { axis: int(3) }), f32(g, 0.5)]), f32(g, 0), f32(g, -Infinity)]);

    return attendSegments(ctx, [
      { key: g.op('Reshape', [gather(s['keyRows']!), g.int64([1, kv, -1, d])]), value: g.op('Reshape', [gather(s['valueRows']!), g.int64([1, kv, -1, d])]), bias: promptBias },
      { key: ctx.tailKey, value: ctx.tailValue, bias: tailBias },
    ]);
  },
};
