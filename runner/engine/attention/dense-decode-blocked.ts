// Dense attention for decode steps over a blocked cache. Measured on the H100 (bench/engine-kv.ts):
// rewriting the whole cache into a new output buffer every step costs 125 ms for 28 layers at 64k,
// and P V as one MatMul reduced over the whole context costs 70 ms. Here the cache is split into a
// frozen part, never rewritten (keys stored transposed, `[1, kv, d, F]`, F a multiple of the block
// size), and a short tail that the step appends to (the graph's past/present pair); the worker
// moves full blocks from the tail into the frozen part now and then. P V over the frozen part runs
// split over blocks (blocks as a batch dimension, then a sum: 9 ms instead of 70 at 64k).
import { int, ints } from '../onnx/graph-builder.js';
import type { AttentionBuilder, AttentionContext } from './types.js';
import { decodeStep } from './rotary.js';

/** Graph inputs of the frozen cache and its length, shared with the worker. */
export const FROZEN_IO = {
  keyT: (layer: number) => `frozen.${layer}.key_t`,
  value: (layer: number) => `frozen.${layer}.value`,
  /** int64 `[1]`: the frozen length F (a multiple of the block size). */
  length: 'frozen_length',
} as const;

/** Default block size of the frozen cache, in tokens. */
export const DEFAULT_BLOCK = 256;

export const denseDecodeBlockedAttention: AttentionBuilder = {
  id: 'dense-decode-blocked',
  phase: 'decode',
  description: 'Full attention for one new token over a frozen (never rewritten) cache plus a short tail; decode graphs only.',
  build(ctx: AttentionContext): string {
    const { graph: g, spec, layer } = ctx;
    const kv = spec.numKvHeads;
    const group = spec.numHeads / kv;
    const d = spec.headDim;
    const block = Number(ctx.params['block'] ?? DEFAULT_BLOCK);
    const type = ctx.valueType;
    const keyT = g.input(FROZEN_IO.keyT(layer), type, [1, kv, d, 'frozen_sequence']);
    const value = g.input(FROZEN_IO.value(layer), type, [1, kv, 'frozen_sequence', d]);
    const frozenLength = ctx.sharedInput(FROZEN_IO.length, 'int64', [1]);
    const step = decodeStep(ctx);
    // The softmax scale is folded into q.
    const q = g.op('Mul', [step.q, ctx.scalar(1 / Math.sqrt(d))]);
    const tailKey = step.presentKey;
    const tailValue = step.presentValue;
    const frozenScores = g.op('MatMul', [q, keyT]);
    const tailScores = g.op('MatMul', [q, g.op('Transpose', [tailKey!], { perm: ints([0, 1, 3, 2]) })]);
    const probs = g.op('Softmax', [g.op('Concat', [frozenScores, tailScores], { axis: int(-1) })], { axis: int(-1) });
    const axis = g.int64([3]);
    const frozenProbs = g.op('Slice', [probs, g.int64([0]), frozenLength, axis]);
    const tailProbs = g.op('Slice', [probs, frozenLength, g.int64([Number.MAX_SAFE_INTEGER]), axis]);
    // P V over the frozen part, split over blocks: [1, kv, nb, group, block] x [1, kv, nb, block, d].
    const blockedProbs = g.op('Transpose', [g.op('Reshape', [frozenProbs, g.int64([1, kv, group, -1, block])])], { perm: ints([0, 1, 3, 2, 4]) });
    const blockedValues = g.op('Reshape', [value, g.int64([1, kv, -1, block, d])]);
    const frozenOut = g.op('ReduceSum', [g.op('MatMul', [blockedProbs, blockedValues]), g.int64([2])], { keepdims: int(0) });
    const out = g.op('Add', [frozenOut, g.op('MatMul', [tailProbs, tailValue!])]);
    return g.op('Reshape', [out, g.int64([1, 1, spec.numHeads * d])]);
  },
};
