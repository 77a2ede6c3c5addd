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
import { PROMPT, maxAbsDiff, writeFixtureCheckpoint } from './helpers.js';

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
