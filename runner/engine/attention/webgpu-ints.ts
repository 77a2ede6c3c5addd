// Integer tensors in the sparse prefill graphs, and onnxruntime's WebGPU provider. The provider has
// no int64 kernels for elementwise ops, Where, Concat or Cast from int64, and its Slice, Shape and
// GatherElements take float (Slice, GatherElements) or 32-bit (Shape) types only. A node it has no
// kernel for runs on the CPU: its GPU inputs are copied back first, so the host waits for the GPU
// to finish everything before it, and its output is copied up again. On a layer's selection that
// happened several times per layer (H100 profiles in docs/sparse-attention.md, "Keeping the index
// math on the GPU"). So the graphs keep data-derived integers as int32 (arithmetic, comparisons,
// Where, Concat, Gather indices) or float32 (sliced, gathered element-wise; exact below 2^24), and
// read TopK's int64 indices only through Gather, which takes int64 indices on the GPU. Tensors
// built on the host from lengths (sequences, scalars) are made on the GPU by float Ranges instead,
// since a host tensor read by a GPU kernel is copied up during the run, and in the profiles such
// copies waited for the GPU.
import { int, type Attribute } from '../onnx/graph-builder.js';

/** How a caller builds nodes (plain, or memoized across layers) and int64 scalar constants. */
export interface IntOps {
  op(type: string, inputs: readonly string[], attributes?: Record<string, Attribute>): string;
  int64(value: number): string;
}

/**
 * TopK's int64 `indices` (each in [0, length)) as float32 values, on the GPU: a Gather from the
 * float32 sequence 0..length-1 (floatRange: made on the GPU from the host scalar `length`).
 * @example indicesAsFloat({ op: (t, i, a) => g.op(t, i, a), int64: (v) => g.int64([v], []) }, top, total)
 */
export function indicesAsFloat(o: IntOps, indices: string, length: string): string {
  return o.op('Gather', [floatRange(o, o.int64(0), length), indices], { axis: int(0) });
}

/**
 * The float32 sequence start, start + 1, ... below `end` (host int64 scalars) made on the GPU: a
 * float Range, whose bounds the kernel reads on the host (an int64 Range runs on the CPU and its
 * output would be copied up during the run, which waited for the GPU in the H100 profiles).
 */
export function floatRange(o: IntOps, start: string, end: string): string {
  const f = (x: string): string => o.op('Cast', [x], { to: int(1) });
  return o.op('Range', [f(start), f(end), f(o.int64(1))]);
}

/** A host int64 scalar as a one-element float32 tensor on the GPU (floatRange of one step). */
export function scalarOnGpu(o: IntOps, x: string): string {
  return floatRange(o, x, o.op('Add', [x, o.int64(1)]));
}
