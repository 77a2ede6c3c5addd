import { describe, expect, it } from 'vitest';
import { summarizeCells } from '../../runner/analysis/cells.js';
import { compareWithDense } from '../../runner/analysis/dense-threshold.js';
import { signFlipTest } from '../../runner/analysis/paired-test.js';
import type { Row } from '../../runner/analysis/rows.js';

function row(over: Partial<Row> & Pick<Row, 'id'>): Row {
  return { model: 'm', task: 't', length: 1024, prefill: 'dense', decode: 'dense', compression: 1, score: 1, pass: true, noAnswer: false, truncated: false, excluded: false, failed: false, ...over };
}

describe('paired sign-flip test', () => {
  it('gives exact p-values for small samples', () => {
    expect(signFlipTest([1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0])).toEqual({ n: 6, meanDifference: 1, pValue: 1 / 64, method: 'exact' });
    // Differences +1, +1, -1 over 3 non-zero: sums >= 1 are +1+1-1, +1-1+1, -1+1+1 and +1+1+1: 4 of 8.
    expect(signFlipTest([1, 1, 0, 1], [0, 0, 1, 1]).pValue).toBe(0.5);
    expect(signFlipTest([1, 1], [1, 1])).toEqual({ n: 2, meanDifference: 0, pValue: 1, method: 'exact' });
    expect(signFlipTest([0, 0, 0], [1, 1, 1]).pValue).toBe(1);
    expect(() => signFlipTest([1], [1, 2])).toThrow(/equal lengths/);
  });

  it('estimates by seeded Monte Carlo beyond 16 differences, reproducibly', () => {
    const a = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? 0 : 1));
    const b = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 0 : 1));
    const first = signFlipTest(a, b, { seed: 's' });
    expect(first.method).toBe('monte-carlo');
    expect(signFlipTest(a, b, { seed: 's' })).toEqual(first);
    expect(first.pValue).toBeGreaterThan(0);
    expect(first.pValue).toBeLessThan(1);
  });
});

describe('largest compression ratio indistinguishable from dense', () => {
  it('stops at the first ratio that is significantly worse', () => {
    const rows: Row[] = [];
    for (let i = 0; i < 10; i++) {
      const id = `s${i}`;
      rows.push(row({ id }));
      rows.push(row({ id, decode: 'quest', compression: 2 })); // identical
      rows.push(row({ id, decode: 'quest', compression: 5, score: i < 8 ? 1 : 0 })); // 2 worse: p = 1/4
      rows.push(row({ id, decode: 'quest', compression: 10, score: 0 })); // all worse: p = 1/1024
      rows.push(row({ id, decode: 'quest', compression: 20, score: i < 9 ? 1 : 0 })); // p = 1/2, but after a failure
    }
    const [perLength, pooled] = compareWithDense(rows);
    expect(perLength?.length).toBe(1024);
    expect(pooled?.length).toBe('all');
    expect(perLength?.tests.map((t) => [t.compression, t.n, t.pValue, t.indistinguishable])).toEqual([
      [2, 10, 1, true],
      [5, 10, 0.25, true],
      [10, 10, 1 / 1024, false],
      [20, 10, 0.5, true],
    ]);
    expect(perLength?.maxCompression).toBe(5);
    expect(pooled?.maxCompression).toBe(5);
  });

  it('pairs only samples present in both, ignores failed rows, and gives null when none passes', () => {
    const rows: Row[] = [];
    for (let i = 0; i < 8; i++) {
      rows.push(row({ id: `s${i}` }));
      rows.push(row({ id: `s${i}`, prefill: 'a-shape', compression: 4, score: 0 }));
    }
    rows.push(row({ id: 'extra', prefill: 'a-shape', compression: 4, score: 0 }));
    rows.push(row({ id: 'failed', prefill: 'a-shape', compression: 4, failed: true }));
    const comparison = compareWithDense(rows).find((c) => c.length === 1024);
    expect(comparison?.tests[0]?.n).toBe(8);
    expect(comparison?.tests[0]?.pValue).toBe(1 / 256);
    expect(comparison?.maxCompression).toBeNull();
  });
});

describe('cell summaries', () => {
  it('counts failures apart, and reports rates, tokens and the prompt token difference', () => {
    const rows: Row[] = [
      row({ id: 'a', score: 1, latencyMs: 100, promptTokens: 1030, inputTokens: 1024, completionTokens: 10 }),
      row({ id: 'b', score: 0, pass: false, noAnswer: true, latencyMs: 300, promptTokens: 1026, inputTokens: 1024, completionTokens: 32, truncated: true }),
      row({ id: 'c', failed: true, error: 'HTTP 500', inputTokens: 1024 }),
    ];
    delete rows[2]!.score;
    const [cell] = summarizeCells(rows);
    expect(cell).toMatchObject({
      n: 2,
      failures: 1,
      mean: 0.5,
      passRate: 0.5,
      noAnswerRate: 0.5,
      truncationRate: 0.5,
      meanLatencyMs: 200,
      meanPromptTokens: 1028,
      meanCompletionTokens: 21,
      meanInputTokens: 1024,
      promptTokenDelta: 4,
    });
    expect(cell?.ci?.method).toBe('wilson');
  });
});
