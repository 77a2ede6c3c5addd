// The paired test behind "statistically indistinguishable from dense": a one-sided sign-flip
// permutation test on per-sample score differences (dense minus sparse) over the same samples.
// Under the null the sign of each difference is a fair coin; the p-value is the share of sign
// assignments whose mean difference is at least the observed one. Exact enumeration up to 16
// non-zero differences, a seeded Monte Carlo estimate (with the +1 correction) beyond.
import { Random } from '../../generators/core/random.js';

/** Outcome of the test. */
export interface PairedTest {
  /** Pairs compared. */
  n: number;
  /** Mean of dense minus sparse. */
  meanDifference: number;
  /** One-sided p-value for "sparse is worse than dense". */
  pValue: number;
  method: 'exact' | 'monte-carlo';
}

const EXACT_LIMIT = 16;

/**
 * One-sided paired sign-flip permutation test of "a is higher than b".
 * @param a scores of the reference (dense), b of the alternative (sparse), pairwise aligned.
 * @example signFlipTest([1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0]).pValue // 0.015625 (= 1/64)
 */
export function signFlipTest(a: readonly number[], b: readonly number[], options: { resamples?: number; seed?: string } = {}): PairedTest {
  if (a.length !== b.length) throw new Error(`Paired test needs equal lengths, got ${a.length} and ${b.length}.`);
  const n = a.length;
  const diffs = a.map((x, i) => x - (b[i] as number));
  const observed = diffs.reduce((s, d) => s + d, 0);
  const meanDifference = n ? observed / n : 0;
  const nonZero = diffs.filter((d) => d !== 0).map(Math.abs);
  // Compare sums with a tolerance so float noise does not decide ties.
  const tol = 1e-9 * Math.max(1, nonZero.reduce((s, d) => s + d, 0));
  if (nonZero.length === 0) return { n, meanDifference, pValue: 1, method: 'exact' };
  if (nonZero.length <= EXACT_LIMIT) {
    const m = nonZero.length;
    let atLeast = 0;
    for (let mask = 0; mask < 1 << m; mask++) {
      let sum = 0;
      for (let i = 0; i < m; i++) sum += mask & (1 << i) ? (nonZero[i] as number) : -(nonZero[i] as number);
      if (sum >= observed - tol) atLeast++;
    }
    return { n, meanDifference, pValue: atLeast / 2 ** m, method: 'exact' };
  }
  const resamples = options.resamples ?? 20_000;
  const rng = new Random(options.seed ?? 'sign-flip');
  let atLeast = 0;
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (const d of nonZero) sum += rng.next() < 0.5 ? d : -d;
    if (sum >= observed - tol) atLeast++;
  }
  return { n, meanDifference, pValue: (atLeast + 1) / (resamples + 1), method: 'monte-carlo' };
}
