// The engine's decode-phase sparse graphs (Quest; SnapKV and Ada-SnapKV) end to end on the tiny
// fixture checkpoints (GQA group 2), CPU provider, fp32: prefill in chunks of 7 through the dense
// graph, then decode steps through the method's graph with its per-layer state threaded by the
// session worker; logits of every step against the float64 forward pass with the method's
// reference in its attention, and a budget covering everything against dense.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../runner/engine/engine.js';
import { openCheckpoint } from '../../runner/engine/checkpoint/checkpoint.js';
import { ReferenceModel } from '../../runner/engine/reference/forward.js';
import { SPARSE_METHODS } from '../../runner/engine/sparse/registry.js';
import { QUEST_IO } from '../../runner/engine/attention/quest.js';
import { SNAPKV_IO } from '../../runner/engine/attention/snapkv-io.js';
import { PROMPT, maxAbsDiff, writeFixtureCheckpoint } from './helpers.js';
import { snapKvAttend } from './attention-harness.js';

const root = mkdtempSync(join(tmpdir(), 'lw-engine-ds-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const STEPS = 6;
/** 53 tokens: three full 16-token pages and a partial one. */
const LONG = [...PROMPT, ...PROMPT, ...PROMPT.slice(0, 5)];

async function run(dir: string, prompt: readonly number[], options: Parameters<typeof Engine.load>[1], attentionInputs?: Record<string, number>): Promise<{ tokens: number[]; logits: Float32Array[] }> {
  const engine = await Engine.load(dir, { device: 'cpu', chunkSize: 7, cacheDir: join(root, 'cache'), maxLength: 128, ...options });
  try {
    const result = await engine.generateIds(prompt, STEPS, { returnLogits: true, stopTokenIds: [], ...(attentionInputs ? { attentionInputs } : {}) });
    // One row per prefill chunk (its last position), then one per decode step: keep the last prompt position's and the steps'.
    return { tokens: result.tokens, logits: result.logits!.slice(-STEPS) };
  } finally {
    await engine.close();
  }
}

/** Logits of the last prompt position and of every decode step, from the reference with `attend`. */
function expected(dir: string, prompt: readonly number[], tokens: number[], attend?: ReferenceModel['attend']): number[][] {
  const ckpt = openCheckpoint(dir);
  const reference = new ReferenceModel(ckpt.spec, ckpt.weights, 128);
  if (attend) reference.attend = attend;
  return reference.forward([...prompt, ...tokens.slice(0, -1)]).slice(prompt.length - 1).map((row) => Array.from(row));
}

/** Small SnapKV parameters for a 53-token prompt: the last prefill chunk (4 tokens) is shorter than the window. */
const SNAP_PARAMS = { window: 8, kernel: 5, recent: 4, prefix: 2 };

describe.each(['llama', 'qwen3'] as const)('%s tiny checkpoint', (family) => {
  it('quest decode equals the float64 reference (budget fed or baked in); a budget covering every page equals dense', async () => {
    const dir = writeFixtureCheckpoint(family, root);
    const sparse = { pageSize: 16, pageBudget: 1 };
    const fed = await run(dir, LONG, { decodeAttention: { method: 'quest' } }, { [QUEST_IO.pageBudget]: sparse.pageBudget });
    const want = expected(dir, LONG, fed.tokens, (_layer, position, step) => (position >= LONG.length ? SPARSE_METHODS.quest.reference({ step }, sparse).output : undefined));
    expect(fed.logits).toHaveLength(want.length);
    want.forEach((row, i) => expect(maxAbsDiff(fed.logits[i]!, row)).toBeLessThan(1e-5));
    if (family === 'llama') {
      const baked = await run(dir, LONG, { decodeAttention: { method: 'quest', params: { pageBudget: 1 } } });
      expect(baked.tokens).toEqual(fed.tokens);
      baked.logits.forEach((row, i) => expect(maxAbsDiff(row, fed.logits[i]!)).toBeLessThan(1e-6));
    }
    // Dense differs on this prompt at this budget.
    const dense = expected(dir, LONG, fed.tokens);
    expect(Math.max(...want.slice(1).map((row, i) => maxAbsDiff(row, dense[i + 1]!)))).toBeGreaterThan(1e-4);
    // C = 1 reads every page: dense (one family; the layer tests cover every shape).
    if (family === 'qwen3') return;
    const full = SPARSE_METHODS.quest.budgetFor(1, LONG.length + STEPS);
    const all = await run(dir, LONG, { decodeAttention: { method: 'quest' } }, { [QUEST_IO.pageBudget]: full.pageBudget });
    expected(dir, LONG, all.tokens).forEach((row, i) => expect(maxAbsDiff(all.logits[i]!, row)).toBeLessThan(1e-5));
    // The same as the dense engine.
    const denseEngine = await run(dir, LONG, {});
    expect(all.tokens).toEqual(denseEngine.tokens);
    all.logits.forEach((row, i) => expect(maxAbsDiff(row, denseEngine.logits[i]!)).toBeLessThan(1e-5));
  });

  it.each(['snapkv', 'ada-snapkv'] as const)('%s: compressed cache after prefill, decode equals the float64 reference; full capacity equals dense', async (method) => {
    const dir = writeFixtureCheckpoint(family, root);
    const capacity = 9;
    const fed = await run(dir, LONG, { decodeAttention: { method, params: SNAP_PARAMS } }, { [SNAPKV_IO.capacity]: capacity });
    const want = expected(dir, LONG, fed.tokens, snapKvAttend(method, capacity, LONG.length, SNAP_PARAMS));
    expect(fed.logits).toHaveLength(want.length);
    want.forEach((row, i) => expect(maxAbsDiff(fed.logits[i]!, row)).toBeLessThan(1e-5));
    const dense = expected(dir, LONG, fed.tokens);
    expect(Math.max(...want.slice(1).map((row, i) => maxAbsDiff(row, dense[i + 1]!)))).toBeGreaterThan(1e-4);
    // C = 1 keeps the whole prompt: dense (one family per method, to keep the file fast).
    if ((method === 'snapkv') === (family === 'llama')) {
      const full = SPARSE_METHODS[method].budgetFor(1, LONG.length, SNAP_PARAMS);
      expect(full).toEqual({ capacity: LONG.length });
      const all = await run(dir, LONG, { decodeAttention: { method, params: { ...SNAP_PARAMS, capacity: full.capacity } } });
      // Dense float64 forward pass (no attend hook) over the tokens it generated.
      expected(dir, LONG, all.tokens).forEach((row, i) => expect(maxAbsDiff(all.logits[i]!, row)).toBeLessThan(1e-5));
    }
  });
});
