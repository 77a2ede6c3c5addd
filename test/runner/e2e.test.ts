// The whole path on generated samples: generate -> oracle backend -> scorers -> summary. Every
// task's gold output must score 1, and a corrupted one 0, through the runner.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate, TASK_IDS } from '../../generators/index.js';
import { buildReport } from '../../runner/report/build.js';
import { resolveRecipe } from '../../runner/recipe/load.js';
import { runGrid } from '../../runner/run.js';

const TASKS = ['ruler/cwe', 'ruler/niah', 'ruler/vt'].filter((t) => (TASK_IDS as string[]).includes(t));

describe('generated samples through the runner', () => {
  it('score 1 with the oracle and 0 when every answer is corrupted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-e2e-'));
    const datasets = TASKS.map((task) => {
      const path = join(dir, task.replace('/', '.'), 'samples.jsonl');
      mkdirSync(join(dir, task.replace('/', '.')), { recursive: true });
      // 3k: ruler/cwe's 300 common-word items alone take ~2,000-3,000 tokens, depending on the words drawn.
      writeFileSync(path, [...generate({ task, lengths: [3072], samples: 3, seed: 11 })].map((s) => JSON.stringify(s)).join('\n') + '\n');
      return { path };
    });
    const recipe = {
      name: 'e2e',
      datasets,
      models: [
        { name: 'gold', backend: 'oracle' },
        { name: 'wrong', backend: 'oracle', options: { corruptRate: 1 } },
      ],
    };
    const runDir = join(dir, 'run');
    const outcome = await runGrid(await resolveRecipe(recipe, { baseDir: dir }), { dir: runDir });
    expect(outcome.answered).toBe(TASKS.length * 3 * 2);
    const { summary } = await buildReport([runDir]);
    expect(summary.cells.map((c) => [c.model, c.task, c.n, c.mean])).toEqual([
      ...TASKS.map((t) => ['gold', t, 3, 1]),
      ...TASKS.map((t) => ['wrong', t, 3, 0]),
    ]);
    expect(summary.tokenCheck.map((t) => t.exactShare)).toEqual([1, 1]);
  }, 60_000);
});
