// The Theil-Sen line: the median of the slopes between every pair of points, and the median of the
// intercepts that slope leaves. It equals least squares on points that lie on a line, and unlike
// least squares it is not moved by a few outliers (up to about 29% of the points), such as the first
// generation after a graph loads, which pays for one-time work.
import { median } from './median.js';

/** A fitted line y = intercept + slope * x. */
export interface Line {
  intercept: number;
  slope: number;
}

/**
 * Fits y = a + b x by Theil-Sen (Sen's slope estimator). Pairs with equal x give no slope.
 * @throws RangeError when the points have fewer than 2 distinct x values, or the lists differ in length.
 * @example theilSen([0, 1, 2, 3, 4], [5, 7, 9, 11, 40]) // { slope: 2, intercept: 5 }
 */
export function theilSen(x: readonly number[], y: readonly number[]): Line {
  if (x.length !== y.length) throw new RangeError(`Theil-Sen needs as many y values as x values, got ${y.length} and ${x.length}.`);
  const slopes: number[] = [];
  for (let i = 0; i < x.length; i++) {
    for (let j = i + 1; j < x.length; j++) {
      const dx = (x[j] as number) - (x[i] as number);
      if (dx !== 0) slopes.push(((y[j] as number) - (y[i] as number)) / dx);
    }
  }
  if (slopes.length === 0) throw new RangeError(`Theil-Sen needs at least 2 distinct x values, got ${new Set(x).size}.`);
  const slope = median(slopes);
  return { slope, intercept: median(x.map((xi, i) => (y[i] as number) - slope * xi)) };
}
