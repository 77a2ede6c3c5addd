// The SparseAttention kernel's layouts (attention/sparse-attention-kernel.ts) on the CPU provider's
// kernel: ragged per-head block masks (rows and heads keeping different numbers of blocks) against
// float64 masked attention, and the statistics the kernel forms report, for GQA groups 1, 4 and 7
// and lengths that are no multiple of the block.
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import type { AttentionContext } from '../../runner/engine/attention/types.js';
import { rotary } from '../../runner/engine/attention/rotary.js';
import { blockSparseKernelPrefill } from '../../runner/engine/attention/block-sparse-kernel.js';
import { blockLayoutFromMask, promptBlocks, sparseAttentionKernel } from '../../runner/engine/attention/sparse-attention-kernel.js';
import { maskedCausalAttention } from '../../runner/engine/sparse/reference/dense.js';
import { headTensor } from '../../runner/engine/sparse/tensor.js';
import { maxHeadDiff, randomCase, type LayerShape } from './attention-harness.js';
import { runKernelLayer } from './sparse-kernel-harness.js';

const SHAPES: LayerShape[] = [
  { numHeads: 2, numKvHeads: 2, headDim: 16 },
  { numHeads: 8, numKvHeads: 2, headDim: 16 },
  { numHeads: 7, numKvHeads: 1, headDim: 32 },
];

/** A deterministic ragged mask per query head: block (r, c) kept with a head-dependent pattern, the diagonal always. */
function raggedMask(heads: number, nb: number, seed: number): boolean[][][] {
  let s = seed >>> 0 || 1;
  const next = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return Array.from({ length: heads }, (_, h) => Array.from({ length: nb }, (_, r) => Array.from({ length: nb }, (_, c) => c === r || (c < r && next() < 0.15 + 0.1 * h))));
}

describe.each(SHAPES)('SparseAttention layouts, $numHeads query heads over $numKvHeads KV heads', (shape) => {
  it('a ragged kept-block mask per query head equals float64 attention over those blocks; kept_pairs counts them', async () => {
    const length = 455; // 8 blocks, the last of 7 rows
    const nb = Math.ceil(length / 64);
    const mask = raggedMask(shape.numHeads, nb, 11);
    const c = randomCase(shape, 0, length, 21);
    const build = (ctx: AttentionContext): string => {
      const g = ctx.graph;
      const blocks = promptBlocks(g, ctx.query);
      const maskInput = ctx.sharedInput('mask', 'bool', [shape.numHeads, nb, nb]);
      const positions = ctx.positionIds();
      return sparseAttentionKernel(ctx, rotary(ctx, positions, ctx.query, shape.numHeads), rotary(ctx, positions, ctx.key, shape.numKvHeads), blocks, blockLayoutFromMask(g, blocks, maskInput));
    };
    const flat = Uint8Array.from(mask.flat(2), (x) => (x ? 1 : 0));
    const out = await runKernelLayer(build, shape, c, {}, { mask: new ort.Tensor('bool', flat, [shape.numHeads, nb, nb]) });
    const ref = maskedCausalAttention({ query: c.query, key: c.key, value: c.value }, (h, i, j) => mask[h]![Math.floor(i / 64)]![Math.floor(j / 64)]!);
    expect(maxHeadDiff(out.output, headTensor(shape.numHeads, length, shape.headDim, ref.output))).toBeLessThan(1e-4);
    expect(out.stats['kept_pairs']).toBe(ref.keptPairs.reduce((a, b) => a + b, 0));
    const keptBlocks = mask.flat(2).filter(Boolean).length;
    expect(out.stats['gathered_pairs']).toBe(keptBlocks * 64 * 64);
  });

  it('block-sparse reports the causal pairs of its kept blocks', async () => {
    const c = randomCase(shape, 0, 300, 4);
    const out = await runKernelLayer(blockSparseKernelPrefill, shape, c, { blockSize: 64, topBlocks: 3, scope: 'kv-head' });
    // 5 query blocks (the last of 44 rows), K = 3: rows keep {0}, {0, 1}, {0, 1, 2}, {0, 2, 3}, {0, 3, 4}.
    const diag = 4 * ((64 * 65) / 2) + (44 * 45) / 2;
    const left = 5 * 64 * 64 + 2 * 44 * 64;
    expect(out.stats['kept_pairs']).toBe((diag + left) * shape.numHeads);
    expect(out.stats['gathered_pairs']).toBe(12 * 64 * 64 * shape.numHeads);
  });
});

