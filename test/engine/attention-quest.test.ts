// The engine's Quest decode graph (one layer, CPU provider, fp32) against the float64 reference of
// runner/engine/sparse/reference/quest.ts over consecutive decode steps: the page-bound state the
// graph carries equals pageBounds/updatePageBounds, the attended output equals questAttention, a
// budget covering every page equals dense, a small one differs from it. GQA groups 1, 4 and 7,
// cache lengths that are not multiples of the 16-token page.
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { pageBounds, questAttention, updatePageBounds, type PageBounds } from '../../runner/engine/sparse/reference/quest.js';
import { denseDecodeAttention } from '../../runner/engine/sparse/reference/dense.js';
import { SPARSE_METHODS } from '../../runner/engine/sparse/registry.js';
import { headTensor, type HeadTensor } from '../../runner/engine/sparse/tensor.js';
import { ATTENTION_STATE } from '../../runner/engine/attention/quest-state.js';
import { QUEST_IO, QUEST_STATE, questAttention as questBuilder } from '../../runner/engine/attention/quest.js';
import { runLayerGraph } from '../../runner/engine/attention/layer-graph.js';
import { concatHeads, maxHeadDiff, randomCase, runAttentionLayer, type LayerShape } from './attention-harness.js';

const SHAPES: LayerShape[] = [
  { numHeads: 2, numKvHeads: 2, headDim: 16 },
  { numHeads: 8, numKvHeads: 2, headDim: 16 },
  { numHeads: 7, numKvHeads: 1, headDim: 16 },
];
const MIN = ATTENTION_STATE.input(0, QUEST_STATE.min);
const MAX = ATTENTION_STATE.input(0, QUEST_STATE.max);

const empty = (shape: LayerShape): ort.Tensor => new ort.Tensor('float32', new Float32Array(0), [1, shape.numKvHeads, 0, shape.headDim]);

/** Pages 0..pages-1 of the reference bounds as `[kv, pages, d]` rows. */
function boundRows(b: PageBounds, which: 'min' | 'max', pages: number): Float64Array {
  const out = new Float64Array(b.kvHeads * pages * b.headDim);
  for (let g = 0; g < b.kvHeads; g++) out.set(b[which].subarray(g * b.pages * b.headDim, (g * b.pages + pages) * b.headDim), g * pages * b.headDim);
  return out;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

interface Run {
  /** Attended output of each step and the reference's. */
  diffs: number[];
  /** Largest output difference to dense attention over all steps. */
  denseDiff: number;
}

/** Consecutive decode steps from a `past`-token cache, state threaded from step to step. */
async function decodeSteps(shape: LayerShape, past: number, steps: number, pageBudget: number, seed: number): Promise<Run> {
  const start = randomCase(shape, past, 1, seed);
  let key: HeadTensor = start.pastKey!;
  let value: HeadTensor = start.pastValue!;
  let min = empty(shape);
  let max = empty(shape);
  let bounds: PageBounds | null = null;
  const diffs: number[] = [];
  let denseDiff = 0;
  for (let s = 0; s < steps; s++) {
    const c = randomCase(shape, 0, 1, seed + 10 * (s + 1));
    const out = await runAttentionLayer('quest', shape, { ...c, pastKey: key, pastValue: value }, { inputs: { [QUEST_IO.pageBudget]: pageBudget, [MIN]: min, [MAX]: max } });
    const fullKey = concatHeads(key, c.key);
    const fullValue = concatHeads(value, c.value);
    expect(maxHeadDiff(out.presentKey, fullKey)).toBe(0);
    // The reference's bounds, kept up to date token by token.
    if (!bounds) bounds = pageBounds(fullKey, 16);
    else for (let g = 0; g < shape.numKvHeads; g++) updatePageBounds(bounds, fullKey, g, fullKey.length - 1);
    const earlier = Math.floor((fullKey.length - 1) / 16);
    min = out.extra[ATTENTION_STATE.output(0, QUEST_STATE.min)]!;
    max = out.extra[ATTENTION_STATE.output(0, QUEST_STATE.max)]!;
    expect(min.dims).toEqual([1, shape.numKvHeads, earlier, shape.headDim]);
    expect(maxDiff(min.data as Float32Array, boundRows(bounds, 'min', earlier))).toBe(0);
    expect(maxDiff(max.data as Float32Array, boundRows(bounds, 'max', earlier))).toBe(0);
    const input = { query: c.query, key: fullKey, value: fullValue };
    const ref = questAttention(input, { pageSize: 16, pageBudget });
    diffs.push(maxHeadDiff(out.output, headTensor(shape.numHeads, 1, shape.headDim, ref.output)));
    denseDiff = Math.max(denseDiff, maxHeadDiff(out.output, headTensor(shape.numHeads, 1, shape.headDim, denseDecodeAttention(input))));
    key = fullKey;
    value = fullValue;
  }
  return { diffs, denseDiff };
}

describe.each(SHAPES)('quest, $numHeads query heads over $numKvHeads KV heads', (shape) => {
  it('carries the page bounds step by step and equals the reference at small budgets', async () => {
    // 43 tokens, then 20 steps: pages complete at 48 and 64, the state grows from 2 to 3 to 4 pages.
    for (const pageBudget of [1, 2]) {
      const run = await decodeSteps(shape, 43, 20, pageBudget, 5 + pageBudget);
      for (const d of run.diffs) expect(d).toBeLessThan(1e-5);
      expect(run.denseDiff).toBeGreaterThan(1e-3);
    }
  });

  it('equals dense attention when the budget covers every page', async () => {
    const budget = SPARSE_METHODS.quest.budgetFor(1, 70);
    expect(budget).toEqual({ pageSize: 16, pageBudget: 5 });
    const run = await decodeSteps(shape, 37, 3, budget.pageBudget, 11);
    for (const d of run.diffs) expect(d).toBeLessThan(1e-5);
    expect(run.denseDiff).toBeLessThan(1e-5);
  });
});

describe('quest builder', () => {
  it('reads fewer keys as the budget falls, from short caches too', async () => {
    const shape = SHAPES[1]!;
    // A cache shorter than one page: only the current page, no earlier pages to choose from.
    const short = await decodeSteps(shape, 5, 2, 3, 3);
    for (const d of short.diffs) expect(d).toBeLessThan(1e-5);
    expect(short.denseDiff).toBeLessThan(1e-5);
    // Exactly one full page before the new token: token 16 opens page 1.
    const edge = await decodeSteps(shape, 16, 2, 1, 4);
    for (const d of edge.diffs) expect(d).toBeLessThan(1e-5);
  });

  it('builds and runs in fp16 (the WebGPU compute dtype), near the float64 reference', async () => {
    const shape = SHAPES[1]!;
    const c = randomCase(shape, 43, 1, 21);
    const emptyHalf = new ort.Tensor('float16', new Uint16Array(0), [1, shape.numKvHeads, 0, shape.headDim]);
    const out = await runLayerGraph('quest', shape, c, { precision: 'fp16', inputs: { [QUEST_IO.pageBudget]: 1, [MIN]: emptyHalf, [MAX]: emptyHalf } });
    const state = out.extra[ATTENTION_STATE.output(0, QUEST_STATE.min)]!;
    expect(state.type).toBe('float16');
    expect(state.dims).toEqual([1, shape.numKvHeads, 2, shape.headDim]);
    const input = { query: c.query, key: concatHeads(c.pastKey, c.key), value: concatHeads(c.pastValue, c.value) };
    const ref = questAttention(input, { pageSize: 16, pageBudget: 1 });
    expect(maxHeadDiff(out.output, headTensor(shape.numHeads, 1, shape.headDim, ref.output))).toBeLessThan(2e-2);
  });

  it('maps the budget to its graph input and refuses other page sizes or bad params', async () => {
    expect(questBuilder.budgetInputs!({ pageSize: 16, pageBudget: 51 })).toEqual({ [QUEST_IO.pageBudget]: 51 });
    expect(() => questBuilder.budgetInputs!({ pageSize: 32, pageBudget: 5 })).toThrow('16-token pages');
    const shape = SHAPES[0]!;
    await expect(runAttentionLayer('quest', shape, randomCase(shape, 20, 1, 1), { params: { pageBudget: -1 } })).rejects.toThrow('quest needs params.pageBudget as an integer >= 0; got -1.');
  });
});
