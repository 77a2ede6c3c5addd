// The kept-pairs statistic (attention/stats.ts) of the pattern prefill graphs: the causal query-key
// pairs a chunk's rows attended, summed over query heads, against the count of the chunk reference's
// own mask over the same rows. It is what the engine records as Vertical-Slash's and FlexPrefill's
// measured effective sparsity (measuredPlan) and what `engine bench` prints next to the target.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../runner/engine/engine.js';
import { attentionMethod } from '../../runner/engine/attention/registry.js';
import { PROMPT, writeFixtureCheckpoint } from './helpers.js';
import { verticalSlashChunkAttention, verticalSlashMask } from '../../runner/engine/sparse/reference/vertical-slash.js';
import { flexPrefillChunkAttention } from '../../runner/engine/sparse/reference/flexprefill.js';
import { headTensor } from '../../runner/engine/sparse/tensor.js';
import { statOutput, statValue } from '../../runner/engine/attention/stats.js';
import { measuredPlan, planAttention } from '../../runner/engine/backend.js';
import { buildLayerGraph } from '../../runner/engine/attention/layer-graph.js';
import { chunkCase, runAttentionLayer, type LayerShape } from './attention-harness.js';
import type { ChunkInput, VerticalSlashSelection } from '../../runner/engine/sparse/reference/vertical-slash.js';

/** Pairs (h, i, j), i a chunk row (P <= i < T), j <= i, that the reference's selection keeps. */
function referencePairs(shape: LayerShape, chunk: ChunkInput, selection: VerticalSlashSelection, tileSize: number): number {
  const T = chunk.key.length;
  const P = T - chunk.query.length;
  const full = { query: headTensor(shape.numHeads, T, shape.headDim), key: chunk.key, value: chunk.value };
  const mask = verticalSlashMask(selection, full, { tileSize });
  let kept = 0;
  for (let h = 0; h < shape.numHeads; h++) for (let i = P; i < T; i++) for (let j = 0; j <= i; j++) if (mask(h, i, j)) kept++;
  return kept;
}

const keptOf = (extra: Record<string, { data: unknown }>): number | undefined => statValue(extra, 'kept_pairs');

describe('kept pairs of the pattern prefill graphs', () => {
  const cases = [
    { shape: { numHeads: 8, numKvHeads: 2, headDim: 16 }, past: 0, length: 150, tileSize: 64 },
    { shape: { numHeads: 7, numKvHeads: 1, headDim: 16 }, past: 70, length: 130, tileSize: 64 },
    { shape: { numHeads: 2, numKvHeads: 2, headDim: 16 }, past: 37, length: 113, tileSize: 16 },
  ];
  for (const { shape, past, length, tileSize } of cases) {
    for (const [scope, formulation] of [['query-head', 'matmul'], ['kv-head', 'fused'], ['kv-head', 'matmul']] as const) {
      it(`vertical-slash ${shape.numHeads}/${shape.numKvHeads}, P ${past}, S ${length}, tiles ${tileSize}, ${scope} ${formulation}: equal to the reference's mask`, async () => {
        const { layer, chunk } = chunkCase(shape, past, length, 3 + past);
        const budget = { verticalCount: 9, slashCount: tileSize === 64 ? 70 : 12 };
        const params = { forcedSlash: 3, lastQueries: 40, tileSize, scope };
        const out = await runAttentionLayer('vertical-slash', shape, layer, { params: { ...params, ...budget, formulation } });
        const ref = verticalSlashChunkAttention(chunk, budget, params);
        const expected = referencePairs(shape, chunk, ref.selection, tileSize);
        expect(keptOf(out.extra)).toBe(expected);
        // Sparse: fewer than the causal pairs of the chunk's rows.
        expect(expected).toBeLessThan(shape.numHeads * (length * past + (length * (length + 1)) / 2));
      });
    }
  }

  it('flexprefill (ragged per-head counts), both scopes: equal to the reference mask', async () => {
    const shape = { numHeads: 8, numKvHeads: 2, headDim: 16 };
    for (const scope of ['query-head', 'kv-head'] as const) {
      const { layer, chunk } = chunkCase(shape, 37, 113, 21);
      const budget = { alpha: 0.3, minBudget: 3 };
      const params = { forcedSlash: 2, forcedVertical: 2, lastQueries: 48, tileSize: 16, scope };
      const out = await runAttentionLayer('flexprefill', shape, layer, { params: { ...params, ...budget } });
      const ref = flexPrefillChunkAttention(chunk, budget, params);
      expect(keptOf(out.extra)).toBe(referencePairs(shape, chunk, ref.selection, 16));
    }
  });

  it('is summed over chained layers, and methods with a closed-form sparsity report nothing', () => {
    const shape = { numHeads: 4, numKvHeads: 2, headDim: 16 };
    expect(buildLayerGraph('vertical-slash', shape, { precision: 'fp32', maxPositions: 256, layers: 3 }).statOutputs).toEqual([statOutput('kept_pairs'), statOutput('gathered_pairs')]);
    for (const method of ['dense', 'a-shape', 'block-sparse']) expect(buildLayerGraph(method, shape, { precision: 'fp32', maxPositions: 256 }).statOutputs).toEqual([]);
  });
});

describe('measuredPlan', () => {
  const spec = { numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 16, hiddenSize: 64, intermediateSize: 128, vocabSize: 100 };
  it('turns kept pairs into the effective sparsity and the attention FLOPs executed; the target stays', () => {
    const plan = planAttention({ prefill: 'vertical-slash', decode: 'dense', compression: 10 }, spec as never, 1000);
    const causal = (1000 * 1001) / 2;
    const m = measuredPlan(plan, spec, 1000, { keptPairs: 0.25 * 2 * 4 * causal });
    expect(m.sparsity).toBeCloseTo(0.75, 12);
    expect(m.executed['prefillSparsity']).toBeCloseTo(0.75, 12);
    expect(m.executed['prefillSparsityTarget']).toBe(plan.executed['prefillSparsity']);
    // Attention FLOPs scale with the measured density; the rest of the prefill is unchanged.
    const denseAttention = plan.executed['prefillAttentionFlops']! / (1 - plan.sparsity);
    expect(m.executed['prefillAttentionFlops']).toBeCloseTo(0.25 * denseAttention, 0);
    expect(m.executed['prefillFlops']! - m.executed['prefillAttentionFlops']!).toBeCloseTo(plan.executed['prefillFlops']! - plan.executed['prefillAttentionFlops']!, 0);
  });
  it('records the gathered work over the dense causal pairs', () => {
    const plan = planAttention({ prefill: 'vertical-slash', decode: 'dense', compression: 10 }, spec as never, 1000);
    const causal = (1000 * 1001) / 2;
    const m = measuredPlan(plan, spec, 1000, { keptPairs: 0.25 * 2 * 4 * causal, gatheredPairs: 0.5 * 2 * 4 * causal });
    expect(m.executed['prefillGatheredDensity']).toBeCloseTo(0.5, 12);
    expect(measuredPlan(plan, spec, 1000, { keptPairs: 0.25 * 2 * 4 * causal }).executed['prefillGatheredDensity']).toBeUndefined();
  });
  it('leaves a plan without the statistic as planned', () => {
    const plan = planAttention({ prefill: 'a-shape', decode: 'dense', compression: 5 }, spec as never, 1000);
    expect(measuredPlan(plan, spec, 1000, undefined)).toEqual({ sparsity: plan.sparsity, executed: plan.executed });
  });
});

describe('kept pairs through the engine (tiny llama checkpoint, chunks of 7)', () => {
  const root = mkdtempSync(join(tmpdir(), 'lw-engine-kept-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('sums every layer and chunk: all causal pairs at a full budget, fewer at a small one; dense reports nothing', async () => {
    const dir = writeFixtureCheckpoint('llama', root);
    const kept = async (options: Parameters<typeof Engine.load>[1], inputs?: Record<string, number>): Promise<{ kept: number | undefined; layers: number; heads: number }> => {
      const engine = await Engine.load(dir, { device: 'cpu', chunkSize: 7, cacheDir: join(root, 'cache'), maxLength: 128, ...options });
      try {
        const result = await engine.generateIds(PROMPT, 3, { stopTokenIds: [], ...(inputs ? { attentionInputs: inputs } : {}) });
        return { kept: result.attentionStats?.keptPairs, layers: engine.spec.numLayers, heads: engine.spec.numHeads };
      } finally {
        await engine.close();
      }
    };
    const L = PROMPT.length;
    const full = await kept({ attention: { method: 'vertical-slash' } }, attentionMethod('vertical-slash').budgetInputs!({ verticalCount: L, slashCount: L }));
    expect(full.kept).toBe(full.layers * full.heads * (L * (L + 1)) / 2);
    const small = await kept({ attention: { method: 'vertical-slash', params: { tileSize: 4, forcedSlash: 1, forcedVertical: 1, verticalCount: 1, slashCount: 1 } } });
    expect(small.kept).toBeGreaterThan(0);
    expect(small.kept).toBeLessThan(full.kept! / 2);
    expect((await kept({})).kept).toBeUndefined();
  });
});

describe('gathered pairs (executed work) of the pattern prefill graphs', () => {
  const shape = { numHeads: 8, numKvHeads: 2, headDim: 16 };
  // P 37, S 113, T 150, 16-token tiles: query blocks 2..9 (8 blocks). Every offset kept, so the slash
  // tiles cover r in [-15, 149] (165 keys per block) and hold every column: with compactColumns the
  // columns are dropped before the gather, leaving one masked padding slot (M = 166, not 165 + 9).
  const { layer } = chunkCase(shape, 37, 113, 5);
  const dense = 8 * (113 * 37 + (113 * 114) / 2);
  const params = { verticalCount: 9, slashCount: 150, forcedSlash: 3, lastQueries: 40, tileSize: 16, compactColumns: true };
  it('fused, kv-head: passes x blocks x rows x heads x (tiles + one padding column)', async () => {
    const out = await runAttentionLayer('vertical-slash', shape, layer, { params: { ...params, scope: 'kv-head', formulation: 'fused', rowsPerPass: 32, passes: 5 } });
    expect(statValue(out.extra, 'kept_pairs')).toBe(dense);
    // 5 passes x 2 blocks x 16 rows x 4 query heads per KV head x 2 KV heads x 166 keys.
    expect(statValue(out.extra, 'gathered_pairs')).toBe(5 * 2 * 16 * 4 * 2 * 166);
  });
  it('MatMul, query-head, in head passes: heads x blocks x rows x (tiles + one padding column)', async () => {
    for (const headsPerPass of [8, 3]) {
      const out = await runAttentionLayer('vertical-slash', shape, layer, { params: { ...params, scope: 'query-head', formulation: 'matmul', headsPerPass } });
      expect(statValue(out.extra, 'kept_pairs')).toBe(dense);
      expect(statValue(out.extra, 'gathered_pairs')).toBe(8 * 8 * 16 * 166);
    }
  });
  it('sparse: the columns outside the tiles are gathered, and the work is at least the kept pairs', async () => {
    const out = await runAttentionLayer('vertical-slash', shape, layer, { params: { ...params, slashCount: 4, scope: 'kv-head', formulation: 'fused', rowsPerPass: 32, passes: 5 } });
    const kept = statValue(out.extra, 'kept_pairs')!;
    const gathered = statValue(out.extra, 'gathered_pairs')!;
    expect(kept).toBeLessThan(dense);
    expect(gathered).toBeGreaterThanOrEqual(kept);
    // 4 offsets give at most 4 x 16 + 15 tile keys, plus at most the 9 columns.
    expect(gathered).toBeLessThanOrEqual(5 * 2 * 16 * 4 * 2 * (4 * 16 + 15 + 9));
    expect(gathered % (5 * 2 * 16 * 4 * 2)).toBe(0);
  });
});

describe('column compaction (params.compactColumns)', () => {
  const shape = { numHeads: 8, numKvHeads: 2, headDim: 16 };
  const { layer } = chunkCase(shape, 37, 113, 5);
  const params = { verticalCount: 9, slashCount: 150, forcedSlash: 3, lastQueries: 40, tileSize: 16, scope: 'kv-head', formulation: 'fused', rowsPerPass: 32, passes: 5 };
  it('off (the default): every kept column is gathered; the output is the same to rounding', async () => {
    const on = await runAttentionLayer('vertical-slash', shape, layer, { params: { ...params, compactColumns: true } });
    const off = await runAttentionLayer('vertical-slash', shape, layer, { params });
    // Tiles cover r in [-15, 149] (165 keys) plus the 9 columns, all masked.
    expect(statValue(off.extra, 'gathered_pairs')).toBe(5 * 2 * 16 * 4 * 2 * (165 + 9));
    expect(statValue(off.extra, 'kept_pairs')).toBe(statValue(on.extra, 'kept_pairs'));
    let diff = 0;
    for (let i = 0; i < on.output.data.length; i++) diff = Math.max(diff, Math.abs(on.output.data[i]! - off.output.data[i]!));
    expect(diff).toBeLessThan(1e-6);
    await expect(runAttentionLayer('vertical-slash', shape, layer, { params: { ...params, compactColumns: 1 } })).rejects.toThrow('vertical-slash needs params.compactColumns as a boolean; got 1.');
  });
});
