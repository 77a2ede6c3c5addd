// Sink + window attention: A-shape prefill and StreamingLLM decode. Each query at position i attends
// to the keys j < sink and i - window < j <= i. The graph slices the cache to the two contiguous
// ranges a chunk of queries can reach (the sinks, and the window before the chunk's first query up
// to its last), concatenates them, and computes scores only against those keys; the mask is applied
// inside that band (chunk x (sink + window + chunk - 1)), never over the whole context, so executed
// work falls with the budget. Budgets come from runner/engine/sparse (aShapeBudget,
// streamingLlmBudget); the float64 references are runner/engine/sparse/reference/{a-shape,streaming-llm}.ts.
import { float, int, ints, type GraphBuilder } from '../onnx/graph-builder.js';
import type { AttentionBuilder, AttentionContext } from './types.js';
import { rotary } from './rotary.js';
import { blockedDecode, blockParam, cacheMode } from './dense-decode-blocked.js';
import { budgetKnob } from './budget-knob.js';

/**
 * Graph inputs (int64 scalars) of the budgets when they are not baked in as params, so one graph
 * serves every prompt length and compression: the backend feeds them per request.
 */
export const SINK_WINDOW_IO = {
  prefill: { sink: 'attention.prefill.sink', window: 'attention.prefill.window' },
  decode: { sink: 'attention.decode.sink', window: 'attention.decode.window' },
} as const;

/** StreamingLLM over the blocked cache: where the kept window starts after the worker's eviction (int64 scalar, fed by the worker). */
export const STREAMING_IO = { windowStart: 'attention.decode.window_start' } as const;

/**
 * Adds sink + window attention for one layer and returns `[1, S, numHeads * headDim]`.
 * `sink` and `window` are int64 scalar values in the graph (constants or inputs). With `blockSize`,
 * A-shape's block form (a-shape-kernel.ts): the first ceil(sink / B) blocks, and the
 * ceil((window - 1) / B) blocks before each query's own block.
 * @example sinkWindowAttention(ctx, ctx.graph.int64([64], []), ctx.graph.int64([1000], [])) // 64 sinks, a 1000-token window
 */
export function sinkWindowAttention(ctx: AttentionContext, sink: string, window: string, blockSize?: number): string {
  const { graph: g, spec } = ctx;
  const kv = spec.numKvHeads;
  const group = spec.numHeads / kv;
  const d = spec.headDim;
  const positions = ctx.positionIds();
  const rotate = (x: string, heads: number): string => rotary(ctx, positions, x, heads);
  // Queries [1, kv, group, S, d] with the softmax scale folded in.
  const q = g.op('Mul', [
    g.op('Transpose', [g.op('Reshape', [rotate(ctx.query, spec.numHeads), g.int64([1, 0, kv, group, d])])], { perm: ints([0, 2, 3, 1, 4]) }),
    ctx.scalar(1 / Math.sqrt(d)),
  ]);
  const toHeads = (x: string): string => g.op('Transpose', [g.op('Reshape', [x, g.int64([1, 0, kv, d])])], { perm: ints([0, 2, 1, 3]) });
  const [presentKey] = g.node('Concat', [ctx.pastKey, toHeads(rotate(ctx.key, kv))], { axis: int(2) }, { outputs: [ctx.presentKey] });
  const [presentValue] = g.node('Concat', [ctx.pastValue, toHeads(ctx.value)], { axis: int(2) }, { outputs: [ctx.presentValue] });
  // Scalars: T = P + S, P = the first new position, the two key ranges [0, sinkEnd) and [localStart, T).
  const scalarShape = g.int64([], [0]);
  const total = g.op('Cast', [ctx.totalSequenceLength], { to: int(7) });
  const first = g.op('Reshape', [g.op('Slice', [positions, g.int64([0]), g.int64([1]), g.int64([1])]), scalarShape]);
  // Block form: the sink rounded up to whole blocks; query q reaches back to the start of block
  // floor(q / B) - ceil((window - 1) / B).
  const B = blockSize;
  const blocks = B ? aShapeBlockCounts(g, sink, window, B) : null;
  const sinkConst = blocks ? g.op('Mul', [blocks.sink, g.int64([B!], [])]) : sink;
  const windowBlocks = blocks ? blocks.window : '';
  const reachStart = (q: string): string =>
    B ? g.op('Mul', [g.op('Sub', [g.op('Div', [q, g.int64([B], [])]), windowBlocks]), g.int64([B], [])]) : g.op('Sub', [g.op('Add', [q, g.int64([1], [])]), window]);
  const sinkEnd = g.op('Min', [sinkConst, total]);
  const localStart = g.op('Min', [g.op('Max', [sinkEnd, reachStart(first)]), total]);
  const one = g.int64([1]);
  const vec = (s: string): string => g.op('Reshape', [s, one]);
  const axis2 = g.int64([2]);
  const band = (x: string): string =>
    g.op('Concat', [g.op('Slice', [x, g.int64([0]), vec(sinkEnd), axis2]), g.op('Slice', [x, vec(localStart), vec(total), axis2])], { axis: int(2) });
  const keys = band(presentKey!);
  const values = band(presentValue!);
  const step = g.int64([1], []);
  const keyPositions = g.op('Concat', [g.op('Range', [g.int64([0], []), sinkEnd, step]), g.op('Range', [localStart, total, step])], { axis: int(0) });
  // Mask inside the band: causal, and a sink or within the window.
  const qpos = g.op('Reshape', [positions, g.int64([-1, 1])]);
  const kpos = g.op('Reshape', [keyPositions, g.int64([1, -1])]);
  const keep = g.op('And', [
    g.op('LessOrEqual', [kpos, qpos]),
    g.op('Or', [g.op('Less', [kpos, sinkConst]), g.op('GreaterOrEqual', [kpos, reachStart(qpos)])]),
  ]);
  const keysT = g.op('Reshape', [g.op('Transpose', [keys], { perm: ints([0, 1, 3, 2]) }), g.int64([1, kv, 1, d, -1])]);
  const scores = g.op('MatMul', [q, keysT]);
  const probs = g.op('Softmax', [g.op('Where', [keep, scores, ctx.scalar(-65504)])], { axis: int(-1) });
  const out = g.op('MatMul', [probs, g.op('Reshape', [values, g.int64([1, kv, 1, -1, d])])]);
  return g.op('Reshape', [g.op('Transpose', [out], { perm: ints([0, 3, 1, 2, 4]) }), g.int64([1, -1, spec.numHeads * d])]);
}

/**
 * Sink + window prefill through the fused com.microsoft MultiHeadAttention kernel: the chunk's
 * queries are cut into blocks of `rows` (the batch of the kernel); block b gathers its own keys,
 * the sinks and the window reaching back from its first query up to its last (at most
 * sink + window + rows - 1 keys, padded to that with an attention_bias of -inf), and the kernel
 * attends with the exact per-row mask as attention_bias. Work per chunk is chunk x (sink + window +
 * rows), so it falls with the budget until the window is about `rows`. Keys and values are repeated
 * across the query heads of each KV head (the kernel has no GQA).
 */
export function sinkWindowFusedAttention(ctx: AttentionContext, sink: string, window: string, rows: number): string {
  const { graph: g, spec } = ctx;
  const kv = spec.numKvHeads;
  const group = spec.numHeads / kv;
  const d = spec.headDim;
  const h = spec.numHeads;
  const positions = ctx.positionIds();
  const rotate = (x: string, heads: number): string => rotary(ctx, positions, x, heads);
  const toHeads = (x: string): string => g.op('Transpose', [g.op('Reshape', [x, g.int64([1, 0, kv, d])])], { perm: ints([0, 2, 1, 3]) });
  const [presentKey] = g.node('Concat', [ctx.pastKey, toHeads(rotate(ctx.key, kv))], { axis: int(2) }, { outputs: [ctx.presentKey] });
  const [presentValue] = g.node('Concat', [ctx.pastValue, toHeads(ctx.value)], { axis: int(2) }, { outputs: [ctx.presentValue] });
  const scalarShape = g.int64([], [0]);
  const i64 = (x: string): string => g.op('Cast', [x], { to: int(7) });
  const total = i64(ctx.totalSequenceLength);
  const first = g.op('Reshape', [g.op('Slice', [positions, g.int64([0]), g.int64([1]), g.int64([1])]), scalarShape]);
  const S = g.op('Sub', [total, first]);
  const R = g.int64([rows], []);
  // B = ceil(S / rows) query blocks; queries padded to B * rows.
  const B = g.op('Div', [g.op('Add', [S, g.int64([rows - 1], [])]), R]);
  const padded = g.op('Mul', [B, R]);
  const vec = (x: string): string => g.op('Reshape', [x, g.int64([1])]);
  const q = rotate(ctx.query, h); // [1, S, h*d]
  const qPad = g.op('Pad', [q, g.op('Concat', [g.int64([0, 0, 0, 0]), vec(g.op('Sub', [padded, S])), g.int64([0])], { axis: int(0) })]);
  const qBlocks = g.op('Reshape', [qPad, g.op('Concat', [vec(B), g.int64([rows, h * d])], { axis: int(0) })]); // [B, rows, h*d]
  // Positions: query p = first + b * rows + r; keys of block b: j < sinkEnd, then from localStart_b on.
  const sinkEnd = g.op('Min', [sink, total]);
  const kMax = g.op('Min', [g.op('Add', [g.op('Add', [sink, window]), g.int64([rows - 1], [])]), total]);
  const one = g.int64([1], []);
  const zero = g.int64([0], []);
  const blockStart = g.op('Add', [first, g.op('Mul', [g.op('Range', [zero, B, one]), R])]); // [B]
  const localStart = g.op('Max', [sinkEnd, g.op('Add', [g.op('Sub', [blockStart, window]), one])]); // [B]
  const j = g.op('Range', [zero, kMax, one]); // [K]
  const col = (x: string): string => g.op('Unsqueeze', [x, g.int64([1])]);
  const row = (x: string): string => g.op('Unsqueeze', [x, g.int64([0])]);
  const isSink = g.op('Less', [row(j), sinkEnd]); // [1, K]
  // Key position of slot j in block b: j for sinks, localStart_b + j - sinkEnd after.
  const keyPos = g.op('Where', [isSink, row(j), g.op('Add', [col(localStart), g.op('Sub', [row(j), sinkEnd])])]); // [B, K]
  const last = g.op('Sub', [total, one]);
  const index = g.op('Min', [keyPos, last]);
  const gather = (x: string): string => {
    // [1, kv, T, d] -> [1, kv, B, K, d] -> [B, K, kv, d] -> [B, K, kv, group, d] -> [B, K, h*d]
    const picked = g.op('Transpose', [g.op('Gather', [x, index], { axis: int(2) })], { perm: ints([0, 2, 3, 1, 4]) });
    const shape = g.op('Shape', [picked]);
    const bk = g.op('Slice', [shape, g.int64([1]), g.int64([3]), g.int64([0])]);
    const expanded = g.op('Expand', [g.op('Unsqueeze', [g.op('Reshape', [picked, g.op('Concat', [bk, g.int64([kv, d])], { axis: int(0) })]), g.int64([3])]), g.op('Concat', [bk, g.int64([kv, group, d])], { axis: int(0) })]);
    return g.op('Reshape', [expanded, g.op('Concat', [bk, g.int64([h * d])], { axis: int(0) })]);
  };
  const keys = gather(presentKey!);
  const values = gather(presentValue!);
  // Mask [B, 1, rows, K]: the key exists (slot within the block's range), causal, sink or in the window.
  // Compared as fp32 positions (exact below 2^24): WebGPU's elementwise kernels take no int64, and
  // this mask is the one large tensor of the index math (it would run on the CPU and be copied).
  const f32 = (x: string): string => g.op('Cast', [x], { to: int(1) });
  const qpos = f32(g.op('Unsqueeze', [g.op('Add', [col(blockStart), row(g.op('Range', [zero, R, one]))]), g.int64([2])])); // [B, rows, 1]
  const kpos = f32(g.op('Unsqueeze', [keyPos, g.int64([1])])); // [B, 1, K]
  const keep = g.op('And', [
    g.op('And', [g.op('LessOrEqual', [kpos, qpos]), g.op('Less', [kpos, f32(total)])]),
    g.op('Or', [g.op('Less', [kpos, f32(sink)]), g.op('Less', [g.op('Sub', [qpos, kpos]), f32(window)])]),
  ]);
  const bias = g.op('Unsqueeze', [g.op('Where', [keep, ctx.scalar(0), ctx.scalar(-65504)]), g.int64([1])]);
  const [out] = g.node('MultiHeadAttention', [qBlocks, keys, values, '', '', bias], { num_heads: int(h), scale: float(1 / Math.sqrt(d)) }, { domain: 'com.microsoft', outputs: 1, name: `mha_sw_${ctx.layer}` });
  // [B, rows, h*d] -> [1, B*rows, h*d] -> the chunk's S rows.
  const flat = g.op('Reshape', [out!, g.int64([1, -1, h * d])]);
  return g.op('Slice', [flat, g.int64([0]), vec(S), g.int64([1])]);
}

/**
 * A-shape's block form in whole blocks of `B`, as int64 scalars: the first ceil(sink / B) blocks are
 * sinks, and each query block reaches back ceil((window - 1) / B) blocks before its own (so every
 * pair the token form keeps is kept). The band form (sinkWindowAttention) and the kernel form
 * (a-shape-kernel.ts) both build their masks from these.
 */
export function aShapeBlockCounts(g: GraphBuilder, sink: string, window: string, B: number): { sink: string; window: string } {
  return {
    sink: g.op('Div', [g.op('Add', [sink, g.int64([B - 1], [])]), g.int64([B], [])]),
    window: g.op('Div', [g.op('Add', [window, g.int64([B - 2], [])]), g.int64([B], [])]),
  };
}

/** A-shape's params.granularity: 'token' (exact, the default) or 'block' (the kernel's blocks). */
export type AShapeGranularity = 'token' | 'block';

/**
 * params.granularity of an A-shape setting.
 * @throws Error naming the param when it is neither 'token' nor 'block'.
 * @example aShapeGranularity({ granularity: 'block' }) // 'block'
 */
export function aShapeGranularity(params: Record<string, unknown>): AShapeGranularity {
  const value = params['granularity'] ?? 'token';
  if (value !== 'token' && value !== 'block') throw new Error(`a-shape params.granularity must be "token" or "block"; got ${JSON.stringify(value)}.`);
  return value;
}

/** A-shape prefill: `params.sink` first tokens plus a local `params.window` (from aShapeBudget). */
export const aShapeAttention: AttentionBuilder = {
  id: 'a-shape',
  phase: 'prefill',
  description: 'A-shape: sink tokens plus a local window; per 512-query block the fused attention kernel over the gathered sink and window keys (params sink, window from aShapeBudget, or graph inputs; formulation fused|band, rows; granularity token|block: block keeps whole 64-token blocks, through the SparseAttention kernel where the runtime has it, else the band form).',
  build: (ctx) => {
    const sink = budgetKnob(ctx, 'sink', SINK_WINDOW_IO.prefill.sink, 'a-shape', 0);
    const window = budgetKnob(ctx, 'window', SINK_WINDOW_IO.prefill.window, 'a-shape', 1);
    // 'fused' (default) runs the fused attention kernel per query block; 'band' is the generic-op form
    // (H100, 7B shape, 64k: fused 1.1x / 2.7x / 4.3x dense at C = 5 / 10 / 20, band 0.3-0.5x; docs/sparse-attention.md).
    // The block form ('granularity: block') runs the SparseAttention kernel in the one-run graph
    // where the runtime has it (a-shape-kernel.ts); elsewhere this band form of it.
    if (aShapeGranularity(ctx.params) === 'block') {
      if (ctx.params['formulation'] !== undefined && ctx.params['formulation'] !== 'band') {
        throw new Error(`a-shape params.granularity "block" runs the SparseAttention kernel or the band formulation; params.formulation is ${JSON.stringify(ctx.params['formulation'])}.`);
      }
      if ((ctx.params['blockSize'] ?? 64) !== 64) throw new Error(`a-shape params.granularity "block" keeps blocks of 64 (the SparseAttention kernel's); params.blockSize is ${JSON.stringify(ctx.params['blockSize'])}.`);
      return sinkWindowAttention(ctx, sink, window, 64);
    }
    const formulation = ctx.params['formulation'] ?? 'fused';
    if (formulation === 'band') return sinkWindowAttention(ctx, sink, window);
    if (formulation !== 'fused') throw new Error(`a-shape params.formulation must be "band" or "fused"; got ${JSON.stringify(formulation)}.`);
    const rows = ctx.params['rows'] ?? 512;
    if (typeof rows !== 'number' || !Number.isInteger(rows) || rows < 1) throw new Error(`a-shape params.rows must be a positive integer; got ${JSON.stringify(rows)}.`);
    return sinkWindowFusedAttention(ctx, sink, window, rows);
  },
  budgetInputs: (b) => ({ [SINK_WINDOW_IO.prefill.sink]: b['sink']!, [SINK_WINDOW_IO.prefill.window]: b['window']! }),
};

/**
 * StreamingLLM's step over a blocked cache. Before the first decode step the worker evicts what no
 * later step reads (windowGraph: the sinks and the cache from `attention.decode.window_start` = c0
 * = max(sinks, P + 1 - recent) on, P the prompt length); decoding is then dense-decode-blocked over
 * that cache, with the window's slide as a bias: at total length T the compacted entries
 * [sinks, sinks + m), m = T - recent - c0, hold positions that fell out of the window. The bias is
 * built on the host from the lengths (a vector of the cache's length), so the step has the same
 * GPU work as SnapKV's over a cache of sinks + recent + generated tokens.
 */
function streamingBlocked(ctx: AttentionContext, sink: string, window: string): string {
  return blockedDecode(ctx, 'input', (scores) => ctx.graph.op('Add', [scores, slideBias(ctx, sink, window)]));
}

/** Per graph: the slide bias, the same for every layer (built once). */
const SLIDE_BIAS = new WeakMap<object, string>();

/**
 * `[1, 1, 1, n]`: -65504 on the compacted cache's entries [sinks, sinks + m), 0 elsewhere, with
 * T = position + 1, m = max(0, T - recent - c0) and n = T - max(0, c0 - sinks) (the cache's
 * length: the window graph evicted c0 - sinks entries). Only shared scalars go in, so one bias
 * serves every layer (computed on the host once per step, uploaded once).
 */
function slideBias(ctx: AttentionContext, sink: string, window: string): string {
  const g = ctx.graph;
  const built = SLIDE_BIAS.get(g);
  if (built) return built;
  const windowStart = ctx.sharedInput(STREAMING_IO.windowStart, 'int64', []);
  const scalarShape = g.int64([], [0]);
  const zero = g.int64([0], []);
  const total = g.op('Add', [g.op('Reshape', [g.op('Slice', [ctx.positionIds(), g.int64([0]), g.int64([1]), g.int64([1])]), scalarShape]), g.int64([1], [])]);
  const slid = g.op('Max', [zero, g.op('Sub', [g.op('Sub', [total, window]), windowStart])]);
  const n = g.op('Sub', [total, g.op('Max', [zero, g.op('Sub', [windowStart, sink])])]);
  const index = g.op('Range', [zero, n, g.int64([1], [])]);
  const evicted = g.op('And', [g.op('GreaterOrEqual', [index, sink]), g.op('Less', [index, g.op('Add', [sink, slid])])]);
  const bias = g.op('Reshape', [g.op('Where', [evicted, ctx.scalar(-65504), ctx.scalar(0)]), g.int64([1, 1, 1, -1])]);
  SLIDE_BIAS.set(g, bias);
  return bias;
}

/** StreamingLLM decode: `params.sinks` first tokens plus the `params.recent` newest (from streamingLlmBudget). */
export const streamingLlmAttention: AttentionBuilder = {
  id: 'streaming-llm',
  phase: 'decode',
  description: 'StreamingLLM: sink tokens plus the most recent ones (params sinks, recent from streamingLlmBudget, or graph inputs); cache flat: keys sliced to the two ranges; blocked: the rest evicted once, then dense over the blocked cache with the window slide as a bias.',
  build: (ctx) => {
    const sink = budgetKnob(ctx, 'sinks', SINK_WINDOW_IO.decode.sink, 'streaming-llm', 0);
    const window = budgetKnob(ctx, 'recent', SINK_WINDOW_IO.decode.window, 'streaming-llm', 1);
    if (cacheMode(ctx, 'streaming-llm') === 'blocked') {
      blockParam(ctx, 'streaming-llm');
      return streamingBlocked(ctx, sink, window);
    }
    return sinkWindowAttention(ctx, sink, window);
  },
  budgetInputs: (b) => ({ [SINK_WINDOW_IO.decode.sink]: b['sinks']!, [SINK_WINDOW_IO.decode.window]: b['recent']! }),
};
