// `longweave run --backend engine --model CHECKPOINT --device cpu`: the one-line engine run,
// through the built CLI, on the engine tests' tiny random checkpoint.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFixtureCheckpoint } from '../engine/helpers.js';
import { writeDataset } from './fixtures.js';

const CLI = join(process.cwd(), 'dist', 'cli', 'main.js');

describe('longweave run --backend engine (single cell from flags)', () => {
  it('runs a local checkpoint on the CPU provider and writes a scored run directory', () => {
    const root = mkdtempSync(join(tmpdir(), 'lw-engine-cli-'));
    const checkpoint = writeFixtureCheckpoint('llama', root);
    const files = writeDataset(join(root, 'data'), ['ruler/niah'], [1024], 3, { inputChars: 40 });
    const samples = Object.values(files)[0] as string;
    const out = join(root, 'run');
    const r = spawnSync(process.execPath, [CLI, 'run', '--backend', 'engine', '--model', checkpoint, '--device', 'cpu', '--samples', samples, '--out', out, '--json'], {
      encoding: 'utf8',
      env: { ...process.env, CI: '1' },
      timeout: 120_000,
    });
    expect(r.stderr).toContain('3 answered, 0 failed');
    expect(r.status).toBe(0);
    const predictions = readFileSync(join(out, 'predictions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { backend: string; model: string; usage: { completionTokens: number } });
    expect(predictions).toHaveLength(3);
    for (const p of predictions) {
      expect(p.backend).toBe('engine');
      expect(p.model).toBe('llama');
      expect(p.usage.completionTokens).toBeGreaterThan(0);
    }
    const summary = JSON.parse(r.stdout) as { cells: unknown[] };
    expect(summary.cells).toHaveLength(1);
    const bad = spawnSync(process.execPath, [CLI, 'run', '--backend', 'engine', '--model', join(root, 'nope'), '--samples', samples, '--out', join(root, 'bad')], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('nope');
  }, 180_000);

  it('sweeps a sparse method against dense from flags: --attention a-shape --compression 2', () => {
    const root = mkdtempSync(join(tmpdir(), 'lw-engine-sparse-'));
    const checkpoint = writeFixtureCheckpoint('qwen3', root);
    const files = writeDataset(join(root, 'data'), ['ruler/niah'], [1024], 2, { inputChars: 40 });
    const samples = Object.values(files)[0] as string;
    const out = join(root, 'run');
    const cache = join(root, 'graph-cache');
    const r = spawnSync(process.execPath, [CLI, 'run', '--backend', 'engine', '--model', checkpoint, '--samples', samples, '--attention', 'a-shape', '--compression', '2', '--out', out, '--json'], {
      encoding: 'utf8',
      env: { ...process.env, CI: '1', LONGWEAVE_ENGINE_CACHE: cache },
      timeout: 180_000,
    });
    expect(r.stderr).toContain('4 answered, 0 failed');
    expect(r.status).toBe(0);
    const predictions = readFileSync(join(out, 'predictions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { attention?: { prefill: string; compression: number; sparsity?: number } });
    const methods = predictions.map((p) => `${p.attention?.prefill}@${p.attention?.compression}`).sort();
    expect(methods).toEqual(['a-shape@2', 'a-shape@2', 'dense@1', 'dense@1']);
    for (const p of predictions.filter((x) => x.attention?.prefill === 'a-shape')) expect(p.attention?.sparsity).toBeGreaterThan(0);

    // Both cells' graphs (prefill and decode, dense and A-shape) link to one copy of the weights.
    const listed = spawnSync(process.execPath, [CLI, 'engine', 'cache', '--json', '--dir', cache], { encoding: 'utf8' });
    expect(listed.status).toBe(0);
    const listing = JSON.parse(listed.stdout) as { graphs: { current: boolean; method: string; sharedWeights: boolean }[]; weights: { graphs: number; bytes: number }[]; totalBytes: number };
    expect(listing.graphs.map((g) => g.method).sort()).toEqual(['a-shape', 'dense', 'dense-decode']);
    expect(listing.graphs.every((g) => g.current && g.sharedWeights)).toBe(true);
    expect(listing.weights).toHaveLength(1);
    expect(listing.weights[0]!.graphs).toBe(3);
    expect(listing.totalBytes).toBeLessThan(1.5 * listing.weights[0]!.bytes);
    const text = spawnSync(process.execPath, [CLI, 'engine', 'cache', '--dir', cache], { encoding: 'utf8' }).stdout.split('\n');
    expect(text[0]).toMatch(new RegExp(`^${cache}: 3 graphs, 1 weights files, [0-9.]+ (KiB|MiB) on disk$`));
    expect(text.filter((l) => /^ {2}[0-9a-f]{24} {2}current .* Qwen3ForCausalLM (dense|a-shape|dense-decode) fp32 \d+ positions \(.*\) {2}weights [0-9a-f]{12}$/.test(l))).toHaveLength(3);
    expect(text.find((l) => l.startsWith('  weights '))).toMatch(/linked by 3 graphs$/);
    const pruned = spawnSync(process.execPath, [CLI, 'engine', 'cache', '--prune', '--dir', cache], { encoding: 'utf8' });
    expect(pruned.stdout).toBe(`removed 0 graphs and 0 weights files from ${cache}, freed 0.0 KiB\n`);
    const cleared = spawnSync(process.execPath, [CLI, 'engine', 'cache', '--clear', '--json', '--dir', cache], { encoding: 'utf8' });
    expect(JSON.parse(cleared.stdout)).toMatchObject({ removedWeights: [expect.stringMatching(/^[0-9a-f]{64}\.bin$/)], freedBytes: listing.totalBytes });
    expect((JSON.parse(cleared.stdout) as { removedGraphs: string[] }).removedGraphs).toHaveLength(3);
    const missing = spawnSync(process.execPath, [CLI, 'run', '--backend', 'oracle', '--model', 'gold', '--samples', samples, '--attention', 'a-shape', '--out', join(root, 'x')], { encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('--compression is required with --attention a-shape');
    const bad = spawnSync(process.execPath, [CLI, 'run', '--backend', 'oracle', '--model', 'gold', '--samples', samples, '--attention', 'a-shape', '--compression', '0.5', '--out', join(root, 'y')], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--compression: compression item 1 ("0.5") is not a ratio >= 1');
  }, 240_000);
});
