// A run directory records what its answers belong to (recipe, shard, every samples file's sha256)
// and refuses, naming what changed, to take answers for other inputs: a dataset regenerated in
// place, another seed, another recipe, by a rerun or by --resume.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashFile } from '../../runner/inputs.js';
import { resolveRecipe } from '../../runner/recipe/load.js';
import { RunMismatchError, readRunState, runPaths, writeRunState } from '../../runner/run-dir.js';
import { jsonDifferences } from '../../runner/run-identity.js';
import { resumeRun, runGrid } from '../../runner/run.js';
import { makeSample, writeDataset } from './fixtures.js';

const oracle = (corruptRate = 0) => ({ name: 'gold', backend: 'oracle', options: { corruptRate } });

describe('run identity', () => {
  it('records each samples file by content and refuses a dataset regenerated in place, on rerun and on resume', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-identity-'));
    const files = writeDataset(join(dir, 'data'), ['ruler/niah'], [1024], 4);
    const file = files['ruler/niah@1024']!;
    const recipe = { name: 'r', data: 'data', models: [oracle()] };
    const runDir = join(dir, 'run');
    const first = await runGrid(await resolveRecipe(recipe, { baseDir: dir }), { dir: runDir });
    expect(first.answered).toBe(4);
    const state = readRunState(runDir);
    expect(state.inputs?.datasets).toEqual([{ name: 'ruler/niah', task: 'ruler/niah', length: 1024, path: file, samples: 4, ...(await hashFile(file)) }]);

    // The same inputs: nothing to do.
    const again = await runGrid(await resolveRecipe(recipe, { baseDir: dir }), { dir: runDir });
    expect(again).toMatchObject({ answered: 0, alreadyDone: 4 });

    // Regenerated in place: same ids, other prompts and answers (another tokenizer or seed), one more sample.
    const before = await hashFile(file);
    const changed = Array.from({ length: 5 }, (_, i) => ({ ...makeSample('ruler/niah', 1024, i), target: [`other-${i}`] }));
    writeFileSync(file, changed.map((s) => JSON.stringify(s)).join('\n') + '\n');
    const after = await hashFile(file);
    const predictions = readFileSync(runPaths(runDir).predictions, 'utf8');
    const message =
      `${runDir} holds a run of other inputs; its answers would mix with this run's:\n` +
      `  dataset ruler/niah at length 1024: its samples file changed since the run started (${file}: sha256 ${before.sha256.slice(0, 12)}... then, ${after.sha256.slice(0, 12)}... now, 4 samples then and 5 now)\n` +
      `Restore what changed, run into another directory (--out), or delete ${runDir} to start over.`;
    const rerun = await runGrid(await resolveRecipe(recipe, { baseDir: dir }), { dir: runDir }).catch((e: unknown) => e);
    expect(rerun).toBeInstanceOf(RunMismatchError);
    expect((rerun as Error).message).toBe(message);
    await expect(resumeRun({ dir: runDir })).rejects.toThrow(message);
    // Nothing was added to the run.
    expect(readFileSync(runPaths(runDir).predictions, 'utf8')).toBe(predictions);
  });

  it('names each recipe field that changed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-identity-'));
    writeDataset(join(dir, 'data'), ['ruler/niah', 'ruler/vt'], [1024], 2);
    const runDir = join(dir, 'run');
    await runGrid(await resolveRecipe({ name: 'r', data: 'data', models: [oracle(0)] }, { baseDir: dir }), { dir: runDir });
    const other = { name: 'r', data: 'data', tasks: ['ruler/niah'], models: [oracle(0.5)] };
    const error = (await runGrid(await resolveRecipe(other, { baseDir: dir }), { dir: runDir, shard: { index: 0, count: 2 } }).catch((e: unknown) => e)) as RunMismatchError;
    expect(error.differences).toEqual([
      'recipe /models/0/options/corruptRate: was 0, now 0.5',
      'recipe /tasks: was unset, now ["ruler/niah"]',
      'shard: was none, now 0/2',
      `dataset ruler/vt at length 1024 (${join(dir, 'data', 'ruler/vt', '1024', 'samples.jsonl')}) was part of the run and is not now`,
    ]);
  });

  it('records the inputs of a run directory written before they were recorded, and holds them from then on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-identity-'));
    const files = writeDataset(join(dir, 'data'), ['ruler/niah'], [1024], 3);
    const runDir = join(dir, 'run');
    const recipe = { name: 'r', data: 'data', models: [oracle()] };
    await runGrid(await resolveRecipe(recipe, { baseDir: dir }), { dir: runDir });
    const { inputs: _inputs, ...legacy } = readRunState(runDir);
    writeRunState(runDir, legacy);
    const log: string[] = [];
    const outcome = await runGrid(await resolveRecipe(recipe, { baseDir: dir }), { dir: runDir, log: (m) => log.push(m) });
    expect(outcome.alreadyDone).toBe(3);
    expect(log).toContain(`${runPaths(runDir).state} recorded no input hashes; recording the current samples files' (answers given before were not checked against them)`);
    expect(readRunState(runDir).inputs?.datasets[0]?.sha256).toBe((await hashFile(files['ruler/niah@1024']!)).sha256);
  });

  it('continues with new transport settings (concurrency, timeouts, a moved server) and records them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-identity-'));
    writeDataset(join(dir, 'data'), ['ruler/niah'], [1024], 3);
    const runDir = join(dir, 'run');
    await runGrid(await resolveRecipe({ name: 'r', data: 'data', models: [{ name: 'gold', backend: 'oracle', options: { concurrency: 1 } }] }, { baseDir: dir }), { dir: runDir });
    const moved = { name: 'r', description: 'now with more in flight', data: 'data', run: { fsyncEveryMs: 10 }, models: [{ name: 'gold', backend: 'oracle', options: { concurrency: 4 } }] };
    const log: string[] = [];
    const outcome = await runGrid(await resolveRecipe(moved, { baseDir: dir }), { dir: runDir, log: (m) => log.push(m) });
    expect(outcome).toMatchObject({ answered: 0, alreadyDone: 3 });
    expect(log).toContain(
      `${runPaths(runDir).state}: continuing with new transport settings: /models/0/options/concurrency: was 1, now 4; /description: was unset, now "now with more in flight"; /run/fsyncEveryMs: was unset, now 10`,
    );
    expect(readRunState(runDir).recipe).toEqual(moved);
  });

  it('lists JSON differences by path', () => {
    expect(jsonDifferences({ a: [1, 2], b: { c: 'x' } }, { a: [1, 3], b: {}, d: true, e: { f: 1 } })).toEqual(['/a/1: was 2, now 3', '/b/c: was "x", now unset', '/d: was unset, now true', '/e/f: was unset, now 1']);
  });
});
