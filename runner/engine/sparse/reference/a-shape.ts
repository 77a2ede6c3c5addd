// A-shape (MInference's static pattern; not one of the paper's six): every query keeps the first
// `sink` tokens and a local window of the last `window` tokens up to itself. The block form (the
// fused kernel's, attention/a-shape-kernel.ts) keeps whole blocks instead: the sink rounded up to
// whole blocks and the window to whole blocks before the query's own block (aShapeBlockReach), a
// superset of the token form's pairs.
import type { AShapeBudget } from '../budget.js';
import { aShapeBlockReach, aShapeBlockSparsity, aShapeSparsity } from '../sparsity.js';
import type { PrefillInput } from '../tensor.js';
import { maskedCausalAttention } from './dense.js';
import type { PrefillResult } from './result.js';

/**
 * A-shape prefill; the selection is the budget itself (the same for every head).
 * @example aShapeAttention(input, { sink: 4, window: 32 }).sparsity === aShapeSparsity(L, 4, 32)
 */
export function aShapeAttention(input: PrefillInput, budget: AShapeBudget): PrefillResult<AShapeBudget> {
  const { sink, window } = budget;
  if (!(Number.isInteger(sink) && sink >= 0)) throw new RangeError(`sink is ${sink}; a non-negative integer is required.`);
  if (!(Number.isInteger(window) && window >= 1)) throw new RangeError(`window is ${window}; a positive integer is required (the token itself is in its window).`);
  const { output, keptPairs } = maskedCausalAttention(input, (_h, i, j) => j < sink || i - j < window);
  const kept = keptPairs.reduce((a, b) => a + b, 0) / keptPairs.length;
  return { output, selection: { sink, window }, keptPairs: kept, sparsity: 1 - kept / ((input.key.length * (input.key.length + 1)) / 2) };
}

/**
 * A-shape at block granularity: query block r keeps key blocks c < ceil(sink / B) and
 * r - ceil((window - 1) / B) <= c <= r, causal within the diagonal block.
 * @example aShapeBlockAttention(input, { sink: 4, window: 64 }, 64).sparsity === aShapeBlockSparsity(L, 4, 64, 64)
 */
export function aShapeBlockAttention(input: PrefillInput, budget: AShapeBudget, blockSize: number): PrefillResult<AShapeBudget> {
  const { sink, window } = budget;
  if (!(Number.isInteger(sink) && sink >= 0)) throw new RangeError(`sink is ${sink}; a non-negative integer is required.`);
  if (!(Number.isInteger(window) && window >= 1)) throw new RangeError(`window is ${window}; a positive integer is required (the token itself is in its window).`);
  if (!(Number.isInteger(blockSize) && blockSize >= 1)) throw new RangeError(`blockSize is ${blockSize}; a positive integer is required.`);
  const { sinkBlocks, windowBlocks } = aShapeBlockReach(sink, window, blockSize);
  const block = (x: number): number => Math.floor(x / blockSize);
  const { output, keptPairs } = maskedCausalAttention(input, (_h, i, j) => block(j) < sinkBlocks || block(i) - block(j) <= windowBlocks);
  const kept = keptPairs.reduce((a, b) => a + b, 0) / keptPairs.length;
  return { output, selection: { sink, window }, keptPairs: kept, sparsity: 1 - kept / ((input.key.length * (input.key.length + 1)) / 2) };
}

export { aShapeBlockSparsity, aShapeSparsity };
