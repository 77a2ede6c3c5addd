// Means and 95% confidence intervals. Which interval: Wilson's score interval when every score is
// 0 or 1 (a pass rate: it stays inside [0, 1] and behaves at 0% and 100%), Student's t interval
// of the mean otherwise (fractional scores such as IoU or F1), clipped to [0, 1]. Both are
// deterministic: no resampling, so the same results always give the same summary.

/** z for a two-sided 95% interval. */
export const Z95 = 1.959963984540054;

// Student's t 0.975 quantiles for 1..30 degrees of freedom.
const T975 = [
  12.706204736, 4.30265273, 3.182446305, 2.776445105, 2.570581836, 2.446911851, 2.364624252, 2.306004135, 2.262157163, 2.228138852,
  2.20098516, 2.17881283, 2.160368656, 2.144786688, 2.131449546, 2.119905299, 2.109815578, 2.10092204, 2.093024054, 2.085963447,
  2.079613845, 2.073873068, 2.06865761, 2.063898562, 2.059538553, 2.055529439, 2.051830516, 2.048407142, 2.045229642, 2.042272456,
];

/**
 * Student's t 0.975 quantile (two-sided 95%) for `df` degrees of freedom: exact table to 30, the
 * Cornish-Fisher expansion beyond (error below 1e-6 there).
 * @throws RangeError when df < 1.
 * @example tQuantile975(10) // 2.228138852
 */
export function tQuantile975(df: number): number {
  if (!(df >= 1)) throw new RangeError(`Degrees of freedom ${df} should be at least 1.`);
  if (df <= 30 && Number.isInteger(df)) return T975[df - 1] as number;
  const z = Z95;
  const z3 = z ** 3;
  const z5 = z ** 5;
  const z7 = z ** 7;
  const z9 = z ** 9;
  return (
    z +
    (z3 + z) / (4 * df) +
    (5 * z5 + 16 * z3 + 3 * z) / (96 * df ** 2) +
    (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df ** 3) +
    (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / (92160 * df ** 4)
  );
}

/** A 95% interval and how it was computed. */
export interface ConfidenceInterval {
  low: number;
  high: number;
  level: 0.95;
  method: 'wilson' | 't';
}

/**
 * Arithmetic mean; NaN for no values.
 * @example mean([0, 1, 1]) // 0.666...
 */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/**
 * Wilson score interval for `successes` out of `n` trials, 95%.
 * @throws RangeError when n < 1 or successes is outside 0..n.
 * @example wilson(8, 10) // { low: 0.4902, high: 0.9433, level: 0.95, method: 'wilson' } (rounded)
 */
export function wilson(successes: number, n: number): ConfidenceInterval {
  if (n < 1) throw new RangeError(`Wilson interval needs at least one trial, got ${n}.`);
  if (successes < 0 || successes > n) throw new RangeError(`Successes ${successes} should be within 0..${n}.`);
  const p = successes / n;
  const z2 = Z95 * Z95;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (Z95 / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, center - half), high: Math.min(1, center + half), level: 0.95, method: 'wilson' };
}

/**
 * Student's t interval of the mean, 95%, clipped to [0, 1]; null for fewer than two values.
 * @example tInterval([0.5, 0.7, 0.9]) // { low: 0.2032, high: 1, ... } (rounded)
 */
export function tInterval(values: readonly number[]): ConfidenceInterval | null {
  const n = values.length;
  if (n < 2) return null;
  const m = mean(values);
  let ss = 0;
  for (const v of values) ss += (v - m) ** 2;
  const half = tQuantile975(n - 1) * Math.sqrt(ss / (n - 1) / n);
  return { low: Math.max(0, m - half), high: Math.min(1, m + half), level: 0.95, method: 't' };
}

/**
 * The 95% interval of scores in 0..1: Wilson when all are 0 or 1, t otherwise; null for no
 * values (and for a single fractional value).
 * @example confidenceInterval([1, 0, 1, 1]).method // 'wilson'
 */
export function confidenceInterval(scores: readonly number[]): ConfidenceInterval | null {
  if (scores.length === 0) return null;
  let successes = 0;
  for (const s of scores) {
    if (s === 1) successes++;
    else if (s !== 0) return tInterval(scores);
  }
  return wilson(successes, scores.length);
}
