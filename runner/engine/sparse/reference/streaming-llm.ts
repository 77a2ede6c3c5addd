// StreamingLLM (not one of the paper's six): each decode step reads the first `sinks` tokens and
// the `recent` most recent ones (the current token included).
import type { StreamingLlmBudget } from '../budget.js';
import { decodeSparsity } from '../sparsity.js';
import type { DecodeInput } from '../tensor.js';
import { maskedDecodeAttention } from './dense.js';
import type { DecodeResult } from './result.js';

/**
 * One StreamingLLM decode step.
 * @example streamingLlmAttention(input, { sinks: 4, recent: 60 }).readTokens // 64 when L >= 64
 */
export function streamingLlmAttention(input: DecodeInput, budget: StreamingLlmBudget): DecodeResult<StreamingLlmBudget> {
  const { sinks, recent } = budget;
  if (!(Number.isInteger(sinks) && sinks >= 0)) throw new RangeError(`sinks is ${sinks}; a non-negative integer is required.`);
  if (!(Number.isInteger(recent) && recent >= 1)) throw new RangeError(`recent is ${recent}; a positive integer is required (the current token is recent).`);
  const L = input.key.length;
  const { output, readTokens } = maskedDecodeAttention(input, (_g, j) => j < sinks || j >= L - recent);
  const read = readTokens.reduce((a, b) => a + b, 0) / readTokens.length;
  return { output, selection: { sinks, recent }, readTokens: read, sparsity: decodeSparsity(read, L) };
}
