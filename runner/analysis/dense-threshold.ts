// The paper's "largest compression ratio statistically indistinguishable from dense": for each
// model, task and sparse method, each compression ratio's scores are paired with dense scores of
// the same samples and tested (paired-test.ts, one-sided, alpha 0.05 by default). The answer is
// the largest ratio such that it and every smaller tested ratio are indistinguishable, so one
// lucky high ratio after a failing lower one does not count. Per length, and pooled over lengths.
import { signFlipTest } from './paired-test.js';
import type { Row } from './rows.js';

/** One ratio's test against dense. */
export interface RatioTest {
  compression: number;
  /** Paired samples. */
  n: number;
  denseMean: number;
  sparseMean: number;
  /** Mean of dense minus sparse. */
  meanDifference: number;
  pValue: number;
  indistinguishable: boolean;
}

/** One (model, task, method, length) comparison. */
export interface DenseComparison {
  model: string;
  task: string;
  method: string;
  /** A length in tokens, or `all` for samples of every length pooled. */
  length: number | 'all';
  tests: RatioTest[];
  /** Largest ratio indistinguishable from dense (with all smaller ones); null when none is. */
  maxCompression: number | null;
}

/** Test settings. */
export interface DenseTestOptions {
  /** Significance level (default 0.05). */
  alpha?: number;
  /** Monte Carlo resamples beyond exact enumeration (default 20000). */
  resamples?: number;
}

const isDenseRow = (r: Row): boolean => r.prefill === 'dense' && r.decode === 'dense';
const usable = (r: Row): boolean => !r.failed && !r.excluded && r.score !== undefined;

/**
 * Compares every sparse method's ratios with dense.
 * @example compareWithDense(rows).find((c) => c.task === 'ruler/niah' && c.length === 'all')?.maxCompression // 10
 */
export function compareWithDense(rows: readonly Row[], options: DenseTestOptions = {}): DenseComparison[] {
  const alpha = options.alpha ?? 0.05;
  const dense = new Map<string, number>();
  const sparse = new Map<string, Row[]>();
  for (const row of rows) {
    if (!usable(row)) continue;
    if (isDenseRow(row)) {
      dense.set(JSON.stringify([row.model, row.task, row.length, row.id]), row.score as number);
    } else {
      const key = JSON.stringify([row.model, row.task, `${row.prefill}/${row.decode}`]);
      let list = sparse.get(key);
      if (!list) sparse.set(key, (list = []));
      list.push(row);
    }
  }
  const out: DenseComparison[] = [];
  for (const [key, list] of sparse) {
    const [model, task, method] = JSON.parse(key) as [string, string, string];
    const lengths = [...new Set(list.map((r) => r.length))].sort((a, b) => a - b);
    for (const length of [...lengths, 'all' as const]) {
      const pool = length === 'all' ? list : list.filter((r) => r.length === length);
      const ratios = [...new Set(pool.map((r) => r.compression))].sort((a, b) => a - b);
      const tests: RatioTest[] = [];
      for (const compression of ratios) {
        const a: number[] = [];
        const b: number[] = [];
        for (const r of pool) {
          if (r.compression !== compression) continue;
          const d = dense.get(JSON.stringify([model, task, r.length, r.id]));
          if (d === undefined) continue;
          a.push(d);
          b.push(r.score as number);
        }
        if (a.length === 0) continue;
        const test = signFlipTest(a, b, { seed: `${key}/${length}/${compression}`, ...(options.resamples ? { resamples: options.resamples } : {}) });
        tests.push({
          compression,
          n: a.length,
          denseMean: a.reduce((s, v) => s + v, 0) / a.length,
          sparseMean: b.reduce((s, v) => s + v, 0) / b.length,
          meanDifference: test.meanDifference,
          pValue: test.pValue,
          indistinguishable: test.pValue >= alpha,
        });
      }
      if (tests.length === 0) continue;
      let maxCompression: number | null = null;
      for (const t of tests) {
        if (!t.indistinguishable) break;
        maxCompression = t.compression;
      }
      out.push({ model, task, method, length, tests, maxCompression });
    }
  }
  return out.sort(
    (x, y) =>
      x.model.localeCompare(y.model) ||
      x.task.localeCompare(y.task) ||
      x.method.localeCompare(y.method) ||
      (x.length === 'all' ? Infinity : x.length) - (y.length === 'all' ? Infinity : y.length),
  );
}
