// Attention of one decode step of the one-run graph's Loop over several segments of keys and
// values (what a sparse decode method read: gathered pages, a compacted prompt, a window, the tail
// of generated tokens), in one float32 softmax. Each segment may carry a small additive bias over
// its own keys (the tokens of a read block that the method does not keep), so nothing outside what
// is read is ever masked. The sparse decode methods of loop-decode.ts (loop-quest.ts,
// loop-snapkv.ts, loop-streaming-llm.ts) share it.
import { float, int } from '../onnx/graph-builder.js';
import type { LoopStepContext } from './loop-decode.js';

/** Keys and values `[1, kv, n, d]` of one segment; `bias` float32, broadcast to `[1, kv, group, n]` (0 or -inf). */
export interface LoopSegment {
  key: string;
  value: string;
  bias?: string;
}

/**
 * The step's query attended over the segments, `[1, kv, group, d]`.
 *
 *   per segment: q K^T / sqrt(d) (+ bias) --Concat--> Softmax (float32) --Split by segment-->
 *   P_i V_i, summed
 *
 * @throws Error when no segment is given.
 * @example attendSegments(ctx, [{ key: gathered, value: gatheredValue, bias }, { key: ctx.tailKey, value: ctx.tailValue }])
 */
export function attendSegments(ctx: Pick<LoopStepContext, 'graph' | 'spec' | 'query' | 'valueType'>, segments: readonly LoopSegment[]): string {
  if (segments.length === 0) throw new Error('attendSegments needs at least one segment of keys and values.');
  const { graph: g, spec } = ctx;
  const fp16 = ctx.valueType === 'float16';
  const scale = float(1 / Math.sqrt(spec.headDim));
  const scores = segments.map((s) => {
    const raw = g.op('FusedMatMul', [ctx.query, s.key], { alpha: scale, transA: int(0), transB: int(1) }, 'com.microsoft');
    const wide = fp16 ? g.op('Cast', [raw], { to: int(1) }) : raw;
    return s.bias ? g.op('Add', [wide, s.bias]) : wide;
  });
  const probs = g.op('Softmax', [segments.length > 1 ? g.op('Concat', scores, { axis: int(-1) }) : scores[0]!], { axis: int(-1) });
  const back = (x: string): string => (fp16 ? g.op('Cast', [x], { to: int(10) }) : x);
  if (segments.length === 1) return g.op('MatMul', [back(probs), segments[0]!.value]);
  const lengths = g.op('Concat', segments.map((s) => g.op('Shape', [s.key], { start: int(2), end: int(3) })), { axis: int(0) });
  const parts = g.node('Split', [probs, lengths], { axis: int(-1) }, { outputs: segments.length });
  const outputs = parts.map((p, i) => g.op('MatMul', [back(p), segments[i]!.value]));
  return g.op('Sum', outputs);
}
