// The Vertical-Slash prefill graph (runner/engine/attention/vertical-slash.ts) against the float64
// references on random inputs: GQA groups 1, 4 and 7, lengths that are not multiples of the 64-token
// tile, with and without a past cache (chunk-aware reference), both selection scopes, head passes,
// the budget as graph inputs, and a full budget that equals dense attention. Then the model: the
// engine at C = 1 equals dense, at C = 2 it differs (the float64 forward pass's per-row `attend`
// hook cannot express a selection made from the chunk's last queries, so the layer tests are the
// reference comparison).
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verticalSlashAttention as verticalSlashReference, verticalSlashChunkAttention } from '../../runner/engine/sparse/reference/vertical-slash.js';
import { SPARSE_METHODS } from '../../runner/engine/sparse/registry.js';
import { attentionMethod } from '../../runner/engine/attention/registry.js';
import { VERTICAL_SLASH_IO } from '../../runner/engine/attention/vertical-slash.js';
import { defaultHeadsPerPass } from '../../runner/engine/attention/pattern-prefill.js';
import { Engine } from '../../runner/engine/engine.js';
import { runLayerGraph } from '../../runner/engine/attention/layer-graph.js';
import { asHeads, chunkCase, denseRows, maxHeadDiff, runAttentionLayer, type LayerShape } from './attention-harness.js';
import { PROMPT, maxAbsDiff, writeFixtureCheckpoint, generateWithLogits } from './helpers.js';

const SHAPES: LayerShape[] = [
  { numHeads: 2, numKvHeads: 2, headDim: 16 },
  { numHeads: 8, numKvHeads: 2, headDim: 16 },
  { numHeads: 7, numKvHeads: 1, headDim: 16 },
];


describe.each(SHAPES)('vertical-slash graph, $numHeads query heads over $numKvHeads KV heads', (shape) => {
  it('equals the chunk reference over no cache and over a cache, and differs from dense', async () => {
    // 64-token tiles (as MInference computes), and 16-token tiles where the pattern is sparser.
    for (const [past, length, tileSize, slashCount] of [[0, 150, 64, 70], [70, 130, 64, 70], [37, 113, 16, 12]] as const) {
      const { layer, chunk } = chunkCase(shape, past, length, 11 + past);
      const budget = { verticalCount: 9, slashCount };
      const params = { forcedSlash: 3, lastQueries: 40, tileSize };
      const out = await runAttentionLayer('vertical-slash', shape, layer, { params: { ...params, ...budget } });
      const ref = verticalSlashChunkAttention(chunk, budget, params);
      expect(maxHeadDiff(out.output, asHeads(shape, length, ref.output))).toBeLessThan(1e-5);
      expect(maxHeadDiff(out.output, denseRows(shape, chunk))).toBeGreaterThan(1e-3);
      expect(maxHeadDiff(out.presentKey, chunk.key)).toBe(0);
      expect(maxHeadDiff(out.presentValue, chunk.value)).toBe(0);
    }
  });

  it('with a full budget equals dense attention', async () => {
    const { layer, chunk } = chunkCase(shape, 45, 155, 5);
    const out = await runAttentionLayer('vertical-slash', shape, layer, { params: { verticalCount: 200, slashCount: 200 } });
    expect(maxHeadDiff(out.output, denseRows(shape, chunk))).toBeLessThan(1e-5);
  });
});

// The fused formulation (query blocks x selecting heads as the heads of one MultiHeadAttention node per
// pass, the mask as attention_bias) selects the same keys and must give the same rows.
describe.each(SHAPES)('vertical-slash fused, $numHeads query heads over $numKvHeads KV heads', (shape) => {
  it.each(['query-head', 'kv-head'] as const)('scope %s: equals the chunk reference (one padded pass; passes of 2 tiles over a cache; 16-token tiles mid-block)', async (scope) => {
    for (const [past, length, tileSize, slashCount, passParams] of [
      [0, 150, 64, 70, {}],
      [70, 130, 64, 70, { rowsPerPass: 128, passes: 2 }],
      [37, 113, 16, 12, { rowsPerPass: 32, passes: 4 }],
    ] as const) {
      const { layer, chunk } = chunkCase(shape, past, length, 11 + past);
      const budget = { verticalCount: 9, slashCount };
      const params = { forcedSlash: 3, lastQueries: 40, tileSize, scope };
      const out = await runAttentionLayer('vertical-slash', shape, layer, { params: { ...params, ...budget, formulation: 'fused', ...passParams } });
      const ref = verticalSlashChunkAttention(chunk, budget, params);
      expect(maxHeadDiff(out.output, asHeads(shape, length, ref.output))).toBeLessThan(1e-5);
      expect(maxHeadDiff(out.output, denseRows(shape, chunk))).toBeGreaterThan(1e-3);
      expect(maxHeadDiff(out.presentKey, chunk.key)).toBe(0);
    }
  });

  it('with a full budget equals dense attention', async () => {
    const { layer, chunk } = chunkCase(shape, 45, 155, 5);
    const out = await runAttentionLayer('vertical-slash', shape, layer, { params: { verticalCount: 200, slashCount: 200, formulation: 'fused' } });
    expect(maxHeadDiff(out.output, denseRows(shape, chunk))).toBeLessThan(1e-5);
  });
});

describe('vertical-slash graph', () => {
  const shape = SHAPES[1]!;

  it('rejects an unknown formulation or pass size', async () => {
    const { layer } = chunkCase(shape, 0, 30, 1);
    await expect(runAttentionLayer('vertical-slash', shape, layer, { params: { verticalCount: 4, slashCount: 4, formulation: 'flash' } })).rejects.toThrow("vertical-slash needs params.formulation 'matmul' or 'fused'; got \"flash\".");
    await expect(runAttentionLayer('vertical-slash', shape, layer, { params: { verticalCount: 4, slashCount: 4, formulation: 'fused', rowsPerPass: 0 } })).rejects.toThrow('vertical-slash needs params.rowsPerPass as an integer >= 1; got 0.');
  });

  it('over the whole prompt (P = 0) is the whole-prompt reference, with the default params', async () => {
    const { layer, chunk } = chunkCase(shape, 0, 200, 3);
    const budget = { verticalCount: 12, slashCount: 66 };
    const out = await runAttentionLayer('vertical-slash', shape, layer, { params: { ...budget, headsPerPass: 3 } });
    const ref = verticalSlashReference({ query: chunk.query, key: chunk.key, value: chunk.value }, budget);
    expect(maxHeadDiff(out.output, asHeads(shape, 200, ref.output))).toBeLessThan(1e-5);
    expect(maxHeadDiff(out.output, denseRows(shape, chunk))).toBeGreaterThan(1e-3);
  });

  it('with kv-head scope equals the reference, in one pass or one head per pass, the budget fed as graph inputs', async () => {
    const { layer, chunk } = chunkCase(shape, 100, 100, 9);
    const budget = { verticalCount: 7, slashCount: 5 };
    const params = { scope: 'kv-head', forcedSlash: 2, forcedVertical: 1, lastQueries: 32 } as const;
    const ref = verticalSlashChunkAttention(chunk, budget, params);
    // The two KV heads select differently.
    expect(ref.selection.heads[0]!.slash).not.toEqual(ref.selection.heads[1]!.slash);
    for (const headsPerPass of [1, 2]) {
      const out = await runAttentionLayer('vertical-slash', shape, layer, { params: { ...params, headsPerPass, formulation: 'matmul' }, inputs: verticalSlashAttention.budgetInputs!(budget) });
      expect(maxHeadDiff(out.output, asHeads(shape, 100, ref.output))).toBeLessThan(1e-5);
    }
    expect(verticalSlashAttention.budgetInputs!(budget)).toEqual({ [VERTICAL_SLASH_IO.vertical]: 7, [VERTICAL_SLASH_IO.slash]: 5 });
  });

  it('builds an fp16 graph (the WebGPU compute dtype) that runs and selects as the reference', async () => {
    const { layer, chunk } = chunkCase(shape, 40, 100, 3);
    const budget = { verticalCount: 9, slashCount: 12 };
    const params = { tileSize: 16, forcedSlash: 2 };
    const out = await runLayerGraph('vertical-slash', shape, layer, { precision: 'fp16', params: { ...params, ...budget } });
    // fp16 inputs and arithmetic: ~1e-3; a different selection would be off by far more.
    expect(maxHeadDiff(out.output, asHeads(shape, 100, verticalSlashChunkAttention(chunk, budget, params).output))).toBeLessThan(2e-3);
    expect(maxHeadDiff(out.output, denseRows(shape, chunk))).toBeGreaterThan(2e-2);
  });

  it('splits heads into passes whose worst-case gather stays under 2^31 elements', () => {
    // 64 blocks x (2 x maxPositions) keys x d per head of a pass.
    expect(defaultHeadsPerPass(32768, 128, 1, 28)).toBe(4);
    expect(64 * 2 * 32768 * 128 * 4).toBeLessThanOrEqual(2 ** 31);
    expect(defaultHeadsPerPass(131072, 128, 1, 28)).toBe(1);
    expect(defaultHeadsPerPass(32768, 128, 7, 4)).toBe(1);
    expect(defaultHeadsPerPass(2048, 64, 1, 28)).toBe(28);
  });

  it('refuses the diagonal slash mode and bad budgets', async () => {
    const { layer } = chunkCase(shape, 0, 20, 1);
    await expect(runAttentionLayer('vertical-slash', shape, layer, { params: { slashMode: 'diagonal', verticalCount: 4, slashCount: 4 } })).rejects.toThrow("vertical-slash's graph computes slashes as tiles");
    await expect(runAttentionLayer('vertical-slash', shape, layer, { params: { verticalCount: -1, slashCount: 4 } })).rejects.toThrow('vertical-slash needs params.verticalCount as an integer >= 0; got -1.');
    await expect(runAttentionLayer('vertical-slash', shape, layer, { params: { verticalCount: 4, slashCount: 4, headsPerPass: 0 } })).rejects.toThrow('headsPerPass');
  });
});

const verticalSlashAttention = attentionMethod('vertical-slash');

describe('vertical-slash in the model (tiny llama checkpoint, chunks of 7)', () => {
  const root = mkdtempSync(join(tmpdir(), 'lw-engine-vs-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const run = (dir: string, options: Parameters<typeof Engine.load>[1], attentionInputs?: Record<string, number>): ReturnType<typeof generateWithLogits> => generateWithLogits(dir, root, 3, options ?? {}, attentionInputs);

  it('at C = 1 (budget as graph inputs) equals dense attention; a small budget changes the logits', async () => {
    const dir = writeFixtureCheckpoint('llama', root);
    const m = SPARSE_METHODS['vertical-slash'];
    const full = m.budgetFor(1, PROMPT.length);
    expect(full).toEqual({ verticalCount: PROMPT.length, slashCount: PROMPT.length });
    const dense = await run(dir, {});
    const sparse = await run(dir, { attention: { method: 'vertical-slash' } }, verticalSlashAttention.budgetInputs!({ ...full }));
    expect(sparse.tokens).toEqual(dense.tokens);
    expect(sparse.logits).toHaveLength(dense.logits.length);
    sparse.logits.forEach((row, i) => expect(maxAbsDiff(row, dense.logits[i]!)).toBeLessThan(1e-5));
    // Tiles of 4 with 1 slash and 1 column: rows past the first tile lose keys.
    const small = await run(dir, { attention: { method: 'vertical-slash', params: { tileSize: 4, forcedSlash: 1, forcedVertical: 1, verticalCount: 1, slashCount: 1 } } });
    expect(maxAbsDiff(small.logits[PROMPT.length - 1]!, dense.logits[PROMPT.length - 1]!)).toBeGreaterThan(1e-4);
  });
});
