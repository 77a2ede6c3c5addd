// The embedded engine on a pool of CPU workers: a tiny random checkpoint (the engine tests'
// fixture), two workers sharing the machine, the same greedy outputs and byte-identical
// results.jsonl as one process; the first worker builds the shared graph cache, the other waits.
import { mkdtempSync, readFileSync } from 'node:fs';
import { listGraphCache } from '../../runner/engine/graph/graph-cache.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveRecipe } from '../../runner/recipe/load.js';
import type { RunPrediction } from '../../runner/records.js';
import { runGrid } from '../../runner/run.js';
import { writeFixtureCheckpoint } from '../engine/helpers.js';
import { writeDataset } from './fixtures.js';

function outputs(dir: string): Map<string, [string, string | undefined, unknown]> {
  const map = new Map<string, [string, string | undefined, unknown]>();
  for (const line of readFileSync(join(dir, 'predictions.jsonl'), 'utf8').split('\n')) {
    if (line === '') continue;
    const p = JSON.parse(line) as RunPrediction;
    map.set(p.id, [p.output, p.finishReason, p.usage]);
  }
  return map;
}

describe('engine on a pool of CPU workers', () => {
  it('gives the single-process outputs and results byte for byte', async () => {
    const root = mkdtempSync(join(tmpdir(), 'lw-pool-engine-'));
    const checkpoint = writeFixtureCheckpoint('qwen2', root);
    writeDataset(join(root, 'data'), ['ruler/niah', 'ruler/vt'], [1024, 2048], 4, { inputChars: 40 });
    const recipe = {
      name: 'engine-pool',
      data: 'data',
      models: [{ name: 'tiny-qwen2', backend: 'engine', options: { path: checkpoint, device: 'cpu', maxLength: 256, cacheDir: join(root, 'cache-one') } }],
    };
    const single = join(root, 'single');
    const one = await runGrid(await resolveRecipe(recipe, { baseDir: root }), { dir: single });
    expect(one).toMatchObject({ total: 16, answered: 16, failed: [] });

    // A fresh graph cache, so the pool's first worker builds it while the other waits.
    const pooledRecipe = { ...recipe, models: [{ ...recipe.models[0]!, options: { ...recipe.models[0]!.options, cacheDir: join(root, 'cache-pool') } }] };
    const pooled = join(root, 'pooled');
    const logs: string[] = [];
    const two = await runGrid(await resolveRecipe(pooledRecipe, { baseDir: root }), { dir: pooled, log: (m) => logs.push(m), pool: { workers: 2 } });
    expect(two).toMatchObject({ total: 16, answered: 16, failed: [], interrupted: false });
    expect(logs.filter((m) => /^pool: worker \d ready/.test(m))).toHaveLength(2);
    const cache = listGraphCache(join(root, 'cache-pool'));
    expect(cache.graphs.filter((g) => g.state === 'complete').map((g) => g.current)).toEqual([true]);
    expect(cache.weights.map((w) => w.graphs)).toEqual([1]);

    expect(outputs(pooled)).toEqual(outputs(single));
    expect([...outputs(single).values()].every(([, , usage]) => (usage as { completionTokens: number }).completionTokens > 0)).toBe(true);
    expect(readFileSync(join(pooled, 'results.jsonl'), 'utf8')).toBe(readFileSync(join(single, 'results.jsonl'), 'utf8'));
  }, 120_000);
});
