// The one-layer attention harness against the float64 references: dense and A-shape on random
// inputs (GQA groups 1, 4 and 7; lengths that are no multiple of anything; with and without a cache).
import { describe, expect, it } from 'vitest';
import { denseCausalAttention } from '../../runner/engine/sparse/reference/dense.js';
import { aShapeAttention } from '../../runner/engine/sparse/reference/a-shape.js';
import { headTensor } from '../../runner/engine/sparse/tensor.js';
import { concatHeads, maxHeadDiff, randomCase, runAttentionLayer, sliceRows } from './attention-harness.js';

const SHAPES = [
  { numHeads: 2, numKvHeads: 2, headDim: 16 },
  { numHeads: 8, numKvHeads: 2, headDim: 16 },
  { numHeads: 7, numKvHeads: 1, headDim: 16 },
];

describe.each(SHAPES)('one layer, $numHeads query heads over $numKvHeads KV heads', (shape) => {
  it('dense (GroupQueryAttention) equals the float64 causal reference, over a cache too', async () => {
    for (const past of [0, 13]) {
      const c = randomCase(shape, past, 37, 7 + past);
      const out = await runAttentionLayer('dense', shape, c);
      const full = { query: concatHeads(c.pastKey ? randomCase(shape, 0, past, 1).query : undefined, c.query), key: concatHeads(c.pastKey, c.key), value: concatHeads(c.pastValue, c.value) };
      const ref = headTensor(shape.numHeads, past + 37, shape.headDim, denseCausalAttention(full));
      expect(maxHeadDiff(out.output, sliceRows(ref, past, 37))).toBeLessThan(1e-5);
      expect(maxHeadDiff(out.presentKey, full.key)).toBe(0);
    }
  });

  it('a-shape (band formulation) equals its reference and differs from dense', async () => {
    const c = randomCase(shape, 0, 45, 3);
    const budget = { sink: 3, window: 6 };
    const out = await runAttentionLayer('a-shape', shape, c, { params: { ...budget, formulation: 'band' } });
    const input = { query: c.query, key: c.key, value: c.value };
    const ref = headTensor(shape.numHeads, 45, shape.headDim, aShapeAttention(input, budget).output);
    expect(maxHeadDiff(out.output, ref)).toBeLessThan(1e-5);
    const dense = headTensor(shape.numHeads, 45, shape.headDim, denseCausalAttention(input));
    expect(maxHeadDiff(out.output, dense)).toBeGreaterThan(1e-3);
  });
});

describe.each(SHAPES)('a-shape through the fused kernel, $numHeads query heads over $numKvHeads KV heads', (shape) => {
  it('equals the reference over a cache, with query blocks that do not divide the chunk', async () => {
    for (const [past, length, budget, rows] of [[0, 45, { sink: 3, window: 6 }, 16], [29, 37, { sink: 4, window: 11 }, 8], [0, 40, { sink: 40, window: 40 }, 16]] as const) {
      const c = randomCase(shape, past, length, 11 + past);
      const out = await runAttentionLayer('a-shape', shape, c, { params: { ...budget, formulation: 'fused', rows } });
      const full = { query: concatHeads(c.pastKey ? randomCase(shape, 0, past, 2).query : undefined, c.query), key: concatHeads(c.pastKey, c.key), value: concatHeads(c.pastValue, c.value) };
      const ref = headTensor(shape.numHeads, past + length, shape.headDim, aShapeAttention(full, budget).output);
      expect(maxHeadDiff(out.output, sliceRows(ref, past, length))).toBeLessThan(1e-5);
    }
  });
});
