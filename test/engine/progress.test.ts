// Prefill progress: Engine.generateIds's onProgress hears once per prefill chunk, in order, with the
// prompt tokens done, the prompt's length and the chunk's time (the same times the result reports).
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../runner/engine/engine.js';
import { PROMPT, writeFixtureCheckpoint } from './helpers.js';

describe('prefill progress', () => {
  const root = mkdtempSync(join(tmpdir(), 'lw-engine-progress-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const dir = writeFixtureCheckpoint('qwen2', root);

  it('reports each chunk of the prompt, then nothing for a generation without a listener', async () => {
    const engine = await Engine.load(dir, { device: 'cpu', chunkSize: 7, cacheDir: join(root, 'cache'), maxLength: 128 });
    try {
      const heard: { done: number; total: number; chunkMs: number }[] = [];
      const result = await engine.generateIds(PROMPT, 2, { stopTokenIds: [], onProgress: (p) => heard.push(p) });
      const expected = Array.from({ length: Math.ceil(PROMPT.length / 7) }, (_, i) => Math.min(7 * (i + 1), PROMPT.length));
      expect(heard.map((p) => p.done)).toEqual(expected);
      expect(heard.every((p) => p.total === PROMPT.length)).toBe(true);
      expect(heard.map((p) => p.chunkMs)).toEqual(result.timings.chunkMs);
      const again = await engine.generateIds(PROMPT, 2, { stopTokenIds: [] });
      expect(again.tokens).toEqual(result.tokens);
      expect(heard).toHaveLength(expected.length);
    } finally {
      await engine.close();
    }
  });
});
