// SnapKV decode. The selection runs once, after prefill, in the compress graph
// (runner/engine/graph/snapkv-compress.ts): scores of the prompt's last 256 rotated queries (kept
// by the prefill graph as the `window_query` attention state, see model-graph.ts's windowQueries),
// average-pooled (kernel 21), the first 4 and last 128 tokens forced, the top `capacity` tokens per
// KV head kept and the rest evicted from the cache. Every later decode step is dense attention over
// the compacted cache (the kept prompt tokens plus every generated token): q K^T, Softmax, P V over
// capacity + t tokens instead of L + t, so the keys and values read per step fall with the budget.
// Keys keep their RoPE, and the worker keeps feeding absolute positions while the cache is shorter.
// Ada-SnapKV (ada-snapkv.ts) is the same decode with a validity bias for the padded heads.
// Budget: the int64 input `attention.decode.capacity` of the compress graph (SnapKvBudget.capacity),
// or params.capacity. Reference: runner/engine/sparse/reference/snapkv.ts (snapKvSelect, snapKvDecode).
import { int, ints } from '../onnx/graph-builder.js';
import type { AttentionBuilder, AttentionContext } from './types.js';
import { decodeStep } from './rotary.js';
import { attentionState } from './quest-state.js';
import { SNAPKV_IO, snapKvParams } from './snapkv-io.js';
import { blockedDecode, blockParam, cacheMode } from './dense-decode-blocked.js';

/**
 * Dense decode over a compacted cache; with `masked`, the `snapkv_mask` state `[1, kv, 1, n]` (0 or
 * -65504 per cached token) is added to the scores and grows by one valid column per step. With
 * `params.cache: 'blocked'` the compacted cache is split into a frozen part and a tail after
 * compression, as dense-decode-blocked's (the mask covers both, in cache order).
 */
export function compactedDecode(ctx: AttentionContext, masked: boolean): string {
  const { graph: g, spec } = ctx;
  const method = masked ? 'ada-snapkv' : 'snapkv';
  snapKvParams(ctx.params);
  const kv = spec.numKvHeads;
  const d = spec.headDim;
  const bias = (scores: string): string => {
    const mask = attentionState(ctx, SNAPKV_IO.maskState, [1, kv, 1, 'snapkv_kept']);
    const valid = g.op('Mul', [g.op('Slice', [mask.value, g.int64([0]), g.int64([1]), g.int64([3])]), ctx.scalar(0)]);
    const grown = g.op('Concat', [mask.value, valid], { axis: int(3) });
    mask.update(grown);
    return g.op('Add', [scores, grown]);
  };
  if (cacheMode(ctx, method) === 'blocked') {
    blockParam(ctx, method);
    return blockedDecode(ctx, 'input', masked ? bias : undefined);
  }
  const step = decodeStep(ctx);
  const q = g.op('Mul', [step.q, ctx.scalar(1 / Math.sqrt(d))]);
  const { presentKey, presentValue } = step;
  let scores = g.op('MatMul', [q, g.op('Transpose', [presentKey!], { perm: ints([0, 1, 3, 2]) })]);
  if (masked) scores = bias(scores);
  const probs = g.op('Softmax', [scores], { axis: int(-1) });
  return g.op('Reshape', [g.op('MatMul', [probs, presentValue!]), g.int64([1, 1, spec.numHeads * d])]);
}

export const snapKvAttention: AttentionBuilder = {
  id: 'snapkv',
  phase: 'decode',
  description: 'SnapKV: after prefill, last-window query scores pooled, first and last tokens forced, top tokens per KV head kept (compress graph); decode is dense over the compacted cache (budget attention.decode.capacity).',
  build: (ctx) => compactedDecode(ctx, false),
  budgetInputs: (b) => ({ [SNAPKV_IO.capacity]: b['capacity']! }),
};
