// A grid run of the engine backend on a tiny checkpoint with attention settings [dense, a-shape
// C = 2, streaming-llm C = 2]: every prediction answers and records the method, its budget, the
// effective sparsity from runner/engine/sparse's formulas and the executed work from its cost models.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveRecipe } from '../../runner/recipe/load.js';
import type { RunPrediction } from '../../runner/records.js';
import { runGrid } from '../../runner/run.js';
import { buildReport } from '../../runner/report/build.js';
import { openCheckpoint } from '../../runner/engine/checkpoint/checkpoint.js';
import { planAttention } from '../../runner/engine/backend.js';
import { aShapeSparsity, streamingLlmSparsity } from '../../runner/engine/sparse/sparsity.js';
import { aShapeBudget, streamingLlmBudget } from '../../runner/engine/sparse/budget.js';
import { prefillCost, decodeTraffic } from '../../runner/engine/sparse/cost.js';
import { writeFixtureCheckpoint } from './helpers.js';
import { writeDataset } from '../runner/fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'lw-engine-sparse-run-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('planAttention', () => {
  const spec = openCheckpoint(writeFixtureCheckpoint('qwen2', root)).spec;
  it('gives the registry budget, sparsity and cost of each method', () => {
    const a = planAttention({ prefill: 'a-shape', decode: 'dense', compression: 2 }, spec, 1000);
    const ab = aShapeBudget(2, 1000);
    expect(a.key).toBe('a-shape/dense');
    expect(a.inputs).toEqual({ 'attention.prefill.sink': ab.sink, 'attention.prefill.window': ab.window });
    expect(a.sparsity).toBe(aShapeSparsity(1000, ab.sink, ab.window));
    expect(a.executed['prefillAttentionFlops']).toBe(prefillCost(spec, 1000, 1 - a.sparsity).attention);
    expect((a.executed['prefillAttentionFlops']! * 2) / prefillCost(spec, 1000, 1).attention).toBeCloseTo(1, 3);
    const s = planAttention({ prefill: 'dense', decode: 'streaming-llm', compression: 2 }, spec, 1000);
    expect(s.inputs).toEqual({ 'attention.decode.sink': 4, 'attention.decode.window': 496 });
    expect(streamingLlmBudget(2, 1000)).toEqual({ sinks: 4, recent: 496 });
    expect(s.sparsity).toBe(streamingLlmSparsity(1000, 4, 496));
    expect(s.executed['decodeKvValuesPerStep']).toBe(decodeTraffic(spec, 1000, 0.5).kvCache);
    const dense = planAttention({ prefill: 'a-shape', decode: 'dense', compression: 1 }, spec, 1000);
    expect(dense).toMatchObject({ key: 'dense/dense', inputs: {}, sparsity: 0 });
    expect(() => planAttention({ prefill: 'dense', decode: 'dense', compression: 2 }, spec, 1000)).toThrow(/needs a sparse prefill/);
  });
});

describe('engine grid run with sparse attention', () => {
  it('runs dense, a-shape C = 2 and streaming-llm C = 2 and records what ran', async () => {
    const checkpoint = writeFixtureCheckpoint('qwen2', root);
    writeDataset(join(root, 'data'), ['ruler/niah'], [1024], 2, { inputChars: 40 });
    const recipe = {
      name: 'engine-sparse',
      data: 'data',
      models: [{ name: 'tiny-qwen2', backend: 'engine', options: { path: checkpoint, device: 'cpu', maxLength: 256, chunkSize: 16, cacheDir: join(root, 'cache') } }],
      attention: [
        { prefill: 'dense', decode: 'dense' },
        { prefill: 'a-shape', decode: 'dense', compression: 2 },
        { prefill: 'dense', decode: 'streaming-llm', compression: 2 },
      ],
    };
    const dir = join(root, 'run');
    const summary = await runGrid(await resolveRecipe(recipe, { baseDir: root }), { dir });
    expect(summary).toMatchObject({ total: 6, answered: 6, failed: [] });
    const predictions = readFileSync(join(dir, 'predictions.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as RunPrediction);
    expect(predictions).toHaveLength(6);
    for (const p of predictions) {
      expect(p.finishReason).not.toBe('error');
      const a = p.attention!;
      const length = p.usage!.promptTokens!;
      if (a.prefill === 'a-shape') {
        const b = aShapeBudget(2, length);
        expect(a.params).toEqual({ prefillBudget: b });
        expect(a.sparsity).toBe(aShapeSparsity(length, b.sink, b.window));
        expect(a.sparsity).toBeGreaterThan(0.4);
        expect(a.executed!['prefillSparsity']).toBe(a.sparsity);
      } else if (a.decode === 'streaming-llm') {
        const b = streamingLlmBudget(2, length);
        expect(a.params).toEqual({ decodeBudget: b });
        expect(a.sparsity).toBe(streamingLlmSparsity(length, b.sinks, b.recent));
        expect(a.executed!['decodeSparsity']).toBe(a.sparsity);
      } else {
        expect(a).toMatchObject({ prefill: 'dense', decode: 'dense', compression: 1, sparsity: 0 });
      }
      expect(a.executed!['prefillAttentionFlops']).toBeGreaterThan(0);
      expect(a.executed!['decodeKvValuesPerStep']).toBeGreaterThan(0);
      // What the report's speed table reads: the device, the form, and the times measured apart.
      expect(p).toMatchObject({ device: 'cpu', generation: 'stepwise' });
      const { prefillMs, decodeStepMs, generationMs } = a.executed as Record<string, number>;
      expect(prefillMs).toBeGreaterThan(0);
      expect(generationMs).toBeGreaterThanOrEqual(prefillMs!);
      if (p.usage!.completionTokens! > 1) {
        expect(decodeStepMs).toBeGreaterThan(0);
        // The median step is no more than the longest, so steps x median fit in the decode time.
        expect(generationMs! - prefillMs! - (a.executed!['compressMs'] ?? 0)).toBeGreaterThanOrEqual(decodeStepMs! * ((p.usage!.completionTokens! - 1) / 2));
      } else expect(decodeStepMs).toBeUndefined();
    }
    expect(new Set(predictions.map((p) => `${p.attention!.prefill}/${p.attention!.decode}`))).toEqual(new Set(['dense/dense', 'a-shape/dense', 'dense/streaming-llm']));
    expect(predictions.filter((p) => p.attention!.executed!['decodeStepMs'] !== undefined).length).toBeGreaterThan(0);
    // The report compares each sparse cell with dense on the same device.
    const report = await buildReport([dir], { htmlOff: true });
    expect(report.summary.speed.map((s) => [`${s.prefill}/${s.decode}`, s.device, s.generation, s.estimate, s.timed])).toEqual([
      ['a-shape/dense', 'cpu', 'stepwise', 'median', 2],
      ['dense/dense', 'cpu', 'stepwise', 'median', 2],
      ['dense/streaming-llm', 'cpu', 'stepwise', 'median', 2],
    ]);
    for (const s of report.summary.speed) {
      expect(s.prefillSpeedup).toBeGreaterThan(0);
      expect(s.prefillMs).toBeGreaterThan(0);
      expect(s.notes.filter((n) => n !== 'no sample decoded past its first token')).toEqual([]);
    }
  }, 120_000);
});
