// The engine's sink + window graphs (A-shape prefill, StreamingLLM decode) against the float64
// forward pass with runner/engine/sparse's reference in its attention, on the tiny fixture
// checkpoints (GQA group 2), CPU provider, fp32. Prompt length 24 and chunks of 7 are not multiples
// of each other, and the windows cross chunk boundaries.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../runner/engine/engine.js';
import { openCheckpoint } from '../../runner/engine/checkpoint/checkpoint.js';
import { ReferenceModel } from '../../runner/engine/reference/forward.js';
import { SPARSE_METHODS } from '../../runner/engine/sparse/registry.js';
import { attentionMethod } from '../../runner/engine/attention/registry.js';
import { SINK_WINDOW_IO } from '../../runner/engine/attention/sink-window.js';
import { PROMPT, maxAbsDiff, writeFixtureCheckpoint, generateWithLogits } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'lw-engine-sw-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const STEPS = 5;

const run = (dir: string, options: Parameters<typeof Engine.load>[1], attentionInputs?: Record<string, number>): ReturnType<typeof generateWithLogits> => generateWithLogits(dir, root, STEPS, options ?? {}, attentionInputs);

describe.each(['llama', 'qwen3'] as const)('%s tiny checkpoint', (family) => {
  it('a-shape at C = 1 equals dense attention', async () => {
    const dir = writeFixtureCheckpoint(family, root);
    const budget = SPARSE_METHODS['a-shape'].budgetFor(1, PROMPT.length);
    expect(budget).toEqual({ sink: 24, window: 24 });
    const sparse = await run(dir, { attention: { method: 'a-shape', params: { ...budget } } });
    const dense = await run(dir, {});
    expect(sparse.tokens).toEqual(dense.tokens);
    sparse.logits.forEach((row, i) => expect(maxAbsDiff(row, dense.logits[i]!)).toBeLessThan(1e-5));
  });

  it('a-shape at C = 2 and 1.5 equals the sparse float64 reference at every position', async () => {
    const dir = writeFixtureCheckpoint(family, root);
    const ckpt = openCheckpoint(dir);
    const m = SPARSE_METHODS['a-shape'];
    const budgets = [m.budgetFor(2, PROMPT.length), m.budgetFor(2, PROMPT.length, { sink: 2 }), m.budgetFor(1.5, PROMPT.length, { sink: 2 })];
    // Windows of 1, 5 and 8 tokens: the last two reach across chunk boundaries (chunks of 7).
    expect(budgets).toEqual([{ sink: 6, window: 1 }, { sink: 2, window: 5 }, { sink: 2, window: 8 }]);
    const dense = new ReferenceModel(ckpt.spec, ckpt.weights, 128).forward(PROMPT);
    for (const [index, budget] of budgets.entries()) {
      const result = await run(dir, { attention: { method: 'a-shape', params: { ...budget } } });
      const reference = new ReferenceModel(ckpt.spec, ckpt.weights, 128);
      // Row i of A-shape keeps j < sink and i - j < window: the StreamingLLM step over keys 0..i.
      reference.attend = (_layer, _position, step) => SPARSE_METHODS['streaming-llm'].reference({ step }, { sinks: budget.sink, recent: budget.window }).output;
      const expected = reference.forward([...PROMPT, ...result.tokens.slice(0, -1)]);
      expect(result.logits).toHaveLength(expected.length);
      expected.forEach((row, i) => expect(maxAbsDiff(result.logits[i]!, row)).toBeLessThan(1e-5));
      // The sparse pattern changes the result once rows reach past sink + window.
      expect(maxAbsDiff(expected[PROMPT.length - 1]!, dense[PROMPT.length - 1]!)).toBeGreaterThan(1e-4);
      if (index === 1) {
        // The budget as graph inputs (one graph for every length) gives the same logits.
        const fed = await run(dir, { attention: { method: 'a-shape' } }, { [SINK_WINDOW_IO.prefill.sink]: budget.sink, [SINK_WINDOW_IO.prefill.window]: budget.window });
        expected.forEach((row, i) => expect(maxAbsDiff(fed.logits[i]!, row)).toBeLessThan(1e-5));
      }
    }
  });

  it('streaming-llm decode at C = 2 equals the sparse float64 reference; a budget covering the sequence equals dense', async () => {
    const dir = writeFixtureCheckpoint(family, root);
    const ckpt = openCheckpoint(dir);
    // C = 1 over the whole sequence (prompt and generated tokens) reads every key: dense.
    const cases = [
      { budget: SPARSE_METHODS['streaming-llm'].budgetFor(1, PROMPT.length + STEPS), sparse: false },
      { budget: SPARSE_METHODS['streaming-llm'].budgetFor(2, PROMPT.length), sparse: true },
    ];
    expect(cases[1]!.budget).toEqual({ sinks: 4, recent: 8 });
    for (const { budget, sparse } of cases) {
      const result = await run(dir, { decodeAttention: { method: 'streaming-llm', params: { ...budget } } });
      const reference = new ReferenceModel(ckpt.spec, ckpt.weights, 128);
      if (sparse) {
        reference.attend = (_layer, position, step) =>
          position >= PROMPT.length ? SPARSE_METHODS['streaming-llm'].reference({ step }, budget).output : undefined;
      }
      const expected = reference.forward([...PROMPT, ...result.tokens.slice(0, -1)]);
      // Prefill chunks give every position (dense graph); decode steps one row each.
      expect(result.logits).toHaveLength(expected.length);
      expected.forEach((row, i) => expect(maxAbsDiff(result.logits[i]!, row)).toBeLessThan(1e-5));
    }
  });
});

describe('sink-window builders', () => {
  it('are registered and refuse missing budgets', async () => {
    expect(attentionMethod('a-shape').phase).toBe('prefill');
    expect(attentionMethod('streaming-llm').phase).toBe('decode');
    const dir = writeFixtureCheckpoint('llama', root);
    await expect(run(dir, { attention: { method: 'a-shape', params: { sink: 4, window: 0 } } })).rejects.toThrow('a-shape needs params.window as an integer >= 1; got 0.');
  });
});
