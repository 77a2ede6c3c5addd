// Shared test helpers: tiny deterministic checkpoints in a temp folder and logit comparisons.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURE_FAMILIES, writeFixtureCheckpoint as writeFixture, type FixtureFamily } from '../../runner/engine/checkpoint/synthetic.js';
import { Engine, type EngineOptions } from '../../runner/engine/engine.js';

export const FAMILIES = FIXTURE_FAMILIES;
export type TestFamily = FixtureFamily;

/** Writes the tiny fixture checkpoint of a family and returns its folder. */
export function writeFixtureCheckpoint(family: TestFamily, root = mkdtempSync(join(tmpdir(), 'lw-engine-'))): string {
  return writeFixture(family, root);
}

/** Largest absolute difference between two logit rows. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`Length mismatch: ${a.length} vs ${b.length}.`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** A fixed prompt of token ids within the tiny vocabulary. */
export const PROMPT = [256, 72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100, 33, 10, 84, 104, 101, 32, 118, 97, 108, 117, 101];

/**
 * Greedy tokens and the logits of every position for `steps` steps after PROMPT: the engine on the
 * CPU in chunks of 7 tokens, graphs cached under `root`, `attentionInputs` fed to every run.
 */
export async function generateWithLogits(dir: string, root: string, steps: number, options: EngineOptions, attentionInputs?: Record<string, number>): Promise<{ tokens: number[]; logits: Float32Array[] }> {
  const engine = await Engine.load(dir, { device: 'cpu', allLogits: true, chunkSize: 7, cacheDir: join(root, 'cache'), maxLength: 128, ...options });
  try {
    const result = await engine.generateIds(PROMPT, steps, { returnLogits: true, stopTokenIds: [], ...(attentionInputs ? { attentionInputs } : {}) });
    return { tokens: result.tokens, logits: result.logits! };
  } finally {
    await engine.close();
  }
}
