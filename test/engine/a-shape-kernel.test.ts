// A-shape's block form through the SparseAttention kernel (attention/a-shape-kernel.ts, on the CPU
// provider's kernel) and its band form (the generic builder with params.granularity 'block') against
// its float64 block-level reference, for GQA groups 1, 4 and 7 and lengths that are no multiple of
// the block; which settings the one-run graph gives the kernel.
import { describe, expect, it } from 'vitest';
import { aShapeKernelPrefill, aShapeKernelServes } from '../../runner/engine/attention/a-shape-kernel.js';
import { kernelPrefill } from '../../runner/engine/attention/kernel-prefill.js';
import { blockSparseKernelPrefill } from '../../runner/engine/attention/block-sparse-kernel.js';
import { aShapeAttention, aShapeBlockAttention, aShapeBlockSparsity, aShapeSparsity } from '../../runner/engine/sparse/reference/a-shape.js';
import { aShape } from '../../runner/engine/sparse/registry.js';
import { headTensor } from '../../runner/engine/sparse/tensor.js';
import { maxHeadDiff, randomCase, runAttentionLayer, type LayerShape } from './attention-harness.js';
import { runKernelLayer } from './sparse-kernel-harness.js';

const SHAPES: LayerShape[] = [
  { numHeads: 2, numKvHeads: 2, headDim: 16 },
  { numHeads: 8, numKvHeads: 2, headDim: 16 },
  { numHeads: 7, numKvHeads: 1, headDim: 32 },
];

describe.each(SHAPES)('A-shape block form, $numHeads query heads over $numKvHeads KV heads', (shape) => {
  it.each([
    [600, 4, 100],
    [333, 70, 65],
    [200, 0, 1],
    [517, 64, 129],
  ] as const)('over %i tokens, sink %i, window %i: the kernel and the band form equal the block reference', async (length, sink, window) => {
    const c = randomCase(shape, 0, length, length + sink + window);
    const input = { query: c.query, key: c.key, value: c.value };
    const ref = aShapeBlockAttention(input, { sink, window }, 64);
    expect(ref.sparsity).toBeCloseTo(aShapeBlockSparsity(length, sink, window, 64), 12);
    expect(ref.sparsity).toBeGreaterThan(0.1);
    const expected = headTensor(shape.numHeads, length, shape.headDim, ref.output);
    // Budgets as graph inputs (as the engine feeds them) for the kernel, as params for the band form.
    const out = await runKernelLayer(aShapeKernelPrefill, shape, c, { granularity: 'block' }, { 'attention.prefill.sink': sink, 'attention.prefill.window': window });
    expect(maxHeadDiff(out.output, expected)).toBeLessThan(1e-4);
    expect(maxHeadDiff(out.presentKey, c.key)).toBeLessThan(1e-6);
    expect(out.stats['kept_pairs']).toBe(ref.keptPairs * shape.numHeads);
    const band = await runAttentionLayer('a-shape', shape, c, { params: { granularity: 'block', sink, window } });
    expect(maxHeadDiff(band.output, expected)).toBeLessThan(1e-4);
    // The block form keeps more than the token form: a different output.
    expect(maxHeadDiff(out.output, headTensor(shape.numHeads, length, shape.headDim, aShapeAttention(input, { sink, window }).output))).toBeGreaterThan(1e-3);
  });
});

describe('A-shape block form: choice and refusals', () => {
  it('keeps every token pair the token form keeps, and covers it all when the window does', () => {
    for (const [L, sink, window] of [[333, 70, 65], [1000, 4, 200], [129, 1, 1]] as const) {
      const c = randomCase(SHAPES[0]!, 0, L, 1);
      const input = { query: c.query, key: c.key, value: c.value };
      expect(aShapeBlockAttention(input, { sink, window }, 64).keptPairs).toBeGreaterThanOrEqual(aShapeAttention(input, { sink, window }).keptPairs);
    }
    expect(aShapeBlockSparsity(500, 0, 449, 64)).toBe(0);
    // The registry's reference and cost follow params.granularity.
    const c = randomCase(SHAPES[1]!, 0, 300, 2);
    const input = { query: c.query, key: c.key, value: c.value };
    expect(aShape.reference(input, { sink: 4, window: 70 }, { granularity: 'block' }).keptPairs).toBe(aShapeBlockAttention(input, { sink: 4, window: 70 }, 64).keptPairs);
    expect(aShape.reference(input, { sink: 4, window: 70 }).keptPairs).toBe(aShapeAttention(input, { sink: 4, window: 70 }).keptPairs);
    const shape = { numLayers: 2, numHeads: 8, numKvHeads: 2, headDim: 16, hiddenSize: 128, intermediateSize: 256, vocabSize: 100 };
    const density = (granularity: 'token' | 'block'): number => aShape.cost(shape, 4096, { sink: 64, window: 300 }, 10, { sink: 64, granularity }).density;
    expect(density('token')).toBeCloseTo(1 - aShapeSparsity(4096, 64, 300), 12);
    expect(density('block')).toBeCloseTo(1 - aShapeBlockSparsity(4096, 64, 300, 64), 12);
  });

  it('the one-run graph takes the kernel only for the block form with blocks of 64', () => {
    expect(kernelPrefill('a-shape', 128, { granularity: 'block' })).toBe(aShapeKernelPrefill);
    expect(kernelPrefill('a-shape', 128, {})).toBeNull();
    expect(kernelPrefill('a-shape', 128, { granularity: 'token' })).toBeNull();
    expect(kernelPrefill('a-shape', 72, { granularity: 'block' })).toBeNull();
    expect(kernelPrefill('block-sparse', 128, { blockSize: 64 })).toBe(blockSparseKernelPrefill);
    expect(kernelPrefill('block-sparse', 128, { blockSize: 16 })).toBeNull();
    expect(kernelPrefill('vertical-slash', 128, {})).toBeNull();
    expect(aShapeKernelServes(128, { granularity: 'block', blockSize: 32 })).toBe(false);
    expect(() => kernelPrefill('a-shape', 128, { granularity: 'tile' })).toThrow('a-shape params.granularity must be "token" or "block"; got "tile".');
  });

  it('refuses a block size other than 64 and the fused token formulation', async () => {
    const shape = SHAPES[0]!;
    const c = randomCase(shape, 0, 100, 1);
    await expect(runKernelLayer(aShapeKernelPrefill, shape, c, { granularity: 'block', blockSize: 16, sink: 4, window: 8 })).rejects.toThrow('The SparseAttention kernel runs blocks of 64; a-shape has params.blockSize 16.');
    await expect(runAttentionLayer('a-shape', shape, c, { params: { granularity: 'block', formulation: 'fused', sink: 4, window: 8 } })).rejects.toThrow('a-shape params.granularity "block" runs the SparseAttention kernel or the band formulation; params.formulation is "fused".');
  });
});
