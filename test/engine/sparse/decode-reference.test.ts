import { describe, expect, it } from 'vitest';
import { PAPER_GRID } from '../../../runner/engine/sparse/budget.js';
import { SPARSE_METHODS } from '../../../runner/engine/sparse/registry.js';
import { denseDecodeAttention, maskedDecodeAttention } from '../../../runner/engine/sparse/reference/dense.js';
import { pageBounds, questAttention, questPageScores, questSelect, updatePageBounds } from '../../../runner/engine/sparse/reference/quest.js';
import { avgPool1d } from '../../../runner/engine/sparse/reference/select.js';
import { adaSnapKvSelect, snapKvDecode, snapKvImportance, snapKvSelect, SNAPKV_DEFAULTS } from '../../../runner/engine/sparse/reference/snapkv.js';
import { streamingLlmAttention } from '../../../runner/engine/sparse/reference/streaming-llm.js';
import { headTensor } from '../../../runner/engine/sparse/tensor.js';
import { maxAbsDiff, randomDecode, randomPrefill, SHAPES, stepAfter } from './helpers.js';

const SMALL = { window: 16, kernel: 5, recent: 8, prefix: 2 };
const DECODE = ['quest', 'snapkv', 'ada-snapkv', 'streaming-llm'] as const;

describe.each(SHAPES)('decode methods, $name', ({ heads, kvHeads }) => {
  it.each([37, 100])('equal dense decode attention at C = 1 (L = %i)', (L) => {
    const prefill = randomPrefill(`d1/${heads}/${L}`, heads, kvHeads, L);
    const step = stepAfter(prefill, `d1/${heads}/${L}/step`);
    const dense = denseDecodeAttention(step);
    for (const id of DECODE) {
      const m = SPARSE_METHODS[id];
      const budget = m.budgetFor(1, step.key.length, SMALL as never);
      const result = m.reference({ step, prefill }, budget as never, SMALL as never);
      expect(maxAbsDiff(result.output, dense), id).toBeLessThan(1e-6);
      expect(result.sparsity, id).toBeCloseTo(0, 12);
    }
  });

  it('keep their forced tokens and read less as C grows', () => {
    const L = 120;
    const prefill = randomPrefill(`shrink/${heads}`, heads, kvHeads, L);
    const step = stepAfter(prefill, `shrink/${heads}/step`);
    let prev: Record<string, number> = {};
    for (const c of [1.5, 2, 5, 10, 20]) {
      const now: Record<string, number> = {};
      for (const id of DECODE) {
        const m = SPARSE_METHODS[id];
        const result = m.reference({ step, prefill }, m.budgetFor(c, id === 'quest' || id === 'streaming-llm' ? L + 1 : L, SMALL as never) as never, SMALL as never);
        now[id] = result.readTokens;
        if (prev[id] !== undefined) expect(result.readTokens, `${id} at C = ${c}`).toBeLessThanOrEqual(prev[id]!);
      }
      const snap = snapKvSelect(prefill, SPARSE_METHODS.snapkv.budgetFor(c, L, SMALL), SMALL);
      const ada = adaSnapKvSelect(prefill, SPARSE_METHODS['ada-snapkv'].budgetFor(c, L, SMALL), SMALL);
      for (const kept of [...snap.kept, ...ada.kept]) {
        for (let j = 0; j < SMALL.prefix; j++) expect(kept).toContain(j);
        for (let j = L - SMALL.recent; j < L; j++) expect(kept).toContain(j);
      }
      const q = questSelect(step, SPARSE_METHODS.quest.budgetFor(c, L + 1));
      for (const pages of q.heads) expect(pages[pages.length - 1]).toBe(Math.ceil((L + 1) / 16) - 1);
      prev = now;
    }
  });
});

describe('decode sparsity equals the paper formula on its grid', () => {
  const L = 160;
  const prefill = randomPrefill('grid', 4, 1, L);
  const step = stepAfter(prefill, 'grid/step');
  it.each(PAPER_GRID.map((g) => g.compression))('C = %f', (c) => {
    const quest = SPARSE_METHODS.quest;
    const qb = quest.budgetFor(c, L + 1);
    expect(quest.reference({ step }, qb).sparsity).toBeCloseTo(quest.expectedSparsity(qb, L + 1, c), 12);
    const stream = SPARSE_METHODS['streaming-llm'];
    const sb = stream.budgetFor(c, L + 1);
    expect(stream.reference({ step }, sb).sparsity).toBeCloseTo(stream.expectedSparsity(sb, L + 1, c), 12);
    for (const id of ['snapkv', 'ada-snapkv'] as const) {
      const m = SPARSE_METHODS[id];
      const b = m.budgetFor(c, L, SMALL);
      const result = m.reference({ prefill, step }, b, SMALL);
      // Eviction leaves `capacity` prefill tokens per KV head (on average for Ada-SnapKV): the
      // paper's 1 - capacity / L over the prompt; the step also reads the one token after it.
      expect(result.selection.kept.reduce((n, k) => n + k.length, 0) / result.selection.kept.length).toBe(b.capacity);
      expect(1 - (result.readTokens - 1) / L).toBeCloseTo(m.expectedSparsity(b, L, c), 12);
    }
  });
});

describe('Quest, hand-computed', () => {
  // One KV head, two query heads, d = 2, pages of 2: page 0 = keys (1,-1), (3,2); page 1 = (-2,0),
  // (0,4); page 2 (current) = (0,0). Queries q0 = (1,1), q1 = (-1,2).
  const key = headTensor(1, 5, 2, Float64Array.of(1, -1, 3, 2, -2, 0, 0, 4, 0, 0));
  const value = headTensor(1, 5, 2, Float64Array.of(1, 0, 2, 0, 3, 0, 4, 0, 5, 0));
  const query = headTensor(2, 1, 2, Float64Array.of(1, 1, -1, 2));
  const step = { query, key, value };

  it('keeps per-page min and max keys, incrementally as in a batch', () => {
    const b = pageBounds(key, 2);
    expect(b.pages).toBe(3);
    expect(Array.from(b.min)).toEqual([1, -1, -2, 0, 0, 0]);
    expect(Array.from(b.max)).toEqual([3, 2, 0, 4, 0, 0]);
    const inc = pageBounds(key, 2, 3);
    updatePageBounds(inc, key, 0, 3);
    updatePageBounds(inc, key, 0, 4);
    expect(inc.pages).toBe(3);
    expect(Array.from(inc.min)).toEqual(Array.from(b.min));
    expect(Array.from(inc.max)).toEqual(Array.from(b.max));
  });

  it('scores pages by sum_d max(q_d min_d, q_d max_d), summed over the KV group', () => {
    // q0: page 0 = max(1,3) + max(-1,2) = 5, page 1 = max(-2,0) + max(0,4) = 4;
    // q1: page 0 = max(-1,-3) + max(-2,4) = 3, page 1 = max(2,0) + max(0,8) = 10.
    const b = pageBounds(key, 2);
    expect(questPageScores(query, b, 'query-head').map((s) => Array.from(s))).toEqual([[5, 4, 0], [3, 10, 0]]);
    expect(questPageScores(query, b, 'kv-head').map((s) => Array.from(s))).toEqual([[8, 14, 0]]);
  });

  it('reads the top page plus the current page and attends over their tokens', () => {
    const shared = questAttention(step, { pageSize: 2, pageBudget: 1 });
    expect(shared.selection.heads.map((p) => Array.from(p))).toEqual([[1, 2]]);
    expect(shared.readTokens).toBe(3);
    expect(shared.sparsity).toBeCloseTo(0.4, 12);
    const expected = maskedDecodeAttention(step, (_g, j) => j >= 2).output;
    expect(maxAbsDiff(shared.output, expected)).toBe(0);
    // By hand for q0 over keys 2..4: scores (q.k)/sqrt(2) = -2, 4, 0 over values 3, 4, 5.
    const w = [-2, 4, 0].map((s) => Math.exp(s / Math.SQRT2));
    const z = w.reduce((a, b) => a + b, 0);
    expect(shared.output[0]).toBeCloseTo((3 * w[0]! + 4 * w[1]! + 5 * w[2]!) / z, 12);

    const own = questAttention(step, { pageSize: 2, pageBudget: 1 }, { scope: 'query-head' });
    expect(own.selection.heads.map((p) => Array.from(p))).toEqual([[0, 2], [1, 2]]);
    // The KV head reads the union of its query heads' pages: everything.
    expect(own.readTokens).toBe(5);
  });
});

describe('SnapKV and Ada-SnapKV, hand-computed', () => {
  it('average-pools with zero padding, dividing by the kernel', () => {
    expect(Array.from(avgPool1d(Float64Array.of(3, 0, 0), 3))).toEqual([1, 1, 0]);
    expect(Array.from(avgPool1d(Float64Array.of(0, 0, 5, 0, 0), 5))).toEqual([1, 1, 1, 1, 1]);
    expect(() => avgPool1d(Float64Array.of(1), 4)).toThrow(/kernel is 4; a positive odd integer/);
  });

  it('SnapKV keeps capacity tokens per KV head; Ada-SnapKV shares capacity x heads with a 20% floor', () => {
    const L = 200;
    const prefill = randomPrefill('ada', 8, 2, L);
    const snap = snapKvSelect(prefill, { capacity: 60 }, SMALL);
    expect(snap.kept.map((k) => k.length)).toEqual([60, 60]);
    // The kept tokens are the forced ones plus the best-pooled others.
    const imp = snapKvImportance(prefill, 'mean-sum', { ...SNAPKV_DEFAULTS, ...SMALL })[0]!;
    const free = Array.from({ length: L }, (_, j) => j).filter((j) => j >= SMALL.prefix && j < L - SMALL.recent);
    const best = free.sort((a, b) => imp[b]! - imp[a]! || a - b).slice(0, 60 - SMALL.prefix - SMALL.recent);
    for (const j of best) expect(snap.kept[0]).toContain(j);

    const ada = adaSnapKvSelect(prefill, { capacity: 60 }, { ...SMALL, floorRatio: 0.2 });
    expect(ada.kept[0]!.length + ada.kept[1]!.length).toBe(120);
    // Floor: max(floor(60 x 0.2), prefix + recent) = 12 per head.
    for (const k of ada.kept) expect(k.length).toBeGreaterThanOrEqual(12);
  });

  it('a decode step after eviction reads the kept tokens and everything after the prompt', () => {
    const prefill = randomPrefill('evict', 2, 1, 50);
    const step = stepAfter(prefill, 'evict/step');
    const sel = { kept: [Int32Array.of(0, 1, 40, 49)] };
    const result = snapKvDecode(step, sel, 50);
    expect(result.readTokens).toBe(5);
    expect(maxAbsDiff(result.output, maskedDecodeAttention(step, (_g, j) => [0, 1, 40, 49, 50].includes(j)).output)).toBe(0);
    expect(() => SPARSE_METHODS.snapkv.reference({ step }, { capacity: 10 })).toThrow(/snapkv selects from the prefill/);
  });
});

describe('StreamingLLM, hand-computed', () => {
  it('reads the sinks and the recent window', () => {
    const step = randomDecode('stream', 4, 2, 30);
    const result = streamingLlmAttention(step, { sinks: 4, recent: 6 });
    expect(result.readTokens).toBe(10);
    expect(result.sparsity).toBeCloseTo(2 / 3, 12);
    const expected = maskedDecodeAttention(step, (_g, j) => j < 4 || j >= 24).output;
    expect(maxAbsDiff(result.output, expected)).toBe(0);
    expect(() => streamingLlmAttention(step, { sinks: 4, recent: 0 })).toThrow(/recent is 0/);
  });
});
