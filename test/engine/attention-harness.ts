// One attention layer as its own ONNX graph (runner/engine/attention/layer-graph.ts), for checking an attention plug-in against the float64
// references of runner/engine/sparse on random inputs of any shape (GQA groups, lengths that are
// not multiples of a block, a past cache; head dims a multiple of 16, as GroupQueryAttention needs). RoPE tables are the identity (cos 1, sin 0), so the
// queries and keys fed here are the references' "RoPE already applied" tensors. CPU provider, fp32.
import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { runLayerGraph, type LayerShape } from '../../runner/engine/attention/layer-graph.js';
import { headTensor, type DecodeInput, type HeadTensor } from '../../runner/engine/sparse/tensor.js';
import { SPARSE_METHODS } from '../../runner/engine/sparse/registry.js';
import type { ReferenceModel } from '../../runner/engine/reference/forward.js';
import { denseCausalAttention } from '../../runner/engine/sparse/reference/dense.js';
import type { ChunkInput } from '../../runner/engine/sparse/reference/vertical-slash.js';

export type { LayerShape };

/** A layer's inputs: the new tokens' q/k/v and an optional cache of `past` earlier positions. */
export interface LayerCase {
  /** `[numHeads, S, d]` for the S new tokens. */
  query: HeadTensor;
  /** `[numKvHeads, S, d]`. */
  key: HeadTensor;
  value: HeadTensor;
  /** `[numKvHeads, P, d]` cache (positions 0..P-1); absent for P = 0. */
  pastKey?: HeadTensor;
  pastValue?: HeadTensor;
}

/** What running the layer gave. */
export interface LayerOutput {
  /** `[numHeads, S, d]`. */
  output: HeadTensor;
  /** The cache after the step, `[numKvHeads, T, d]` (T may be smaller than P + S for eviction methods). */
  presentKey: HeadTensor;
  presentValue: HeadTensor;
  /** Every other graph output (state, selections), by name, as returned. */
  extra: Record<string, ort.Tensor>;
}

/** Deterministic values in [-scale, scale) (a 32-bit LCG), for random layer inputs. */
export function randomHeads(heads: number, length: number, headDim: number, seed: number, scale = 1): HeadTensor {
  let s = (seed * 2654435761) >>> 0 || 1;
  const data = new Float64Array(heads * length * headDim);
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    // fp32-representable so the graph and the reference see identical inputs.
    data[i] = Math.fround(((s / 2 ** 32) * 2 - 1) * scale);
  }
  return headTensor(heads, length, headDim, data);
}

/** A random case: S new tokens over a P-token cache. */
export function randomCase(shape: LayerShape, past: number, length: number, seed: number, scale = 1): LayerCase {
  const { numHeads: h, numKvHeads: kv, headDim: d } = shape;
  return {
    query: randomHeads(h, length, d, seed, scale),
    key: randomHeads(kv, length, d, seed + 1, scale),
    value: randomHeads(kv, length, d, seed + 2),
    ...(past > 0 ? { pastKey: randomHeads(kv, past, d, seed + 3, scale), pastValue: randomHeads(kv, past, d, seed + 4) } : {}),
  };
}

/** Joins a cache and new rows along the length: `[heads, P + S, d]` (the references' full tensors). */
export function concatHeads(a: HeadTensor | undefined, b: HeadTensor): HeadTensor {
  if (!a) return b;
  const out = headTensor(a.heads, a.length + b.length, a.headDim);
  for (let h = 0; h < a.heads; h++) {
    out.data.set(a.data.subarray(h * a.length * a.headDim, (h + 1) * a.length * a.headDim), h * out.length * a.headDim);
    out.data.set(b.data.subarray(h * b.length * b.headDim, (h + 1) * b.length * b.headDim), (h * out.length + a.length) * a.headDim);
  }
  return out;
}

/** Options of runAttentionLayer. */
export interface RunOptions {
  /** Method parameters (ctx.params). */
  params?: Record<string, unknown>;
  /** Values of graph inputs the method declares with sharedInput: numbers become int64 scalars. */
  inputs?: Record<string, number | ort.Tensor>;
  /** Rows of the identity RoPE tables (default P + S + 64). */
  maxPositions?: number;
  /** Keep the graph file in this folder (for inspection). */
  keepDir?: string;
  /** The longest prefill chunk the graph serves (AttentionContext.prefillChunk). */
  prefillChunk?: number;
}

/**
 * Builds a one-layer graph with attention method `methodId` and runs it on the CPU provider, fp32.
 * @throws Error when the method is unknown, a declared graph input has no value, or the graph fails.
 * @example const out = await runAttentionLayer('a-shape', shape, randomCase(shape, 0, 50, 1), { params: { sink: 4, window: 8 } })
 */
export function runAttentionLayer(methodId: string, shape: LayerShape, layerCase: LayerCase, options: RunOptions = {}): Promise<LayerOutput & { opCounts: Record<string, number> }> {
  return runLayerGraph(methodId, shape, layerCase, {
    device: 'cpu',
    precision: 'fp32',
    ...(options.params ? { params: options.params } : {}),
    ...(options.inputs ? { inputs: options.inputs } : {}),
    ...(options.maxPositions ? { maxPositions: options.maxPositions } : {}),
    ...(options.prefillChunk !== undefined ? { prefillChunk: options.prefillChunk } : {}),
    ...(options.keepDir ? { saveAs: join(options.keepDir, 'attention.onnx') } : {}),
  });
}

/** Largest absolute difference between two head tensors of one shape. */
export function maxHeadDiff(a: HeadTensor, b: HeadTensor): number {
  if (a.heads !== b.heads || a.length !== b.length || a.headDim !== b.headDim) {
    throw new Error(`Shape mismatch: [${a.heads}, ${a.length}, ${a.headDim}] vs [${b.heads}, ${b.length}, ${b.headDim}].`);
  }
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i]! - b.data[i]!));
  return m;
}

/** Rows `from..from+n-1` of every head: `[heads, n, d]`. */
export function sliceRows(t: HeadTensor, from: number, n: number): HeadTensor {
  const out = headTensor(t.heads, n, t.headDim);
  for (let h = 0; h < t.heads; h++) out.data.set(t.data.subarray((h * t.length + from) * t.headDim, (h * t.length + from + n) * t.headDim), h * n * t.headDim);
  return out;
}

/**
 * The float64 reference model's attention for SnapKV / Ada-SnapKV: dense over the prompt while
 * recording each layer's queries, then the method's reference (selection from the recorded
 * prefill, with `params`) at every decode step.
 */
export function snapKvAttend(method: 'snapkv' | 'ada-snapkv', capacity: number, promptLength: number, params: Record<string, number>): NonNullable<ReferenceModel['attend']> {
  const queries = new Map<number, Float64Array[]>();
  return (layer: number, position: number, step: DecodeInput) => {
    const rows = queries.get(layer) ?? [];
    queries.set(layer, rows);
    if (position < promptLength) {
      rows.push(Float64Array.from(step.query.data));
      return undefined;
    }
    const { heads, headDim: d } = step.query;
    const query = headTensor(heads, promptLength, d);
    rows.forEach((row, p) => {
      for (let h = 0; h < heads; h++) query.data.set(row.subarray(h * d, (h + 1) * d), (h * promptLength + p) * d);
    });
    const prefill = { query, key: sliceRows(step.key, 0, promptLength), value: sliceRows(step.value, 0, promptLength) };
    return SPARSE_METHODS[method].reference({ step, prefill }, { capacity }, params).output;
  };
}

/** A random chunk of `length` queries over `past` cached positions; scale 2 sharpens the softmax. */
export function chunkCase(shape: LayerShape, past: number, length: number, seed: number): { layer: LayerCase; chunk: ChunkInput } {
  const layer = randomCase(shape, past, length, seed, 2);
  return { layer, chunk: { query: layer.query, key: concatHeads(layer.pastKey, layer.key), value: concatHeads(layer.pastValue, layer.value) } };
}

/** Dense causal attention of the chunk's rows (earlier queries are not needed: their rows are dropped). */
export function denseRows(shape: LayerShape, chunk: ChunkInput): HeadTensor {
  const T = chunk.key.length;
  const S = chunk.query.length;
  const query = concatHeads(T > S ? headTensor(shape.numHeads, T - S, shape.headDim) : undefined, chunk.query);
  return sliceRows(headTensor(shape.numHeads, T, shape.headDim, denseCausalAttention({ query, key: chunk.key, value: chunk.value })), T - S, S);
}

/** A reference's `[numHeads, length, headDim]` output as a head tensor. */
export const asHeads = (shape: LayerShape, length: number, data: Float64Array): HeadTensor => headTensor(shape.numHeads, length, shape.headDim, data);
