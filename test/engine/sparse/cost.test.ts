import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../runner/engine/checkpoint/config.js';
import { shapeConfig } from '../../../runner/engine/checkpoint/shapes.js';
import { prefillFlops } from '../../../runner/engine/cost.js';
import {
  attentionShare, bestCaseSpeedup, blockSparseSelectionFlops, decodeTraffic, densePrefillParts, flexPrefillSelectionFlops, prefillCost, questSelectionValues,
  snapKvSelectionFlops, verticalSlashSelectionFlops, type CostShape,
} from '../../../runner/engine/sparse/cost.js';
import { paperModelSpec } from '../../../runner/engine/sparse/paper-models.js';
import { SPARSE_METHODS } from '../../../runner/engine/sparse/registry.js';

// d = 8, d_mlp = 16, N = 2, h = 2, n_kv = 1, d_h = 4, |V| = 10.
const tiny: CostShape = { hiddenSize: 8, intermediateSize: 16, numLayers: 2, numHeads: 2, numKvHeads: 1, headDim: 4, vocabSize: 10 };

describe('prefill FLOPs, hand-computed', () => {
  it('splits the design formula into linear and attention parts', () => {
    // L = 4: 2Ld = 64; per layer 2Ld(2d + 2 d_h n_kv) = 1536, 4hL^2 d_h + 3hL^2 = 608,
    // 6 L d d_mlp + 2 L d_mlp = 3200; logits 2 L d |V| = 640.
    expect(densePrefillParts(tiny, 4)).toEqual({ linear: 64 + 2 * 1536 + 2 * 3200 + 640, attention: 2 * 608 });
    expect(prefillCost(tiny, 4, 0.25, 100)).toEqual({ linear: 10176, attention: 304, selection: 100, total: 10580, density: 0.25 });
    expect(prefillCost(tiny, 4, 1, 0, 3).total).toBe(3 * 11392);
  });

  it('counts selection FLOPs per method', () => {
    // Vertical-Slash, q = 2, k_v = k_s = 1: per head 2*4*4*2 + 5*4*2 + 2*4*log2(4) + (4/64)*2 = 120.125, x N h = 4.
    expect(verticalSlashSelectionFlops(tiny, 4, { lastQueries: 2, verticalCount: 1, slashCount: 1 })).toBe(480.5);
    // FlexPrefill adds 2 L log2 L + 4 L = 32 per head.
    expect(flexPrefillSelectionFlops(tiny, 4, { lastQueries: 2, verticalCount: 1, slashCount: 1 })).toBe(4 * (120.125 + 32));
    // Block-Sparse, blocks of 2 (n_b = 2), k = 1: 2*4*4 + 2*4*4 + 4*log2(2) + 2*1 = 70 per head.
    expect(blockSparseSelectionFlops(tiny, 4, { blockSize: 2, topBlocks: 1 })).toBe(280);
    // SnapKV, w = 2, kernel 3: h (2*4*4*2 + 5*4*2) + n_kv (3*4 + 4*2) = 2*104 + 20 = 228 per layer.
    expect(snapKvSelectionFlops(tiny, 4, { window: 2, kernel: 3 })).toBe(456);
    // Ada-SnapKV adds n_kv L log2(n_kv L) = 8 per layer.
    expect(snapKvSelectionFlops(tiny, 4, { window: 2, kernel: 3 }, true)).toBe(472);
  });

  it('registry costs at C = 1 are the dense FLOPs plus selection', () => {
    const spec = paperModelSpec('qwen2.5-7b');
    const L = 16384;
    const dense = prefillFlops(spec, L);
    const vs = SPARSE_METHODS['vertical-slash'];
    const cost = vs.cost(spec, L, vs.budgetFor(1, L), 1);
    expect(cost.linear + cost.attention).toBeCloseTo(dense, -3);
    expect(cost.selection).toBe(verticalSlashSelectionFlops(spec, L, { lastQueries: 64, verticalCount: L, slashCount: L }));
    const a = SPARSE_METHODS['a-shape'];
    expect(a.cost(spec, L, a.budgetFor(1, L), 1).total).toBeCloseTo(dense, -3);
    // At C = 10 the attention term is a tenth; the linear part is unchanged.
    const c10 = vs.cost(spec, L, vs.budgetFor(10, L), 10);
    expect(c10.attention / cost.attention).toBeCloseTo(0.1, 12);
    expect(c10.linear).toBe(cost.linear);
  });
});

describe("attention's share of prefill (design: about 40% / 68% / 80% at 16K / 64K / 128K)", () => {
  const shares = (spec: CostShape) => [16384, 65536, 131072].map((L) => Math.round(attentionShare(spec, L) * 1000) / 1000);

  it('for the paper models and Llama-3.1-8B', () => {
    expect(shares(paperModelSpec('qwen2.5-7b'))).toEqual([0.319, 0.652, 0.789]);
    expect(shares(paperModelSpec('qwen2.5-14b'))).toEqual([0.367, 0.698, 0.822]);
    expect(shares(paperModelSpec('qwen2.5-32b'))).toEqual([0.252, 0.575, 0.73]);
    expect(shares(paperModelSpec('qwen2.5-72b'))).toEqual([0.232, 0.547, 0.707]);
    expect(shares(parseConfig(shapeConfig('llama3.1-8b')))).toEqual([0.365, 0.697, 0.822]);
  });

  it('Qwen2.5-14B reproduces the quoted shares within 3.5 points', () => {
    const got = shares(paperModelSpec('qwen2.5-14b'));
    [0.4, 0.68, 0.8].forEach((quoted, i) => expect(Math.abs(got[i]! - quoted)).toBeLessThan(0.035));
  });

  it('5x sparsity then gives at best about 1.5x / 2.2x / 2.8x', () => {
    expect(bestCaseSpeedup(0.4, 5)).toBeCloseTo(1.47, 2);
    expect(bestCaseSpeedup(0.68, 5)).toBeCloseTo(2.19, 2);
    expect(bestCaseSpeedup(0.8, 5)).toBeCloseTo(2.78, 2);
    expect(bestCaseSpeedup(0.5, 1)).toBe(1);
  });
});

describe('decode memory traffic', () => {
  it('matches the design formula on a tiny model', () => {
    // N (4d^2 + 3 d d_mlp) + d|V| + d = 2 (256 + 384) + 80 + 8; KV: N 2 L d_h n_kv = 64 at L = 4.
    expect(decodeTraffic(tiny, 4, 1)).toEqual({ weights: 1368, kvCache: 64, selection: 0, total: 1432, density: 1 });
    expect(decodeTraffic(tiny, 4, 0.5, 0, 2).kvCache).toBe(64);
    // Quest bounds: N n_kv 2 d_h ceil(L / 16) = 2 * 1 * 2 * 4 * 1.
    expect(questSelectionValues(tiny, 4, 16)).toBe(16);
    expect(questSelectionValues(tiny, 33, 16)).toBe(48);
  });

  it("reproduces the paper's batch-1 decode bound of 1.06-1.41x (Qwen2.5-7B, Quest, C = 20, 16K to 128K)", () => {
    const spec = paperModelSpec('qwen2.5-7b');
    const quest = SPARSE_METHODS.quest;
    const speedup = (L: number) => decodeTraffic(spec, L, 1).total / quest.cost(spec, L, quest.budgetFor(20, L), 20).total;
    expect(speedup(16384)).toBeCloseTo(1.05, 2);
    expect(speedup(131072)).toBeCloseTo(1.41, 2);
  });
});
