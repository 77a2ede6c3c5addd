// One decode step of the one-run graph's sparse decode methods (LOOP_DECODE_METHODS) as its own
// small ONNX graph: `prepare` over a random padded prompt cache and `attend` for one new query over
// it and a random tail of generated tokens, against the float64 references over the same keys and
// values (the prompt followed by the tail). Identity RoPE tables, so the keys and queries fed here
// are the references' rotated ones. Many shapes run in milliseconds: GQA groups 1, 4 and 7, prompts
// ending inside a page and past a 256-token block, tails that cross pages, budgets from nothing to
// everything. CPU provider, fp32.
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, type Dim } from '../../runner/engine/onnx/graph-builder.js';
import { encodeModel } from '../../runner/engine/onnx/proto.js';
import { LOOP_BLOCK, loopDecodeMethod } from '../../runner/engine/attention/loop-decode.js';
import type { ModelSpec } from '../../runner/engine/checkpoint/config.js';
import { SPARSE_METHODS } from '../../runner/engine/sparse/registry.js';
import type { HeadTensor } from '../../runner/engine/sparse/tensor.js';
import { denseDecodeAttention } from '../../runner/engine/sparse/reference/dense.js';
import { QUEST_IO } from '../../runner/engine/attention/quest.js';
import { SNAPKV_IO } from '../../runner/engine/attention/snapkv-io.js';
import { SINK_WINDOW_IO } from '../../runner/engine/attention/sink-window.js';
import { concatHeads, randomHeads } from './attention-harness.js';
import { maxAbsDiff } from './helpers.js';

interface StepCase {
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  /** Prompt tokens P (padded to whole 256-token blocks) and generated tokens before the new one. */
  prompt: number;
  generated: number;
}

interface StepData {
  /** `[heads, P, d]` prompt queries (for SnapKV's window), `[kv, P, d]` prompt keys and values. */
  promptQuery: HeadTensor;
  promptKey: HeadTensor;
  promptValue: HeadTensor;
  /** `[heads, 1, d]` the new token's query; `[kv, t + 1, d]` the tail, the new token's key and value last. */
  query: HeadTensor;
  tailKey: HeadTensor;
  tailValue: HeadTensor;
}

function randomStep(c: StepCase, seed: number): StepData {
  const { numHeads: h, numKvHeads: kv, headDim: d } = c;
  return {
    promptQuery: randomHeads(h, c.prompt, d, seed, 2),
    promptKey: randomHeads(kv, c.prompt, d, seed + 1, 2),
    promptValue: randomHeads(kv, c.prompt, d, seed + 2),
    query: randomHeads(h, 1, d, seed + 3, 2),
    tailKey: randomHeads(kv, c.generated + 1, d, seed + 4, 2),
    tailValue: randomHeads(kv, c.generated + 1, d, seed + 5),
  };
}

const f32 = (data: ArrayLike<number>, dims: number[]): ort.Tensor => new ort.Tensor('float32', Float32Array.from(data), dims);
const i64 = (values: number[], dims: number[]): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), dims);

/** `[heads, L, d]` as `[1, heads, Lp, d]` padded with random rows (what the padding's keys look like: anything). */
function padded(t: HeadTensor, length: number): ort.Tensor {
  const out = new Float32Array(t.heads * length * t.headDim).map((_, i) => Math.sin(i * 12.9898) * 3);
  for (let h = 0; h < t.heads; h++) out.set(t.data.subarray(h * t.length * t.headDim, (h + 1) * t.length * t.headDim), h * length * t.headDim);
  return new ort.Tensor('float32', out, [1, t.heads, length, t.headDim]);
}

/** Runs prepare and attend of `method` for one step; returns the attended `[heads x d]`. */
async function runStep(method: string, c: StepCase, data: StepData, inputs: Record<string, number>, params: Record<string, unknown> = {}): Promise<Float64Array> {
  const { numHeads: h, numKvHeads: kv, headDim: d } = c;
  const spec = { numHeads: h, numKvHeads: kv, headDim: d } as ModelSpec;
  const Pp = Math.ceil(c.prompt / LOOP_BLOCK) * LOOP_BLOCK;
  const positions = Pp + c.generated + 1;
  const g = new GraphBuilder();
  const value = (name: string, dims: readonly Dim[], type: 'float' | 'int64' = 'float'): string => g.input(name, type, dims);
  const budgets = new Map<string, string>();
  const m = loopDecodeMethod(method);
  const state = m.prepare({
    graph: g,
    spec,
    layer: 0,
    promptKey: value('prompt_key', [1, kv, 'padded', d]),
    promptValue: value('prompt_value', [1, kv, 'padded', d]),
    promptQuery: value('prompt_query', [1, 'padded', h * d]),
    promptLength: value('prompt_length', [1], 'int64'),
    paddedLength: value('padded_length', [1], 'int64'),
    cacheBias: value('cache_bias', [1, 1, 1, 'padded']),
    cosCache: value('cos', [positions, d / 2]),
    sinCache: value('sin', [positions, d / 2]),
    valueType: 'float',
    params,
    budgetInput: (name) => budgets.get(name) ?? (budgets.set(name, g.input(name, 'int64', [])), budgets.get(name)!),
  });
  const attended = m.attend({
    graph: g,
    spec,
    layer: 0,
    query: value('query', [1, kv, h / kv, d]),
    tailKey: value('tail_key', [1, kv, 'tail', d]),
    tailValue: value('tail_value', [1, kv, 'tail', d]),
    position: value('position', [1], 'int64'),
    iteration: value('iteration', [], 'int64'),
    state,
    valueType: 'float',
    params,
  });
  g.output(attended, 'attended', 'float', [1, kv, h / kv, d]);
  const session = await ort.InferenceSession.create(encodeModel(g.toModel()));
  const feeds: Record<string, ort.Tensor> = {
    prompt_key: padded(data.promptKey, Pp),
    prompt_value: padded(data.promptValue, Pp),
    // [heads, P, d] -> [1, Pp, heads x d]
    prompt_query: (() => {
      const out = new Float32Array(Pp * h * d);
      for (let p = 0; p < c.prompt; p++) for (let x = 0; x < h; x++) out.set(data.promptQuery.data.subarray((x * c.prompt + p) * d, (x * c.prompt + p + 1) * d), (p * h + x) * d);
      return new ort.Tensor('float32', out, [1, Pp, h * d]);
    })(),
    prompt_length: i64([c.prompt], [1]),
    padded_length: i64([Pp], [1]),
    cache_bias: f32(Array.from({ length: Pp }, (_, i) => (i < c.prompt ? 0 : -Infinity)), [1, 1, 1, Pp]),
    cos: f32(new Array(positions * (d / 2)).fill(1), [positions, d / 2]),
    sin: f32(new Array(positions * (d / 2)).fill(0), [positions, d / 2]),
    query: f32(data.query.data, [1, kv, h / kv, d]),
    tail_key: f32(data.tailKey.data, [1, kv, c.generated + 1, d]),
    tail_value: f32(data.tailValue.data, [1, kv, c.generated + 1, d]),
    position: i64([c.prompt + c.generated], [1]),
    iteration: i64([c.generated], []),
  };
  for (const [name, v] of Object.entries(inputs)) if (session.inputNames.includes(name)) feeds[name] = i64([v], []);
  const out = await session.run(feeds);
  await session.release();
  return Float64Array.from(out['attended']!.data as Float32Array);
}

/** The reference's step input: the new query over the prompt followed by the tail. */
const stepInput = (data: StepData) => ({ query: data.query, key: concatHeads(data.promptKey, data.tailKey), value: concatHeads(data.promptValue, data.tailValue) });

/** Dense attention of the new query over everything. */
function dense(data: StepData): Float64Array {
  return denseDecodeAttention(stepInput(data));
}

const SHAPES = [
  { numHeads: 4, numKvHeads: 4, headDim: 16 },
  { numHeads: 8, numKvHeads: 2, headDim: 8 },
  { numHeads: 14, numKvHeads: 2, headDim: 8 },
];
/** [P, t]: a prompt inside its first page, ending inside a page, past a block, on a block; tails crossing pages. */
const LENGTHS: [number, number][] = [[11, 0], [11, 20], [53, 0], [53, 30], [300, 5], [256, 40]];

describe.each(SHAPES)('$numHeads query heads, $numKvHeads KV heads', (shape) => {
  it.each(LENGTHS)('quest: P = %i, t = %i', async (prompt, generated) => {
    const c = { ...shape, prompt, generated };
    const data = randomStep(c, prompt * 7 + generated);
    const total = prompt + generated + 1;
    const earlier = Math.ceil(total / 16) - 1;
    for (const pageBudget of [0, 1, 3, earlier]) {
      const got = await runStep('quest', c, data, { [QUEST_IO.pageBudget]: pageBudget });
      const want = SPARSE_METHODS.quest.reference({ step: stepInput(data) }, { pageSize: 16, pageBudget }).output;
      expect(maxAbsDiff(got, want), `pageBudget ${pageBudget}`).toBeLessThan(1e-5);
    }
    if (earlier > 1) expect(maxAbsDiff(await runStep('quest', c, data, { [QUEST_IO.pageBudget]: earlier }), dense(data))).toBeLessThan(1e-5);
  });

  it('quest with 8-token pages (params.pageSize)', async () => {
    const c = { ...shape, prompt: 53, generated: 30 };
    const data = randomStep(c, 77);
    for (const pageBudget of [2, 5]) {
      const got = await runStep('quest', c, data, { [QUEST_IO.pageBudget]: pageBudget }, { pageSize: 8 });
      const want = SPARSE_METHODS.quest.reference({ step: stepInput(data) }, { pageSize: 8, pageBudget }).output;
      expect(maxAbsDiff(got, want), `pageBudget ${pageBudget}`).toBeLessThan(1e-5);
    }
  });
});

describe.each(SHAPES)('$numHeads query heads, $numKvHeads KV heads', (shape) => {
  it.each(LENGTHS)('streaming-llm: P = %i, t = %i', async (prompt, generated) => {
    const c = { ...shape, prompt, generated };
    const data = randomStep(c, prompt * 5 + generated + 1);
    const total = prompt + generated + 1;
    // Window inside the tail, across the prompt's end, longer than the prompt; no sinks, sinks past the prompt; everything.
    for (const [sinks, recent] of [[4, 1], [4, 8], [4, generated + 9], [0, 3], [prompt + 2, 2], [4, total]] as const) {
      const got = await runStep('streaming-llm', c, data, { [SINK_WINDOW_IO.decode.sink]: sinks, [SINK_WINDOW_IO.decode.window]: recent });
      const want = SPARSE_METHODS['streaming-llm'].reference({ step: stepInput(data) }, { sinks, recent }).output;
      expect(maxAbsDiff(got, want), `sinks ${sinks}, recent ${recent}`).toBeLessThan(1e-5);
    }
    expect(maxAbsDiff(await runStep('streaming-llm', c, data, {}, { sinks: 4, recent: total }), dense(data))).toBeLessThan(1e-5);
  });

  it.each(['snapkv', 'ada-snapkv'] as const)('%s: P = 53 and 300, capacities from the forced tokens to the whole prompt', async (method) => {
    for (const [prompt, generated, params] of [
      [53, 3, { window: 8, kernel: 5, recent: 4, prefix: 2 }],
      [300, 2, { window: 150, kernel: 7, recent: 16, prefix: 4, floorRatio: 0.3 }],
    ] as const) {
      const c = { ...shape, prompt, generated };
      const data = randomStep(c, prompt + generated + (method === 'snapkv' ? 0 : 9));
      const prefill = { query: data.promptQuery, key: data.promptKey, value: data.promptValue };
      for (const capacity of [params.recent + params.prefix, 40, prompt]) {
        const got = await runStep(method, c, data, { [SNAPKV_IO.capacity]: capacity }, params);
        const want = SPARSE_METHODS[method].reference({ step: stepInput(data), prefill }, { capacity }, params).output;
        expect(maxAbsDiff(got, want), `P ${prompt}, capacity ${capacity}`).toBeLessThan(1e-5);
      }
      expect(maxAbsDiff(await runStep(method, c, data, {}, { ...params, capacity: prompt }), dense(data))).toBeLessThan(1e-5);
    }
  });
});
