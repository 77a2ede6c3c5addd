// SnapKV decode in the one-run graph's Loop (loop-decode.ts); Ada-SnapKV (loop-ada-snapkv.ts)
// shares it. `prepare` compacts each layer's prompt cache once, in the outer graph, right after the
// layer's prefill (what the stepwise engine's compress graph does between prefill and the first
// decode step, graph/snapkv-compress.ts):
//   the last w = min(window, P) prompt queries, rotated at positions P - w .. P - 1, against the
//     padded prompt's keys, causal (which also hides the padding), Softmax;
//   SnapKV: importance = sum over window rows, mean over the group's query heads;
//   Ada-SnapKV: importance = max over window rows and query heads;
//   AveragePool (kernel 21, zero padding counted: the padding's importance is exactly 0), the first
//   `prefix` and last `recent` prompt tokens forced, the padding never chosen;
//   SnapKV: TopK of min(capacity, P) tokens per KV head; Ada-SnapKV: each head's `floor` best, then
//   the best remaining (head, token) pairs of all heads up to capacity x kv in all, each head's
//   tokens padded to this layer's largest count M with a validity bias (0 or -inf);
//   a Gather of the kept keys and values: the compacted cache [1, kv, kept, d].
// `attend` is dense over the compacted cache and the tail of generated tokens (every generated
// token is kept, as the reference keeps everything after the prefill): kept + t tokens a step,
// instead of P + t. Nothing reads the layer's full prompt cache after the Gather, so onnxruntime's
// allocation planner may release it there (not measured).
// Budget: the int64 input `attention.decode.capacity` (SnapKvBudget.capacity), or params.capacity.
// Reference: runner/engine/sparse/reference/snapkv.ts (snapKvSelect, adaSnapKvSelect, snapKvDecode).
import { float, graph, int, ints, type GraphBuilder } from '../onnx/graph-builder.js';
import { budgetKnob } from './budget-knob.js';
import { SNAPKV_IO, snapKvParams, type SnapKvVariant } from './snapkv-io.js';
import { attendSegments } from './loop-attend.js';
import type { LoopDecodeMethod, LoopLayerState, LoopPrepareContext } from './loop-decode.js';

/** Importance above every pooled score (forced tokens) and below (the padding, the tokens taken). */
const BIG = 1e30;

/** Window queries scored per Loop iteration in `prepare`. */
const WINDOW_ROWS = 64;

/** An int64 `[1]` as a scalar, in graph `g`. */
const toScalarIn = (g: GraphBuilder, x: string): string => g.op('Reshape', [x, g.int64([], [0])]);

/**
 * The compacted prompt cache of one layer: `key`, `value` `[1, kv, kept, d]` and, for Ada-SnapKV,
 * `bias` `[1, kv, 1, kept]` (float32, 0 or -inf).
 * @throws Error naming a bad parameter.
 */
export function compactPrompt(ctx: LoopPrepareContext, variant: SnapKvVariant): LoopLayerState {
  const { graph: g, spec } = ctx;
  const params = snapKvParams(ctx.params);
  const kv = spec.numKvHeads;
  const group = spec.numHeads / kv;
  const d = spec.headDim;
  const f32 = (x: number): string => g.inline('c_f32', 'float', [], new Uint8Array(Float32Array.of(x).buffer));
  const i64 = (x: number): string => g.int64([x]);
  const toScalar = (x: string): string => toScalarIn(g, x);
  const capacityKnob = budgetKnob({ graph: g, params: ctx.params, sharedInput: (name) => ctx.budgetInput(name) }, 'capacity', SNAPKV_IO.capacity, variant, 1);
  const P = ctx.promptLength;
  const capacity = g.op('Min', [g.op('Reshape', [capacityKnob, g.int64([1])]), P]);
  const w = g.op('Min', [i64(params.window), P]);
  const first = g.op('Sub', [P, w]);

  // Window queries [1, w, heads x d], rotated at their positions, as [1, kv, group, w, d].
  const windowQuery = g.op('Slice', [ctx.promptQuery, first, P, g.int64([1])]);
  const positions = g.op('Unsqueeze', [g.op('Range', [toScalar(first), toScalar(P), g.int64([1], [])]), g.int64([0])]);
  const rotated = g.op('RotaryEmbedding', [windowQuery, positions, ctx.cosCache, ctx.sinCache], { interleaved: int(0), num_heads: int(spec.numHeads) }, 'com.microsoft');
  const q = g.op('Transpose', [g.op('Reshape', [rotated, g.int64([1, -1, kv, group, d])])], { perm: ints([0, 2, 3, 1, 4]) });
  const padded = g.op('Shape', [ctx.promptKey], { start: int(2), end: int(3) });
  const keyPos = g.op('Range', [g.int64([0], []), toScalar(padded), g.int64([1], [])]);
  // Importance summed (SnapKV) or maxed (Ada-SnapKV) over window rows and query heads, WINDOW_ROWS
  // rows a Loop iteration: one row block's scores [1, kv, group, rows, Pp] are float32 at most (at
  // 128k, a 7B shape's whole window would hold several GB per layer at once).
  const body = g.subgraph(`snapkv_window_${ctx.layer}`);
  const iteration = body.input(body.unique('window_iter'), 'int64', []);
  const condition = body.input(body.unique('window_cond'), 'bool', []);
  const carried = body.input(body.unique('window_importance'), 'float', [1, kv, 'padded']);
  const start = body.op('Reshape', [body.op('Mul', [iteration, body.int64([WINDOW_ROWS], [])]), body.int64([1])]);
  const end = body.op('Min', [body.op('Add', [start, body.int64([WINDOW_ROWS])]), w]);
  const rows = body.op('Slice', [q, start, end, body.int64([3])]);
  const raw = body.op('FusedMatMul', [body.op('Reshape', [rows, body.int64([1, kv, -1, d])]), ctx.promptKey], { alpha: float(1 / Math.sqrt(d)), transA: int(0), transB: int(1) }, 'com.microsoft');
  const wide = ctx.valueType === 'float16' ? body.op('Cast', [raw], { to: int(1) }) : raw;
  // Causal inside the window: key j <= the row's position (the padding, past P - 1, is always hidden).
  const rowPos = body.op('Unsqueeze', [body.op('Range', [toScalarIn(body, body.op('Add', [first, start])), toScalarIn(body, body.op('Add', [first, end])), body.int64([1], [])]), body.int64([1])]);
  const causal = body.op('Where', [body.op('LessOrEqual', [keyPos, rowPos]), f32(0), f32(-Infinity)]); // [rows, Pp]
  const scores = body.op('Add', [body.op('Reshape', [wide, body.op('Concat', [body.int64([1, kv, group, -1]), padded], { axis: int(0) })]), causal]);
  const probs = body.op('Softmax', [scores], { axis: int(-1) });
  const axes = body.int64([2, 3]);
  const folded = variant === 'snapkv'
    ? body.op('Add', [carried, body.op('ReduceSum', [probs, axes], { keepdims: int(0) })])
    : body.op('Max', [carried, body.op('ReduceMax', [probs, axes], { keepdims: int(0) })]);
  body.output(condition, body.unique('window_cond_out'), 'bool', []);
  body.output(folded, body.unique('window_importance_out'), 'float', [1, kv, 'padded']);
  const chunks = toScalar(g.op('Div', [g.op('Add', [w, i64(WINDOW_ROWS - 1)]), i64(WINDOW_ROWS)]));
  const noImportance = g.op('ConstantOfShape', [g.op('Concat', [g.int64([1, kv]), padded], { axis: int(0) })]);
  const [summed] = g.node('Loop', [chunks, '', noImportance], { body: graph(body) }, { outputs: 1, name: `snapkv_window_loop_${ctx.layer}` });
  // SnapKV averages the row sums over the group; probabilities are >= 0, so Ada's max starts at 0.
  const importance = variant === 'snapkv' ? g.op('Mul', [summed!, f32(1 / group)]) : summed!;
  const pad = (params.kernel - 1) / 2;
  const pooled = g.op('Squeeze', [
    g.op('AveragePool', [g.op('Unsqueeze', [importance, g.int64([2])])], { kernel_shape: ints([1, params.kernel]), pads: ints([0, pad, 0, pad]), count_include_pad: int(1), strides: ints([1, 1]) }),
    g.int64([2]),
  ]); // [1, kv, Pp]
  const forced = g.op('Or', [g.op('Less', [keyPos, i64(params.prefix)]), g.op('GreaterOrEqual', [keyPos, g.op('Sub', [P, i64(params.recent)])])]);
  const ranked = g.op('Where', [g.op('Less', [keyPos, P]), g.op('Where', [forced, f32(BIG), pooled]), f32(-BIG)]);
  const topK = (x: string, k: string): string => g.node('TopK', [x, k], { axis: int(-1), largest: int(1), sorted: int(1) }, { outputs: 2 })[1]!;
  const gather = (kept: string, bias?: string): LoopLayerState => {
    // Rows h x Pp + token of the cache viewed as [kv x Pp, d].
    const index = g.op('Add', [kept, g.op('Mul', [g.int64(Array.from({ length: kv }, (_, h) => h), [1, kv, 1]), padded])]);
    const rows = (cache: string): string => g.op('Gather', [g.op('Reshape', [cache, g.int64([-1, d])]), index], { axis: int(0) });
    return { key: rows(ctx.promptKey), value: rows(ctx.promptValue), ...(bias ? { bias } : {}) };
  };
  if (variant === 'snapkv') return gather(topK(ranked, capacity));

  // Ada-SnapKV: floor = min(P, capacity, max(floor(capacity x ratio), min(P, recent + prefix))).
  const ppm = Math.round(params.floorRatio * 1e6);
  const ratioFloor = g.op('Div', [g.op('Mul', [capacity, i64(ppm)]), i64(1e6)]);
  const floor = g.op('Min', [capacity, g.op('Max', [ratioFloor, g.op('Min', [P, i64(params.recent + params.prefix)])])]);
  const own = topK(ranked, floor);
  const zeros = g.op('Mul', [ranked, f32(0)]);
  const taken = g.op('ScatterElements', [zeros, own, g.op('Expand', [f32(1), g.op('Shape', [own])])], { axis: int(2) });
  const rest = g.op('Reshape', [g.op('Where', [g.op('Greater', [taken, f32(0)]), f32(-BIG), ranked]), g.int64([1, -1])]);
  const extra = topK(rest, g.op('Mul', [g.op('Sub', [capacity, floor]), i64(kv)]));
  const all = g.op('Reshape', [g.op('ScatterElements', [g.op('Reshape', [taken, g.int64([1, -1])]), extra, g.op('Expand', [f32(1), g.op('Shape', [extra])])], { axis: int(1) }), g.int64([1, kv, -1])]);
  // Each head's tokens first (TopK over the 0/1 selection), padded to the largest count M.
  const M = g.op('Cast', [g.op('Reshape', [g.op('ReduceMax', [g.op('ReduceSum', [all, g.int64([2])], { keepdims: int(0) })], { keepdims: int(1) }), g.int64([1])])], { to: int(7) });
  const kept = topK(all, M);
  const valid = g.op('GatherElements', [all, kept], { axis: int(2) });
  const bias = g.op('Unsqueeze', [g.op('Where', [g.op('Greater', [valid, f32(0.5)]), f32(0), f32(-Infinity)]), g.int64([2])]);
  return gather(kept, bias);
}

export const snapKvLoopDecode: LoopDecodeMethod = {
  id: 'snapkv',
  description: 'SnapKV: after a layer\'s prefill, the last window\'s pooled query scores pick the top tokens per KV head (first and last forced); decode is dense over the compacted prompt and the generated tokens.',
  prepare: (ctx) => compactPrompt(ctx, 'snapkv'),
  attend(ctx) {
    const s = ctx.state;
    return attendSegments(ctx, [
      { key: s['key']!, value: s['value']!, ...(s['bias'] ? { bias: s['bias'] } : {}) },
      { key: ctx.tailKey, value: ctx.tailValue },
    ]);
  },
};
