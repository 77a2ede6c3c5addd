import { describe, expect, it } from 'vitest';
import {
  aShapeBudget, blockSparseBudget, budgetDensity, compressionFromSparsity, flexPrefillBudget, PAPER_BLOCK_SPARSE_GRID, PAPER_GRID, parseCompressionList,
  questBudget, snapKvBudget, sparsityFromCompression, streamingLlmBudget, verticalSlashBudget,
} from '../../../runner/engine/sparse/budget.js';
import { aShapeSparsity, blockSparseSparsity, questSparsity, sinkWindowPairs, snapKvSparsity, streamingLlmSparsity } from '../../../runner/engine/sparse/sparsity.js';

// The paper's Appendix A, Table 6, in its order (ascending budget = descending compression).
const ratios = [...PAPER_GRID].map((g) => g.compression);
const blockRatios = [...PAPER_BLOCK_SPARSE_GRID].map((g) => g.compression);

describe('compression and sparsity', () => {
  it('converts both ways', () => {
    expect(compressionFromSparsity(0.95)).toBeCloseTo(20, 12);
    expect(compressionFromSparsity(0)).toBe(1);
    expect(sparsityFromCompression(5)).toBeCloseTo(0.8, 12);
    expect(sparsityFromCompression(1)).toBe(0);
    for (const c of [1, 1.5, 2, 7.5, 20]) expect(compressionFromSparsity(sparsityFromCompression(c))).toBeCloseTo(c, 10);
  });

  it('refuses values outside the domain, naming them', () => {
    expect(() => compressionFromSparsity(1)).toThrow(/sparsity is 1; a number in \[0, 1\)/);
    expect(() => sparsityFromCompression(0.5)).toThrow(/compression is 0.5; a compression ratio C >= 1/);
    expect(() => sparsityFromCompression(Number.NaN)).toThrow(/compression is NaN/);
  });

  it('lists the paper grid: C = 20 ... 1.43, sparsity 0.95 ... 0.3', () => {
    expect(PAPER_GRID.map((g) => g.density)).toEqual([0.05, 0.0667, 0.1, 0.1333, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
    expect(PAPER_GRID.map((g) => Math.round(g.compression * 100) / 100)).toEqual([20, 14.99, 10, 7.5, 5, 3.33, 2.5, 2, 1.67, 1.43]);
    expect(PAPER_GRID.map((g) => Math.round(g.sparsity * 1e4) / 1e4)).toEqual([0.95, 0.9333, 0.9, 0.8667, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3]);
    expect(PAPER_BLOCK_SPARSE_GRID.map((g) => Math.round(g.compression * 100) / 100)).toEqual([20, 14.99, 10, 7.5, 5, 3, 2]);
  });

  it('snaps a paper ratio to its rounded density and leaves others exact', () => {
    expect(budgetDensity(15)).toBe(0.0667);
    expect(budgetDensity(7.5)).toBe(0.1333);
    expect(budgetDensity(3)).toBe(0.3333);
    expect(budgetDensity(4)).toBe(0.25);
    expect(budgetDensity(1)).toBe(1);
  });

  it('parses --compression lists and names the bad item', () => {
    expect(parseCompressionList('1.5,2,5,10,20')).toEqual([1.5, 2, 5, 10, 20]);
    expect(parseCompressionList(' 3 ')).toEqual([3]);
    expect(() => parseCompressionList('2,0.5')).toThrow(/compression item 2 \("0.5"\) is not a ratio >= 1/);
    expect(() => parseCompressionList('2,,5')).toThrow(/compression item 2 \(""\)/);
    expect(() => parseCompressionList('x')).toThrow(/item 1 \("x"\)/);
  });
});

describe('budgets reproduce the paper (Table 6)', () => {
  const vs: Record<number, number[]> = {
    16384: [164, 240, 315, 400, 448, 576, 768, 1024, 1536, 2304],
    32768: [290, 384, 448, 576, 704, 1024, 1536, 2304, 3584, 4608],
    65536: [400, 448, 544, 640, 960, 1280, 2304, 4096, 6144, 8192],
    128000: [480, 768, 1024, 1536, 2048, 3584, 5632, 10240, 13312, 18432],
  };
  const snap: Record<number, number[]> = {
    16384: [819, 1092, 1638, 2183, 3276, 4915, 6553, 8192, 9830, 11468],
    32768: [1638, 2185, 3276, 4367, 6553, 9830, 13107, 16384, 19660, 22937],
    65536: [3276, 4371, 6553, 8735, 13107, 19660, 26214, 32768, 39321, 45875],
  };
  const questTokens: Record<number, number[]> = {
    16384: [816, 1088, 1632, 2176, 3280, 4912, 6560, 8192, 9824, 11472],
    32768: [1632, 2192, 3280, 4368, 6560, 9824, 13104, 16384, 19664, 22944],
    65536: [3280, 4368, 6560, 8736, 13104, 19664, 26208, 32768, 39328, 45872],
    128000: [6400, 8544, 12800, 17056, 25600, 38400, 51200, 64000, 76800, 89600],
  };
  const block: Record<number, number[]> = {
    16384: [26, 35, 53, 71, 108, 188, 300],
    32768: [52, 69, 105, 141, 216, 376, 600],
    65536: [104, 139, 210, 283, 432, 752, 1200],
  };
  const flex: Record<number, Array<[number, number]>> = {
    16384: [[0, 164], [0, 240], [0, 315], [0, 400], [0.55, 512], [0.71, 512], [0.88, 512]],
    32768: [[0, 290], [0, 384], [0.45, 512], [0.6, 512], [0.7, 512], [0.8, 512], [0.92, 512]],
    65536: [[0, 400], [0.45, 512], [0.55, 512], [0.7, 512], [0.77, 512], [0.85, 512], [0.94, 512]],
  };

  it.each(Object.entries(vs))('Vertical-Slash verticals = slashes at L = %s', (L, values) => {
    expect(ratios.map((c) => verticalSlashBudget(c, Number(L)))).toEqual(values.map((k) => ({ verticalCount: k, slashCount: k })));
  });
  it.each(Object.entries(snap))('SnapKV / Ada-SnapKV token_capacity at L = %s', (L, values) => {
    expect(ratios.map((c) => snapKvBudget(c, Number(L)).capacity)).toEqual(values);
  });
  it.each(Object.entries(questTokens))('Quest token_budget at L = %s', (L, values) => {
    expect(ratios.map((c) => questBudget(c, Number(L))).map((b) => b.pageBudget * b.pageSize)).toEqual(values);
  });
  it.each(Object.entries(block))('Block-Sparse top_chunks (16-token blocks) at L = %s', (L, values) => {
    expect(blockRatios.map((c) => blockSparseBudget(c, Number(L)).topBlocks)).toEqual(values);
  });
  it.each(Object.entries(flex))('FlexPrefill (alpha, min_budget) at L = %s', (L, values) => {
    expect(blockRatios.map((c) => flexPrefillBudget(c, Number(L)))).toEqual(values.map(([alpha, minBudget]) => ({ alpha, minBudget })));
  });

  it('the Block-Sparse budgets hit their targets within the block granularity', () => {
    for (const g of PAPER_BLOCK_SPARSE_GRID) {
      const { topBlocks } = blockSparseBudget(g.compression, 16384);
      expect(Math.abs(blockSparseSparsity(16384, 16, topBlocks) - g.sparsity)).toBeLessThan(0.002);
    }
  });
});

describe('budgets at any length and ratio', () => {
  const lengths = [100, 1000, 20000, 100000, 200000];
  const cs = [1.2, 1.5, 2, 3, 4, 5, 10, 20, 50];

  it('C = 1 is the full budget for every method', () => {
    for (const L of [37, 1000, 16384]) {
      expect(verticalSlashBudget(1, L)).toEqual({ verticalCount: L, slashCount: L });
      expect(flexPrefillBudget(1, L)).toEqual({ alpha: 1, minBudget: L });
      expect(blockSparseBudget(1, L, 16).topBlocks).toBe(Math.ceil(L / 16));
      expect(aShapeSparsity(L, aShapeBudget(1, L).sink, aShapeBudget(1, L).window)).toBe(0);
      expect(questSparsity(L, 16, questBudget(1, L).pageBudget)).toBe(0);
      expect(snapKvSparsity(L, snapKvBudget(1, L).capacity)).toBe(0);
      const s = streamingLlmBudget(1, L);
      expect(streamingLlmSparsity(L, s.sinks, s.recent)).toBe(0);
    }
  });

  it('budgets never grow as C grows, and stay within [forced, L]', () => {
    for (const L of lengths) {
      let prev = { vs: Infinity, block: Infinity, a: Infinity, quest: Infinity, snap: Infinity, stream: Infinity, flex: Infinity };
      for (const c of cs) {
        const now = {
          vs: verticalSlashBudget(c, L).verticalCount,
          block: blockSparseBudget(c, L).topBlocks,
          a: aShapeBudget(c, L).window,
          quest: questBudget(c, L).pageBudget,
          snap: snapKvBudget(c, L).capacity,
          stream: streamingLlmBudget(c, L).recent,
          flex: flexPrefillBudget(c, L).alpha + flexPrefillBudget(c, L).minBudget / L,
        };
        for (const key of Object.keys(now) as Array<keyof typeof now>) expect(now[key], `${key} at L=${L}, C=${c}`).toBeLessThanOrEqual(prev[key]);
        const vsb = verticalSlashBudget(c, L);
        expect(vsb.verticalCount).toBeGreaterThanOrEqual(Math.min(4, L));
        expect(vsb.slashCount).toBeGreaterThanOrEqual(Math.min(64, L));
        expect(vsb.slashCount).toBeLessThanOrEqual(L);
        expect(snapKvBudget(c, L).capacity).toBeGreaterThanOrEqual(Math.min(L, 133));
        prev = now;
      }
    }
  });

  it('the exact-formula methods land on 1 - 1/C (within their granularity)', () => {
    for (const L of [1000, 20000]) {
      for (const c of [1.5, 2, 5, 10, 20]) {
        const target = 1 - 1 / c;
        const a = aShapeBudget(c, L);
        expect(Math.abs(aShapeSparsity(L, a.sink, a.window) - target)).toBeLessThan(1.5 / L);
        const q = questBudget(c, L);
        expect(Math.abs(questSparsity(L, 16, q.pageBudget) - target)).toBeLessThan(33 / L);
        const s = streamingLlmBudget(c, L);
        expect(Math.abs(streamingLlmSparsity(L, s.sinks, s.recent) - target)).toBeLessThan(1.5 / L);
      }
    }
  });
});

describe('sparsity formulas, hand-computed', () => {
  it('sink + window pairs', () => {
    // L = 4, sink 1, window 1: rows keep {0}, {0,1}, {0,2}, {0,3} = 7 pairs of 10.
    expect(sinkWindowPairs(4, 1, (i) => i)).toBe(7);
    expect(aShapeSparsity(4, 1, 1)).toBeCloseTo(0.3, 12);
    // L = 8, sink 1, window 2: rows 0..7 keep 1, 2, 3, 3, 3, 3, 3, 3 = 21 of 36.
    expect(aShapeSparsity(8, 1, 2)).toBeCloseTo(1 - 21 / 36, 12);
  });
  it('Block-Sparse block triangle', () => {
    // 4 blocks, k = 2: rows keep 1, 2, 2, 2 = 7 of 10 blocks.
    expect(blockSparseSparsity(64, 16, 2)).toBeCloseTo(0.3, 12);
    expect(blockSparseSparsity(60, 16, 2)).toBeCloseTo(0.3, 12);
    expect(blockSparseSparsity(64, 16, 9)).toBe(0);
  });
  it('Quest reads budget pages plus the partial current page', () => {
    // L = 100, 16-token pages: 7 pages, current has 4 tokens; budget 2 pages -> 36 tokens read.
    expect(questSparsity(100, 16, 2)).toBeCloseTo(0.64, 12);
    expect(questSparsity(100, 16, 6)).toBe(0);
    expect(questSparsity(100, 16, 60)).toBe(0);
  });
});
