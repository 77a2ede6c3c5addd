// Quest decode (one new token): the cache is cut into 16-token pages; for each KV head and each
// completed page the graph keeps the element-wise min and max of the page's keys as a per-layer
// attention state (quest-state.ts), appending the pages completed since the state was last updated
// (the first decode step after prefill computes all the prompt's pages once; later steps
// recompute the last completed page, reading 16 keys, so no step runs on empty tensors once the
// context passes one page). The page score is the reference's upper bound
// sum_d max(q_d min_d, q_d max_d), summed over the query heads of a KV head (scope 'kv-head'); it
// is computed as two small MatMuls, (sum_h relu(q_h)) . max + (sum_h min(q_h, 0)) . min, which is
// the same sum since min <= max. TopK picks `pageBudget` of the earlier pages (TopK over L/16
// columns); with the current (partial) page they give token indices, and a Gather over the cache
// viewed as `[kv x T, d]` rows reads only those keys and values. Attention (q K^T, Softmax, P V)
// then runs over at most (pageBudget + 1) x 16 tokens per KV head, shared by its query heads, so the
// keys and values read per step fall with the budget; the selection reads 2 x L/16 bound rows.
// Not falling with the budget: the Concat that appends the new token (past -> present) copies the
// whole cache each step, as in dense-decode (Quest keeps the full cache), and the state Concat
// copies the 2 x L/16 bound rows; a frozen cache as in dense-decode-blocked would remove the first.
// The budget is the int64 graph input `attention.decode.page_budget` (QuestBudget.pageBudget), or
// params.pageBudget baked in; params.pageSize (default 16) is a constant of the graph.
// Reference: runner/engine/sparse/reference/quest.ts (pageBounds, updatePageBounds, questAttention).
import { int, ints } from '../onnx/graph-builder.js';
import { budgetKnob } from './budget-knob.js';
import type { AttentionBuilder, AttentionContext } from './types.js';
import { decodeStep } from './rotary.js';
import { attentionState, gatherTokens } from './quest-state.js';
import { blockParam, cacheMode, frozenInputs } from './dense-decode-blocked.js';

/** The graph input of the page budget. */
export const QUEST_IO = { pageBudget: 'attention.decode.page_budget' } as const;

/** Names of Quest's per-layer states: min and max keys of the completed pages, `[1, kv, pages, d]`. */
export const QUEST_STATE = { min: 'quest_min', max: 'quest_max' } as const;

function integerParam(ctx: AttentionContext, name: string, fallback: number, min: number): number {
  const value = ctx.params[name] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new Error(`quest needs params.${name} as an integer >= ${min}; got ${JSON.stringify(value)}.`);
  return value;
}

function buildQuest(ctx: AttentionContext): string {
  const { graph: g, spec } = ctx;
  const kv = spec.numKvHeads;
  const d = spec.headDim;
  const pageSize = integerParam(ctx, 'pageSize', 16, 1);
  const budget = g.op('Reshape', [budgetKnob(ctx, 'pageBudget', QUEST_IO.pageBudget, 'quest', 0), g.int64([1])]);
  const { q, presentKey, presentValue } = decodeStep(ctx);

  // T tokens; `earlier` completed pages before the current one (the page of token T - 1).
  const axis2 = g.int64([2]);
  const page = g.int64([pageSize]);
  const total = g.op('Shape', [presentKey!], { start: int(2), end: int(3) });
  const earlier = g.op('Div', [g.op('Sub', [total, g.int64([1])]), page]);
  const minState = attentionState(ctx, QUEST_STATE.min, [1, kv, 'quest_pages', d]);
  const maxState = attentionState(ctx, QUEST_STATE.max, [1, kv, 'quest_pages', d]);
  // Pages [from, earlier) are (re)computed: all of them on the first step, else the last completed
  // page (recomputed when unchanged, so no step works on empty tensors once a page is complete).
  const have = g.op('Shape', [minState.value], { start: int(2), end: int(3) });
  const from = g.op('Max', [g.int64([0]), g.op('Min', [have, g.op('Sub', [earlier, g.int64([1])])])]);
  const fresh = g.op('Reshape', [g.op('Slice', [presentKey!, g.op('Mul', [from, page]), g.op('Mul', [earlier, page]), axis2]), g.int64([1, kv, -1, pageSize, d])]);
  const axis3 = g.int64([3]);
  const kept = (state: string): string => g.op('Slice', [state, g.int64([0]), from, axis2]);
  const pageMin = g.op('Concat', [kept(minState.value), g.op('ReduceMin', [fresh, axis3], { keepdims: int(0) })], { axis: int(2) });
  const pageMax = g.op('Concat', [kept(maxState.value), g.op('ReduceMax', [fresh, axis3], { keepdims: int(0) })], { axis: int(2) });
  minState.update(pageMin);
  maxState.update(pageMax);

  // Upper-bound page scores summed over the group: [1, kv, 1, pages].
  const axisGroup = g.int64([2]);
  const positive = g.op('ReduceSum', [g.op('Relu', [q]), axisGroup], { keepdims: int(1) });
  const negative = g.op('Sub', [g.op('ReduceSum', [q, axisGroup], { keepdims: int(1) }), positive]);
  const transpose = (x: string): string => g.op('Transpose', [x], { perm: ints([0, 1, 3, 2]) });
  const scores = g.op('Add', [g.op('MatMul', [positive, transpose(pageMax)]), g.op('MatMul', [negative, transpose(pageMin)])]);
  const k = g.op('Min', [budget, earlier]);
  const [, topPages] = g.node('TopK', [scores, k], { axis: int(-1), largest: int(1), sorted: int(1) }, { outputs: 2 });
  // Token indices (int32, as WebGPU's elementwise kernels take): the chosen pages' 16 tokens each,
  // then the current page's [earlier x 16, T).
  const i32 = (x: string): string => g.op('Cast', [x], { to: int(6) });
  const arange = g.int32(Array.from({ length: pageSize }, (_, i) => i), [pageSize]);
  const pageTokens = g.op('Reshape', [
    g.op('Add', [g.op('Mul', [g.op('Reshape', [i32(topPages!), g.int64([1, kv, -1, 1])]), g.int32([pageSize], [])]), arange]),
    g.int64([1, kv, -1]),
  ]);
  const currentStart = g.op('Mul', [earlier, page]);
  const current = g.op('Add', [g.op('Slice', [arange, g.int64([0]), g.op('Sub', [total, currentStart]), g.int64([0])]), i32(currentStart)]);
  const currentTokens = g.op('Expand', [g.op('Reshape', [current, g.int64([1, 1, -1])]), g.int64([1, kv, 1])]);
  const tokens = g.op('Concat', [pageTokens, currentTokens], { axis: int(2) });
  const keys = gatherTokens(g, presentKey!, tokens, kv, d);
  const values = gatherTokens(g, presentValue!, tokens, kv, d);
  const attnScores = g.op('MatMul', [g.op('Mul', [q, ctx.scalar(1 / Math.sqrt(d))]), transpose(keys)]);
  const probs = g.op('Softmax', [attnScores], { axis: int(-1) });
  const out = g.op('MatMul', [probs, values]);
  return g.op('Reshape', [out, g.int64([1, 1, spec.numHeads * d])]);
}

/**
 * Quest over a blocked cache (`params.cache: 'blocked'`): the frozen part holds whole pages with
 * keys as rows (`[1, kv, F, d]`, F a multiple of the page size and at least one page: before a page
 * is complete Quest is dense attention, and the worker runs those steps in the prefill graph), the
 * tail the rest plus the new token. The frozen pages' bounds are the per-layer state (pages frozen
 * since the last step added, the last one recomputed); the tail, padded to whole pages, is bounded
 * afresh each step (at most 2 blocks of tokens), its last page (the current one) scored -inf.
 * Selection as a tournament that stays on the GPU: TopK is a one-dispatch bitonic sort up to 2048
 * columns on WebGPU and ~log2(n)^2 / 2 dispatches beyond, and its int64 indices can only be read by
 * gathers there (a Cast or any integer arithmetic on them runs on the CPU). So: the best
 * min(budget, 2048) frozen pages of every 2048-page slice (params.topkWidth; one TopK over all
 * slices), their page numbers read as fp32 through GatherElements from a page-number table; then
 * the best min(budget, pages) of those candidates and the tail's pages (a second TopK); the chosen
 * page numbers (fp32, exact below 2^24) become int32 rows of `[kv x F/16, 16 d]` (frozen) or of the
 * padded tail. The same set as one TopK over all pages, ties going to the lower page. On the H100
 * this step is still 3-9 ms a layer against 0.3-1.3 ms for dense-decode-blocked: about 60 small
 * dispatches (docs/sparse-attention.md).
 */
function buildQuestBlocked(ctx: AttentionContext): string {
  const { graph: g, spec } = ctx;
  const kv = spec.numKvHeads;
  const d = spec.headDim;
  const pageSize = integerParam(ctx, 'pageSize', 16, 1);
  blockParam(ctx, 'quest');
  const budget = g.op('Reshape', [budgetKnob(ctx, 'pageBudget', QUEST_IO.pageBudget, 'quest', 0), g.int64([1])]);
  const frozen = frozenInputs(ctx, 'rows');
  const { q, presentKey: tail, presentValue: tailValue } = decodeStep(ctx);
  const axis2 = g.int64([2]);
  const axis3 = g.int64([3]);
  const zero = g.int64([0]);
  const one = g.int64([1]);
  const page = g.int64([pageSize]);
  const F = frozen.length;
  const Pf = g.op('Div', [F, page]);
  const tailLength = g.op('Shape', [tail], { start: int(2), end: int(3) });
  const earlier = g.op('Div', [g.op('Sub', [g.op('Add', [F, tailLength]), one]), page]);
  const tailPages = g.op('Add', [g.op('Sub', [earlier, Pf]), one]); // complete tail pages + the current one
  const shape = (dims: string[]): string => g.op('Concat', dims, { axis: int(0) });
  const pages = (x: string, count: string): string => g.op('Reshape', [x, shape([g.int64([1, kv]), count, g.int64([pageSize, d])])]);

  // Bounds of the frozen pages: the state, with pages [from, Pf) (re)computed (at least one).
  const minState = attentionState(ctx, QUEST_STATE.min, [1, kv, 'quest_pages', d]);
  const maxState = attentionState(ctx, QUEST_STATE.max, [1, kv, 'quest_pages', d]);
  const have = g.op('Shape', [minState.value], { start: int(2), end: int(3) });
  const from = g.op('Max', [zero, g.op('Min', [have, g.op('Sub', [Pf, one])])]);
  const fresh = pages(g.op('Slice', [frozen.key, g.op('Mul', [from, page]), F, axis2]), g.op('Sub', [Pf, from]));
  const kept = (state: string): string => g.op('Slice', [state, zero, from, axis2]);
  const frozenMin = g.op('Concat', [kept(minState.value), g.op('ReduceMin', [fresh, axis3], { keepdims: int(0) })], { axis: int(2) });
  const frozenMax = g.op('Concat', [kept(maxState.value), g.op('ReduceMax', [fresh, axis3], { keepdims: int(0) })], { axis: int(2) });
  minState.update(frozenMin);
  maxState.update(frozenMax);
  // The tail padded to whole pages (never empty: it holds the new token).
  const padding = g.op('Sub', [g.op('Mul', [tailPages, page]), tailLength]);
  const padded = (x: string): string => g.op('Pad', [x, shape([g.int64([0, 0, 0, 0, 0, 0]), padding, g.int64([0])])]);
  const tailKeys = padded(tail);
  const tailBlocks = pages(tailKeys, tailPages);

  // Upper-bound page scores summed over the group.
  const axisGroup = g.int64([2]);
  const positive = g.op('ReduceSum', [g.op('Relu', [q]), axisGroup], { keepdims: int(1) });
  const negative = g.op('Sub', [g.op('ReduceSum', [q, axisGroup], { keepdims: int(1) }), positive]);
  const transpose = (x: string): string => g.op('Transpose', [x], { perm: ints([0, 1, 3, 2]) });
  const bound = (min: string, max: string): string => g.op('Add', [g.op('MatMul', [positive, transpose(max)]), g.op('MatMul', [negative, transpose(min)])]);
  const frozenScores = bound(frozenMin, frozenMax); // [1, kv, 1, Pf]
  const current = g.op('Equal', [g.op('Range', [zero, tailPages, one]), g.op('Sub', [tailPages, one])]);
  const tailScores = g.op('Where', [current, ctx.scalar(-65504), bound(g.op('ReduceMin', [tailBlocks, axis3], { keepdims: int(0) }), g.op('ReduceMax', [tailBlocks, axis3], { keepdims: int(0) }))]);
  // Page numbers as fp32 (exact below 2^24), computed on the host from the lengths and uploaded.
  const f32 = (x: string): string => g.op('Cast', [x], { to: int(1) });
  const f32c = (x: number): string => g.inline('c_f32', 'float', [], new Uint8Array(Float32Array.of(x).buffer));
  const topK = (scores: string, k: string): [string, string] => {
    const [values, indices] = g.node('TopK', [scores, k], { axis: int(-1), largest: int(1), sorted: int(1) }, { outputs: 2 });
    return [values!, indices!];
  };
  const gatherElements = (table: string, indices: string): string => g.op('GatherElements', [table, indices], { axis: int(-1) });
  const k = g.op('Min', [budget, earlier]);
  // Level 1: the best k1 = min(k, W) of each W-page slice of the frozen pages (padding scored -65504).
  const W = integerParam(ctx, 'topkWidth', 2048, 1);
  const slices = g.op('Div', [g.op('Add', [Pf, g.int64([W - 1])]), g.int64([W])]);
  const width = g.op('Mul', [slices, g.int64([W])]);
  const sliceShape = shape([g.int64([1, kv]), slices, g.int64([W])]);
  const sliced = g.op('Reshape', [g.op('Pad', [frozenScores, shape([g.int64([0, 0, 0, 0, 0, 0, 0]), g.op('Sub', [width, Pf])]), ctx.scalar(-65504)]), sliceShape]);
  const pageNumbers = g.op('Expand', [g.op('Reshape', [g.op('Range', [f32c(0), f32(g.op('Reshape', [width, g.int64([])])), f32c(1)]), shape([g.int64([1, 1]), slices, g.int64([W])])]), sliceShape]);
  const [firstScores, firstIndices] = topK(sliced, g.op('Min', [k, g.int64([W])]));
  const flat = (x: string): string => g.op('Reshape', [x, g.int64([1, kv, 1, -1])]);
  // Level 2: the best k of those candidates and the tail's pages (numbered Pf, Pf + 1, ...).
  const PfF = f32(Pf);
  const tailNumbers = g.op('Expand', [g.op('Reshape', [g.op('Add', [g.op('Range', [f32c(0), f32(g.op('Reshape', [tailPages, g.int64([])])), f32c(1)]), PfF]), g.int64([1, 1, 1, -1])]), shape([g.int64([1, kv, 1]), tailPages])]);
  const candidateScores = g.op('Concat', [flat(firstScores), tailScores], { axis: int(3) });
  const candidateNumbers = g.op('Concat', [flat(gatherElements(pageNumbers, firstIndices)), tailNumbers], { axis: int(3) });
  const [, chosenIndices] = topK(candidateScores, k);
  const chosen = g.op('Reshape', [gatherElements(candidateNumbers, chosenIndices), g.int64([1, kv, -1, 1])]); // fp32 [1, kv, k, 1]
  // Rows: frozen page p of head h is row h x Pf + p; a tail page, row h x tailPages + (p - Pf).
  const heads = g.inline('c_heads', 'float', [1, kv, 1, 1], new Uint8Array(Float32Array.from({ length: kv }, (_, i) => i).buffer));
  const row = (count: string, at: string): string => g.op('Reshape', [g.op('Cast', [g.op('Add', [g.op('Mul', [heads, count]), at])], { to: int(6) }), g.int64([1, kv, -1])]);
  const frozenRow = row(PfF, g.op('Min', [chosen, g.op('Sub', [PfF, f32c(1)])]));
  const tailRow = row(f32(tailPages), g.op('Max', [g.op('Sub', [chosen, PfF]), f32c(0)]));
  const inFrozen = g.op('Less', [chosen, PfF]); // [1, kv, k, 1]
  const select = (frozenPart: string, tailPart: string): string => {
    const pick = (table: string, rowsOf: string): string => g.op('Gather', [g.op('Reshape', [table, g.int64([-1, pageSize * d])]), rowsOf], { axis: int(0) }); // [1, kv, k, 16 d]
    return g.op('Reshape', [g.op('Where', [inFrozen, pick(frozenPart, frozenRow), pick(tailPart, tailRow)]), g.int64([1, kv, -1, d])]);
  };
  // The current page: tail tokens from (earlier - Pf) x 16 on.
  const currentFrom = g.op('Mul', [g.op('Sub', [earlier, Pf]), page]);
  const end = g.int64([Number.MAX_SAFE_INTEGER]);
  const keys = g.op('Concat', [select(frozen.key, tailKeys), g.op('Slice', [tail, currentFrom, end, axis2])], { axis: int(2) });
  const values = g.op('Concat', [select(frozen.value, padded(tailValue)), g.op('Slice', [tailValue, currentFrom, end, axis2])], { axis: int(2) });
  const attnScores = g.op('MatMul', [g.op('Mul', [q, ctx.scalar(1 / Math.sqrt(d))]), transpose(keys)]);
  const probs = g.op('Softmax', [attnScores], { axis: int(-1) });
  return g.op('Reshape', [g.op('MatMul', [probs, values]), g.int64([1, 1, spec.numHeads * d])]);
}

export const questAttention: AttentionBuilder = {
  id: 'quest',
  phase: 'decode',
  description: 'Quest: 16-token pages with min/max key bounds kept as per-layer state; top pages by upper-bound score (summed over a KV group) plus the current page, gathered and attended (params pageBudget, pageSize, or the graph input attention.decode.page_budget; cache flat|blocked).',
  build: (ctx) => (cacheMode(ctx, 'quest') === 'blocked' ? buildQuestBlocked(ctx) : buildQuest(ctx)),
  budgetInputs: (b) => {
    if (b['pageSize'] !== undefined && b['pageSize'] !== 16) throw new Error(`The engine's Quest graph uses 16-token pages; the budget asks for ${b['pageSize']}.`);
    return { [QUEST_IO.pageBudget]: b['pageBudget']! };
  },
};
