// Unrolled passes over query blocks, shared by the Block-Sparse and pattern (Vertical-Slash,
// FlexPrefill) prefill graphs: a graph has a static number of passes of a fixed number of blocks,
// while a chunk's block count is only known at run time.
//
// Barriers (`sync`): ONNX Runtime's WebGPU provider enqueues kernels without waiting for the GPU,
// and the memory of a released buffer returns only once the GPU has run the kernels that used it
// (Dawn frees it when their submission completes). The host therefore runs ahead of the GPU through
// every pass of a layer, and all the passes' gathered keys, values and masks are alive at once:
// for a near-dense pattern at 128K, nine passes of several GB each. With a barrier, each pass's
// start also adds a zero that the host reads from the previous pass's result (a ReduceMax, a
// comparison that is always false, a Cast: a copy to the host of one value), so the host waits for
// the GPU to finish a pass before it enqueues the next, and at most about two passes are alive.
import { int } from '../onnx/graph-builder.js';
import { floatRange, scalarOnGpu, type IntOps } from './webgpu-ints.js';

/** How a caller builds nodes (plain, or memoized across layers) and int64 and float32 scalar constants. */
export interface PassOps extends IntOps {
  float32(value: number): string;
}

/**
 * An int64 scalar zero that depends on every element of `output`: adding it to the next pass's
 * start makes the host wait for the GPU to finish `output` before enqueuing that pass (the header's
 * barrier). NaN compares false too, so the value is 0 whatever `output` holds.
 */
export function passBarrier(o: PassOps, output: string): string {
  const m = o.op('ReduceMax', [output], { keepdims: int(0) });
  return o.op('Cast', [o.op('Less', [m, m])], { to: int(7) });
}

/**
 * Runs `passes` passes of `per` consecutive blocks over `n` blocks (int64 scalars, n >= per) and
 * joins their results into the n blocks along `axis`. Pass i covers [start, start + per) with
 * start = min(i * per, n - per): the last passes shift back inside the blocks, so a short chunk
 * recomputes a few blocks instead of making empty tensors. `run(start, end)` (int64 scalars) returns
 * the pass's result with its `per` blocks on `axis`. Blocks past passes * per have no pass: the
 * joining Gather then fails at run time rather than returning wrong rows. With `sync`, a barrier
 * (passBarrier) separates consecutive passes.
 * @example blockPasses({ op: (t, i, a) => g.op(t, i, a), int64: (v) => g.int64([v], []) }, nQ, g.int64([8], []), 9, 1, (s, e) => attend(s, e))
 */
export function blockPasses(o: PassOps, n: string, per: string, passes: number, axis: number, run: (start: string, end: string) => string, sync = false): string {
  const lastStart = o.op('Sub', [n, per]);
  const outputs: string[] = [];
  let wait: string | undefined;
  for (let i = 0; i < passes; i++) {
    let start = passes === 1 ? o.int64(0) : o.op('Min', [o.op('Mul', [o.int64(i), per]), lastStart]);
    if (wait) start = o.op('Add', [start, wait]);
    const output = run(start, o.op('Add', [start, per]));
    outputs.push(output);
    if (sync && i + 1 < passes) wait = passBarrier(o, output);
  }
  if (passes === 1) return outputs[0]!;
  // Block j comes from pass floor(j / per), at offset j - that pass's start; computed in float32 on
  // the GPU (an index vector built on the host would be copied up after the passes: webgpu-ints.ts).
  const j = floatRange(o, o.int64(0), n);
  const perF = scalarOnGpu(o, per);
  // + 0.5 keeps the quotient off integers, so a GPU division within a few ULP floors the same way.
  const owner = o.op('Floor', [o.op('Div', [o.op('Add', [j, o.float32(0.5)]), perF])]);
  const ownerStart = o.op('Min', [o.op('Mul', [owner, perF]), scalarOnGpu(o, lastStart)]);
  const rowOf = o.op('Cast', [o.op('Add', [o.op('Mul', [owner, perF]), o.op('Sub', [j, ownerStart])])], { to: int(6) });
  return o.op('Gather', [o.op('Concat', outputs, { axis: int(axis) }), rowOf], { axis: int(axis) });
}
