// The engine against Hugging Face transformers 5.17 (fp32, computed on the GPU host by
// scripts/gpu-hf-reference.py) for the tiny fixture checkpoints, which the tests regenerate bit
// for bit: same files (sha256), same greedy tokens, logits within fp32 tolerance.
import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../runner/engine/engine.js';
import { FAMILIES, PROMPT, maxAbsDiff, writeFixtureCheckpoint } from './helpers.js';

interface HfFixture {
  transformers: string;
  prompt: number[];
  families: Record<string, { tokens: number[]; rows: Record<string, number[]> }>;
}

const fixtureDir = new URL('../fixtures/engine/', import.meta.url);
const hf = JSON.parse(readFileSync(new URL('hf-logits.json', fixtureDir), 'utf8')) as HfFixture;
const hashes = JSON.parse(readFileSync(new URL('checkpoints.sha256.json', fixtureDir), 'utf8')) as Record<string, string>;
const root = mkdtempSync(join(tmpdir(), 'lw-engine-hf-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.each(FAMILIES)('%s against transformers', (family) => {
  it('regenerates the fixture checkpoint bit for bit and matches transformers logits and greedy tokens', async () => {
    expect(hf.prompt).toEqual(PROMPT);
    const dir = writeFixtureCheckpoint(family, root);
    for (const file of readdirSync(dir).sort()) {
      expect(createHash('sha256').update(readFileSync(join(dir, file))).digest('hex'), `${family}/${file}`).toBe(hashes[`${family}/${file}`]);
    }
    const expected = hf.families[family]!;
    const engine = await Engine.load(dir, { device: 'cpu', allLogits: true, cacheDir: join(root, 'cache'), maxLength: 128 });
    try {
      const free = await engine.generateIds(PROMPT, expected.tokens.length, { stopTokenIds: [] });
      expect(free.tokens).toEqual(expected.tokens);
      const forced = await engine.generateIds(PROMPT, expected.tokens.length, { stopTokenIds: [], forcedTokens: expected.tokens, returnLogits: true });
      const rows = Object.entries(expected.rows);
      expect(rows.length).toBeGreaterThan(8);
      for (const [position, row] of rows) {
        expect(maxAbsDiff(forced.logits![Number(position)]!, row), `position ${position}`).toBeLessThan(1e-4);
      }
    } finally {
      await engine.close();
    }
  });
});
