// Sparse decode over the blocked cache (`params.cache: 'blocked'`, WebGPU's default for these
// methods): the tiny Llama fixture on the CPU provider, fp32, small blocks (8 tokens) so one run
// goes through the empty-frozen start, the first freeze and several merges. Each method's blocked
// graph must give the same tokens and logits as its flat graph, which decode-sparse.test.ts and
// sink-window.test.ts check against the float64 references.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, type EngineOptions } from '../../runner/engine/engine.js';
import { QUEST_IO } from '../../runner/engine/attention/quest.js';
import { SNAPKV_IO } from '../../runner/engine/attention/snapkv-io.js';
import * as ort from 'onnxruntime-node';
import { PROMPT, maxAbsDiff, writeFixtureCheckpoint } from './helpers.js';
import { concatHeads, randomCase, sliceRows } from './attention-harness.js';
import { runLayerGraph } from '../../runner/engine/attention/layer-graph.js';
import { FROZEN_IO } from '../../runner/engine/attention/dense-decode-blocked.js';
import { denseDecodeAttention } from '../../runner/engine/sparse/reference/dense.js';

const root = mkdtempSync(join(tmpdir(), 'lw-engine-db-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const STEPS = 40;
/** 53 tokens (three full 16-token pages and a partial one) and 10 tokens (shorter than a page). */
const LONG = [...PROMPT, ...PROMPT, ...PROMPT.slice(0, 5)];
const SHORT = PROMPT.slice(0, 10);

async function run(dir: string, prompt: readonly number[], decodeAttention: EngineOptions['decodeAttention'], attentionInputs: Record<string, number> = {}): Promise<{ tokens: number[]; logits: Float32Array[] }> {
  const engine = await Engine.load(dir, { device: 'cpu', chunkSize: 7, cacheDir: join(root, 'cache'), maxLength: 128, ...(decodeAttention ? { decodeAttention } : {}) });
  try {
    const result = await engine.generateIds(prompt, STEPS, { returnLogits: true, stopTokenIds: [], attentionInputs });
    return { tokens: result.tokens, logits: result.logits!.slice(-STEPS) };
  } finally {
    await engine.close();
  }
}

const SNAP = { window: 8, kernel: 5, recent: 4, prefix: 2 };
const CASES: { method: string; params: Record<string, unknown>; inputs: Record<string, number> }[] = [
  { method: 'quest', params: { pageSize: 16 }, inputs: { [QUEST_IO.pageBudget]: 2 } },
  { method: 'snapkv', params: SNAP, inputs: { [SNAPKV_IO.capacity]: 9 } },
  { method: 'ada-snapkv', params: SNAP, inputs: { [SNAPKV_IO.capacity]: 9 } },
  { method: 'streaming-llm', params: { sinks: 2, recent: 12 }, inputs: {} },
];

describe('blocked-cache decode graphs (tiny Llama, CPU, blocks of 8)', () => {
  const dir = writeFixtureCheckpoint('llama', root);

  it.each(CASES)('$method: blocked equals flat over 40 steps after a 53-token and a 10-token prompt', async ({ method, params, inputs }) => {
    for (const prompt of [LONG, SHORT]) {
      const flat = await run(dir, prompt, { method, params }, inputs);
      const blocked = await run(dir, prompt, { method, params: { ...params, cache: 'blocked', block: 8 } }, inputs);
      expect(blocked.tokens).toEqual(flat.tokens);
      expect(blocked.logits).toHaveLength(STEPS);
      blocked.logits.forEach((row, i) => expect(maxAbsDiff(row, flat.logits[i]!)).toBeLessThan(1e-5));
    }
  });

  it('quest blocked with 2-page tournament slices (many slices, budget above a slice) equals flat', async () => {
    for (const budget of [1, 3]) {
      const flat = await run(dir, LONG, { method: 'quest', params: { pageSize: 16 } }, { [QUEST_IO.pageBudget]: budget });
      const blocked = await run(dir, LONG, { method: 'quest', params: { pageSize: 16, cache: 'blocked', block: 8, topkWidth: 2 } }, { [QUEST_IO.pageBudget]: budget });
      expect(blocked.tokens).toEqual(flat.tokens);
      blocked.logits.forEach((row, i) => expect(maxAbsDiff(row, flat.logits[i]!)).toBeLessThan(1e-5));
    }
  });

  it('quest blocked differs from dense at a small budget and equals it when the budget covers every page', async () => {
    const dense = await run(dir, LONG, undefined);
    const small = await run(dir, LONG, { method: 'quest', params: { cache: 'blocked', block: 8 } }, { [QUEST_IO.pageBudget]: 1 });
    expect(Math.max(...small.logits.map((row, i) => maxAbsDiff(row, dense.logits[i]!)))).toBeGreaterThan(1e-4);
    const all = await run(dir, LONG, { method: 'quest', params: { cache: 'blocked', block: 8 } }, { [QUEST_IO.pageBudget]: 100 });
    expect(all.tokens).toEqual(dense.tokens);
    all.logits.forEach((row, i) => expect(maxAbsDiff(row, dense.logits[i]!)).toBeLessThan(1e-5));
  });

  it('refuses a bad cache mode, naming the method and the field', async () => {
    await expect(run(dir, SHORT, { method: 'quest', params: { cache: 'paged' } }, { [QUEST_IO.pageBudget]: 1 })).rejects.toThrow('quest params.cache must be "flat" or "blocked"; got "paged".');
  });
});

describe('dense-decode-blocked as one layer (frozen keys transposed, P V in blocks)', () => {
  it('equals float64 dense decode attention; a missing frozen tensor is named', async () => {
    const shape = { numHeads: 8, numKvHeads: 2, headDim: 16 };
    const F = 12;
    const tail = 5;
    const c = randomCase(shape, F + tail, 1, 7);
    const key = c.pastKey!;
    const value = c.pastValue!;
    // Frozen part: the first F tokens, keys as [1, kv, d, F] and values as [1, kv, F, d].
    const keyT = new Float32Array(shape.numKvHeads * shape.headDim * F);
    const frozenValue = new Float32Array(shape.numKvHeads * F * shape.headDim);
    for (let h = 0; h < shape.numKvHeads; h++) {
      for (let t = 0; t < F; t++) {
        for (let x = 0; x < shape.headDim; x++) {
          keyT[(h * shape.headDim + x) * F + t] = key.data[(h * key.length + t) * shape.headDim + x]!;
          frozenValue[(h * F + t) * shape.headDim + x] = value.data[(h * value.length + t) * shape.headDim + x]!;
        }
      }
    }
    const inputs = {
      [FROZEN_IO.length]: new ort.Tensor('int64', BigInt64Array.of(BigInt(F)), [1]),
      [FROZEN_IO.keyT(0)]: new ort.Tensor('float32', keyT, [1, shape.numKvHeads, shape.headDim, F]),
      [FROZEN_IO.value(0)]: new ort.Tensor('float32', frozenValue, [1, shape.numKvHeads, F, shape.headDim]),
    };
    const layer = { query: c.query, key: c.key, value: c.value, pastKey: sliceRows(key, F, tail), pastValue: sliceRows(value, F, tail) };
    const out = await runLayerGraph('dense-decode-blocked', shape, layer, { params: { block: 4 }, inputs, maxPositions: 64 });
    const want = denseDecodeAttention({ query: c.query, key: concatHeads(key, c.key), value: concatHeads(value, c.value) });
    expect(maxAbsDiff(out.output.data, want)).toBeLessThan(1e-5);
    await expect(runLayerGraph('dense-decode-blocked', shape, layer, { params: { block: 4 }, inputs: { [FROZEN_IO.length]: inputs[FROZEN_IO.length] }, maxPositions: 64 })).rejects.toThrow(
      'Layer input "frozen.0.key_t" declared by dense-decode-blocked (params {"block":4}) needs a tensor in options.inputs.',
    );
  });
});
