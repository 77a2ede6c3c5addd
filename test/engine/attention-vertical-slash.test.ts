// The Vertical-Slash prefill graph (runner/engine/attention/vertical-slash.ts) against the float64
// chunk-aware reference on random inputs: GQA groups 1, 4 and 7, lengths that are not multiples of
// the 64-token tile, with and without a past cache, both selection scopes.
import { describe, expect, it } from 'vitest';
import { verticalSlashChunkAttention } from '../../runner/engine/sparse/reference/vertical-slash.js';
import { denseCausalAttention } from '../../runner/engine/sparse/reference/dense.js';
import { headTensor } from '../../runner/engine/sparse/tensor.js';
import { concatHeads, maxHeadDiff, randomCase, runAttentionLayer, sliceRows, type LayerShape } from './attention-harness.js';

const SHAPES: LayerShape[] = [
  { numHeads: 2, numKvHeads: 2, headDim: 16 },
  { numHeads: 8, numKvHeads: 2, headDim: 16 },
  { numHeads: 7, numKvHeads: 1, headDim: 16 },
];

function chunkOf(shape: LayerShape, past: number, length: number, seed: number) {
  const c = randomCase(shape, past, length, seed, 2);
  return { c, chunk: { query: c.query, key: concatHeads(c.pastKey, c.key), value: concatHeads(c.pastValue, c.value) } };
}

describe.each(SHAPES)('vertical-slash, $numHeads query heads over $numKvHeads KV heads', (shape) => {
  it('equals the chunk reference with and without a cache', async () => {
    for (const [past, length] of [[0, 150], [70, 130]] as const) {
      const { c, chunk } = chunkOf(shape, past, length, 11 + past);
      const budget = { verticalCount: 9, slashCount: 70 };
      const params = { forcedSlash: 3, lastQueries: 40 };
      const out = await runAttentionLayer('vertical-slash', shape, c, { params: { ...params, ...budget } });
      const ref = verticalSlashChunkAttention(chunk, budget, params);
      expect(maxHeadDiff(out.output, headTensor(shape.numHeads, length, shape.headDim, ref.output))).toBeLessThan(1e-5);
      const dense = sliceRows(headTensor(shape.numHeads, past + length, shape.headDim, denseCausalAttention({ query: concatHeads(c.pastKey ? randomCase(shape, 0, past, 1).query : undefined, c.query), key: chunk.key, value: chunk.value })), past, length);
      expect(maxHeadDiff(out.output, dense)).toBeGreaterThan(1e-3);
    }
  });
});
