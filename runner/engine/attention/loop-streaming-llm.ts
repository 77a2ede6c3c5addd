// StreamingLLM decode in the one-run graph's Loop (loop-decode.ts): each step attends the first
// `sinks` tokens and the `recent` newest ones (the new token included), the window sliding as
// tokens are generated. `prepare` compacts the prompt once, in the outer graph, to the sinks and the
// window of the first decode step, [0, min(sinks, P)) and [max(sinks, P + 1 - recent), P): every
// later window starts further right, so no step needs a prompt token outside that copy, and
// nothing reads the full prompt cache after it (onnxruntime may release it there; not measured).
// `attend` reads that copy (at most sinks + recent - 1 tokens) and the tail of generated tokens,
// with a small bias over both that masks the positions the window has slid past: a fixed read of
// sinks + recent + t tokens for the budget's sinks + recent, never the whole context.
// Budgets: the int64 inputs `attention.decode.sink` and `attention.decode.window` of the stepwise
// builder (sink-window.ts, streamingLlmBudget), or params.sinks / params.recent baked in.
// Reference: runner/engine/sparse/reference/streaming-llm.ts.
import { int } from '../onnx/graph-builder.js';
import { budgetKnob } from './budget-knob.js';
import { SINK_WINDOW_IO } from './sink-window.js';
import { attendSegments } from './loop-attend.js';
import type { LoopDecodeMethod, LoopStepContext } from './loop-decode.js';

/** Float32 `[1, 1, 1, n]`: 0 where a position is a sink or within the window of a total length `total`, -inf elsewhere. */
function windowBias(ctx: LoopStepContext, positions: string, total: string): string {
  const g = ctx.graph;
  const s = ctx.state;
  const kept = g.op('Or', [g.op('Less', [positions, s['sinks']!]), g.op('GreaterOrEqual', [positions, g.op('Sub', [total, s['recent']!])])]);
  const bias = g.op('Where', [kept, g.inline('c_f32', 'float', [], new Uint8Array(Float32Array.of(0).buffer)), g.inline('c_f32', 'float', [], new Uint8Array(Float32Array.of(-Infinity).buffer))]);
  return g.op('Reshape', [bias, g.int64([1, 1, 1, -1])]);
}

export const streamingLlmLoopDecode: LoopDecodeMethod = {
  id: 'streaming-llm',
  description: 'StreamingLLM: the sinks and the recent window; the prompt compacted once to the first step\'s sinks and window, the slide a bias over that copy and the tail.',
  prepare(ctx) {
    const { graph: g } = ctx;
    const knobs = { graph: g, params: ctx.params, sharedInput: (name: string) => ctx.budgetInput(name) };
    const sinks = budgetKnob(knobs, 'sinks', SINK_WINDOW_IO.decode.sink, 'streaming-llm', 0);
    const recent = budgetKnob(knobs, 'recent', SINK_WINDOW_IO.decode.window, 'streaming-llm', 1);
    const vec = (x: string): string => g.op('Reshape', [x, g.int64([1])]);
    const P = ctx.promptLength;
    const sinkEnd = g.op('Min', [vec(sinks), P]);
    const windowStart = g.op('Min', [P, g.op('Max', [sinkEnd, g.op('Sub', [g.op('Add', [P, g.int64([1])]), vec(recent)])])]);
    const axis2 = g.int64([2]);
    const zero = g.int64([0]);
    const kept = (cache: string): string => g.op('Concat', [g.op('Slice', [cache, zero, sinkEnd, axis2]), g.op('Slice', [cache, windowStart, P, axis2])], { axis: int(2) });
    const scalar = (x: string): string => g.op('Reshape', [x, g.int64([], [0])]);
    const one = g.int64([1], []);
    const positions = g.op('Concat', [g.op('Range', [g.int64([0], []), scalar(sinkEnd), one]), g.op('Range', [scalar(windowStart), scalar(P), one])], { axis: int(0) });
    return { key: kept(ctx.promptKey), value: kept(ctx.promptValue), positions, sinks, recent, promptLength: P };
  },
  attend(ctx) {
    const g = ctx.graph;
    const s = ctx.state;
    // Total length T = position + 1; the tail holds positions P .. position.
    const total = g.op('Add', [ctx.position, g.int64([1])]);
    const tailPositions = g.op('Range', [g.op('Reshape', [s['promptLength']!, g.int64([], [0])]), g.op('Reshape', [total, g.int64([], [0])]), g.int64([1], [])]);
    return attendSegments(ctx, [
      { key: s['key']!, value: s['value']!, bias: windowBias(ctx, s['positions']!, total) },
      { key: ctx.tailKey, value: ctx.tailValue, bias: windowBias(ctx, tailPositions, total) },
    ]);
  },
};
