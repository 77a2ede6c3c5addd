// Effective sparsity as the paper defines it. Prefill: the fraction of causal attention (the
// L(L+1)/2 query-key pairs with key <= query) a method does not compute. Decode: the fraction of
// the KV cache a step does not read. These closed forms are what a run reports for a budget; the
// references measure the same quantities from their selections, and the tests check both agree.

/** Query-key pairs of causal attention over L tokens. */
export const causalPairs = (length: number): number => (length * (length + 1)) / 2;

/** 1 - kept / causal pairs, for a prefill that computed `keptPairs` causal pairs. */
export const prefillSparsity = (keptPairs: number, length: number): number => 1 - keptPairs / causalPairs(length);

/** 1 - read / cached, for a decode step that read `readTokens` of `cachedTokens` cache entries. */
export const decodeSparsity = (readTokens: number, cachedTokens: number): number => 1 - readTokens / cachedTokens;

/**
 * Causal pairs kept when every query row i keeps the columns j < sink plus the keys from
 * `windowStart(i)` to i. A-shape, StreamingLLM-style prefill and the nominal Vertical-Slash pattern
 * (first columns, nearest diagonals) are all this shape.
 * @example sinkWindowPairs(4, 1, (i) => i) // rows keep {0, i}: 1 + 2 + 2 + 2 = 7
 */
export function sinkWindowPairs(length: number, sink: number, windowStart: (row: number) => number): number {
  let kept = 0;
  for (let i = 0; i < length; i++) {
    const a = Math.min(sink, i + 1);
    const start = Math.max(0, windowStart(i));
    const b = start <= i ? i - start + 1 : 0;
    const overlap = start <= i ? Math.max(0, a - start) : 0;
    kept += a + b - overlap;
  }
  return kept;
}

/**
 * A-shape: every row keeps the first `sink` tokens and the last `window` tokens up to itself.
 * @example aShapeSparsity(8, 1, 2) // 1 - 15 / 36
 */
export function aShapeSparsity(length: number, sink: number, window: number): number {
  return prefillSparsity(sinkWindowPairs(length, sink, (i) => (window > 0 ? i - window + 1 : i + 1)), length);
}

/**
 * A-shape at block granularity (attention/a-shape-kernel.ts): the sink rounded up to whole blocks,
 * the window to whole blocks before the query's own block, so it keeps every pair the token form
 * keeps (aShapeBlockReach).
 * @example aShapeBlockSparsity(256, 4, 64, 64) // query block r keeps blocks 0, r - 1 and r
 */
export function aShapeBlockSparsity(length: number, sink: number, window: number, blockSize: number): number {
  const { sinkBlocks, windowBlocks } = aShapeBlockReach(sink, window, blockSize);
  return prefillSparsity(sinkWindowPairs(length, sinkBlocks * blockSize, (i) => (Math.floor(i / blockSize) - windowBlocks) * blockSize), length);
}

/**
 * The blocks A-shape's block form keeps for a token budget: the first ceil(sink / B) blocks, and
 * the ceil((window - 1) / B) blocks before each query block's own (the query at the block's first
 * row reaches window - 1 tokens back).
 * @example aShapeBlockReach(64, 1000, 64) // { sinkBlocks: 1, windowBlocks: 16 }
 */
export function aShapeBlockReach(sink: number, window: number, blockSize: number): { sinkBlocks: number; windowBlocks: number } {
  return { sinkBlocks: Math.ceil(sink / blockSize), windowBlocks: Math.ceil((window - 1) / blockSize) };
}

/**
 * Block-Sparse, as the paper's code counts it: blocks over the causal block triangle. The first
 * `topBlocks` query blocks keep every causal block (1, 2, ..., k); the rest keep k each.
 * @example blockSparseSparsity(16384, 16, 26) // 0.9499 (C = 20 in the paper's Table 6)
 */
export function blockSparseSparsity(length: number, blockSize: number, topBlocks: number): number {
  const nb = Math.ceil(length / blockSize);
  const k = Math.min(topBlocks, nb);
  const selected = (k * (k + 1)) / 2 + (nb - k) * k;
  return 1 - selected / ((nb * (nb + 1)) / 2);
}

/** Tokens a Quest step reads: `pageBudget` full pages chosen by score plus the current page. */
export function questReadTokens(length: number, pageSize: number, pageBudget: number): number {
  const pages = Math.ceil(length / pageSize);
  const current = length - (pages - 1) * pageSize;
  const previous = pages - 1;
  return Math.min(previous, pageBudget) * pageSize + current;
}

/**
 * Quest decode sparsity: the fraction of the cache a step does not read. The paper's code records
 * 1 - tokenBudget / L, leaving out the partial current page (at most pageSize / L lower).
 * @example questSparsity(100, 16, 2) // 1 - (32 + 4) / 100
 */
export const questSparsity = (length: number, pageSize: number, pageBudget: number): number =>
  decodeSparsity(questReadTokens(length, pageSize, pageBudget), length);

/** SnapKV and Ada-SnapKV: `capacity` tokens kept per KV head on average, of L. */
export const snapKvSparsity = (length: number, capacity: number): number => decodeSparsity(Math.min(capacity, length), length);

/** StreamingLLM: `sinks` first tokens plus the `recent` last ones. */
export const streamingLlmSparsity = (length: number, sinks: number, recent: number): number =>
  decodeSparsity(Math.min(length, sinks + recent), length);
