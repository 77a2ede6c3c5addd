// Ordinary least squares for small design matrices (tens of columns): normal equations solved by
// Gaussian elimination with partial pivoting. Enough for the scaling-law fit; no dependency.

/**
 * Solves min ||X b - y||^2. Columns must be linearly independent (callers drop constant ones).
 * @throws Error when the system is singular (a column is a combination of others).
 * @example leastSquares([[1, 0], [1, 1], [1, 2]], [1, 3, 5]) // [1, 2]
 */
export function leastSquares(rows: readonly (readonly number[])[], y: readonly number[]): number[] {
  const p = rows[0]?.length ?? 0;
  if (rows.length < p) throw new Error(`Least squares needs at least ${p} rows for ${p} unknowns, got ${rows.length}.`);
  // A = X'X, c = X'y, as an augmented matrix [A | c].
  const a: number[][] = Array.from({ length: p }, () => new Array<number>(p + 1).fill(0));
  rows.forEach((row, r) => {
    for (let i = 0; i < p; i++) {
      const ai = a[i] as number[];
      const xi = row[i] as number;
      for (let j = 0; j < p; j++) ai[j] = (ai[j] as number) + xi * (row[j] as number);
      ai[p] = (ai[p] as number) + xi * (y[r] as number);
    }
  });
  const scale = Math.max(1e-300, ...a.map((row, i) => Math.abs(row[i] as number)));
  for (let col = 0; col < p; col++) {
    let pivot = col;
    for (let r = col + 1; r < p; r++) if (Math.abs((a[r] as number[])[col] as number) > Math.abs((a[pivot] as number[])[col] as number)) pivot = r;
    if (Math.abs((a[pivot] as number[])[col] as number) <= 1e-12 * scale) throw new Error(`Least squares: column ${col} is linearly dependent on the others.`);
    [a[col], a[pivot]] = [a[pivot] as number[], a[col] as number[]];
    const pr = a[col] as number[];
    for (let r = 0; r < p; r++) {
      if (r === col) continue;
      const row = a[r] as number[];
      const f = (row[col] as number) / (pr[col] as number);
      if (f === 0) continue;
      for (let j = col; j <= p; j++) row[j] = (row[j] as number) - f * (pr[j] as number);
    }
  }
  return a.map((row, i) => (row[p] as number) / (row[i] as number));
}
