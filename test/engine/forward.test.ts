// The engine's graphs against the float64 reference, for a tiny random checkpoint of each family:
// every prefill position (in chunks) and every decode step, on the CPU provider in fp32.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../runner/engine/engine.js';
import { openCheckpoint } from '../../runner/engine/checkpoint/checkpoint.js';
import { ReferenceModel } from '../../runner/engine/reference/forward.js';
import { FAMILIES, PROMPT, maxAbsDiff, writeFixtureCheckpoint } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'lw-engine-fwd-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.each(FAMILIES)('%s tiny checkpoint', (family) => {
  it('matches the float64 reference at every prefill position and decode step', async () => {
    const dir = writeFixtureCheckpoint(family, root);
    const ckpt = openCheckpoint(dir);
    const engine = await Engine.load(dir, { device: 'cpu', allLogits: true, chunkSize: 7, cacheDir: join(root, 'cache'), maxLength: 256 });
    try {
      const steps = 6;
      const result = await engine.generateIds(PROMPT, steps, { returnLogits: true, stopTokenIds: [] });
      expect(result.tokens).toHaveLength(steps);
      expect(result.timings.chunkMs).toHaveLength(Math.ceil(PROMPT.length / 7));
      const logits = result.logits!;
      expect(logits).toHaveLength(PROMPT.length + steps - 1);
      const reference = new ReferenceModel(ckpt.spec, ckpt.weights, 256);
      const expected = reference.forward([...PROMPT, ...result.tokens.slice(0, -1)]);
      let worst = 0;
      expected.forEach((row, i) => {
        worst = Math.max(worst, maxAbsDiff(logits[i]!, row));
      });
      expect(worst).toBeLessThan(1e-5);
      // Greedy: each generated token is the argmax of the reference's logits at that step.
      const greedy = expected.slice(PROMPT.length - 1).map((row) => row.indexOf(Math.max(...row)));
      expect(result.tokens).toEqual(greedy);
    } finally {
      await engine.close();
    }
  });
});

describe.each(['llama', 'qwen3'] as const)('%s with the generic-operator decode graph', (family) => {
  it('decode steps through dense-decode match the reference', async () => {
    const dir = writeFixtureCheckpoint(family, root);
    const ckpt = openCheckpoint(dir);
    const engine = await Engine.load(dir, { device: 'cpu', decodeAttention: { method: 'dense-decode' }, chunkSize: 16, cacheDir: join(root, 'cache'), maxLength: 256 });
    try {
      const result = await engine.generateIds(PROMPT, 6, { returnLogits: true, stopTokenIds: [] });
      const reference = new ReferenceModel(ckpt.spec, ckpt.weights, 256);
      const expected = reference.forward([...PROMPT, ...result.tokens.slice(0, -1)]).slice(PROMPT.length - 1);
      // One last-position row per prefill chunk (2), then one per decode step (5).
      const rows = result.logits!.slice(-6);
      expect(result.logits).toHaveLength(7);
      expected.forEach((row, i) => expect(maxAbsDiff(rows[i]!, row)).toBeLessThan(1e-5));
    } finally {
      await engine.close();
    }
  });
});

describe.each(['mistral', 'qwen2'] as const)('%s with the blocked decode graph', (family) => {
  it('decode steps over a frozen cache plus a tail, with blocks moved as the tail grows, match the reference', async () => {
    const dir = writeFixtureCheckpoint(family, root);
    const ckpt = openCheckpoint(dir);
    // Block 4: the 24-token prompt freezes 20 tokens at the first step; later steps move blocks.
    const engine = await Engine.load(dir, { device: 'cpu', decodeAttention: { method: 'dense-decode-blocked', params: { block: 4 } }, chunkSize: 32, cacheDir: join(root, 'cache'), maxLength: 256 });
    try {
      const steps = 14;
      const result = await engine.generateIds(PROMPT, steps, { returnLogits: true, stopTokenIds: [] });
      const reference = new ReferenceModel(ckpt.spec, ckpt.weights, 256);
      const expected = reference.forward([...PROMPT, ...result.tokens.slice(0, -1)]).slice(PROMPT.length - 1);
      expect(result.logits).toHaveLength(steps);
      expected.forEach((row, i) => expect(maxAbsDiff(result.logits![i]!, row), `step ${i}`).toBeLessThan(1e-5));
    } finally {
      await engine.close();
    }
  });
});
