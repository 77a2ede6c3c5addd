// Block-Sparse through com.microsoft SparseAttention (attention/block-sparse-kernel.ts, the fused form
// the CUDA runtime runs) on the CPU provider's SparseAttention kernel, against the float64 reference
// (blocks of 64): both selection scopes, GQA groups 1, 4 and 7, lengths that are no multiple of the
// block, budgets that bind and one covering every block (= dense). The kernel needs its past and
// present caches to be one buffer: the test feeds and fetches the same tensor (the one-run graph
// gives it one in-graph buffer instead).
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, type Dim } from '../../runner/engine/onnx/graph-builder.js';
import { encodeModel, type OnnxElementType } from '../../runner/engine/onnx/proto.js';
import type { ModelSpec } from '../../runner/engine/checkpoint/config.js';
import { blockSparseKernelPrefill } from '../../runner/engine/attention/block-sparse-kernel.js';
import { BLOCK_SPARSE_IO } from '../../runner/engine/attention/block-sparse.js';
import { blockSparseAttention } from '../../runner/engine/sparse/reference/block-sparse.js';
import { denseCausalAttention } from '../../runner/engine/sparse/reference/dense.js';
import { headTensor, type HeadTensor } from '../../runner/engine/sparse/tensor.js';
import { maxHeadDiff, randomCase, type LayerShape } from './attention-harness.js';

/** `[heads, S, d]` as `[1, S, heads * d]` float32. */
function tokenMajor(t: HeadTensor): Float32Array {
  const out = new Float32Array(t.heads * t.length * t.headDim);
  for (let h = 0; h < t.heads; h++) for (let i = 0; i < t.length; i++) for (let x = 0; x < t.headDim; x++) out[(i * t.heads + h) * t.headDim + x] = t.data[(h * t.length + i) * t.headDim + x]!;
  return out;
}

async function runKernel(shape: LayerShape, query: HeadTensor, key: HeadTensor, value: HeadTensor, params: Record<string, unknown>, topBlocks: number): Promise<{ output: HeadTensor; presentKey: HeadTensor }> {
  const { numHeads: H, numKvHeads: kv, headDim: d } = shape;
  const S = query.length;
  const cacheRows = Math.ceil(S / 64) * 64 + 64;
  const g = new GraphBuilder();
  const spec = { numHeads: H, numKvHeads: kv, headDim: d, hiddenSize: H * d } as ModelSpec;
  const table = (v: number): string => g.inline('rope', 'float', [cacheRows, d / 2], new Uint8Array(new Float32Array(cacheRows * (d / 2)).fill(v).buffer));
  const inputs = new Map<string, string>();
  const shared = (name: string, type: OnnxElementType, dims: readonly Dim[]): string => inputs.get(name) ?? (inputs.set(name, g.input(name, type, dims)), name);
  const attended = blockSparseKernelPrefill({
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
  });
  g.output(attended, 'output', 'float', [1, 'S', H * d]);
  g.output('present_key', 'present_key', 'float', [1, kv, cacheRows, d]);
  g.output('present_value', 'present_value', 'float', [1, kv, cacheRows, d]);
  const session = await ort.InferenceSession.create(encodeModel(g.toModel()), { executionProviders: ['cpu'], logSeverityLevel: 3 });
  try {
    const cacheKey = new ort.Tensor('float32', new Float32Array(kv * cacheRows * d), [1, kv, cacheRows, d]);
    const cacheValue = new ort.Tensor('float32', new Float32Array(kv * cacheRows * d), [1, kv, cacheRows, d]);
    const feeds: Record<string, ort.Tensor> = {
      query: new ort.Tensor('float32', tokenMajor(query), [1, S, H * d]),
      key: new ort.Tensor('float32', tokenMajor(key), [1, S, kv * d]),
      value: new ort.Tensor('float32', tokenMajor(value), [1, S, kv * d]),
      cache_key: cacheKey,
      cache_value: cacheValue,
      position_ids: new ort.Tensor('int64', BigInt64Array.from({ length: S }, (_, i) => BigInt(i)), [1, S]),
    };
    if (inputs.has(BLOCK_SPARSE_IO.topBlocks)) feeds[BLOCK_SPARSE_IO.topBlocks] = new ort.Tensor('int64', BigInt64Array.of(BigInt(topBlocks)), []);
    const out = await session.run(feeds, { output: null, present_key: cacheKey, present_value: cacheValue } as never);
    const data = out['output']!.data as Float32Array;
    const output = headTensor(H, S, d);
    for (let h = 0; h < H; h++) for (let i = 0; i < S; i++) for (let x = 0; x < d; x++) output.data[(h * S + i) * d + x] = data[(i * H + h) * d + x]!;
    const presentKey = headTensor(kv, S, d);
    const cached = cacheKey.data as Float32Array;
    for (let h = 0; h < kv; h++) for (let i = 0; i < S; i++) for (let x = 0; x < d; x++) presentKey.data[(h * S + i) * d + x] = cached[(h * cacheRows + i) * d + x]!;
    return { output, presentKey };
  } finally {
    await session.release();
  }
}

const SHAPES: LayerShape[] = [
  { numHeads: 2, numKvHeads: 2, headDim: 16 },
  { numHeads: 8, numKvHeads: 2, headDim: 16 },
  { numHeads: 7, numKvHeads: 1, headDim: 32 },
];

describe.each(SHAPES)('block-sparse through SparseAttention, $numHeads query heads over $numKvHeads KV heads', (shape) => {
  it.each([
    ['query-head', 600, 3],
    ['kv-head', 450, 4],
    ['query-head', 200, 2],
  ] as const)('scope %s over %i tokens keeping %i blocks: equals the reference, differs from dense', async (scope, length, topBlocks) => {
    const c = randomCase(shape, 0, length, length + topBlocks);
    const input = { query: c.query, key: c.key, value: c.value };
    const ref = blockSparseAttention(input, { blockSize: 64, topBlocks }, { scope });
    expect(ref.sparsity).toBeGreaterThan(0.1);
    const out = await runKernel(shape, c.query, c.key, c.value, { blockSize: 64, scope }, topBlocks);
    expect(maxHeadDiff(out.output, headTensor(shape.numHeads, length, shape.headDim, ref.output))).toBeLessThan(1e-4);
    expect(maxHeadDiff(out.output, headTensor(shape.numHeads, length, shape.headDim, denseCausalAttention(input)))).toBeGreaterThan(1e-3);
    // The cache holds the (identity-rotated) keys of every prompt position.
    expect(maxHeadDiff(out.presentKey, c.key)).toBeLessThan(1e-6);
  });

  it('keeping every block equals dense attention', async () => {
    const c = randomCase(shape, 0, 333, 5);
    const input = { query: c.query, key: c.key, value: c.value };
    const out = await runKernel(shape, c.query, c.key, c.value, { blockSize: 64, topBlocks: 6 }, 0);
    expect(maxHeadDiff(out.output, headTensor(shape.numHeads, 333, shape.headDim, denseCausalAttention(input)))).toBeLessThan(1e-4);
  });
});

describe('block-sparse kernel refusals', () => {
  it('needs blocks of 64', async () => {
    const shape = SHAPES[0]!;
    const c = randomCase(shape, 0, 100, 1);
    await expect(runKernel(shape, c.query, c.key, c.value, { blockSize: 16 }, 2)).rejects.toThrow('The SparseAttention kernel runs blocks of 64; block-sparse has params.blockSize 16.');
  });
});
