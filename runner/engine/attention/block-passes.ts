// Unrolled passes over query blocks, shared by the Block-Sparse and pattern (Vertical-Slash,
// FlexPrefill) prefill graphs: a graph has a static number of passes of a fixed number of blocks,
// while a chunk's block count is only known at run time.
import { int, type Attribute } from '../onnx/graph-builder.js';

/** How a caller builds nodes (plain, or memoized across layers) and int64 scalar constants. */
export interface PassOps {
  op(type: string, inputs: readonly string[], attributes?: Record<string, Attribute>): string;
  int64(value: number): string;
}

/**
 * Runs `passes` passes of `per` consecutive blocks over `n` blocks (int64 scalars, n >= per) and
 * joins their results into the n blocks along `axis`. Pass i covers [start, start + per) with
 * start = min(i * per, n - per): the last passes shift back inside the blocks, so a short chunk
 * recomputes a few blocks instead of making empty tensors. `run(start, end)` (int64 scalars) returns
 * the pass's result with its `per` blocks on `axis`. Blocks past passes * per have no pass: the
 * joining Gather then fails at run time rather than returning wrong rows.
 * @example blockPasses({ op: (t, i, a) => g.op(t, i, a), int64: (v) => g.int64([v], []) }, nQ, g.int64([8], []), 9, 1, (s, e) => attend(s, e))
 */
export function blockPasses(o: PassOps, n: string, per: string, passes: number, axis: number, run: (start: string, end: string) => string): string {
  const lastStart = o.op('Sub', [n, per]);
  const outputs: string[] = [];
  for (let i = 0; i < passes; i++) {
    const start = passes === 1 ? o.int64(0) : o.op('Min', [o.op('Mul', [o.int64(i), per]), lastStart]);
    outputs.push(run(start, o.op('Add', [start, per])));
  }
  if (passes === 1) return outputs[0]!;
  // Block j comes from pass floor(j / per), at offset j - that pass's start.
  const j = o.op('Range', [o.int64(0), n, o.int64(1)]);
  const owner = o.op('Div', [j, per]);
  const ownerStart = o.op('Min', [o.op('Mul', [owner, per]), lastStart]);
  const rowOf = o.op('Add', [o.op('Mul', [owner, per]), o.op('Sub', [j, ownerStart])]);
  return o.op('Gather', [o.op('Concat', outputs, { axis: int(axis) }), rowOf], { axis: int(axis) });
}
