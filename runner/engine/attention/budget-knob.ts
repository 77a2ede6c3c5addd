// A budget knob of a sparse attention plug-in: a constant when the method's params bake it in, else
// the int64 scalar graph input that the backend feeds per request (budgetInputs), so one graph
// serves every prompt length and compression ratio. The one-run graph's decode methods
// (loop-decode.ts) use it too, with their prepare context's budget input.
import type { AttentionContext } from './types.js';

/**
 * `params[name]` as an int64 scalar constant, or the shared graph input `input` when params leave it out.
 * @throws Error naming the method, the param and the rule when the param is not an integer >= min.
 * @example budgetKnob(ctx, 'sink', 'attention.prefill.sink', 'a-shape', 0)
 */
export function budgetKnob(ctx: Pick<AttentionContext, 'graph' | 'params' | 'sharedInput'>, name: string, input: string, method: string, min: number): string {
  const value = ctx.params[name];
  if (value === undefined) return ctx.sharedInput(input, 'int64', []);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new Error(`${method} needs params.${name} as an integer >= ${min}; got ${JSON.stringify(value)}.`);
  }
  return ctx.graph.int64([value], []);
}
