// A prefill method's SparseAttention form (runner/engine/attention/*-kernel.ts) on the CPU provider's
// SparseAttention kernel, fp32, RoPE the identity (cos 1, sin 0). The kernel needs its past and
// present caches to be one buffer: the harness feeds and fetches the same tensor (the one-run graph
// gives it one in-graph buffer instead). Statistics the builder reports come back by name.
import * as ort from 'onnxruntime-node';
import { GraphBuilder, type Dim } from '../../runner/engine/onnx/graph-builder.js';
import { encodeModel, type OnnxElementType } from '../../runner/engine/onnx/proto.js';
import type { ModelSpec } from '../../runner/engine/checkpoint/config.js';
import type { AttentionContext } from '../../runner/engine/attention/types.js';
import { headTensor, type HeadTensor } from '../../runner/engine/sparse/tensor.js';
import type { LayerShape } from './attention-harness.js';

/** `[heads, S, d]` as `[1, S, heads * d]` float32. */
function tokenMajor(t: HeadTensor): Float32Array {
  const out = new Float32Array(t.heads * t.length * t.headDim);
  for (let h = 0; h < t.heads; h++) for (let i = 0; i < t.length; i++) for (let x = 0; x < t.headDim; x++) out[(i * t.heads + h) * t.headDim + x] = t.data[(h * t.length + i) * t.headDim + x]!;
  return out;
}

/** What a kernel run gave. */
export interface KernelRun {
  output: HeadTensor;
  presentKey: HeadTensor;
  /** Reported statistics (kept_pairs, gathered_pairs). */
  stats: Record<string, number>;
}

/**
 * Builds one layer with `build` (given the context and the graph, to declare extra inputs) and runs
 * it; `feeds` adds values of extra inputs (int64 scalars for numbers).
 */
export async function runKernelLayer(
  build: (ctx: AttentionContext) => string,
  shape: LayerShape,
  layer: { query: HeadTensor; key: HeadTensor; value: HeadTensor },
  params: Record<string, unknown>,
  feeds: Record<string, number | ort.Tensor> = {},
): Promise<KernelRun> {
  const { numHeads: H, numKvHeads: kv, headDim: d } = shape;
  const S = layer.query.length;
  const cacheRows = Math.ceil(S / 64) * 64 + 64;
  const g = new GraphBuilder();
  const spec = { numHeads: H, numKvHeads: kv, headDim: d, hiddenSize: H * d } as ModelSpec;
  const table = (v: number): string => g.inline('rope', 'float', [cacheRows, d / 2], new Uint8Array(new Float32Array(cacheRows * (d / 2)).fill(v).buffer));
  const inputs = new Map<string, string>();
  const shared = (name: string, type: OnnxElementType, dims: readonly Dim[]): string => inputs.get(name) ?? (inputs.set(name, g.input(name, type, dims)), name);
  const stats: string[] = [];
  const attended = build({
    graph: g,
    spec,
    layer: 0,
    query: g.input('query', 'float', [1, 'S', H * d]),
    key: g.input('key', 'float', [1, 'S', kv * d]),
    value: g.input('value', 'float', [1, 'S', kv * d]),
    pastKey: g.input('cache_key', 'float', [1, kv, cacheRows, d]),
    pastValue: g.input('cache_value', 'float', [1, kv, cacheRows, d]),
    presentKey: 'present_key',
    presentValue: 'present_value',
    seqlensK: '',
    totalSequenceLength: '',
    cosCache: table(1),
    sinCache: table(0),
    params,
    positionIds: () => shared('position_ids', 'int64', [1, 'S']),
    scalar: () => '',
    valueType: 'float',
    sharedInput: shared,
    layerInput: shared,
    report: (name, value) => {
      g.output(value, `stat.${name}`, 'float', []);
      stats.push(`stat.${name}`);
    },
  });
  g.output(attended, 'output', 'float', [1, 'S', H * d]);
  g.output('present_key', 'present_key', 'float', [1, kv, cacheRows, d]);
  g.output('present_value', 'present_value', 'float', [1, kv, cacheRows, d]);
  const session = await ort.InferenceSession.create(encodeModel(g.toModel()), { executionProviders: ['cpu'], logSeverityLevel: 3 });
  try {
    const cacheKey = new ort.Tensor('float32', new Float32Array(kv * cacheRows * d), [1, kv, cacheRows, d]);
    const cacheValue = new ort.Tensor('float32', new Float32Array(kv * cacheRows * d), [1, kv, cacheRows, d]);
    const all: Record<string, ort.Tensor> = {
      query: new ort.Tensor('float32', tokenMajor(layer.query), [1, S, H * d]),
      key: new ort.Tensor('float32', tokenMajor(layer.key), [1, S, kv * d]),
      value: new ort.Tensor('float32', tokenMajor(layer.value), [1, S, kv * d]),
      cache_key: cacheKey,
      cache_value: cacheValue,
      position_ids: new ort.Tensor('int64', BigInt64Array.from({ length: S }, (_, i) => BigInt(i)), [1, S]),
    };
    for (const [name, value] of Object.entries(feeds)) {
      if (inputs.has(name)) all[name] = typeof value === 'number' ? new ort.Tensor('int64', BigInt64Array.of(BigInt(value)), []) : value;
    }
    const fetches: Record<string, ort.Tensor | null> = { output: null, present_key: cacheKey, present_value: cacheValue };
    for (const name of stats) fetches[name] = null;
    const out = await session.run(all, fetches as never);
    const data = out['output']!.data as Float32Array;
    const output = headTensor(H, S, d);
    for (let h = 0; h < H; h++) for (let i = 0; i < S; i++) for (let x = 0; x < d; x++) output.data[(h * S + i) * d + x] = data[(i * H + h) * d + x]!;
    const presentKey = headTensor(kv, S, d);
    const cached = cacheKey.data as Float32Array;
    for (let h = 0; h < kv; h++) for (let i = 0; i < S; i++) for (let x = 0; x < d; x++) presentKey.data[(h * S + i) * d + x] = cached[(h * cacheRows + i) * d + x]!;
    const reported: Record<string, number> = {};
    for (const name of stats) reported[name.slice('stat.'.length)] = (out[name]!.data as Float32Array)[0]!;
    return { output, presentKey, stats: reported };
  } finally {
    await session.release();
  }
}
