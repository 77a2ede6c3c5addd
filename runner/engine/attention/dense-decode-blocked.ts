// Dense attention for decode steps over a blocked cache. Measured on the H100 (bench/engine-kv.ts):
// rewriting the whole cache into a new output buffer every step costs 125 ms for 28 layers at 64k,
// and P V as one MatMul reduced over the whole context costs 70 ms. Here the cache is split into a
// frozen part, never rewritten (keys stored transposed, `[1, kv, d, F]`, F a multiple of the block
// size), and a short tail that the step appends to (the graph's past/present pair); the worker
// moves full blocks from the tail into the frozen part now and then. P V over the frozen part runs
// split over blocks (blocks as a batch dimension, then a sum: 9 ms instead of 70 at 64k).
// The sparse decode methods read the same frozen cache with `params.cache: 'blocked'`: SnapKV and
// Ada-SnapKV through blockedDecode over their compacted cache, StreamingLLM through blockedDecode
// after the worker evicted what its window never reads (sink-window.ts), Quest with the keys in rows
// (`frozenInputs(ctx, 'rows')`, quest.ts).
import { int, ints } from '../onnx/graph-builder.js';
import type { AttentionBuilder, AttentionContext } from './types.js';
import { decodeStep } from './rotary.js';

/** Graph inputs of the frozen cache and its length, shared with the worker. */
export const FROZEN_IO = {
  /** Keys transposed, `[1, kv, d, F]` (layout 'transposed'). */
  keyT: (layer: number) => `frozen.${layer}.key_t`,
  /** Keys as rows, `[1, kv, F, d]` (layout 'rows': Quest gathers whole pages). */
  key: (layer: number) => `frozen.${layer}.key`,
  value: (layer: number) => `frozen.${layer}.value`,
  /** int64 `[1]`: the frozen length F (a multiple of the block size). */
  length: 'frozen_length',
  /**
   * int64 `[1]`: the block size P V is split by (divides F): `params.block` once the frozen part
   * holds a whole block, or all of a short cache but its last token as one block (the worker's rule).
   */
  block: 'frozen_block',
} as const;

/** How a blocked decode graph stores the frozen keys. */
export type FrozenLayout = 'transposed' | 'rows';

/** Default block size of the frozen cache, in tokens. */
export const DEFAULT_BLOCK = 256;

/** The frozen cache inputs of the context's layer and the shared frozen length. */
export function frozenInputs(ctx: AttentionContext, layout: FrozenLayout): { key: string; value: string; length: string } {
  const { spec, layer } = ctx;
  const kv = spec.numKvHeads;
  const d = spec.headDim;
  const t = ctx.valueType;
  return {
    key: layout === 'transposed' ? ctx.layerInput(FROZEN_IO.keyT(layer), t, [1, kv, d, 'frozen_sequence']) : ctx.layerInput(FROZEN_IO.key(layer), t, [1, kv, 'frozen_sequence', d]),
    value: ctx.layerInput(FROZEN_IO.value(layer), t, [1, kv, 'frozen_sequence', d]),
    length: ctx.sharedInput(FROZEN_IO.length, 'int64', [1]),
  };
}

/**
 * A sparse decode method's `params.cache`: 'flat' (the cache is one past/present pair that each step
 * copies to append) or 'blocked' (the frozen cache plus a tail, as dense-decode-blocked).
 * @throws Error naming the method for another value.
 */
export function cacheMode(ctx: AttentionContext, method: string): 'flat' | 'blocked' {
  const mode = ctx.params['cache'] ?? 'flat';
  if (mode !== 'flat' && mode !== 'blocked') throw new Error(`${method} params.cache must be "flat" or "blocked"; got ${JSON.stringify(mode)}.`);
  return mode;
}

/** `params.block` (tokens moved into the frozen cache at once), checked. */
export function blockParam(ctx: AttentionContext, method: string): number {
  const block = ctx.params['block'] ?? DEFAULT_BLOCK;
  if (typeof block !== 'number' || !Number.isInteger(block) || block < 1) throw new Error(`${method} params.block must be a positive integer; got ${JSON.stringify(block)}.`);
  return block;
}

/**
 * Attention of one new token over the frozen cache (keys transposed, F a multiple of `block`, or of
 * the `frozen_block` input with 'input') and the tail with the new token appended; `bias(scores)`
 * may add a mask to the `[1, kv, group, F + tail]` scores (Ada-SnapKV's validity bias). Returns
 * `[1, 1, numHeads * headDim]`. A constant block keeps every node on WebGPU (dense-decode-blocked
 * loads with session.disable_cpu_ep_fallback); the input's shape arithmetic is int64 on the CPU.
 */
export function blockedDecode(ctx: AttentionContext, block: number | 'input', bias?: (scores: string) => string): string {
  const { graph: g, spec } = ctx;
  const kv = spec.numKvHeads;
  const group = spec.numHeads / kv;
  const d = spec.headDim;
  const frozen = frozenInputs(ctx, 'transposed');
  const step = decodeStep(ctx);
  // The softmax scale is folded into q.
  const q = g.op('Mul', [step.q, ctx.scalar(1 / Math.sqrt(d))]);
  const frozenScores = g.op('MatMul', [q, frozen.key]);
  const tailScores = g.op('MatMul', [q, g.op('Transpose', [step.presentKey], { perm: ints([0, 1, 3, 2]) })]);
  let scores = g.op('Concat', [frozenScores, tailScores], { axis: int(-1) });
  if (bias) scores = bias(scores);
  const probs = g.op('Softmax', [scores], { axis: int(-1) });
  const axis = g.int64([3]);
  const frozenProbs = g.op('Slice', [probs, g.int64([0]), frozen.length, axis]);
  const tailProbs = g.op('Slice', [probs, frozen.length, g.int64([Number.MAX_SAFE_INTEGER]), axis]);
  // P V over the frozen part, split over blocks: [1, kv, nb, group, block] x [1, kv, nb, block, d].
  let probsShape: string;
  let valuesShape: string;
  if (block === 'input') {
    const blockDim = ctx.sharedInput(FROZEN_IO.block, 'int64', [1]);
    probsShape = g.op('Concat', [g.int64([1, kv, group, -1]), blockDim], { axis: int(0) });
    valuesShape = g.op('Concat', [g.int64([1, kv, -1]), blockDim, g.int64([d])], { axis: int(0) });
  } else {
    probsShape = g.int64([1, kv, group, -1, block]);
    valuesShape = g.int64([1, kv, -1, block, d]);
  }
  const blockedProbs = g.op('Transpose', [g.op('Reshape', [frozenProbs, probsShape])], { perm: ints([0, 1, 3, 2, 4]) });
  const blockedValues = g.op('Reshape', [frozen.value, valuesShape]);
  const frozenOut = g.op('ReduceSum', [g.op('MatMul', [blockedProbs, blockedValues]), g.int64([2])], { keepdims: int(0) });
  const out = g.op('Add', [frozenOut, g.op('MatMul', [tailProbs, step.presentValue])]);
  return g.op('Reshape', [out, g.int64([1, 1, spec.numHeads * d])]);
}

export const denseDecodeBlockedAttention: AttentionBuilder = {
  id: 'dense-decode-blocked',
  phase: 'decode',
  description: 'Full attention for one new token over a frozen (never rewritten) cache plus a short tail; decode graphs only.',
  build: (ctx) => blockedDecode(ctx, blockParam(ctx, 'dense-decode-blocked')),
};
