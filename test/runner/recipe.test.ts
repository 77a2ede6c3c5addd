import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SchemaError } from '../../schemas/index.js';
import { flagsToRecipe } from '../../runner/recipe/flags.js';
import { expandAttention, loadRecipeFile, resolveRecipe } from '../../runner/recipe/load.js';
import { writeDataset } from './fixtures.js';

function setup(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lw-recipe-'));
  writeDataset(join(dir, 'data'), ['ruler/niah', 'ruler/vt'], [1024, 2048], 3);
  return dir;
}

const oracle = { name: 'gold', backend: 'oracle' };

async function issuesOf(recipe: unknown, dir: string, env: Record<string, string> = {}): Promise<string[]> {
  try {
    await resolveRecipe(recipe, { baseDir: dir, env });
  } catch (error) {
    if (error instanceof SchemaError) return error.issues.map((i) => `${i.path} [${i.rule}]`);
    throw error;
  }
  return [];
}

describe('run recipes', () => {
  it('resolves datasets from a manifest, filtered by task and length', async () => {
    const dir = setup();
    const resolved = await resolveRecipe({ name: 'r', data: 'data', tasks: ['ruler/niah'], lengths: ['2k'], models: [oracle], samples: { count: 2, offset: 1 } }, { baseDir: dir });
    expect(resolved.datasets.map((d) => [d.name, d.task, d.length, d.samples])).toEqual([['ruler/niah', 'ruler/niah', 2048, 3]]);
    expect(resolved.datasets[0]?.path).toBe(join(dir, 'data', 'ruler/niah', '2048', 'samples.jsonl'));
    expect(resolved.selection).toEqual({ offset: 1, count: 2 });
    expect(resolved.attention).toEqual([{ prefill: 'dense', decode: 'dense', compression: 1 }]);
  });

  it('reads task and length of an explicit samples file from its first line', async () => {
    const dir = setup();
    const resolved = await resolveRecipe({ name: 'r', datasets: [{ path: 'data/ruler/vt/1024/samples.jsonl' }], models: [oracle] }, { baseDir: dir });
    expect(resolved.datasets.map((d) => [d.name, d.task, d.length])).toEqual([['ruler/vt', 'ruler/vt', 1024]]);
  });

  it('expands attention entries into one setting per compression ratio', () => {
    expect(
      expandAttention({ attention: [{ prefill: 'dense', decode: 'dense' }, { prefill: 'vertical-slash', decode: 'dense', compression: [5, 10], params: { lastQueries: 64 } }] }),
    ).toEqual([
      { prefill: 'dense', decode: 'dense', compression: 1 },
      { prefill: 'vertical-slash', decode: 'dense', compression: 5, params: { lastQueries: 64 } },
      { prefill: 'vertical-slash', decode: 'dense', compression: 10, params: { lastQueries: 64 } },
    ]);
  });

  it('names the path and rule of schema errors: bad numbers, unknown fields, wrong backends', async () => {
    const dir = setup();
    expect(await issuesOf({ name: 'r', data: 'data', models: [{ name: 'm', backend: 'openai', options: { baseUrl: 'http://x/v1', concurrency: 0 } }] }, dir)).toContain(
      '/models/0/options/concurrency [minimum]',
    );
    expect(await issuesOf({ name: 'r', data: 'data', models: [oracle], attention: [{ prefill: 'dense', decode: 'dense', compression: 0.5 }] }, dir)).toContain(
      '/attention/0/compression [minimum]',
    );
    expect(await issuesOf({ name: 'r', data: 'data', models: [oracle], samples: -1 }, dir)).toContain('/samples [minimum]');
    expect(await issuesOf({ name: 'r', data: 'data', models: [{ name: 'm', backend: 'vllm' }] }, dir)).toContain('/models/0/backend [enum]');
    expect(await issuesOf({ name: 'r', data: 'data', models: [oracle], colour: 'red' }, dir)).toContain('/colour [additionalProperties]');
    expect(await issuesOf({ name: 'r', data: 'data', models: [{ name: 'm', backend: 'openai' }] }, dir)).toContain('/models/0/options [required]');
  });

  it('rejects unknown tasks, missing datasets, bad URLs and unset keys before any request', async () => {
    const dir = setup();
    const issues = await issuesOf(
      {
        name: 'r',
        data: 'data',
        tasks: ['ruler/niah', 'ruler/nope', 'ruler/cwe'],
        lengths: [1024, 4096],
        models: [{ name: 'm', backend: 'openai', options: { baseUrls: ['http://localhost:8000/v1', 'ftp://x', 'not a url'], apiKeyEnv: 'LW_TEST_UNSET_KEY' } }],
      },
      dir,
    );
    expect(issues).toEqual([
      '/tasks/1 [task]',
      '/tasks/2 [dataset]',
      '/lengths/1 [dataset]',
      '/models/0/options/baseUrls/1 [url]',
      '/models/0/options/baseUrls/2 [url]',
      '/models/0/options/apiKeyEnv [env]',
    ]);
    expect(await issuesOf({ name: 'r', data: 'nowhere', models: [oracle] }, dir)).toEqual(['/data [dataset]']);
    expect(await issuesOf({ name: 'r', datasets: [{ path: 'missing.jsonl' }], models: [oracle] }, dir)).toEqual(['/datasets/0/path [dataset]']);
    expect(await issuesOf({ name: 'r', models: [oracle] }, dir)).toEqual(['/data [required]']);
  });

  it('accepts a set API key, and refuses sparse attention on an HTTP backend', async () => {
    const dir = setup();
    const model = { name: 'm', backend: 'openai', options: { baseUrl: 'http://127.0.0.1:1/v1', apiKeyEnv: 'LW_KEY' } };
    expect(await issuesOf({ name: 'r', data: 'data', models: [model] }, dir, { LW_KEY: 'sk-1' })).toEqual([]);
    expect(
      await issuesOf({ name: 'r', data: 'data', models: [model], attention: [{ prefill: 'dense', decode: 'dense' }, { prefill: 'dense', decode: 'quest', compression: 5 }] }, dir, { LW_KEY: 'k' }),
    ).toEqual(['/attention/1 [backend]']);
  });

  it('checks engine options through the engine module, before any request', async () => {
    const dir = setup();
    expect(await issuesOf({ name: 'r', data: 'data', models: [{ name: 'e', backend: 'engine', options: { path: 'no/such/checkpoint' } }] }, dir)).toEqual(['/models/0/options/path [engine]']);
  });

  it('rejects duplicate models and settings', async () => {
    const dir = setup();
    expect(
      await issuesOf({ name: 'r', data: 'data', models: [oracle, oracle], attention: [{ prefill: 'dense', decode: 'quest', compression: [2, 5] }, { prefill: 'dense', decode: 'quest', compression: 5 }] }, dir),
    ).toEqual(['/attention [uniqueItems]', '/models/1/name [uniqueItems]']);
  });

  it('reports invalid JSON with the file name', async () => {
    const dir = setup();
    const file = join(dir, 'recipe.json');
    writeFileSync(file, '{"name": ');
    await expect(loadRecipeFile(file)).rejects.toThrow(`${file}: / is not valid JSON (`);
    await expect(loadRecipeFile(join(dir, 'missing.json'))).rejects.toThrow(`${join(dir, 'missing.json')}: / does not exist [file]`);
  });

  it('builds a one-cell recipe from flags', () => {
    expect(
      flagsToRecipe({ backend: 'openai', model: 'Qwen/Qwen3-8B', samples: ['a.jsonl', 'b.jsonl'], baseUrl: ['http://a/v1', 'http://b/v1'], concurrency: 8, limit: 5 }),
    ).toEqual({
      name: 'Qwen-Qwen3-8B',
      datasets: [{ path: 'a.jsonl' }, { path: 'b.jsonl' }],
      models: [{ name: 'Qwen/Qwen3-8B', backend: 'openai', options: { baseUrls: ['http://a/v1', 'http://b/v1'], concurrency: 8 } }],
      samples: 5,
    });
  });
});
