// One attention layer as its own ONNX graph: the plug-in between graph inputs (the new tokens'
// queries, keys and values, the cache) and outputs (attended values, the new cache). Tests check
// plug-ins against the float64 references with it (runLayerGraph, on the CPU provider in CI and on
// WebGPU on a GPU host); `longweave engine bench` and bench/engine-sparse
// time them on a model's head shape without loading weights. RoPE tables are the identity (cos 1,
// sin 0): the inputs stand for queries and keys with RoPE already applied.
import { writeFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import type { ModelSpec } from '../checkpoint/config.js';
import { GraphBuilder, type Dim } from '../onnx/graph-builder.js';
import { encodeModel, type OnnxElementType } from '../onnx/proto.js';
import { floatToHalf, halfToFloat } from '../dtype.js';
import { headTensor, type HeadTensor } from '../sparse/tensor.js';
import { attentionMethod } from './registry.js';
import { emptyState, stateSpec, type AttentionStateSpec } from './quest-state.js';
import { statCollector } from './stats.js';

export { emptyState };

/** Head sizes of one layer. */
export interface LayerShape {
  numHeads: number;
  numKvHeads: number;
  headDim: number;
}

/** Names of the layer graph's fixed inputs and outputs. */
export const LAYER_IO = {
  query: 'query',
  key: 'key',
  value: 'value',
  pastKey: 'past_key',
  pastValue: 'past_value',
  seqlensK: 'seqlens_k',
  totalSequenceLength: 'total_sequence_length',
  positionIds: 'position_ids',
  output: 'output',
  presentKey: 'present_key',
  presentValue: 'present_value',
} as const;

/** A built layer graph. */
export interface LayerGraph {
  model: Uint8Array;
  /** Graph inputs the method declared (budgets, state), besides LAYER_IO's. */
  sharedInputs: string[];
  /** Per-layer graph inputs the method declared (the frozen cache of blocked decode graphs), layer 0's names. */
  layerInputs: string[];
  /** Per-layer attention states among them (attention/quest-state.ts): fed empty on a first step. */
  states: AttentionStateSpec[];
  /** Outputs of the statistics the method reported, summed over the chained layers (attention/stats.ts). */
  statOutputs: string[];
  opCounts: Record<string, number>;
}

const SPEC_DEFAULTS: Omit<ModelSpec, 'numHeads' | 'numKvHeads' | 'headDim'> = {
  family: 'llama',
  architecture: 'LlamaForCausalLM',
  hiddenSize: 0,
  intermediateSize: 0,
  numLayers: 1,
  vocabSize: 0,
  rmsNormEps: 1e-6,
  ropeTheta: 10000,
  rope: { type: 'default' },
  maxPositionEmbeddings: 1 << 20,
  tieWordEmbeddings: false,
  qkvBias: false,
  outputBias: false,
  qkNorm: false,
  dtype: 'float32',
  eosTokenIds: [],
};

/**
 * Builds the one-layer graph of attention method `methodId`.
 * `layers` > 1 chains that many copies (each layer's output is the next one's query; all read the
 * same cache and new keys), for timing with host copies amortised; outputs are the last layer's
 * attended values and the first layer's cache.
 * @param options.maxPositions Rows of the identity RoPE tables: the longest context the graph serves.
 * @throws Error when the method is unknown or its builder rejects the params.
 * @example buildLayerGraph('a-shape', { numHeads: 28, numKvHeads: 4, headDim: 128 }, { precision: 'fp16', maxPositions: 131072 })
 */
export function buildLayerGraph(
  methodId: string,
  shape: LayerShape,
  options: { precision: 'fp32' | 'fp16'; maxPositions: number; params?: Record<string, unknown>; layers?: number; prefillChunk?: number },
): LayerGraph {
  const { numHeads: h, numKvHeads: kv, headDim: d } = shape;
  const fp16 = options.precision === 'fp16';
  const t: OnnxElementType = fp16 ? 'float16' : 'float';
  const g = new GraphBuilder('weights.bin');
  const query = g.input(LAYER_IO.query, t, [1, 'sequence', h * d]);
  const key = g.input(LAYER_IO.key, t, [1, 'sequence', kv * d]);
  const value = g.input(LAYER_IO.value, t, [1, 'sequence', kv * d]);
  const pastKey = g.input(LAYER_IO.pastKey, t, [1, kv, 'past_sequence', d]);
  const pastValue = g.input(LAYER_IO.pastValue, t, [1, kv, 'past_sequence', d]);
  const seqlensK = g.input(LAYER_IO.seqlensK, 'int32', [1]);
  const total = g.input(LAYER_IO.totalSequenceLength, 'int32', []);
  const rows = options.maxPositions;
  const table = (v: number): Uint8Array =>
    fp16 ? new Uint8Array(new Uint16Array(rows * (d / 2)).fill(floatToHalf(v)).buffer) : new Uint8Array(new Float32Array(rows * (d / 2)).fill(v).buffer);
  const cos = g.inline('cos', t, [rows, d / 2], table(1));
  const sin = g.inline('sin', t, [rows, d / 2], table(0));
  let positionIds: string | null = null;
  const shared = new Map<string, string>();
  const states: AttentionStateSpec[] = [];
  const spec: ModelSpec = { ...SPEC_DEFAULTS, numHeads: h, numKvHeads: kv, headDim: d, hiddenSize: h * d, dtype: fp16 ? 'float16' : 'float32' };
  const method = attentionMethod(methodId);
  // Per-layer inputs (the frozen cache): every chained copy reads layer 0's.
  const layerInputs = new Map<string, string>();
  const layerInput = (name: string, type: OnnxElementType, dims: readonly Dim[]): string => {
    const shared = name.replace(/^(\w+)\.\d+\./, '$1.0.');
    let declared = layerInputs.get(shared);
    if (!declared) layerInputs.set(shared, (declared = g.input(shared, type, dims)));
    return declared;
  };
  const stats = statCollector(g);
  let attended = query;
  for (let layer = 0; layer < (options.layers ?? 1); layer++) {
    attended = method.build({
      graph: g,
      spec,
      layer,
      query: attended,
      key,
      value,
      pastKey,
      pastValue,
      presentKey: layer === 0 ? LAYER_IO.presentKey : `${LAYER_IO.presentKey}_${layer}`,
      presentValue: layer === 0 ? LAYER_IO.presentValue : `${LAYER_IO.presentValue}_${layer}`,
      seqlensK,
      totalSequenceLength: total,
      cosCache: cos,
      sinCache: sin,
      params: options.params ?? {},
      ...(options.prefillChunk !== undefined ? { prefillChunk: options.prefillChunk } : {}),
      positionIds: () => (positionIds ??= g.input(LAYER_IO.positionIds, 'int64', [1, 'sequence'])),
      scalar: (x) => (fp16 ? g.inline('c_scalar', 'float16', [], new Uint8Array(Uint16Array.of(floatToHalf(x)).buffer)) : g.inline('c_scalar', 'float', [], new Uint8Array(Float32Array.of(x).buffer))),
      valueType: t,
      sharedInput: (name: string, type: OnnxElementType, dims: readonly Dim[]) => {
        let declared = shared.get(name);
        if (!declared) {
          shared.set(name, (declared = g.input(name, type, dims)));
          const state = stateSpec(name, type, dims);
          if (state) states.push(state);
        }
        return declared;
      },
      layerInput,
      report: stats.report,
    });
  }
  const statOutputs = stats.finish();
  g.output(attended, LAYER_IO.output, t, [1, 'sequence', h * d]);
  g.output(LAYER_IO.presentKey, LAYER_IO.presentKey, t, [1, kv, 'total', d]);
  g.output(LAYER_IO.presentValue, LAYER_IO.presentValue, t, [1, kv, 'total', d]);
  return { model: encodeModel(g.toModel({ attention: methodId, precision: options.precision })), sharedInputs: [...shared.keys()], layerInputs: [...layerInputs.keys()], states, statOutputs, opCounts: Object.fromEntries(g.opCounts) };
}

/** A layer's inputs: the new tokens' q/k/v and an optional cache of earlier positions. */
export interface LayerInputs {
  /** `[numHeads, S, d]` for the S new tokens. */
  query: HeadTensor;
  /** `[numKvHeads, S, d]`. */
  key: HeadTensor;
  value: HeadTensor;
  /** `[numKvHeads, P, d]` cache (positions 0..P-1); absent for P = 0. */
  pastKey?: HeadTensor;
  pastValue?: HeadTensor;
}

/** What running a layer graph gave (float64 copies of the outputs). */
export interface LayerResult {
  /** `[numHeads, S, d]`. */
  output: HeadTensor;
  /** The cache after the step, `[numKvHeads, T, d]` (T may be smaller than P + S for eviction methods). */
  presentKey: HeadTensor;
  presentValue: HeadTensor;
  /** Every other graph output (state, selections), by name, as returned. */
  extra: Record<string, ort.Tensor>;
  opCounts: Record<string, number>;
}

/** `[heads, S, d]` -> `[1, S, heads * d]` values (the graph's token-major layout). */
function tokenMajor(t: HeadTensor): Float64Array {
  const out = new Float64Array(t.heads * t.length * t.headDim);
  for (let h = 0; h < t.heads; h++) {
    for (let i = 0; i < t.length; i++) {
      for (let x = 0; x < t.headDim; x++) out[(i * t.heads + h) * t.headDim + x] = t.data[(h * t.length + i) * t.headDim + x]!;
    }
  }
  return out;
}

/** `[1, S, heads * d]` -> `[heads, S, d]`. */
function headMajor(data: ArrayLike<number>, heads: number, headDim: number): HeadTensor {
  const length = data.length / (heads * headDim);
  const out = headTensor(heads, length, headDim);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < length; i++) {
      for (let x = 0; x < headDim; x++) out.data[(h * length + i) * headDim + x] = data[(i * heads + h) * headDim + x]!;
    }
  }
  return out;
}

/** Values as a float tensor of the graph's precision. */
function floatTensor(values: ArrayLike<number>, dims: number[], fp16: boolean): ort.Tensor {
  return fp16 ? new ort.Tensor('float16', Uint16Array.from(values as ArrayLike<number>, (v) => floatToHalf(v)), dims) : new ort.Tensor('float32', Float32Array.from(values), dims);
}

/** A float tensor's values as float64 (fp16 decoded). */
function toFloat64Values(t: ort.Tensor): Float64Array {
  return t.type === 'float16' ? Float64Array.from(t.data as Uint16Array, (h) => halfToFloat(h)) : Float64Array.from(t.data as Float32Array);
}

/** Options of runLayerGraph. */
export interface RunLayerOptions {
  device?: 'cpu' | 'webgpu';
  precision?: 'fp32' | 'fp16';
  /** Method parameters (ctx.params). */
  params?: Record<string, unknown>;
  /** The longest prefill chunk the graph serves (AttentionContext.prefillChunk). */
  prefillChunk?: number;
  /**
   * Values of graph inputs the method declares with sharedInput (numbers become int64 scalars;
   * attention states left out are fed empty) and with layerInput (tensors: the frozen cache of a
   * blocked decode graph, under layer 0's names).
   */
  inputs?: Record<string, number | ort.Tensor>;
  /** Rows of the identity RoPE tables (default P + S + 64). */
  maxPositions?: number;
  /** Also write the graph to this file (for inspection). */
  saveAs?: string;
  /** Refuse the session when a node would fall back to the CPU provider (WebGPU placement check). */
  disableCpuFallback?: boolean;
  /** onnxruntime log level (0 verbose: prints node placement). */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
}

/**
 * Builds the one-layer graph of `methodId` and runs it once (default: CPU provider, fp32).
 * @throws Error when the method is unknown, a declared graph input has no value, or the graph fails.
 * @example const out = await runLayerGraph('a-shape', shape, inputs, { params: { sink: 4, window: 8 } })
 */
export async function runLayerGraph(methodId: string, shape: LayerShape, inputs: LayerInputs, options: RunLayerOptions = {}): Promise<LayerResult> {
  const { numHeads: h, numKvHeads: kv, headDim: d } = shape;
  const S = inputs.query.length;
  const P = inputs.pastKey?.length ?? 0;
  const precision = options.precision ?? 'fp32';
  const fp16 = precision === 'fp16';
  const built = buildLayerGraph(methodId, shape, { precision, maxPositions: options.maxPositions ?? P + S + 64, ...(options.params ? { params: options.params } : {}), ...(options.prefillChunk !== undefined ? { prefillChunk: options.prefillChunk } : {}) });
  if (options.saveAs) writeFileSync(options.saveAs, built.model);
  const session = await ort.InferenceSession.create(built.model, {
    executionProviders: [options.device ?? 'cpu'],
    graphOptimizationLevel: 'all',
    logSeverityLevel: options.logSeverityLevel ?? 3,
    ...(options.logSeverityLevel === 0 ? { logVerbosityLevel: 1 } : {}),
    ...(options.disableCpuFallback ? { extra: { session: { disable_cpu_ep_fallback: '1' } } } : {}),
  });
  try {
    const cache = (t: HeadTensor | undefined): ort.Tensor => floatTensor(t?.data ?? [], [1, kv, t?.length ?? 0, d], fp16);
    const feeds: Record<string, ort.Tensor> = {
      [LAYER_IO.query]: floatTensor(tokenMajor(inputs.query), [1, S, h * d], fp16),
      [LAYER_IO.key]: floatTensor(tokenMajor(inputs.key), [1, S, kv * d], fp16),
      [LAYER_IO.value]: floatTensor(tokenMajor(inputs.value), [1, S, kv * d], fp16),
      [LAYER_IO.pastKey]: cache(inputs.pastKey),
      [LAYER_IO.pastValue]: cache(inputs.pastValue),
      [LAYER_IO.seqlensK]: new ort.Tensor('int32', Int32Array.of(P + S - 1), [1]),
      [LAYER_IO.totalSequenceLength]: new ort.Tensor('int32', Int32Array.of(P + S), []),
    };
    if (session.inputNames.includes(LAYER_IO.positionIds)) feeds[LAYER_IO.positionIds] = new ort.Tensor('int64', BigInt64Array.from({ length: S }, (_, i) => BigInt(P + i)), [1, S]);
    for (const name of built.sharedInputs) {
      const state = built.states.find((x) => x.input === name);
      const given = options.inputs?.[name] ?? (state ? emptyState(state) : undefined);
      if (given === undefined) throw new Error(`Graph input "${name}" declared by ${methodId} has no value in options.inputs.`);
      feeds[name] = typeof given === 'number' ? new ort.Tensor('int64', BigInt64Array.of(BigInt(given)), []) : given;
    }
    for (const name of built.layerInputs) {
      const given = options.inputs?.[name];
      if (!(given instanceof ort.Tensor)) throw new Error(`Layer input "${name}" declared by ${methodId} (params ${JSON.stringify(options.params ?? {})}) needs a tensor in options.inputs.`);
      feeds[name] = given;
    }
    const out = await session.run(feeds);
    const { [LAYER_IO.output]: output, [LAYER_IO.presentKey]: pk, [LAYER_IO.presentValue]: pv, ...extra } = out;
    const present = (t: ort.Tensor): HeadTensor => headTensor(kv, t.dims[2]!, d, toFloat64Values(t));
    return { output: headMajor(toFloat64Values(output!), h, d), presentKey: present(pk!), presentValue: present(pv!), extra, opCounts: built.opCounts };
  } finally {
    await session.release();
  }
}
