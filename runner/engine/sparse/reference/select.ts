// The selection primitives the methods share: top-k with forced elements (ties to the lower index,
// as ONNX TopK orders them), the softmax of the last queries against all keys (the statistics
// Vertical-Slash, FlexPrefill and SnapKV estimate from) and 1-D average pooling.
import { dot, type HeadTensor } from '../tensor.js';

/**
 * The k best indices of `scores`, forced ones first (as if their score were +infinity), ties
 * broken by the lower index; returned in ascending order.
 * @example topIndices(Float64Array.of(0.1, 0.9, 0.5, 0.7), 2, [0]) // Int32Array [0, 1]
 */
export function topIndices(scores: ArrayLike<number>, k: number, forced: (index: number) => boolean = () => false, candidates = scores.length): Int32Array {
  const n = Math.min(candidates, scores.length);
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => {
    const fa = forced(a) ? 1 : 0;
    const fb = forced(b) ? 1 : 0;
    if (fa !== fb) return fb - fa;
    if (fa === 1) return a - b;
    const d = scores[b]! - scores[a]!;
    return d !== 0 && !Number.isNaN(d) ? d : a - b;
  });
  return Int32Array.from(order.slice(0, Math.max(0, Math.min(k, n)))).sort();
}

/**
 * Row-softmax of the last `window` queries of one query head against all keys, causal (query at
 * position i sees keys 0..i), scores q.k / sqrt(d). Returns `[window, L]` row-major and the first
 * query position.
 */
export function lastQueriesSoftmax(query: HeadTensor, head: number, key: HeadTensor, kvHead: number, window: number): { probs: Float64Array; rows: number; first: number } {
  const L = key.length;
  const rows = Math.min(window, query.length);
  const first = query.length - rows;
  const scale = 1 / Math.sqrt(query.headDim);
  const probs = new Float64Array(rows * L);
  for (let r = 0; r < rows; r++) {
    const i = first + r;
    let max = -Infinity;
    for (let j = 0; j <= i; j++) {
      const s = dot(query, head, i, key, kvHead, j) * scale;
      probs[r * L + j] = s;
      if (s > max) max = s;
    }
    let z = 0;
    for (let j = 0; j <= i; j++) z += probs[r * L + j] = Math.exp(probs[r * L + j]! - max);
    for (let j = 0; j <= i; j++) probs[r * L + j] = probs[r * L + j]! / z;
  }
  return { probs, rows, first };
}

/**
 * Column sums (vertical statistic, per key) and diagonal sums (slash statistic, per offset
 * o = query - key) of a `[rows, L]` block of probabilities whose first row is query `first`.
 */
export function verticalSlashSums(probs: Float64Array, rows: number, first: number, length: number): { vertical: Float64Array; slash: Float64Array } {
  const vertical = new Float64Array(length);
  const slash = new Float64Array(length);
  for (let r = 0; r < rows; r++) {
    const i = first + r;
    for (let j = 0; j <= i; j++) {
      const p = probs[r * length + j]!;
      vertical[j] = vertical[j]! + p;
      slash[i - j] = slash[i - j]! + p;
    }
  }
  return { vertical, slash };
}

/**
 * Average pooling with stride 1 and zero padding of kernel/2 on both sides, dividing by the kernel
 * size everywhere (PyTorch avg_pool1d's default count_include_pad), so the output has the input's
 * length for an odd kernel.
 * @example avgPool1d(Float64Array.of(3, 0, 0), 3) // [1, 1, 0]
 */
export function avgPool1d(x: ArrayLike<number>, kernel: number): Float64Array {
  if (!Number.isInteger(kernel) || kernel < 1 || kernel % 2 === 0) throw new RangeError(`kernel is ${kernel}; a positive odd integer is required.`);
  const pad = (kernel - 1) / 2;
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    let s = 0;
    for (let t = i - pad; t <= i + pad; t++) if (t >= 0 && t < x.length) s += x[t]!;
    out[i] = s / kernel;
  }
  return out;
}

/**
 * FlexPrefill's coverage budget: the number of sorted-descending entries whose running sum is
 * <= alpha, plus one, i.e. the smallest k whose cumulative score exceeds alpha; at most n.
 * @example coverBudget(Float64Array.of(0.5, 0.3, 0.2), 0.6) // 2
 */
export function coverBudget(scores: ArrayLike<number>, alpha: number): number {
  const sorted = Array.from(scores).sort((a, b) => b - a);
  let sum = 0;
  let count = 0;
  for (const s of sorted) {
    sum += s;
    if (sum <= alpha) count++;
    else break;
  }
  return Math.min(count + 1, sorted.length);
}
