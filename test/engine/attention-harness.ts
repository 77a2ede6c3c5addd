// One attention layer as its own ONNX graph (runner/engine/attention/layer-graph.ts), for checking an attention plug-in against the float64
// references of runner/engine/sparse on random inputs of any shape (GQA groups, lengths that are
// not multiples of a block, a past cache; head dims a multiple of 16, as GroupQueryAttention needs). RoPE tables are the identity (cos 1, sin 0), so the
// queries and keys fed here are the references' "RoPE already applied" tensors. CPU provider, fp32.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { buildLayerGraph, type LayerShape } from '../../runner/engine/attention/layer-graph.js';
import { headTensor, type HeadTensor } from '../../runner/engine/sparse/tensor.js';

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

/** `[heads, S, d]` -> `[1, S, heads * d]` (the graph's token-major layout). */
function tokenMajor(t: HeadTensor): Float32Array {
  const out = new Float32Array(t.heads * t.length * t.headDim);
  for (let h = 0; h < t.heads; h++) {
    for (let i = 0; i < t.length; i++) {
      for (let x = 0; x < t.headDim; x++) out[(i * t.heads + h) * t.headDim + x] = t.data[(h * t.length + i) * t.headDim + x]!;
    }
  }
  return out;
}

/** `[1, S, heads * d]` -> `[heads, S, d]`. */
function headMajor(data: Float32Array, heads: number, headDim: number): HeadTensor {
  const length = data.length / (heads * headDim);
  const out = headTensor(heads, length, headDim);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < length; i++) {
      for (let x = 0; x < headDim; x++) out.data[(h * length + i) * headDim + x] = data[(i * heads + h) * headDim + x]!;
    }
  }
  return out;
}

const cacheTensor = (t: HeadTensor | undefined, kv: number, d: number): ort.Tensor =>
  new ort.Tensor('float32', t ? Float32Array.from(t.data) : new Float32Array(0), [1, kv, t?.length ?? 0, d]);

/** Options of runAttentionLayer. */
export interface RunOptions {
  /** Method parameters (ctx.params). */
  params?: Record<string, unknown>;
  /** Values of graph inputs the method declares with sharedInput: numbers become int64 scalars. */
  inputs?: Record<string, number | ort.Tensor>;
  /** Rows of the identity RoPE tables (default P + S + 64). */
  maxPositions?: number;
  /** Keep the graph file here (for inspecting op counts); default a temp folder removed after the run. */
  keepDir?: string;
}

/**
 * Builds a one-layer graph with attention method `methodId` and runs it on the CPU provider, fp32.
 * @throws Error when the method is unknown, a declared graph input has no value, or the graph fails.
 * @example const out = await runAttentionLayer('a-shape', shape, randomCase(shape, 0, 50, 1), { params: { sink: 4, window: 8 } })
 */
export async function runAttentionLayer(methodId: string, shape: LayerShape, layerCase: LayerCase, options: RunOptions = {}): Promise<LayerOutput & { opCounts: Record<string, number> }> {
  const { numHeads: h, numKvHeads: kv, headDim: d } = shape;
  const S = layerCase.query.length;
  const P = layerCase.pastKey?.length ?? 0;
  const built = buildLayerGraph(methodId, shape, { precision: 'fp32', maxPositions: options.maxPositions ?? P + S + 64, ...(options.params ? { params: options.params } : {}) });
  const dir = options.keepDir ?? mkdtempSync(join(tmpdir(), 'lw-attn-'));
  try {
    const file = join(dir, 'attention.onnx');
    writeFileSync(file, built.model);
    const session = await ort.InferenceSession.create(file, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', logSeverityLevel: 3 });
    try {
      const feeds: Record<string, ort.Tensor> = {
        query: new ort.Tensor('float32', tokenMajor(layerCase.query), [1, S, h * d]),
        key: new ort.Tensor('float32', tokenMajor(layerCase.key), [1, S, kv * d]),
        value: new ort.Tensor('float32', tokenMajor(layerCase.value), [1, S, kv * d]),
        past_key: cacheTensor(layerCase.pastKey, kv, d),
        past_value: cacheTensor(layerCase.pastValue, kv, d),
        seqlens_k: new ort.Tensor('int32', Int32Array.of(P + S - 1), [1]),
        total_sequence_length: new ort.Tensor('int32', Int32Array.of(P + S), []),
      };
      if (session.inputNames.includes('position_ids')) feeds['position_ids'] = new ort.Tensor('int64', BigInt64Array.from({ length: S }, (_, i) => BigInt(P + i)), [1, S]);
      for (const name of built.sharedInputs) {
        const given = options.inputs?.[name];
        if (given === undefined) throw new Error(`Graph input "${name}" declared by ${methodId} has no value in options.inputs.`);
        feeds[name] = typeof given === 'number' ? new ort.Tensor('int64', BigInt64Array.of(BigInt(given)), []) : given;
      }
      const out = await session.run(feeds);
      const { output, present_key: pk, present_value: pv, ...extra } = out;
      const present = (t: ort.Tensor): HeadTensor => headTensor(kv, t.dims[2]!, d, Float64Array.from(t.data as Float32Array));
      return {
        output: headMajor(output!.data as Float32Array, h, d),
        presentKey: present(pk!),
        presentValue: present(pv!),
        extra,
        opCounts: built.opCounts,
      };
    } finally {
      await session.release();
    }
  } finally {
    if (!options.keepDir) rmSync(dir, { recursive: true, force: true });
  }
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
