// Spearman's rank correlation, with ties given their average rank.

function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const out = new Array<number>(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && (order[end + 1] as { v: number }).v === (order[start] as { v: number }).v) end++;
    const rank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) out[(order[k] as { i: number }).i] = rank;
    start = end + 1;
  }
  return out;
}

/**
 * Pearson correlation; NaN when either side is constant or shorter than 2.
 * @example pearson([1, 2, 3], [2, 4, 7]) // 0.993...
 */
export function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  if (n < 2 || y.length !== n) return NaN;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (x[i] as number) - mx;
    const dy = (y[i] as number) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx === 0 || syy === 0 ? NaN : sxy / Math.sqrt(sxx * syy);
}

/**
 * Spearman's rho: Pearson correlation of the ranks (ties averaged).
 * @example spearman([1, 2, 3, 4], [10, 20, 30, 25]) // 0.8
 */
export function spearman(x: readonly number[], y: readonly number[]): number {
  return pearson(ranks(x), ranks(y));
}

/**
 * Coefficient of determination of predictions against observations: 1 - SS_res / SS_tot
 * (NaN when the observations are constant).
 * @example rSquared([1, 2, 3], [1, 2, 3]) // 1
 */
export function rSquared(observed: readonly number[], predicted: readonly number[]): number {
  const n = observed.length;
  if (n === 0) return NaN;
  const m = observed.reduce((s, v) => s + v, 0) / n;
  let res = 0;
  let tot = 0;
  for (let i = 0; i < n; i++) {
    res += ((observed[i] as number) - (predicted[i] as number)) ** 2;
    tot += ((observed[i] as number) - m) ** 2;
  }
  return tot === 0 ? NaN : 1 - res / tot;
}
