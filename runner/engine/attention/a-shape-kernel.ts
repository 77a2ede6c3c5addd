// A-shape prefill at block granularity through the fused SparseAttention kernel (one layout for every
// head; sparse-attention-kernel.ts). The token-level method keeps j < sink and i - window < j <= i;
// the kernel keeps whole 64-token blocks, so this form keeps the first ceil(sink / 64) blocks and the
// ceil((window - 1) / 64) blocks before each query block's own (aShapeBlockReach): every pair the
// token form keeps, plus up to a block more of each. That is an approximation of the method, opted
// into with params.granularity 'block' (docs/sparse-attention.md measures its difference against the
// token-level float64 reference); the token form stays the default. The float64 reference of this
// form is aShapeBlockAttention (sparse/reference/a-shape.ts).
import type { AttentionContext } from './types.js';
import { rotary } from './rotary.js';
import { budgetKnob } from './budget-knob.js';
import { aShapeBlockCounts, aShapeGranularity, SINK_WINDOW_IO } from './sink-window.js';
import { blockLayoutFromMask, KERNEL_BLOCK, promptBlocks, sparseAttentionKernel } from './sparse-attention-kernel.js';

/** Whether the fused kernel serves an A-shape setting: the block form, head size a multiple of 16, blocks of 64. */
export function aShapeKernelServes(headDim: number, params: Record<string, unknown>): boolean {
  return aShapeGranularity(params) === 'block' && headDim % 16 === 0 && (params['blockSize'] ?? KERNEL_BLOCK) === KERNEL_BLOCK;
}

/**
 * Adds block-granular A-shape attention over the S = ctx.query rows (the whole prompt, positions
 * 0..S-1) and returns `[1, S, heads * d]`; the cache as in blockSparseKernelPrefill.
 * @throws Error when params.blockSize is set to anything but 64, or a budget param is invalid.
 * @example aShapeKernelPrefill({ ...ctx, params: { granularity: 'block', sink: 64, window: 4000 } })
 */
export function aShapeKernelPrefill(ctx: AttentionContext): string {
  const { graph: g, spec } = ctx;
  const B = KERNEL_BLOCK;
  if ((ctx.params['blockSize'] ?? B) !== B) throw new Error(`The SparseAttention kernel runs blocks of ${B}; a-shape has params.blockSize ${JSON.stringify(ctx.params['blockSize'])}.`);
  const sink = budgetKnob(ctx, 'sink', SINK_WINDOW_IO.prefill.sink, 'a-shape', 0);
  const window = budgetKnob(ctx, 'window', SINK_WINDOW_IO.prefill.window, 'a-shape', 1);
  const positions = ctx.positionIds();
  const q = rotary(ctx, positions, ctx.query, spec.numHeads);
  const k = rotary(ctx, positions, ctx.key, spec.numKvHeads);
  const blocks = promptBlocks(g, ctx.query);
  const { sink: sinkBlocks, window: windowBlocks } = aShapeBlockCounts(g, sink, window, B);
  const rows = g.op('Unsqueeze', [blocks.range, g.int64([1])]);
  const cols = g.op('Unsqueeze', [blocks.range, g.int64([0])]);
  const keep = g.op('Or', [g.op('Less', [cols, sinkBlocks]), g.op('LessOrEqual', [g.op('Sub', [rows, cols]), windowBlocks])]);
  const mask = g.op('Unsqueeze', [keep, g.int64([0])]); // [1, nb, nb]: one layout
  return sparseAttentionKernel(ctx, q, k, blocks, blockLayoutFromMask(g, blocks, mask));
}
