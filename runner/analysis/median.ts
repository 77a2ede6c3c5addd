// The median: the timing statistic of the speed analyses, which a one-off slow run (a warm-up, a
// garbage collection, a kernel autotuned on first use) must not move.

/**
 * The median of a list (the mean of the two middle values for an even count).
 * @throws RangeError for an empty list.
 * @example median([3, 1, 2, 10]) // 2.5
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('The median of an empty list is undefined.');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
