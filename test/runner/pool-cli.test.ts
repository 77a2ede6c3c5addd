// `longweave run --workers/--gpus` from the command line: SIGKILL the coordinator mid-run, its
// workers stop by themselves, and `--resume --workers 2` ends with the results of an
// uninterrupted run; bad pool flags are refused before anything runs.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { resolveRecipe } from '../../runner/recipe/load.js';
import type { RunPrediction } from '../../runner/records.js';
import { runGrid } from '../../runner/run.js';
import { writeDataset } from './fixtures.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : [];
}

/** Whether a process still runs (a zombie waiting for its reaper counts as gone). */
function alive(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return false;
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(stat, 'utf8'));
  } catch {
    return false;
  }
}

function cli(args: string[], killAt?: { file: string; lines: number }): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'cli', 'main.ts'), 'run', ...args, '--no-progress', '--no-report'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CI: '1' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = killAt
      ? setInterval(() => {
          if (lines(killAt.file).length >= killAt.lines) child.kill('SIGKILL');
        }, 3)
      : undefined;
    child.on('exit', (code, signal) => {
      if (timer) clearInterval(timer);
      done({ code, signal, stderr });
    });
  });
}

describe('longweave run --workers', () => {
  it('survives a SIGKILL of the coordinator: workers exit, --resume --workers 2 finishes the run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-pool-cli-'));
    writeDataset(join(dir, 'data'), ['ruler/niah', 'ruler/vt'], [1024, 4096], 15);
    const options = { delayMs: 20, concurrency: 2, corruptRate: 0.4 };
    const recipe = { name: 'pool-cli', data: 'data', models: [{ name: 'a', backend: 'oracle', options }, { name: 'b', backend: 'oracle', options: { ...options, seed: 3 } }] };
    const recipeFile = join(dir, 'recipe.json');
    writeFileSync(recipeFile, JSON.stringify(recipe));
    const total = 2 * 4 * 15;
    const reference = join(dir, 'reference');
    await runGrid(await resolveRecipe(recipe, { baseDir: dir }), { dir: reference });

    const runDir = join(dir, 'run');
    const predictionsFile = join(runDir, 'predictions.jsonl');
    const killed = await cli([recipeFile, '--backend', 'oracle', '--out', runDir, '--workers', '2'], { file: predictionsFile, lines: 50 });
    expect(killed.signal).toBe('SIGKILL');
    const pids = [...killed.stderr.matchAll(/pool: worker \d ready \(pid (\d+)\)/g)].map((m) => Number(m[1]));
    expect(pids).toHaveLength(2);
    // Their IPC channel closed with the coordinator: they stop by themselves.
    for (let i = 0; i < 100 && pids.some(alive); i++) await sleep(50);
    expect(pids.filter(alive)).toEqual([]);
    const done = lines(predictionsFile).length;
    expect(done).toBeGreaterThanOrEqual(50);
    expect(done).toBeLessThan(total);

    const resumed = await cli(['--resume', runDir, '--workers', '2']);
    expect(resumed.stderr).not.toMatch(/Error/);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(new RegExp(`${runDir}: \\d+ answered, 0 failed, \\d+ done before`));
    const predictions = lines(predictionsFile).map((l) => JSON.parse(l) as RunPrediction);
    expect(predictions).toHaveLength(total);
    expect(new Set(predictions.map((p) => `${p.model}/${p.id}`)).size).toBe(total);
    expect(readFileSync(join(runDir, 'results.jsonl'), 'utf8')).toBe(readFileSync(join(reference, 'results.jsonl'), 'utf8'));
  }, 120_000);

  it('refuses bad pool flags and a --backend the recipe does not use, before anything runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-pool-cli-'));
    writeDataset(join(dir, 'data'), ['ruler/niah'], [1024], 2);
    const recipeFile = join(dir, 'recipe.json');
    writeFileSync(recipeFile, JSON.stringify({ name: 'x', data: 'data', models: [{ name: 'a', backend: 'oracle' }] }));
    const out = join(dir, 'run');
    const twice = await cli([recipeFile, '--out', out, '--gpus', '1,1']);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('--gpus 1,1 names a GPU twice; use --workers to run several workers on one GPU.');
    const workers = await cli([recipeFile, '--out', out, '--workers', '0']);
    expect(workers.code).toBe(1);
    expect(workers.stderr).toContain('--workers must be a positive integer, got "0".');
    const backend = await cli([recipeFile, '--out', out, '--backend', 'engine', '--workers', '2']);
    expect(backend.code).toBe(1);
    expect(backend.stderr).toContain("--backend engine: the recipe's model a uses backend oracle; with a recipe, --backend must match every model's.");
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});
