// A grid run of the engine backend with one-run generation (CUDA's form, here on the CPU provider)
// beside the stepwise engine, over every sparse decode method at C = 2 (and one beside A-shape
// prefill, both methods in the one graph; and A-shape prefill with dense decoding, which the stepwise
// CPU engine runs as its dense-decode graph and one-run generation in its own loop): the backend's plan is the
// same for both forms (the budgets fed as the same graph inputs), so each prediction records the
// same budget, sparsity and KV values read per step, and the greedy output is the same text.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveRecipe } from '../../runner/recipe/load.js';
import type { RunPrediction } from '../../runner/records.js';
import { runGrid } from '../../runner/run.js';
import { SPARSE_METHODS } from '../../runner/engine/sparse/registry.js';
import { writeFixtureCheckpoint } from './helpers.js';
import { writeDataset } from '../runner/fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'lw-engine-one-run-grid-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const METHODS = ['quest', 'snapkv', 'ada-snapkv', 'streaming-llm'] as const;

describe('engine grid run with one-run generation', () => {
  it('records the stepwise engine\'s budgets and executed work for every sparse decode method, with the same output', async () => {
    const checkpoint = writeFixtureCheckpoint('qwen2', root);
    writeDataset(join(root, 'data'), ['ruler/niah'], [1024], 1, { inputChars: 40 });
    const options = { path: checkpoint, device: 'cpu', maxLength: 256, cacheDir: join(root, 'cache') };
    const recipe = {
      name: 'engine-one-run',
      data: 'data',
      models: [
        { name: 'stepwise', backend: 'engine', options: { ...options, chunkSize: 16 } },
        { name: 'one-run', backend: 'engine', options: { ...options, generation: 'one-run' } },
      ],
      // Every decode method beside dense prefill, one beside a sparse prefill method (both in the one
      // graph), and the sparse prefill method with dense decoding.
      attention: [
        ...METHODS.map((decode) => ({ prefill: 'dense', decode, compression: 2 })),
        { prefill: 'a-shape', decode: 'quest', compression: 2 },
        { prefill: 'a-shape', decode: 'dense', compression: 2 },
      ],
    };
    const dir = join(root, 'run');
    const summary = await runGrid(await resolveRecipe(recipe, { baseDir: root }), { dir });
    expect(summary).toMatchObject({ total: 12, answered: 12, failed: [] });
    const predictions = readFileSync(join(dir, 'predictions.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as RunPrediction);
    expect(predictions).toHaveLength(12);
    for (const [prefill, method] of [...METHODS.map((m) => ['dense', m] as const), ['a-shape', 'quest'] as const, ['a-shape', 'dense'] as const]) {
      const of = (model: string): RunPrediction => predictions.find((p) => p.model === model && p.attention!.prefill === prefill && p.attention!.decode === method)!;
      const stepwise = of('stepwise');
      const oneRun = of('one-run');
      expect(oneRun.finishReason).not.toBe('error');
      const length = oneRun.usage!.promptTokens!;
      expect(stepwise.usage!.promptTokens).toBe(length);
      // The budget of runner/engine/sparse for this prompt, recorded alike by both forms.
      expect(oneRun.attention!.params).toEqual({
        ...(method !== 'dense' ? { decodeBudget: SPARSE_METHODS[method].budgetFor(2, length) } : {}),
        ...(prefill === 'a-shape' ? { prefillBudget: SPARSE_METHODS['a-shape'].budgetFor(2, length) } : {}),
      });
      expect(oneRun.attention!.params).toEqual(stepwise.attention!.params);
      for (const key of ['decodeKvValuesPerStep', 'decodeSparsity', 'prefillFlops', 'prefillAttentionFlops'] as const) {
        expect(oneRun.attention!.executed![key], `${method} ${key}`).toBe(stepwise.attention!.executed![key]);
      }
      expect(oneRun.attention!.sparsity).toBe(stepwise.attention!.sparsity);
      expect(oneRun.attention!.executed!['decodeKvValuesPerStep']).toBeGreaterThan(0);
      // One-run generation has no separate prefill or decode step to time: the whole, and the prefill
      // of a one-token generation run for the first sample of each cell (here every sample).
      expect(oneRun).toMatchObject({ device: 'cpu', generation: 'one-run' });
      expect(stepwise).toMatchObject({ device: 'cpu', generation: 'stepwise' });
      expect(oneRun.attention!.executed!['prefillMs']).toBeGreaterThan(0);
      expect(oneRun.attention!.executed!['decodeStepMs']).toBeUndefined();
      expect(oneRun.attention!.executed!['generationMs']).toBeGreaterThan(0);
      expect(oneRun.output, method).toBe(stepwise.output);
    }
  }, 180_000);
});
