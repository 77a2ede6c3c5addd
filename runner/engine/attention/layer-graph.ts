// One attention layer as its own ONNX graph: the plug-in between graph inputs (the new tokens'
// queries, keys and values, the cache) and outputs (attended values, the new cache). Tests check
// plug-ins against the float64 references with it; `longweave engine bench` and bench/engine-sparse
// time them on a model's head shape without loading weights. RoPE tables are the identity (cos 1,
// sin 0): the inputs stand for queries and keys with RoPE already applied.
import type { ModelSpec } from '../checkpoint/config.js';
import { GraphBuilder, type Dim } from '../onnx/graph-builder.js';
import { encodeModel, type OnnxElementType } from '../onnx/proto.js';
import { floatToHalf } from '../dtype.js';
import { attentionMethod } from './registry.js';

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
  options: { precision: 'fp32' | 'fp16'; maxPositions: number; params?: Record<string, unknown>; layers?: number },
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
  const spec: ModelSpec = { ...SPEC_DEFAULTS, numHeads: h, numKvHeads: kv, headDim: d, hiddenSize: h * d, dtype: fp16 ? 'float16' : 'float32' };
  const method = attentionMethod(methodId);
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
      positionIds: () => (positionIds ??= g.input(LAYER_IO.positionIds, 'int64', [1, 'sequence'])),
      scalar: (x) => (fp16 ? g.inline('c_scalar', 'float16', [], new Uint8Array(Uint16Array.of(floatToHalf(x)).buffer)) : g.inline('c_scalar', 'float', [], new Uint8Array(Float32Array.of(x).buffer))),
      valueType: t,
      sharedInput: (name: string, type: OnnxElementType, dims: readonly Dim[]) => {
        let declared = shared.get(name);
        if (!declared) shared.set(name, (declared = g.input(name, type, dims)));
        return declared;
      },
    });
  }
  g.output(attended, LAYER_IO.output, t, [1, 'sequence', h * d]);
  g.output(LAYER_IO.presentKey, LAYER_IO.presentKey, t, [1, kv, 'total', d]);
  g.output(LAYER_IO.presentValue, LAYER_IO.presentValue, t, [1, kv, 'total', d]);
  return { model: encodeModel(g.toModel({ attention: methodId, precision: options.precision })), sharedInputs: [...shared.keys()], opCounts: Object.fromEntries(g.opCounts) };
}
