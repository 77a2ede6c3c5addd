import { describe, expect, it } from 'vitest';
import { confidenceInterval, mean, tInterval, tQuantile975, wilson } from '../../scorers/stats/confidence.js';
import { summarize, toResultRecord, type ResultRecord } from '../../scorers/summarize.js';
import { SCORER_VERSION } from '../../scorers/version.js';

describe('confidence intervals', () => {
  it('t quantiles match scipy.stats.t.ppf(0.975, df)', () => {
    const scipy: [number, number][] = [[1, 12.706204736], [2, 4.30265273], [10, 2.228138852], [30, 2.042272456], [31, 2.039513446], [50, 2.008559112], [100, 1.983971519]];
    for (const [df, q] of scipy) expect(tQuantile975(df)).toBeCloseTo(q, 6);
    expect(() => tQuantile975(0)).toThrow('Degrees of freedom 0 should be at least 1.');
  });

  it('Wilson interval: 8/10 is [0.4902, 0.9433]; 0/n and n/n stay inside [0, 1]', () => {
    const w = wilson(8, 10);
    expect(w.low).toBeCloseTo(0.490162, 5);
    expect(w.high).toBeCloseTo(0.943318, 5);
    expect(wilson(0, 20).low).toBe(0);
    expect(wilson(0, 20).high).toBeCloseTo(0.161130, 5);
    expect(wilson(20, 20).high).toBe(1);
    expect(() => wilson(3, 0)).toThrow('Wilson interval needs at least one trial, got 0.');
  });

  it('t interval of fractional scores, clipped; Wilson for 0/1 scores', () => {
    const t = tInterval([0.5, 0.7, 0.9]);
    expect(t?.low).toBeCloseTo(0.7 - 4.30265273 * 0.2 / Math.sqrt(3), 8);
    expect(t?.high).toBe(1);
    expect(tInterval([0.5])).toBeNull();
    expect(confidenceInterval([1, 0, 1, 1])?.method).toBe('wilson');
    expect(confidenceInterval([1, 0.5])?.method).toBe('t');
    expect(confidenceInterval([])).toBeNull();
    expect(mean([])).toBeNaN();
  });
});

describe('summarize', () => {
  const rec = (id: string, task: string, length: number, score: number, extra: Partial<ResultRecord> = {}): ResultRecord => ({
    id, task, length, scorer: 'exact', scores: { exact: score }, score, pass: score === 1, reason: '', noAnswer: false, truncated: false, scorerVersion: SCORER_VERSION, ...extra,
  });

  it('groups by task, length, method and compression with rates and missing samples', () => {
    const results = [
      rec('a', 'story/multihop', 4096, 1),
      rec('b', 'story/multihop', 4096, 0, { noAnswer: true, truncated: true }),
      rec('c', 'story/multihop', 4096, 0, { excluded: true, noAnswer: true }),
      rec('d', 'ruler/niah', 8192, 0.5, { scorer: 'numbered', scores: { numbered: 0.5, answered: 1 }, method: 'block-sparse/dense', compression: 5 }),
      rec('e', 'ruler/niah', 8192, 1, { scorer: 'numbered', scores: { numbered: 1, answered: 0.5 }, method: 'block-sparse/dense', compression: 5 }),
    ];
    const s = summarize(results, [
      { id: 'a', task: 'story/multihop', length: 4096 },
      { id: 'z', task: 'story/multihop', length: 4096 },
      { id: 'y', task: 'ruler/niah', length: 8192 },
    ]);
    expect(s.groups.map((g) => [g.task, g.length, g.method, g.compression, g.n, g.excluded])).toEqual([
      ['ruler/niah', 8192, 'block-sparse/dense', 5, 2, 0],
      ['story/multihop', 4096, undefined, undefined, 2, 1],
    ]);
    const [niah, hop] = s.groups;
    expect(niah).toMatchObject({ mean: 0.75, passRate: 0.5, metrics: { answered: 0.75 }, scorer: 'numbered' });
    expect(niah?.ci?.method).toBe('t');
    expect(hop).toMatchObject({ mean: 0.5, passRate: 0.5, noAnswerRate: 2 / 3, truncatedRate: 1 / 3, metrics: {} });
    expect(hop?.ci).toEqual(wilson(1, 2));
    expect(s.missing).toEqual([
      { task: 'ruler/niah', length: 8192, n: 1 },
      { task: 'story/multihop', length: 4096, n: 1 },
    ]);
    expect(s.totals).toEqual({ results: 5, inMeans: 4, excluded: 1, missing: 2 });
  });

  it('builds result records from scores', () => {
    const r = toResultRecord(
      { id: 'a', task: 'ruler/vt', metadata: { scorer: 'set-iou', targetLength: 2048 } },
      { name: 'set-iou', score: 0.5, pass: false, reason: 'r', metrics: { precision: 1 }, truncated: true },
      { model: 'm', attention: { prefill: 'dense', decode: 'quest', compression: 10 } },
    );
    expect(r).toEqual({ id: 'a', task: 'ruler/vt', length: 2048, scorer: 'set-iou', scores: { 'set-iou': 0.5, precision: 1 }, score: 0.5, pass: false, reason: 'r', noAnswer: false, truncated: true, scorerVersion: SCORER_VERSION, method: 'dense/quest', compression: 10, model: 'm' });
  });
});
