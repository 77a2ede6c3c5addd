// The order in which a grid run asks its backend: per model, one attention setting at a time over
// every dataset, settings that share engine graphs back to back and the dense graphs first. The
// engine backend reloads its sessions whenever the graph changes between requests, so this order
// loads each graph once per model. Results and resume are the same in any order.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { OracleBackend } from '../../runner/backends/oracle.js';
import { planAttention } from '../../runner/engine/backend.js';
import { openCheckpoint } from '../../runner/engine/checkpoint/checkpoint.js';
import { Engine } from '../../runner/engine/engine.js';
import { attentionGraph, orderAttention } from '../../runner/grid.js';
import { resolveRecipe } from '../../runner/recipe/load.js';
import type { RunRecipe } from '../../runner/recipe/types.js';
import type { RunPrediction } from '../../runner/records.js';
import { runGrid } from '../../runner/run.js';
import type { AttentionSetting, BackendRequest } from '../../runner/types.js';
import { writeFixtureCheckpoint } from '../engine/helpers.js';
import { writeDataset } from './fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'lw-run-order-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : [];
}

const label = (a: AttentionSetting | undefined): string => `${a?.prefill}/${a?.decode}@${a?.compression}`;

/** Runs a recipe with the oracle (one request at a time) and records what the backend was asked, in order. */
async function recordRun(recipe: RunRecipe, dir: string, options: { stopAfter?: number } = {}): Promise<{ asked: string[]; interrupted: boolean }> {
  const asked: string[] = [];
  const controller = new AbortController();
  const original = OracleBackend.prototype.generate;
  const spy = vi.spyOn(OracleBackend.prototype, 'generate').mockImplementation(function (this: OracleBackend, request: BackendRequest) {
    asked.push(`${label(request.attention)} ${request.sample.id}`);
    if (options.stopAfter !== undefined && asked.length >= options.stopAfter) controller.abort();
    return original.call(this, request);
  });
  const resolved = await resolveRecipe(recipe, { baseDir: root });
  const outcome = await runGrid(resolved, { dir, signal: controller.signal });
  spy.mockRestore();
  return { asked, interrupted: outcome.interrupted };
}

describe('grid run order', () => {
  writeDataset(join(root, 'data'), ['ruler/niah', 'ruler/vt'], [1024], 2);
  // Listed out of graph order on purpose: a sparse setting first, dense in the middle.
  const recipe: RunRecipe = {
    name: 'order',
    data: 'data',
    models: [{ name: 'gold', backend: 'oracle', options: { concurrency: 1, corruptRate: 0.3, corruptPerLnCompression: 0.2 } }],
    attention: [
      { prefill: 'a-shape', decode: 'dense', compression: 2 },
      { prefill: 'dense', decode: 'dense' },
      { prefill: 'a-shape', decode: 'dense', compression: 4 },
    ],
  };

  it('asks one attention setting at a time over both datasets, dense first, then each graph in recipe order', async () => {
    const { asked, interrupted } = await recordRun(recipe, join(root, 'full'));
    expect(interrupted).toBe(false);
    const samples = ['ruler.niah-1024-0000', 'ruler.niah-1024-0001', 'ruler.vt-1024-0000', 'ruler.vt-1024-0001'];
    const expected = ['dense/dense@1', 'a-shape/dense@2', 'a-shape/dense@4'].flatMap((setting) => samples.map((id) => `${setting} ${id}`));
    expect(asked).toEqual(expected);
    // predictions.jsonl is appended in the order asked
    const predictions = lines(join(root, 'full', 'predictions.jsonl')).map((l) => JSON.parse(l) as RunPrediction);
    expect(predictions.map((p) => `${label(p.attention)} ${p.id}`)).toEqual(expected);
    // results.jsonl is sorted: model, task, length, method, ratio, id
    const results = lines(join(root, 'full', 'results.jsonl')).map((l) => JSON.parse(l) as { task: string; method: string; compression: number; id: string });
    expect(results.slice(0, 6).map((r) => `${r.task} ${r.method} ${r.compression} ${r.id}`)).toEqual([
      'ruler/niah a-shape/dense 2 ruler.niah-1024-0000',
      'ruler/niah a-shape/dense 2 ruler.niah-1024-0001',
      'ruler/niah a-shape/dense 4 ruler.niah-1024-0000',
      'ruler/niah a-shape/dense 4 ruler.niah-1024-0001',
      'ruler/niah dense/dense 1 ruler.niah-1024-0000',
      'ruler/niah dense/dense 1 ruler.niah-1024-0001',
    ]);
    expect(lines(join(root, 'full', 'sample-info.jsonl')).map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(samples);
  });

  it('resumes an interrupted run without losing or repeating a pair, ending with the same results.jsonl', async () => {
    const dir = join(root, 'resumed');
    const first = await recordRun(recipe, dir, { stopAfter: 6 });
    expect(first.interrupted).toBe(true);
    const second = await recordRun(recipe, dir);
    expect(second.interrupted).toBe(false);
    // The second invocation asks only what the first did not record, in the same order.
    const recorded = lines(join(dir, 'predictions.jsonl')).map((l) => JSON.parse(l) as RunPrediction);
    const keys = recorded.map((p) => `${label(p.attention)} ${p.id}`);
    expect(new Set(keys).size).toBe(12);
    expect(keys).toHaveLength(12);
    const full = lines(join(root, 'full', 'predictions.jsonl')).map((l) => JSON.parse(l) as RunPrediction).map((p) => `${label(p.attention)} ${p.id}`);
    expect(keys).toEqual(full);
    expect(second.asked).toEqual(full.slice(full.length - second.asked.length));
    expect(readFileSync(join(dir, 'results.jsonl'), 'utf8')).toBe(readFileSync(join(root, 'full', 'results.jsonl'), 'utf8'));
    expect(readFileSync(join(dir, 'sample-info.jsonl'), 'utf8')).toBe(readFileSync(join(root, 'full', 'sample-info.jsonl'), 'utf8'));
  });

  it('writes the same results.jsonl whatever order the recipe lists its settings in', async () => {
    const reversed = { ...recipe, attention: [...recipe.attention!].reverse() };
    const { asked } = await recordRun(reversed, join(root, 'reversed'));
    expect(asked.map((a) => a.split(' ')[0])).toEqual([
      ...Array<string>(4).fill('dense/dense@1'),
      ...Array<string>(4).fill('a-shape/dense@4'),
      ...Array<string>(4).fill('a-shape/dense@2'),
    ]);
    expect(readFileSync(join(root, 'reversed', 'results.jsonl'), 'utf8')).toBe(readFileSync(join(root, 'full', 'results.jsonl'), 'utf8'));
  });
});

describe('attention settings grouped by engine graph', () => {
  const s = (prefill: string, decode: string, compression: number, params?: Record<string, unknown>): AttentionSetting => ({ prefill, decode, compression, ...(params ? { params } : {}) });
  const settings = [
    s('dense', 'snapkv', 2),
    s('a-shape', 'dense', 2),
    s('block-sparse', 'dense', 5, { scope: 'kv-head' }),
    s('dense', 'dense', 1),
    s('a-shape', 'dense', 1),
    s('dense', 'snapkv', 5),
    s('block-sparse', 'dense', 5, { scope: 'query-head' }),
    s('a-shape', 'dense', 10),
    s('block-sparse', 'dense', 10, { scope: 'kv-head' }),
  ];

  it('keys a setting by the graphs the engine backend runs it on', () => {
    // The runner's grouping must agree with the engine backend's reload key (planAttention().key).
    const spec = openCheckpoint(writeFixtureCheckpoint('qwen2', root)).spec;
    for (const a of settings) {
      for (const b of settings) {
        const sameEngine = planAttention(a, spec, 4096).key === planAttention(b, spec, 4096).key;
        expect(attentionGraph(a) === attentionGraph(b), `${label(a)} ${JSON.stringify(a.params)} vs ${label(b)} ${JSON.stringify(b.params)}`).toBe(sameEngine);
      }
    }
    expect(attentionGraph(s('a-shape', 'dense', 1))).toBe('dense/dense');
    expect(attentionGraph(s('a-shape', 'dense', 5))).toBe('a-shape/dense');
    expect(attentionGraph(s('block-sparse', 'dense', 5, { scope: 'kv-head' }))).toBe('block-sparse/dense {"scope":"kv-head"}');
  });

  it('orders dense first, then graphs by first appearance, keeping recipe order within a graph', () => {
    expect(orderAttention(settings).map((a) => `${label(a)}${a.params ? ` ${JSON.stringify(a.params)}` : ''}`)).toEqual([
      'dense/dense@1',
      'a-shape/dense@1',
      'dense/snapkv@2',
      'dense/snapkv@5',
      'a-shape/dense@2',
      'a-shape/dense@10',
      'block-sparse/dense@5 {"scope":"kv-head"}',
      'block-sparse/dense@10 {"scope":"kv-head"}',
      'block-sparse/dense@5 {"scope":"query-head"}',
    ]);
    expect(orderAttention([])).toEqual([]);
  });
});

describe('engine loads in a demo-like grid', () => {
  it('loads each graph once: dense, A-shape at every ratio, SnapKV at every ratio', async () => {
    const dir = join(root, 'engine');
    const checkpoint = writeFixtureCheckpoint('qwen2', dir);
    writeDataset(join(dir, 'data'), ['ruler/niah', 'ruler/vt'], [1024], 1, { inputChars: 40 });
    const loads: string[] = [];
    const load = Engine.load.bind(Engine);
    vi.spyOn(Engine, 'load').mockImplementation((model, options) => {
      loads.push(`${options?.attention?.method ?? 'dense'}/${options?.decodeAttention?.method ?? 'dense'}`);
      return load(model, options);
    });
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true); // the engine's progress lines
    const recipe: RunRecipe = {
      name: 'demo-like',
      data: 'data',
      models: [{ name: 'tiny', backend: 'engine', options: { path: checkpoint, device: 'cpu', maxLength: 512, cacheDir: join(dir, 'cache') } }],
      // the demo's settings (cli/demo.ts): dense, A-shape and SnapKV at C = 2, 5, 10
      attention: [
        { prefill: 'dense', decode: 'dense' },
        { prefill: 'a-shape', decode: 'dense', compression: [2, 5, 10] },
        { prefill: 'dense', decode: 'snapkv', compression: [2, 5, 10] },
      ],
    };
    const outcome = await runGrid(await resolveRecipe(recipe, { baseDir: dir }), { dir: join(dir, 'run') });
    expect(outcome.failed).toEqual([]);
    expect(outcome.answered).toBe(2 * 7);
    // Grid order before grouping loaded 1 + 3 per dataset after the first: 6 here, 12 in the demo.
    expect(loads).toEqual(['dense/dense', 'a-shape/dense-decode', 'dense/snapkv']);
  }, 180_000);
});
