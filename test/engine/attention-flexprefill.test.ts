// The FlexPrefill prefill graph (runner/engine/attention/flexprefill.ts) against the float64
// references on random inputs: GQA groups 1, 4 and 7, lengths that are not multiples of the 64-token
// tile, with and without a past cache (chunk-aware reference), per-head (ragged) counts, both
// selection scopes, the budget as graph inputs (alpha in ppm), and a full budget equal to dense. Then
// the model: the engine at C = 1 equals dense (the float64 forward pass's per-row `attend` hook
// cannot express a selection made from the chunk's last queries).
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flexPrefillAttention as flexPrefillReference, flexPrefillChunkAttention } from '../../runner/engine/sparse/reference/flexprefill.js';
import { SPARSE_METHODS } from '../../runner/engine/sparse/registry.js';
import { attentionMethod } from '../../runner/engine/attention/registry.js';
import { FLEXPREFILL_IO } from '../../runner/engine/attention/flexprefill.js';
import { Engine } from '../../runner/engine/engine.js';
import { runLayerGraph } from '../../runner/engine/attention/layer-graph.js';
import { asHeads, chunkCase, denseRows, maxHeadDiff, runAttentionLayer, type LayerShape } from './attention-harness.js';
import { PROMPT, maxAbsDiff, writeFixtureCheckpoint, generateWithLogits } from './helpers.js';

const SHAPES: LayerShape[] = [
  { numHeads: 2, numKvHeads: 2, headDim: 16 },
  { numHeads: 8, numKvHeads: 2, headDim: 16 },
  { numHeads: 7, numKvHeads: 1, headDim: 16 },
];

const flexPrefill = attentionMethod('flexprefill');

const counts = (heads: { vertical: Int32Array; slash: Int32Array }[]): number[] => heads.flatMap((h) => [h.vertical.length, h.slash.length]);

describe.each(SHAPES)('flexprefill graph, $numHeads query heads over $numKvHeads KV heads', (shape) => {
  it('equals the chunk reference over no cache and over a cache (per-head counts), and differs from dense', async () => {
    // 64-token tiles (as MInference computes), and 16-token tiles where the pattern is sparser.
    for (const [past, length, tileSize] of [[0, 150, 64], [70, 130, 64], [37, 113, 16]] as const) {
      const { layer, chunk } = chunkCase(shape, past, length, 21 + past);
      const budget = { alpha: 0.3, minBudget: 3 };
      const params = { forcedSlash: 2, forcedVertical: 2, lastQueries: 48, tileSize };
      const out = await runAttentionLayer('flexprefill', shape, layer, { params: { ...params, ...budget } });
      const ref = flexPrefillChunkAttention(chunk, budget, params);
      // The counts are the coverage counts, not the floor, and differ between heads or statistics.
      expect(new Set(counts(ref.selection.heads)).size).toBeGreaterThan(1);
      expect(maxHeadDiff(out.output, asHeads(shape, length, ref.output))).toBeLessThan(1e-5);
      expect(maxHeadDiff(out.output, denseRows(shape, chunk))).toBeGreaterThan(1e-3);
      expect(maxHeadDiff(out.presentKey, chunk.key)).toBe(0);
    }
  });

  it('with a full budget (flexPrefillBudget at C = 1) equals dense attention', async () => {
    const { layer, chunk } = chunkCase(shape, 45, 155, 5);
    const budget = SPARSE_METHODS.flexprefill.budgetFor(1, 200);
    expect(budget).toEqual({ alpha: 1, minBudget: 200 });
    const out = await runAttentionLayer('flexprefill', shape, layer, { inputs: flexPrefill.budgetInputs!({ ...budget }) });
    expect(maxHeadDiff(out.output, denseRows(shape, chunk))).toBeLessThan(1e-5);
  });
});

describe.each(SHAPES)('flexprefill fused, $numHeads query heads over $numKvHeads KV heads', (shape) => {
  it.each(['query-head', 'kv-head'] as const)('scope %s: equals the chunk reference (ragged per-head counts; passes over a cache)', async (scope) => {
    for (const [past, length, tileSize, passParams] of [[0, 150, 64, {}], [37, 113, 16, { rowsPerPass: 32, passes: 4 }]] as const) {
      const { layer, chunk } = chunkCase(shape, past, length, 21 + past);
      const budget = { alpha: 0.3, minBudget: 3 };
      const params = { forcedSlash: 2, forcedVertical: 2, lastQueries: 48, tileSize, scope };
      const out = await runAttentionLayer('flexprefill', shape, layer, { params: { ...params, ...budget, formulation: 'fused', ...passParams } });
      const ref = flexPrefillChunkAttention(chunk, budget, params);
      expect(maxHeadDiff(out.output, asHeads(shape, length, ref.output))).toBeLessThan(1e-5);
      expect(maxHeadDiff(out.output, denseRows(shape, chunk))).toBeGreaterThan(1e-3);
    }
  });
});

describe('flexprefill graph', () => {
  const shape = SHAPES[1]!;

  it('over the whole prompt (P = 0) is the whole-prompt reference with the default params (512 estimation rows)', async () => {
    const { layer, chunk } = chunkCase(shape, 0, 200, 3);
    const budget = { alpha: 0.5, minBudget: 40 };
    const out = await runAttentionLayer('flexprefill', shape, layer, { params: { ...budget, headsPerPass: 8 } });
    const ref = flexPrefillReference({ query: chunk.query, key: chunk.key, value: chunk.value }, budget);
    expect(maxHeadDiff(out.output, asHeads(shape, 200, ref.output))).toBeLessThan(1e-5);
    expect(maxHeadDiff(out.output, denseRows(shape, chunk))).toBeGreaterThan(1e-3);
  });

  it('with kv-head scope equals the reference, the budget fed as graph inputs (alpha in ppm)', async () => {
    const { layer, chunk } = chunkCase(shape, 100, 100, 9);
    const budget = { alpha: 0.25, minBudget: 2 };
    const params = { scope: 'kv-head', forcedSlash: 1, forcedVertical: 1, lastQueries: 32 } as const;
    const ref = flexPrefillChunkAttention(chunk, budget, params);
    expect(counts(ref.selection.heads.slice(0, 1))).not.toEqual(counts(ref.selection.heads.slice(1, 2)));
    const inputs = flexPrefill.budgetInputs!({ ...budget });
    expect(inputs).toEqual({ [FLEXPREFILL_IO.alphaPpm]: 250000, [FLEXPREFILL_IO.minBudget]: 2 });
    // The MatMul form in head passes, and the fused form (the kv-head default).
    for (const extra of [{ headsPerPass: 1, formulation: 'matmul' }, { headsPerPass: 2, formulation: 'matmul' }, {}]) {
      const out = await runAttentionLayer('flexprefill', shape, layer, { params: { ...params, ...extra }, inputs });
      expect(maxHeadDiff(out.output, asHeads(shape, 100, ref.output))).toBeLessThan(1e-5);
    }
  });

  it('builds an fp16 graph (the WebGPU compute dtype) that runs and selects as the reference', async () => {
    const { layer, chunk } = chunkCase(shape, 40, 100, 3);
    const budget = { alpha: 0.3, minBudget: 3 };
    const params = { tileSize: 16, forcedSlash: 2 };
    const out = await runLayerGraph('flexprefill', shape, layer, { precision: 'fp16', params: { ...params, ...budget } });
    // fp16 inputs and arithmetic: ~1e-3; a different selection would be off by far more.
    expect(maxHeadDiff(out.output, asHeads(shape, 100, flexPrefillChunkAttention(chunk, budget, params).output))).toBeLessThan(2e-3);
    expect(maxHeadDiff(out.output, denseRows(shape, chunk))).toBeGreaterThan(2e-2);
  });

  it('with coverage "bisect" (no full sort) selects as the sorted count: equals the reference in both scopes and forms', async () => {
    for (const [past, length, scope, formulation] of [[0, 150, 'query-head', 'matmul'], [70, 130, 'kv-head', 'fused'], [37, 113, 'kv-head', 'matmul']] as const) {
      const { layer, chunk } = chunkCase(shape, past, length, 21 + past);
      for (const budget of [{ alpha: 0.3, minBudget: 3 }, { alpha: 0.8, minBudget: 1 }, { alpha: 0, minBudget: 5 }]) {
        const params = { forcedSlash: 2, forcedVertical: 2, lastQueries: 48, tileSize: 16, scope };
        const ref = flexPrefillChunkAttention(chunk, budget, params);
        const out = await runAttentionLayer('flexprefill', shape, layer, { params: { ...params, ...budget, formulation, coverage: 'bisect' } });
        expect(maxHeadDiff(out.output, asHeads(shape, length, ref.output))).toBeLessThan(1e-5);
      }
    }
    await expect(runAttentionLayer('flexprefill', shape, chunkCase(shape, 0, 20, 1).layer, { params: { alpha: 0.5, minBudget: 4, coverage: 'heap' } })).rejects.toThrow('flexprefill params.coverage must be "sort" or "bisect"; got "heap".');
  });

  it('params.maxBudget caps each head\'s counts as FlexPrefill\'s max_budget: equals the capped reference, and differs from the uncapped one', async () => {
    for (const [scope, formulation] of [['query-head', 'matmul'], ['kv-head', 'fused']] as const) {
      const { layer, chunk } = chunkCase(shape, 37, 113, 9);
      // alpha near 1 keeps nearly every column and offset: the cap decides the counts.
      const budget = { alpha: 0.95, minBudget: 2 };
      const params = { forcedSlash: 2, forcedVertical: 2, lastQueries: 48, tileSize: 16, scope };
      const capped = flexPrefillChunkAttention(chunk, { ...budget, maxBudget: 12 }, params);
      const uncapped = flexPrefillChunkAttention(chunk, budget, params);
      expect(Math.max(...counts(capped.selection.heads))).toBe(12);
      expect(Math.max(...counts(uncapped.selection.heads))).toBeGreaterThan(12);
      const out = await runAttentionLayer('flexprefill', shape, layer, { params: { ...params, ...budget, maxBudget: 12, formulation } });
      expect(maxHeadDiff(out.output, asHeads(shape, 113, capped.output))).toBeLessThan(1e-5);
      expect(maxHeadDiff(out.output, asHeads(shape, 113, uncapped.output))).toBeGreaterThan(1e-4);
    }
    // A cap below the forced counts keeps the forced ones.
    const { chunk } = chunkCase(shape, 0, 60, 2);
    const tiny = flexPrefillChunkAttention(chunk, { alpha: 0.95, minBudget: 1, maxBudget: 1 }, { forcedSlash: 3, forcedVertical: 2, lastQueries: 16, tileSize: 16 });
    expect(tiny.selection.heads.every((h) => h.vertical.length === 2 && h.slash.length === 3)).toBe(true);
  });

  it('refuses bad budgets', async () => {
    const { layer } = chunkCase(shape, 0, 20, 1);
    await expect(runAttentionLayer('flexprefill', shape, layer, { params: { alpha: 0.5, minBudget: 4, maxBudget: 0 } })).rejects.toThrow('flexprefill needs params.maxBudget as an integer >= 1; got 0.');
    await expect(runAttentionLayer('flexprefill', shape, layer, { params: { alpha: 1.5, minBudget: 4 } })).rejects.toThrow('flexprefill needs params.alpha as a number in [0, 1]; got 1.5.');
    await expect(runAttentionLayer('flexprefill', shape, layer, { params: { alpha: 0.5, minBudget: 2.5 } })).rejects.toThrow('flexprefill needs params.minBudget as an integer >= 0; got 2.5.');
    await expect(runAttentionLayer('flexprefill', shape, layer, { params: { alpha: 0.5, minBudget: 4, lastQueries: 0 } })).rejects.toThrow('flexprefill needs params.lastQueries as an integer >= 1; got 0.');
  });
});

describe('flexprefill in the model (tiny qwen3 checkpoint, chunks of 7)', () => {
  const root = mkdtempSync(join(tmpdir(), 'lw-engine-fp-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const run = (dir: string, options: Parameters<typeof Engine.load>[1], attentionInputs?: Record<string, number>): ReturnType<typeof generateWithLogits> => generateWithLogits(dir, root, 3, options ?? {}, attentionInputs);

  it('at C = 1 (budget as graph inputs) equals dense attention; a small budget changes the logits', async () => {
    const dir = writeFixtureCheckpoint('qwen3', root);
    const full = SPARSE_METHODS.flexprefill.budgetFor(1, PROMPT.length);
    const dense = await run(dir, {});
    const sparse = await run(dir, { attention: { method: 'flexprefill' } }, flexPrefill.budgetInputs!({ ...full }));
    expect(sparse.tokens).toEqual(dense.tokens);
    expect(sparse.logits).toHaveLength(dense.logits.length);
    sparse.logits.forEach((row, i) => expect(maxAbsDiff(row, dense.logits[i]!)).toBeLessThan(1e-5));
    const small = await run(dir, { attention: { method: 'flexprefill', params: { tileSize: 4, forcedSlash: 1, forcedVertical: 1, alpha: 0, minBudget: 1 } } });
    expect(maxAbsDiff(small.logits[PROMPT.length - 1]!, dense.logits[PROMPT.length - 1]!)).toBeGreaterThan(1e-4);
  });
});
