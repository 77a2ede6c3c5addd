// A prefill split into stages over consecutive layers (EngineOptions.prefillStages): each stage is a
// graph of its own, run one after another per chunk with the residual stream passed between them.
// The logits and greedy tokens equal the one-graph prefill's (CPU, fp32, chunks of 7), with dense
// and with a data-dependent sparse method (whose kept pairs are then summed over the stages), and
// bad stage counts are refused.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../runner/engine/engine.js';
import { PROMPT, maxAbsDiff, writeFixtureCheckpoint } from './helpers.js';

describe('prefill stages', () => {
  const root = mkdtempSync(join(tmpdir(), 'lw-engine-stages-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const dir = writeFixtureCheckpoint('qwen2', root);
  const run = async (options: Parameters<typeof Engine.load>[1]): Promise<{ tokens: number[]; logits: Float32Array[]; kept?: number; layers: number }> => {
    const engine = await Engine.load(dir, { device: 'cpu', allLogits: true, chunkSize: 7, cacheDir: join(root, 'cache'), maxLength: 128, ...options });
    try {
      const result = await engine.generateIds(PROMPT, 4, { returnLogits: true, stopTokenIds: [] });
      return { tokens: result.tokens, logits: result.logits!, ...(result.attentionStats?.keptPairs !== undefined ? { kept: result.attentionStats.keptPairs } : {}), layers: engine.spec.numLayers };
    } finally {
      await engine.close();
    }
  };
  /** The split run's greedy tokens equal the one-graph run's, and every logit row within 1e-5. */
  const expectSame = (split: Awaited<ReturnType<typeof run>>, one: Awaited<ReturnType<typeof run>>): void => {
    expect(split.tokens).toEqual(one.tokens);
    expect(split.logits).toHaveLength(one.logits.length);
    split.logits.forEach((row, i) => expect(maxAbsDiff(row, one.logits[i]!)).toBeLessThan(1e-5));
  };

  it('dense: every stage split gives the one-graph logits', async () => {
    const one = await run({});
    expect(one.layers).toBeGreaterThanOrEqual(2);
    for (const stages of [2, one.layers]) {
      expectSame(await run({ prefillStages: stages }), one);
    }
  });

  it('vertical-slash: same logits, kept pairs summed over the stages', async () => {
    const attention = { method: 'vertical-slash', params: { tileSize: 4, forcedSlash: 1, forcedVertical: 1, verticalCount: 2, slashCount: 2 } };
    const one = await run({ attention });
    const split = await run({ attention, prefillStages: 2 });
    expectSame(split, one);
    expect(one.kept).toBeGreaterThan(0);
    expect(split.kept).toBe(one.kept);
  });

  it('with SnapKV decoding: each stage keeps its layers\' window queries, and the tokens are the same', async () => {
    const decodeAttention = { method: 'snapkv', params: { window: 8, kernel: 5, recent: 4, prefix: 2, capacity: 12 } };
    const one = await run({ decodeAttention });
    expectSame(await run({ decodeAttention, prefillStages: 2 }), one);
  });

  it('refuses a stage count that is not 1 to the number of layers', async () => {
    await expect(run({ prefillStages: 0 })).rejects.toThrow(/prefillStages must be an integer from 1 to the model's \d+ layers; got 0\./);
    await expect(run({ prefillStages: 99 })).rejects.toThrow('got 99.');
  });
});
