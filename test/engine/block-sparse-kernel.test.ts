// Block-Sparse through com.microsoft SparseAttention (attention/block-sparse-kernel.ts, the fused form
// the CUDA runtime runs) on the CPU provider's SparseAttention kernel, against the float64 reference
// (blocks of 64): both selection scopes, GQA groups 1, 4 and 7, lengths that are no multiple of the
// block, budgets that bind and one covering every block (= dense). The kernel needs its past and
// present caches to be one buffer: the harness feeds and fetches the same tensor (the one-run graph
// gives it one in-graph buffer instead).
import { describe, expect, it } from 'vitest';
import { blockSparseKernelPrefill } from '../../runner/engine/attention/block-sparse-kernel.js';
import { BLOCK_SPARSE_IO } from '../../runner/engine/attention/block-sparse.js';
import { blockSparseAttention } from '../../runner/engine/sparse/reference/block-sparse.js';
import { denseCausalAttention } from '../../runner/engine/sparse/reference/dense.js';
import { headTensor, type HeadTensor } from '../../runner/engine/sparse/tensor.js';
import { maxHeadDiff, randomCase, type LayerShape } from './attention-harness.js';
import { runKernelLayer } from './sparse-kernel-harness.js';

/** The kernel form on the CPU provider (sparse-kernel-harness.ts), the budget fed as its graph input. */
async function runKernel(shape: LayerShape, query: HeadTensor, key: HeadTensor, value: HeadTensor, params: Record<string, unknown>, topBlocks: number): Promise<{ output: HeadTensor; presentKey: HeadTensor }> {
  const { output, presentKey } = await runKernelLayer(blockSparseKernelPrefill, shape, { query, key, value }, params, { [BLOCK_SPARSE_IO.topBlocks]: topBlocks });
  return { output, presentKey };
}

const SHAPES: LayerShape[] = [
  { numHeads: 2, numKvHeads: 2, headDim: 16 },
  { numHeads: 8, numKvHeads: 2, headDim: 16 },
  { numHeads: 7, numKvHeads: 1, headDim: 32 },
];

describe.each(SHAPES)('block-sparse through SparseAttention, $numHeads query heads over $numKvHeads KV heads', (shape) => {
  it.each([
    ['query-head', 600, 3],
    ['kv-head', 450, 4],
    ['query-head', 200, 2],
  ] as const)('scope %s over %i tokens keeping %i blocks: equals the reference, differs from dense', async (scope, length, topBlocks) => {
    const c = randomCase(shape, 0, length, length + topBlocks);
    const input = { query: c.query, key: c.key, value: c.value };
    const ref = blockSparseAttention(input, { blockSize: 64, topBlocks }, { scope });
    expect(ref.sparsity).toBeGreaterThan(0.1);
    const out = await runKernel(shape, c.query, c.key, c.value, { blockSize: 64, scope }, topBlocks);
    expect(maxHeadDiff(out.output, headTensor(shape.numHeads, length, shape.headDim, ref.output))).toBeLessThan(1e-4);
    expect(maxHeadDiff(out.output, headTensor(shape.numHeads, length, shape.headDim, denseCausalAttention(input)))).toBeGreaterThan(1e-3);
    // The cache holds the (identity-rotated) keys of every prompt position.
    expect(maxHeadDiff(out.presentKey, c.key)).toBeLessThan(1e-6);
  });

  it('keeping every block equals dense attention', async () => {
    const c = randomCase(shape, 0, 333, 5);
    const input = { query: c.query, key: c.key, value: c.value };
    const out = await runKernel(shape, c.query, c.key, c.value, { blockSize: 64, topBlocks: 6 }, 0);
    expect(maxHeadDiff(out.output, headTensor(shape.numHeads, 333, shape.headDim, denseCausalAttention(input)))).toBeLessThan(1e-4);
  });
});

describe('block-sparse kernel refusals', () => {
  it('needs blocks of 64', async () => {
    const shape = SHAPES[0]!;
    const c = randomCase(shape, 0, 100, 1);
    await expect(runKernel(shape, c.query, c.key, c.value, { blockSize: 16 }, 2)).rejects.toThrow('The SparseAttention kernel runs blocks of 64; block-sparse has params.blockSize 16.');
  });
});
