// The engine's SnapKV and Ada-SnapKV graphs (CPU provider, fp32) against the float64 references of
// runner/engine/sparse/reference/snapkv.ts: the compress graph's kept tokens equal snapKvSelect /
// adaSnapKvSelect, and decode steps over the compacted cache (with Ada-SnapKV's validity mask
// threaded from step to step) equal snapKvDecode over the full cache; a capacity covering the prompt
// equals dense. GQA groups 1, 4 and 7; prompt lengths that are not multiples of anything.
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { adaSnapKvSelect, snapKvDecode, snapKvSelect, type SnapKvParams, type SnapKvSelection } from '../../runner/engine/sparse/reference/snapkv.js';
import { denseDecodeAttention } from '../../runner/engine/sparse/reference/dense.js';
import { SPARSE_METHODS } from '../../runner/engine/sparse/registry.js';
import { headTensor, type HeadTensor, type PrefillInput } from '../../runner/engine/sparse/tensor.js';
import { ATTENTION_STATE } from '../../runner/engine/attention/quest-state.js';
import { SNAPKV_IO, snapKvParams, type SnapKvVariant } from '../../runner/engine/attention/snapkv-io.js';
import { attentionMethod } from '../../runner/engine/attention/registry.js';
import { compressGraph } from '../../runner/engine/graph/snapkv-compress.js';
import { GRAPH_IO } from '../../runner/engine/graph/model-graph.js';
import { floatToHalf, halfToFloat } from '../../runner/engine/dtype.js';
import { concatHeads, maxHeadDiff, randomCase, randomHeads, runAttentionLayer, type LayerShape } from './attention-harness.js';

const SHAPES: LayerShape[] = [
  { numHeads: 2, numKvHeads: 2, headDim: 16 },
  { numHeads: 8, numKvHeads: 2, headDim: 16 },
  { numHeads: 7, numKvHeads: 1, headDim: 16 },
];
const PARAMS: SnapKvParams = snapKvParams({ window: 8, kernel: 5, recent: 4, prefix: 2 });
const MASK = ATTENTION_STATE.input(0, SNAPKV_IO.maskState);

const f32 = (t: HeadTensor): ort.Tensor => new ort.Tensor('float32', Float32Array.from(t.data), [1, t.heads, t.length, t.headDim]);

/** The prefill graph's window state: the last w queries as `[1, kv, w, group x d]`. */
function windowState(query: HeadTensor, kv: number, window: number): ort.Tensor {
  const group = query.heads / kv;
  const d = query.headDim;
  const w = Math.min(window, query.length);
  const data = new Float32Array(kv * w * group * d);
  for (let g = 0; g < kv; g++) {
    for (let r = 0; r < w; r++) {
      for (let m = 0; m < group; m++) {
        const src = ((g * group + m) * query.length + query.length - w + r) * d;
        data.set(query.data.subarray(src, src + d), ((g * w + r) * group + m) * d);
      }
    }
  }
  return new ort.Tensor('float32', data, [1, kv, w, group * d]);
}

interface Compressed {
  kept: Int32Array[];
  key: HeadTensor;
  value: HeadTensor;
  mask?: ort.Tensor;
}

async function compress(shape: LayerShape, variant: SnapKvVariant, prefill: PrefillInput, capacity: number, params = PARAMS): Promise<Compressed> {
  const bytes = compressGraph({ numLayers: 1, numHeads: shape.numHeads, numKvHeads: shape.numKvHeads, headDim: shape.headDim, valueType: 'float' }, variant, params);
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], logSeverityLevel: 3 });
  try {
    const out = await session.run({
      [GRAPH_IO.pastKey(0)]: f32(prefill.key),
      [GRAPH_IO.pastValue(0)]: f32(prefill.value),
      [ATTENTION_STATE.input(0, SNAPKV_IO.windowState)]: windowState(prefill.query, shape.numKvHeads, params.window),
      [SNAPKV_IO.capacity]: new ort.Tensor('int64', BigInt64Array.of(BigInt(capacity)), []),
    });
    const keptT = out[SNAPKV_IO.kept(0)]!;
    const [, kv, M] = keptT.dims as [number, number, number];
    const mask = out[ATTENTION_STATE.output(0, SNAPKV_IO.maskState)];
    const ids = keptT.data as BigInt64Array;
    const kept = Array.from({ length: kv }, (_, g) => {
      const rows: number[] = [];
      for (let i = 0; i < M; i++) if (!mask || (mask.data as Float32Array)[g * M + i] === 0) rows.push(Number(ids[g * M + i]));
      return Int32Array.from(rows).sort();
    });
    const head = (t: ort.Tensor): HeadTensor => headTensor(kv, M, shape.headDim, Float64Array.from(t.data as Float32Array));
    return { kept, key: head(out[SNAPKV_IO.key(0)]!), value: head(out[SNAPKV_IO.value(0)]!), ...(mask ? { mask } : {}) };
  } finally {
    await session.release();
  }
}

/** Compress, then `steps` decode steps over the compacted cache; output differences to the reference and to dense. */
async function snapKvRun(shape: LayerShape, variant: SnapKvVariant, length: number, capacity: number, seed: number, params = PARAMS): Promise<{ selection: SnapKvSelection; compressed: Compressed; diffs: number[]; denseDiff: number }> {
  const c = randomCase(shape, 0, length, seed);
  const prefill = { query: c.query, key: c.key, value: c.value };
  const selection = (variant === 'snapkv' ? snapKvSelect : adaSnapKvSelect)(prefill, { capacity }, params);
  const compressed = await compress(shape, variant, prefill, capacity, params);
  let key = compressed.key;
  let value = compressed.value;
  let mask = compressed.mask;
  let fullKey = c.key;
  let fullValue = c.value;
  const diffs: number[] = [];
  let denseDiff = 0;
  for (let s = 0; s < 3; s++) {
    const step = randomCase(shape, 0, 1, seed + 100 * (s + 1));
    // Positions are absolute (length + s); the harness feeds P + i, so the identity RoPE makes them irrelevant here.
    const out = await runAttentionLayer(variant, shape, { ...step, pastKey: key, pastValue: value }, { params: { ...params }, inputs: mask ? { [MASK]: mask } : {} });
    fullKey = concatHeads(fullKey, step.key);
    fullValue = concatHeads(fullValue, step.value);
    const input = { query: step.query, key: fullKey, value: fullValue };
    const ref = snapKvDecode(input, selection, length);
    diffs.push(maxHeadDiff(out.output, headTensor(shape.numHeads, 1, shape.headDim, ref.output)));
    denseDiff = Math.max(denseDiff, maxHeadDiff(out.output, headTensor(shape.numHeads, 1, shape.headDim, denseDecodeAttention(input))));
    key = out.presentKey;
    value = out.presentValue;
    if (mask) {
      mask = out.extra[ATTENTION_STATE.output(0, SNAPKV_IO.maskState)]!;
      expect(mask.dims).toEqual([1, shape.numKvHeads, 1, key.length]);
    }
  }
  return { selection, compressed, diffs, denseDiff };
}

describe.each(SHAPES)('$numHeads query heads over $numKvHeads KV heads', (shape) => {
  it.each(['snapkv', 'ada-snapkv'] as const)('%s keeps the reference tokens and decodes over them as the reference does', async (variant) => {
    let uneven = false;
    for (const [length, capacity] of [[45, 12], [30, 7]] as const) {
      const run = await snapKvRun(shape, variant, length, capacity, length + capacity);
      expect(run.compressed.kept).toEqual(run.selection.kept);
      const counts = run.selection.kept.map((k) => k.length);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(capacity * shape.numKvHeads);
      if (variant === 'snapkv') expect(run.compressed.key.length).toBe(capacity);
      else expect(run.compressed.key.length).toBe(Math.max(...counts));
      uneven ||= new Set(counts).size > 1;
      for (const d of run.diffs) expect(d).toBeLessThan(1e-5);
      expect(run.denseDiff).toBeGreaterThan(1e-3);
    }
    // Ada-SnapKV's heads keep different counts (padded and masked in the graph).
    expect(uneven).toBe(variant === 'ada-snapkv' && shape.numKvHeads > 1);
  });

  it.each(['snapkv', 'ada-snapkv'] as const)('%s with a capacity covering the prompt equals dense', async (variant) => {
    const budget = SPARSE_METHODS[variant].budgetFor(1, 37, PARAMS);
    expect(budget).toEqual({ capacity: 37 });
    // A window longer than the prompt: every query scores.
    const run = await snapKvRun(shape, variant, 37, budget.capacity, 9, { ...PARAMS, window: 64 });
    expect(run.compressed.key.length).toBe(37);
    for (const d of run.diffs) expect(d).toBeLessThan(1e-5);
    expect(run.denseDiff).toBeLessThan(1e-5);
  });
});

describe('snapkv compress graph in fp16 (the WebGPU compute dtype)', () => {
  it.each(['snapkv', 'ada-snapkv'] as const)('%s keeps the reference tokens of fp16 inputs', async (variant) => {
    const shape = SHAPES[1]!;
    const half = (t: HeadTensor): HeadTensor => headTensor(t.heads, t.length, t.headDim, Float64Array.from(t.data, (x) => halfToFloat(floatToHalf(x))));
    const c = randomCase(shape, 0, 45, 77);
    const prefill = { query: half(c.query), key: half(c.key), value: half(c.value) };
    const bytes = compressGraph({ numLayers: 1, numHeads: shape.numHeads, numKvHeads: shape.numKvHeads, headDim: shape.headDim, valueType: 'float16' }, variant, PARAMS);
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], logSeverityLevel: 3 });
    const f16 = (t: ort.Tensor): ort.Tensor => new ort.Tensor('float16', Uint16Array.from(t.data as Float32Array, (x) => floatToHalf(x)), t.dims);
    try {
      const out = await session.run({
        [GRAPH_IO.pastKey(0)]: f16(f32(prefill.key)),
        [GRAPH_IO.pastValue(0)]: f16(f32(prefill.value)),
        [ATTENTION_STATE.input(0, SNAPKV_IO.windowState)]: f16(windowState(prefill.query, shape.numKvHeads, PARAMS.window)),
        [SNAPKV_IO.capacity]: new ort.Tensor('int64', BigInt64Array.of(12n), []),
      });
      const kept = out[SNAPKV_IO.kept(0)]!;
      const mask = out[ATTENTION_STATE.output(0, SNAPKV_IO.maskState)];
      const M = kept.dims[2]!;
      const heads = Array.from({ length: shape.numKvHeads }, (_, g) =>
        Int32Array.from(Array.from({ length: M }, (_, i) => i).filter((i) => !mask || halfToFloat((mask.data as Uint16Array)[g * M + i]!) === 0).map((i) => Number((kept.data as BigInt64Array)[g * M + i]))).sort(),
      );
      expect(out[SNAPKV_IO.key(0)]!.type).toBe('float16');
      if (mask) expect(mask.type).toBe('float16');
      expect(heads).toEqual((variant === 'snapkv' ? snapKvSelect : adaSnapKvSelect)(prefill, { capacity: 12 }, PARAMS).kept);
    } finally {
      await session.release();
    }
  });
});

describe('snapkv builders', () => {
  it('map the budget to the compress graph input and check params', async () => {
    expect(attentionMethod('snapkv').budgetInputs!({ capacity: 819 })).toEqual({ [SNAPKV_IO.capacity]: 819 });
    expect(attentionMethod('ada-snapkv').budgetInputs!({ capacity: 819 })).toEqual({ [SNAPKV_IO.capacity]: 819 });
    expect(() => snapKvParams({ kernel: 4 })).toThrow('snapkv needs an odd params.kernel; got 4.');
    const shape = SHAPES[0]!;
    await expect(runAttentionLayer('snapkv', shape, { ...randomCase(shape, 0, 1, 1), pastKey: randomHeads(2, 5, 16, 2), pastValue: randomHeads(2, 5, 16, 3) }, { params: { window: 0 } })).rejects.toThrow('snapkv needs params.window as an integer >= 1; got 0.');
  });
});
