// Shared test helpers: tiny deterministic checkpoints in a temp folder and logit comparisons.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tinyConfig, writeRandomCheckpoint } from '../../runner/engine/checkpoint/synthetic.js';

export const FAMILIES = ['llama', 'mistral', 'qwen2', 'qwen3'] as const;
export type TestFamily = (typeof FAMILIES)[number];

/** The seed of each family's fixture checkpoint (the HF logits fixture was computed from these). */
export const fixtureSeed = (family: TestFamily): string => `longweave-engine-fixture/${family}`;

/** Writes the tiny fixture checkpoint of a family and returns its folder. */
export function writeFixtureCheckpoint(family: TestFamily, root = mkdtempSync(join(tmpdir(), 'lw-engine-'))): string {
  const dir = join(root, family);
  writeRandomCheckpoint(dir, tinyConfig(family), fixtureSeed(family), { shards: family === 'llama' ? 2 : 1 });
  return dir;
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
