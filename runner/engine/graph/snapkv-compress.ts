// The weight-free graph that compresses the KV cache once between prefill and the first decode step
// for SnapKV and Ada-SnapKV (attention/snapkv.ts). Per layer it reads the prompt's last w rotated
// queries (the prefill graph's `window_query` attention state, `[1, kv, w, group x d]`, w =
// min(window, L)) and the cache `[1, kv, L, d]`:
//   scores of the window queries against all L keys (causal inside the window), Softmax;
//   SnapKV: importance = sum over window rows, mean over the group's query heads;
//   Ada-SnapKV: importance = max over window rows and query heads;
//   AveragePool (kernel 21, zero padding counted), the first `prefix` and last `recent` tokens forced;
//   SnapKV: TopK of min(capacity, L) tokens per KV head;
//   Ada-SnapKV: each head's top `floor` tokens, then the best remaining (head, token) pairs over all
//   heads (one TopK over kv x L) up to capacity x kv in all; heads keep different counts, so the
//   kept tokens are padded to the largest count M (TopK over the 0/1 selection puts a head's
//   selected tokens first) and a validity bias `[1, kv, 1, M]` (0 or -65504) becomes the decode
//   graph's `snapkv_mask` attention state;
//   a Gather of the kept keys and values (cache viewed as [kv x L, d] rows): the compacted cache.
// Score, softmax and TopK over L per KV head are unavoidable here; the graph runs once per prompt.
// The budget is the int64 input `attention.decode.capacity` (SnapKvBudget.capacity). Keys keep their
// RoPE; the worker keeps feeding absolute positions. Reference: runner/engine/sparse/reference/snapkv.ts.
import { GraphBuilder, int, ints } from '../onnx/graph-builder.js';
import { encodeModel, type OnnxElementType } from '../onnx/proto.js';
import { floatToHalf } from '../dtype.js';
import type { SnapKvParams } from '../sparse/reference/snapkv.js';
import { SNAPKV_IO, type SnapKvVariant } from '../attention/snapkv-io.js';
import { ATTENTION_STATE, gatherTokens } from '../attention/quest-state.js';
import { GRAPH_IO } from './model-graph.js';

/** What the compress graph needs. */
export interface CompressShape {
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  valueType: OnnxElementType;
}

/**
 * The compress graph (ONNX bytes). Inputs: per layer the cache (`past_key_values.<l>.*`) and the
 * window state; `attention.decode.capacity`. Outputs: SNAPKV_IO.key/value/kept per layer and, for
 * Ada-SnapKV, the mask state (`attention_state_out.<l>.snapkv_mask`).
 */
export function compressGraph(shape: CompressShape, variant: SnapKvVariant, params: SnapKvParams): Uint8Array {
  const g = new GraphBuilder();
  const { numKvHeads: kv, headDim: d, valueType: t } = shape;
  const group = shape.numHeads / kv;
  const scalar = (x: number): string =>
    t === 'float16' ? g.inline('c_scalar', 'float16', [], new Uint8Array(Uint16Array.of(floatToHalf(x)).buffer)) : g.inline('c_scalar', 'float', [], new Uint8Array(Float32Array.of(x).buffer));
  const f32 = (x: number): string => g.inline('c_f32', 'float', [], new Uint8Array(Float32Array.of(x).buffer));
  const i64 = (x: number): string => g.int64([x], []);
  const vec = (x: string): string => g.op('Reshape', [x, g.int64([1])]);
  const toScalar = (x: string): string => g.op('Reshape', [x, g.int64([], [0])]);
  const capacityInput = g.input(SNAPKV_IO.capacity, 'int64', []);
  const BIG = 1e30;
  const selections: { all: string; key: string; value: string }[] = [];
  const counts: string[] = [];
  const gather = (l: number, key: string, value: string, kept: string): void => {
    const tokens = g.op('Cast', [kept], { to: int(6) });
    g.output(gatherTokens(g, key, tokens, kv, d), SNAPKV_IO.key(l), t, [1, kv, 'kept', d]);
    g.output(gatherTokens(g, value, tokens, kv, d), SNAPKV_IO.value(l), t, [1, kv, 'kept', d]);
    g.output(kept, SNAPKV_IO.kept(l), 'int64', [1, kv, 'kept']);
  };
  for (let l = 0; l < shape.numLayers; l++) {
    const key = g.input(GRAPH_IO.pastKey(l), t, [1, kv, 'sequence', d]);
    const value = g.input(GRAPH_IO.pastValue(l), t, [1, kv, 'sequence', d]);
    const window = g.input(ATTENTION_STATE.input(l, SNAPKV_IO.windowState), t, [1, kv, 'window', group * d]);
    const L = toScalar(g.op('Shape', [key], { start: int(2), end: int(3) }));
    const w = toScalar(g.op('Shape', [window], { start: int(2), end: int(3) }));
    // [1, kv, group, w, d] x [1, kv, 1, d, L] -> [1, kv, group, w, L], causal inside the window.
    const q = g.op('Mul', [g.op('Transpose', [g.op('Reshape', [window, g.int64([1, kv, -1, group, d])])], { perm: ints([0, 1, 3, 2, 4]) }), scalar(1 / Math.sqrt(d))]);
    const keyT = g.op('Unsqueeze', [g.op('Transpose', [key], { perm: ints([0, 1, 3, 2]) }), g.int64([2])]);
    // Positions in fp32 (exact below 2^24): WebGPU's comparison kernels take no int64.
    const Lf = g.op('Cast', [L], { to: int(1) });
    const pos = g.op('Range', [f32(0), Lf, f32(1)]);
    const rowPos = g.op('Reshape', [g.op('Range', [g.op('Sub', [Lf, g.op('Cast', [w], { to: int(1) })]), Lf, f32(1)]), g.int64([-1, 1])]);
    const keyPos = g.op('Reshape', [pos, g.int64([1, -1])]);
    const scores = g.op('Where', [g.op('LessOrEqual', [keyPos, rowPos]), g.op('MatMul', [q, keyT]), scalar(-65504)]);
    const probs = g.op('Softmax', [scores], { axis: int(-1) });
    const raw = variant === 'snapkv'
      ? g.op('ReduceMean', [g.op('ReduceSum', [probs, g.int64([3])], { keepdims: int(0) }), g.int64([2])], { keepdims: int(0) })
      : g.op('ReduceMax', [probs, g.int64([2, 3])], { keepdims: int(0) });
    // [1, kv, L] in fp32: pooled, forced tokens lifted above everything.
    // (2-D AveragePool over [1, kv, 1, L]: the common pooling path of every provider.)
    const pad = (params.kernel - 1) / 2;
    const pooled2d = g.op('AveragePool', [g.op('Unsqueeze', [g.op('Cast', [raw], { to: int(1) }), g.int64([2])])], {
      kernel_shape: ints([1, params.kernel]),
      pads: ints([0, pad, 0, pad]),
      count_include_pad: int(1),
      strides: ints([1, 1]),
    });
    const pooled = g.op('Squeeze', [pooled2d, g.int64([2])]);
    const forced = g.op('Or', [g.op('Less', [pos, f32(params.prefix)]), g.op('GreaterOrEqual', [pos, g.op('Sub', [Lf, f32(params.recent)])])]);
    const importance = g.op('Where', [forced, f32(BIG), pooled]);
    const capacity = g.op('Min', [capacityInput, L]);
    if (variant === 'snapkv') {
      gather(l, key, value, g.node('TopK', [importance, vec(capacity)], { axis: int(-1), largest: int(1), sorted: int(1) }, { outputs: 2 })[1]!);
      continue;
    }
    // Ada-SnapKV. floor = min(L, capacity, max(floor(capacity x ratio), min(L, recent + prefix))).
    const ppm = Math.round(params.floorRatio * 1e6);
    const ratioFloor = g.op('Div', [g.op('Mul', [capacity, i64(ppm)]), i64(1e6)]);
    const floor = g.op('Min', [g.op('Min', [L, capacity]), g.op('Max', [ratioFloor, g.op('Min', [L, i64(params.recent + params.prefix)])])]);
    const chosen = g.node('TopK', [importance, vec(floor)], { axis: int(-1), largest: int(1), sorted: int(1) }, { outputs: 2 })[1]!;
    const zeros = g.op('Mul', [importance, f32(0)]);
    const ones = g.op('Expand', [f32(1), g.op('Shape', [chosen])]);
    const selected = g.op('ScatterElements', [zeros, chosen, ones], { axis: int(2) });
    // The rest of the shared budget: best remaining (head, token) pairs over all heads.
    const flat = g.op('Reshape', [g.op('Where', [g.op('Greater', [selected, f32(0)]), f32(-BIG), importance]), g.int64([1, -1])]);
    const remaining = g.op('Mul', [g.op('Sub', [capacity, floor]), i64(kv)]);
    const extra = g.node('TopK', [flat, vec(remaining)], { axis: int(-1), largest: int(1), sorted: int(1) }, { outputs: 2 })[1]!;
    const extraOnes = g.op('Expand', [f32(1), g.op('Shape', [extra])]);
    const all = g.op('Reshape', [g.op('ScatterElements', [g.op('Reshape', [selected, g.int64([1, -1])]), extra, extraOnes], { axis: int(1) }), g.int64([1, kv, -1])]);
    selections.push({ all, key, value });
    counts.push(g.op('Reshape', [g.op('ReduceMax', [g.op('ReduceSum', [all, g.int64([2])], { keepdims: int(0) })], { keepdims: int(0) }), g.int64([1])]));
  }
  if (variant === 'ada-snapkv') {
    // Pad every head of every layer to the largest count M (the decode graph's cache length is one
    // dimension for all layers): a head's selected tokens first, then unselected ones, masked.
    const M = vec(g.op('Cast', [g.op('ReduceMax', [g.op('Concat', counts, { axis: int(0) })], { keepdims: int(0) })], { to: int(7) }));
    selections.forEach(({ all, key, value }, l) => {
      const kept = g.node('TopK', [all, M], { axis: int(-1), largest: int(1), sorted: int(1) }, { outputs: 2 })[1]!;
      const valid = g.op('GatherElements', [all, kept], { axis: int(2) });
      const bias = g.op('Cast', [g.op('Mul', [g.op('Sub', [valid, f32(1)]), f32(65504)])], { to: int(t === 'float16' ? 10 : 1) });
      g.output(g.op('Unsqueeze', [bias, g.int64([2])]), ATTENTION_STATE.output(l, SNAPKV_IO.maskState), t, [1, kv, 1, 'kept']);
      gather(l, key, value, kept);
    });
  }
  return encodeModel(g.toModel());
}
