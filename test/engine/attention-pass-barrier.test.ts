// The host barrier between attention passes (attention/block-passes.ts): it adds a zero that
// depends on the previous pass's output, whatever that output holds (NaN and infinities included),
// and it leaves every pattern method's output bitwise unchanged while adding one barrier per pass
// boundary (and per estimation pass boundary for the pattern methods).
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../../runner/engine/onnx/graph-builder.js';
import { encodeModel } from '../../runner/engine/onnx/proto.js';
import { passBarrier } from '../../runner/engine/attention/block-passes.js';
import { chunkCase, runAttentionLayer, type LayerShape } from './attention-harness.js';

describe('passBarrier', () => {
  it('is an int64 zero for any float input, NaN and infinities included', async () => {
    const g = new GraphBuilder('weights.bin');
    const x = g.input('x', 'float', ['n']);
    const start = g.input('start', 'int64', []);
    const sum = g.op('Add', [start, passBarrier({ op: (t, i, a) => g.op(t, i, a), int64: (v) => g.int64([v], []), float32: (v) => g.inline('c_f32', 'float', [], new Uint8Array(Float32Array.of(v).buffer)) }, x)]);
    g.output(sum, 'next', 'int64', []);
    const session = await ort.InferenceSession.create(encodeModel(g.toModel()));
    for (const values of [[1, 2, 3], [Number.NaN, 1], [Number.NaN], [Number.POSITIVE_INFINITY, -1], [Number.NEGATIVE_INFINITY], [-3e38]]) {
      const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(values), [values.length]), start: new ort.Tensor('int64', BigInt64Array.of(7n), []) });
      expect(out['next']!.data).toEqual(BigInt64Array.of(7n));
    }
  });
});

const SHAPE: LayerShape = { numHeads: 8, numKvHeads: 2, headDim: 16 };

describe('pass barriers in the attention graphs', () => {
  // [method, params, barriers]: fused pattern passes (4 passes: 3 barriers) plus, with one KV head per
  // estimation pass (headsPerPass 1 over kv-head scope's 2 selecting heads: 2 passes), 1 more.
  const cases: [string, Record<string, unknown>, number][] = [
    ['vertical-slash', { verticalCount: 6, slashCount: 6, tileSize: 16, scope: 'kv-head', formulation: 'fused', rowsPerPass: 32, passes: 4, headsPerPass: 1 }, 4],
    ['flexprefill', { alpha: 0.5, minBudget: 4, tileSize: 16, scope: 'kv-head', formulation: 'fused', rowsPerPass: 32, passes: 4, headsPerPass: 1 }, 4],
    // MatMul form over 8 query heads in passes of 3: 3 head passes (2 barriers), estimation in 2 KV-head passes (1).
    ['vertical-slash', { verticalCount: 6, slashCount: 6, tileSize: 16, scope: 'query-head', formulation: 'matmul', headsPerPass: 3 }, 3],
    ['block-sparse', { blockSize: 16, scope: 'kv-head', topBlocks: 4, formulation: 'fused', rowsPerPass: 32, passes: 5 }, 4],
  ];
  it.each(cases)('%s %j: same output, one barrier per boundary', async (method, params, barriers) => {
    const { layer } = chunkCase(SHAPE, 37, 113, 3);
    const on = await runAttentionLayer(method, SHAPE, layer, { params: { ...params, syncPasses: true } });
    const off = await runAttentionLayer(method, SHAPE, layer, { params });
    expect(on.output.data).toEqual(off.output.data);
    expect((on.opCounts['Less'] ?? 0) - (off.opCounts['Less'] ?? 0)).toBe(barriers);
  });

  it('rejects a syncPasses that is not a boolean', async () => {
    const { layer } = chunkCase(SHAPE, 0, 40, 3);
    await expect(runAttentionLayer('vertical-slash', SHAPE, layer, { params: { verticalCount: 4, slashCount: 4, syncPasses: 'yes' } })).rejects.toThrow('vertical-slash needs params.syncPasses as a boolean; got "yes".');
    await expect(runAttentionLayer('block-sparse', SHAPE, layer, { params: { blockSize: 16, topBlocks: 3, syncPasses: 1 } })).rejects.toThrow('block-sparse needs params.syncPasses as a boolean; got 1.');
  });
});

describe('passes sized to the longest prefill chunk', () => {
  // P 37, S 113: 16-token query blocks 2..9 (8 blocks) in passes of 2 blocks (rowsPerPass 32), so 4
  // passes are needed. A graph for 64-token chunks has ceil((4 + 1) / 2) = 3 and fails on this chunk;
  // one for 112-token chunks has ceil((7 + 1) / 2) = 4 and equals the graph with passes given.
  const { layer } = chunkCase(SHAPE, 37, 113, 8);
  it.each([
    ['vertical-slash', { verticalCount: 6, slashCount: 6, tileSize: 16, scope: 'kv-head', formulation: 'fused', rowsPerPass: 32 }],
    ['block-sparse', { blockSize: 16, scope: 'kv-head', topBlocks: 4, formulation: 'fused', rowsPerPass: 32 }],
  ] as const)('%s', async (method, params) => {
    const explicit = await runAttentionLayer(method, SHAPE, layer, { params: { ...params, passes: 4 } });
    const sized = await runAttentionLayer(method, SHAPE, layer, { params, prefillChunk: 112 });
    expect(sized.output.data).toEqual(explicit.output.data);
    await expect(runAttentionLayer(method, SHAPE, layer, { params, prefillChunk: 64 })).rejects.toThrow();
  });
});
