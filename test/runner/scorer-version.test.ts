// Results scored by another scorer version are never compared silently: a resumed run re-scores
// them from their stored predictions (results.jsonl ends as if scored now), and a report refuses to
// merge runs scored differently, naming both.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveRecipe } from '../../runner/recipe/load.js';
import type { RunRecipe } from '../../runner/recipe/types.js';
import type { RunResult } from '../../runner/records.js';
import { runGrid } from '../../runner/run.js';
import { buildReport } from '../../runner/report/build.js';
import { SCORER_VERSION } from '../../scorers/version.js';
import { writeDataset } from './fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'lw-scorer-version-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const recipe: RunRecipe = { name: 'versions', data: 'data', models: [{ name: 'gold', backend: 'oracle' }] };
writeDataset(join(root, 'data'), ['story/multihop'], [1024], 3);

const lines = (file: string): RunResult[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as RunResult);

// Rewrites a run's results as an older longweave wrote them: no scorerVersion, other scores.
function ageResults(dir: string, keep: (i: number) => boolean = () => true): void {
  const file = join(dir, 'results.jsonl');
  const old = lines(file)
    .filter((_, i) => keep(i))
    .map(({ scorerVersion: _version, ...r }) => JSON.stringify({ ...r, score: 0, pass: false, scores: { exact: 0 } }));
  writeFileSync(file, old.map((l) => `${l}\n`).join(''));
}

describe('scorer versions in runs', () => {
  it('every result records the scorer version, and the summary records it too', async () => {
    const dir = join(root, 'fresh');
    await runGrid(await resolveRecipe(recipe, { baseDir: root }), { dir });
    expect(lines(join(dir, 'results.jsonl')).map((r) => r.scorerVersion)).toEqual([SCORER_VERSION, SCORER_VERSION, SCORER_VERSION]);
    const { summary } = await buildReport([dir], { htmlOff: true });
    expect(summary.scoring).toEqual({ scorerVersion: SCORER_VERSION });
  });

  it('--resume re-scores results of an older scorer version from the stored predictions', async () => {
    const dir = join(root, 'aged');
    cpSync(join(root, 'fresh'), dir, { recursive: true });
    const reference = readFileSync(join(dir, 'results.jsonl'), 'utf8');
    ageResults(dir, (i) => i !== 1);
    const log: string[] = [];
    const outcome = await runGrid(await resolveRecipe(recipe, { baseDir: root }), { dir, log: (m) => log.push(m) });
    expect(outcome).toMatchObject({ answered: 0, rescored: 3, alreadyDone: 3 });
    expect(log.join('\n')).toContain(`2 results were scored by scorer version 1; re-scoring them with version ${SCORER_VERSION} from their stored predictions`);
    // One line per pair, the current version's: byte for byte what a fresh run writes.
    expect(readFileSync(join(dir, 'results.jsonl'), 'utf8')).toBe(reference);
  });

  it('a report refuses to merge runs scored by different versions, naming both', async () => {
    const old = join(root, 'old');
    cpSync(join(root, 'fresh'), old, { recursive: true });
    ageResults(old);
    await expect(buildReport([join(root, 'fresh'), old], { htmlOff: true, out: join(root, 'merged') })).rejects.toThrow(
      new RegExp(`old/results\\.jsonl:1 was scored by scorer version 1, .*fresh/results\\.jsonl:1 by scorer version ${SCORER_VERSION}: results scored differently cannot be compared`),
    );
    // One run of an older version alone is reported, and says which version scored it.
    const { summary } = await buildReport([old], { htmlOff: true });
    expect(summary.scoring).toEqual({ scorerVersion: 1 });
  });
});
