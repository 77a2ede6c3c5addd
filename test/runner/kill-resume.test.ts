// SIGKILL the `longweave run` process at random points, resume, and compare with an uninterrupted
// run: no prediction lost, none duplicated, results identical byte for byte.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../generators/core/random.js';
import { resolveRecipe } from '../../runner/recipe/load.js';
import type { RunPrediction } from '../../runner/records.js';
import { runGrid } from '../../runner/run.js';
import { writeDataset } from './fixtures.js';
import { startFaultServer, type FaultServer } from './fault-server.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
let server: FaultServer;
beforeAll(async () => {
  server = await startFaultServer({ delayMs: 15, keepBodies: false });
});
afterAll(async () => server.close());

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : [];
}

function spawnRun(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'cli', 'main.ts'), 'run', ...args, '--no-progress', '--no-report'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, CI: '1' },
  });
}

/** Runs until the process exits by itself (code) or `killAt` predictions exist (then SIGKILL). */
function runUntil(child: ChildProcess, predictionsFile: string, killAt: number | undefined): Promise<{ code: number | null; killed: boolean; stderr: string }> {
  return new Promise((done) => {
    let stderr = '';
    let killed = false;
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer =
      killAt === undefined
        ? undefined
        : setInterval(() => {
            if (lines(predictionsFile).length >= killAt) {
              killed = true;
              child.kill('SIGKILL');
            }
          }, 3);
    child.on('exit', (code) => {
      if (timer) clearInterval(timer);
      done({ code, killed, stderr });
    });
  });
}

describe('kill and resume', () => {
  it('loses and duplicates nothing, and ends with the results of an uninterrupted run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-kill-'));
    writeDataset(join(dir, 'data'), ['ruler/niah', 'ruler/vt'], [1024, 2048], 40);
    const options = { baseUrl: server.url, concurrency: 4, timeoutMs: 5000, retries: 2, backoffBaseMs: 10 };
    const recipe = { name: 'kill', data: 'data', models: [{ name: 'a', backend: 'openai', options }, { name: 'b', backend: 'openai', options: { ...options, model: 'other' } }] };
    const recipeFile = join(dir, 'recipe.json');
    writeFileSync(recipeFile, JSON.stringify(recipe));
    const total = 2 * 4 * 40;

    // Reference: one uninterrupted run, in process.
    const reference = join(dir, 'reference');
    await runGrid(await resolveRecipe(recipe, { baseDir: dir }), { dir: reference });

    const runDir = join(dir, 'killed');
    const predictionsFile = join(runDir, 'predictions.jsonl');
    const rng = new Random('kill-points');
    let kills = 0;
    let first = true;
    let logs = '';
    for (let round = 0; round < 12; round++) {
      const done = lines(predictionsFile).length;
      // Kill after a random number of further predictions, four times; then let it finish.
      const killAt = kills < 4 && done < total - 60 ? rng.int(done + 1, Math.min(total - 40, done + 55)) : undefined;
      const child = spawnRun(first ? [recipeFile, '--out', runDir] : ['--resume', runDir]);
      first = false;
      const outcome = await runUntil(child, predictionsFile, killAt);
      logs += outcome.stderr;
      if (outcome.killed) {
        kills++;
        // A crash mid-write leaves a torn line: simulate one after the second kill.
        if (kills === 2) appendFileSync(predictionsFile, '{"id":"ruler.niah-1024-0003","output":"<ans');
        continue;
      }
      expect(outcome.stderr).not.toMatch(/Error/);
      expect(outcome.code).toBe(0);
      break;
    }
    expect(kills).toBe(4);
    expect(logs).toMatch(/predictions\.jsonl: discarded a torn last line \(\d+ bytes/);

    const predictions = lines(predictionsFile).map((l) => JSON.parse(l) as RunPrediction);
    const keys = predictions.map((p) => `${p.model}/${p.id}`);
    expect(predictions).toHaveLength(total);
    expect(new Set(keys).size).toBe(total);
    expect(predictions.every((p) => p.error === undefined)).toBe(true);
    expect(readFileSync(join(runDir, 'results.jsonl'), 'utf8')).toBe(readFileSync(join(reference, 'results.jsonl'), 'utf8'));
    expect(lines(join(runDir, 'results.jsonl'))).toHaveLength(total);
    expect(lines(join(runDir, 'sample-info.jsonl')).sort()).toEqual(lines(join(reference, 'sample-info.jsonl')).sort());
  }, 120_000);
});
