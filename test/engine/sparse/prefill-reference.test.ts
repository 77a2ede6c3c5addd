import { describe, expect, it } from 'vitest';
import { PAPER_BLOCK_SPARSE_GRID, PAPER_GRID } from '../../../runner/engine/sparse/budget.js';
import { SPARSE_METHODS } from '../../../runner/engine/sparse/registry.js';
import { blockScores, blockSparseAttention, blockSparseSelect, meanPool } from '../../../runner/engine/sparse/reference/block-sparse.js';
import { denseCausalAttention, maskedCausalAttention } from '../../../runner/engine/sparse/reference/dense.js';
import { flexPrefillSelect } from '../../../runner/engine/sparse/reference/flexprefill.js';
import { coverBudget, topIndices, verticalSlashSums } from '../../../runner/engine/sparse/reference/select.js';
import { rowBlockKeys, verticalSlashAttention, verticalSlashSelect, type VerticalSlashSelection } from '../../../runner/engine/sparse/reference/vertical-slash.js';
import { prefillSparsity } from '../../../runner/engine/sparse/sparsity.js';
import { headTensor } from '../../../runner/engine/sparse/tensor.js';
import { maxAbsDiff, randomPrefill, SHAPES } from './helpers.js';

const PREFILL = ['vertical-slash', 'block-sparse', 'flexprefill', 'a-shape'] as const;
const LENGTHS = [37, 100];

describe('dense reference', () => {
  it('matches a hand-computed two-token case', () => {
    // One head, d = 1: row 0 attends to itself; row 1 softmax over q1*k/1 = [1*1, 1*2].
    const t = (v: number[]) => headTensor(1, 2, 1, Float64Array.from(v));
    const out = denseCausalAttention({ query: t([0, 1]), key: t([1, 2]), value: t([10, 20]) });
    const p = Math.exp(1) / (Math.exp(1) + Math.exp(2));
    expect(out[0]).toBe(10);
    expect(out[1]).toBeCloseTo(p * 10 + (1 - p) * 20, 12);
  });

  it('maps query head h to KV head floor(h / group)', () => {
    const input = randomPrefill('gqa', 4, 2, 9);
    const out = denseCausalAttention(input);
    // Head 3 alone, with KV head 1, gives the same rows.
    const one = (t: typeof input.query, h: number) => headTensor(1, t.length, t.headDim, t.data.slice(h * t.length * t.headDim, (h + 1) * t.length * t.headDim));
    const alone = denseCausalAttention({ query: one(input.query, 3), key: one(input.key, 1), value: one(input.value, 1) });
    expect(maxAbsDiff(out.subarray(3 * 9 * 8), alone)).toBe(0);
  });

  it('refuses mismatched shapes and empty rows', () => {
    const input = randomPrefill('bad', 3, 2, 5);
    expect(() => denseCausalAttention(input)).toThrow(/query has 3 heads, not a multiple of the 2 KV heads/);
    const ok = randomPrefill('ok', 2, 1, 5);
    expect(() => maskedCausalAttention(ok, (_h, i) => i < 3)).toThrow(/Query head 0, row 3 has no key/);
  });
});

describe.each(SHAPES)('prefill methods, $name', ({ heads, kvHeads }) => {
  it.each(LENGTHS)('equal dense attention at C = 1 (L = %i)', (L) => {
    const input = randomPrefill(`c1/${heads}/${L}`, heads, kvHeads, L);
    const dense = denseCausalAttention(input);
    for (const id of PREFILL) {
      const m = SPARSE_METHODS[id];
      const result = m.reference(input, m.budgetFor(1, L) as never);
      expect(maxAbsDiff(result.output, dense), id).toBeLessThan(1e-6);
      expect(result.sparsity, id).toBeCloseTo(0, 12);
    }
  });

  it.each(LENGTHS)('keep their forced elements and shrink as C grows (L = %i)', (L) => {
    const input = randomPrefill(`shrink/${heads}/${L}`, heads, kvHeads, L);
    const cs = [1.5, 2, 5, 10, 20];
    let prev: Record<string, { count: number; sparsity: number }> = {};
    for (const c of cs) {
      const vs = verticalSlashAttention(input, SPARSE_METHODS['vertical-slash'].budgetFor(c, L));
      for (const h of vs.selection.heads) {
        for (let j = 0; j < Math.min(4, L); j++) expect(h.vertical).toContain(j);
        for (let o = 0; o < Math.min(64, L); o++) expect(h.slash).toContain(o);
      }
      const flex = SPARSE_METHODS.flexprefill.reference(input, SPARSE_METHODS.flexprefill.budgetFor(c, L));
      for (const h of flex.selection.heads) {
        for (let j = 0; j < Math.min(4, h.vertical.length); j++) expect(h.vertical).toContain(j);
        for (let o = 0; o < Math.min(64, h.slash.length); o++) expect(h.slash).toContain(o);
      }
      const block = blockSparseAttention(input, SPARSE_METHODS['block-sparse'].budgetFor(c, L));
      for (const perBlock of block.selection.heads) {
        perBlock.forEach((keys, a) => {
          expect(keys).toContain(a);
          expect(keys).toContain(0);
          if (a > 0) expect(keys).toContain(a - 1);
        });
      }
      const ashape = SPARSE_METHODS['a-shape'].reference(input, SPARSE_METHODS['a-shape'].budgetFor(c, L));
      const count = (sel: VerticalSlashSelection) => sel.heads.reduce((n, h) => n + h.vertical.length + h.slash.length, 0);
      const now = {
        vs: { count: count(vs.selection), sparsity: vs.sparsity },
        flex: { count: count(flex.selection), sparsity: flex.sparsity },
        block: { count: block.selection.heads.flat().reduce((n, k) => n + k.length, 0), sparsity: block.sparsity },
        ashape: { count: ashape.selection.window, sparsity: ashape.sparsity },
      };
      for (const [id, v] of Object.entries(now)) {
        const p = prev[id];
        if (!p) continue;
        expect(v.count, `${id} at C = ${c}`).toBeLessThanOrEqual(p.count);
        expect(v.sparsity, `${id} at C = ${c}`).toBeGreaterThanOrEqual(p.sparsity - 1e-12);
      }
      prev = now;
    }
  });

  it('Block-Sparse with 64-token blocks: dense at C = 1, forced blocks kept at C = 5 (L = 150)', () => {
    const L = 150;
    const input = randomPrefill(`b64/${heads}`, heads, kvHeads, L);
    const m = SPARSE_METHODS['block-sparse'];
    const full = m.reference(input, m.budgetFor(1, L, { blockSize: 64 }));
    expect(full.selection.heads[0]!.map((b) => Array.from(b))).toEqual([[0], [0, 1], [0, 1, 2]]);
    expect(maxAbsDiff(full.output, denseCausalAttention(input))).toBeLessThan(1e-6);
    const sparse = m.reference(input, { blockSize: 64, topBlocks: 3 });
    expect(sparse.sparsity).toBe(0);
  });

  it('share one selection per KV head when asked (scope kv-head)', () => {
    const L = 100;
    const input = randomPrefill(`scope/${heads}`, heads, kvHeads, L);
    const vs = verticalSlashSelect(input, { verticalCount: 8, slashCount: 70 }, { scope: 'kv-head' });
    expect(vs.heads).toHaveLength(kvHeads);
    const block = blockSparseSelect(input, { blockSize: 16, topBlocks: 4 }, { scope: 'kv-head' });
    expect(block.heads).toHaveLength(kvHeads);
    const out = verticalSlashAttention(input, { verticalCount: L, slashCount: L }, { scope: 'kv-head' }).output;
    expect(maxAbsDiff(out, denseCausalAttention(input))).toBeLessThan(1e-6);
  });
});

describe('effective sparsity equals the paper formula on its grid', () => {
  const L = 150;
  const input = randomPrefill('grid', 4, 1, L);
  it.each([...PAPER_GRID.map((g) => g.compression), ...PAPER_BLOCK_SPARSE_GRID.map((g) => g.compression)])('C = %f', (c) => {
    for (const id of ['block-sparse', 'a-shape'] as const) {
      const m = SPARSE_METHODS[id];
      const budget = m.budgetFor(c, L);
      expect(m.reference(input, budget as never).sparsity, id).toBeCloseTo(m.expectedSparsity(budget as never, L, c), 12);
    }
    // Vertical-Slash and FlexPrefill: the measured sparsity is 1 - kept pairs / causal pairs, with
    // the kept keys of each row the row block's tiles and columns (counted independently here).
    for (const id of ['vertical-slash', 'flexprefill'] as const) {
      const m = SPARSE_METHODS[id];
      const result = m.reference(input, m.budgetFor(c, L) as never);
      let kept = 0;
      for (const head of result.selection.heads) {
        for (let b = 0; b < Math.ceil(L / 64); b++) {
          const keys = rowBlockKeys(head, b, L, 64, 'tile');
          for (let i = b * 64; i < Math.min(L, (b + 1) * 64); i++) kept += keys.filter((j) => j <= i).length;
        }
      }
      expect(result.sparsity, id).toBeCloseTo(prefillSparsity(kept / result.selection.heads.length, L), 12);
    }
  });
});

describe('selection rules, hand-computed', () => {
  it('top-k forces first, breaks ties by the lower index and returns ascending indices', () => {
    expect(Array.from(topIndices(Float64Array.of(0.1, 0.9, 0.5, 0.7), 2))).toEqual([1, 3]);
    expect(Array.from(topIndices(Float64Array.of(0.1, 0.9, 0.5, 0.7), 2, (i) => i === 0))).toEqual([0, 1]);
    expect(Array.from(topIndices(Float64Array.of(1, 1, 1), 2))).toEqual([0, 1]);
    expect(Array.from(topIndices(Float64Array.of(1, 2), 5))).toEqual([0, 1]);
  });

  it('vertical and slash statistics sum columns and diagonals of the last queries', () => {
    // L = 6, the last two queries (positions 4 and 5).
    const probs = Float64Array.from([0.5, 0.1, 0.1, 0.1, 0.2, 0, 0.4, 0, 0, 0.1, 0.2, 0.3]);
    const { vertical, slash } = verticalSlashSums(probs, 2, 4, 6);
    expect(Array.from(vertical).map((x) => +x.toFixed(12))).toEqual([0.9, 0.1, 0.1, 0.2, 0.4, 0.3]);
    expect(Array.from(slash).map((x) => +x.toFixed(12))).toEqual([0.5, 0.3, 0.2, 0.1, 0.5, 0.4]);
  });

  it('a slash is a tile band per query block; diagonal mode keeps only the diagonal', () => {
    const head = { vertical: Int32Array.of(0), slash: Int32Array.of(0, 5) };
    // Rows 4..7 (block 1 of 4): slash 0 -> keys 4..7, slash 5 -> keys -1..2, column 0.
    expect(Array.from(rowBlockKeys(head, 1, 10, 4, 'tile'))).toEqual([0, 1, 2, 4, 5, 6, 7]);
    // Rows 8..9 (partial block 2): the tile of slash 5 is keys 3..6; the diagonal only 3..4.
    expect(Array.from(rowBlockKeys(head, 2, 10, 4, 'tile'))).toEqual([0, 3, 4, 5, 6, 8, 9]);
    expect(Array.from(rowBlockKeys(head, 2, 10, 4, 'diagonal'))).toEqual([0, 3, 4, 8, 9]);
  });

  it('Block-Sparse pools real tokens and adds the best unforced block', () => {
    // One head, d = 1, L = 5, blocks of 2: [1, 3] [5, 7] [9] -> means 2, 6, 9.
    const t = headTensor(1, 5, 1, Float64Array.of(1, 3, 5, 7, 9));
    expect(Array.from(meanPool(t, 0, 2))).toEqual([2, 6, 9]);
    const input = randomPrefill('block-hand', 1, 1, 37);
    const sel = blockSparseSelect(input, { blockSize: 8, topBlocks: 4 });
    const scores = blockScores(input, 0, 8);
    // Block 4 keeps 0, 3, 4 (forced) plus the better of blocks 1 and 2.
    const extra = scores[4 * 5 + 1]! >= scores[4 * 5 + 2]! ? 1 : 2;
    expect(Array.from(sel.heads[0]![4]!)).toEqual([0, extra, 3, 4].sort());
    expect(Array.from(sel.heads[0]![2]!)).toEqual([0, 1, 2]);
  });

  it('FlexPrefill keeps the smallest k covering alpha, floored at min_budget', () => {
    expect(coverBudget(Float64Array.of(0.5, 0.3, 0.2), 0.6)).toBe(2);
    expect(coverBudget(Float64Array.of(0.5, 0.3, 0.2), 0.5)).toBe(2);
    expect(coverBudget(Float64Array.of(0.5, 0.3, 0.2), 0.4)).toBe(1);
    expect(coverBudget(Float64Array.of(0.5, 0.3, 0.2), 1)).toBe(3);
    const input = randomPrefill('flex-hand', 2, 1, 90);
    const floorOnly = flexPrefillSelect(input, { alpha: 0, minBudget: 70 }, { lastQueries: 16 });
    for (const h of floorOnly.heads) {
      expect(h.vertical).toHaveLength(70);
      expect(h.slash).toHaveLength(70);
    }
    const covered = flexPrefillSelect(input, { alpha: 0.9, minBudget: 1 }, { lastQueries: 16 });
    for (const h of covered.heads) expect(h.vertical.length).toBeGreaterThan(1);
  });
});
