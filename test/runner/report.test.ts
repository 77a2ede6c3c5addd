// Reports: summary.json figures, a self-contained report.html, rendered in headless Chromium
// with every plot and no console errors; shards merge into the report of the whole grid.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../runner/analysis/summary.js';
import { resolveRecipe } from '../../runner/recipe/load.js';
import type { RunRecipe } from '../../runner/recipe/types.js';
import { buildReport } from '../../runner/report/build.js';
import { terminalReport } from '../../runner/report/tables.js';
import { runGrid } from '../../runner/run.js';
import { writeDataset } from './fixtures.js';

function findChromium(): string | undefined {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    const found = spawnSync('which', [name], { encoding: 'utf8' });
    if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
  }
  return undefined;
}

const recipe: RunRecipe = {
  name: 'report',
  data: 'data',
  models: [
    { name: 'big', backend: 'oracle', parameters: 8e9, options: { corruptRate: 0.05, corruptPerLnCompression: 0.08 } },
    { name: 'small', backend: 'oracle', parameters: 1e9, options: { corruptRate: 0.2, corruptPerLnCompression: 0.12, seed: 3 } },
  ],
  attention: [
    { prefill: 'dense', decode: 'dense' },
    { prefill: 'vertical-slash', decode: 'dense', compression: [2, 5, 10, 20] },
    { prefill: 'dense', decode: 'quest', compression: [2, 5, 10, 20] },
  ],
};

let dir: string;
let runDir: string;
let summary: RunSummary;
let html: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lw-report-'));
  writeDataset(join(dir, 'data'), ['ruler/niah', 'story/retrieval'], [1024, 2048, 4096], 20);
  runDir = join(dir, 'run');
  await runGrid(await resolveRecipe(recipe, { baseDir: dir }), { dir: runDir });
  const out = await buildReport([runDir]);
  summary = out.summary;
  html = readFileSync(out.reportPath as string, 'utf8');
}, 60_000);

describe('summary', () => {
  it('has every cell with n, mean and interval', () => {
    expect(summary.cells).toHaveLength(2 * 2 * 3 * 9);
    expect(summary.totals).toEqual({ pairs: 2 * 2 * 3 * 9 * 20, scored: 2160, failures: 0, duplicates: 0 });
    for (const cell of summary.cells) {
      expect(cell.n).toBe(20);
      expect(cell.ci?.method).toBe('wilson');
      expect(cell.ci!.low).toBeLessThanOrEqual(cell.mean as number);
      expect(cell.ci!.high).toBeGreaterThanOrEqual(cell.mean as number);
    }
    // The oracle's corrupted share grows with the compression ratio, so accuracy falls.
    const big = summary.cells.filter((c) => c.model === 'big' && c.task === 'ruler/niah' && c.length === 1024 && c.decode === 'quest');
    expect(big.map((c) => c.compression)).toEqual([2, 5, 10, 20]);
    for (let i = 1; i < big.length; i++) expect(big[i]!.mean!).toBeLessThanOrEqual(big[i - 1]!.mean!);
  });

  it('compares each method with dense, per length and pooled', () => {
    const pooled = summary.dense.filter((d) => d.length === 'all');
    expect(pooled).toHaveLength(2 * 2 * 2);
    for (const d of summary.dense) {
      expect(d.tests.map((t) => t.compression)).toEqual([2, 5, 10, 20]);
      if (d.maxCompression !== null) expect(d.tests.filter((t) => t.compression <= d.maxCompression!).every((t) => t.indistinguishable)).toBe(true);
    }
    // Pooled over 60 samples the small model's drop at C = 20 is detected.
    const smallNiah = pooled.find((d) => d.model === 'small' && d.task === 'ruler/niah' && d.method === 'dense/quest');
    expect(smallNiah?.tests.at(-1)?.indistinguishable).toBe(false);
  });

  it('fits the scaling law per phase and method and reports the prompt token check', () => {
    expect(summary.scalingLaw.map((s) => `${s.phase}:${s.method}`)).toEqual(['prefill:vertical-slash/dense', 'decode:dense/quest']);
    const fit = summary.scalingLaw[0]!.fit!;
    expect(fit.gamma!).toBeLessThan(0);
    expect(fit.alpha!).toBeGreaterThan(0);
    expect(summary.scalingLaw[0]!.validations.find((v) => v.axis === 'parameters')).toEqual({ axis: 'parameters', reason: 'needs at least 3 distinct values of parameters, found 2' });
    expect(summary.tokenCheck).toEqual([
      { model: 'big', n: 1080, exactShare: 1, meanDelta: 0, minDelta: 0, maxDelta: 0 },
      { model: 'small', n: 1080, exactShare: 1, meanDelta: 0, minDelta: 0, maxDelta: 0 },
    ]);
  });

  it('is deterministic', async () => {
    const again = await buildReport([runDir], { out: join(dir, 'again') });
    expect(JSON.stringify(again.summary.cells)).toBe(JSON.stringify(summary.cells));
    expect(JSON.stringify(again.summary.dense)).toBe(JSON.stringify(summary.dense));
  });

  it('prints a terminal table', () => {
    const text = terminalReport(summary);
    expect(text).toMatch(/^Cells\nmodel +task +length +method +C +eff\. C +n +score/);
    expect(text).toContain('Largest compression ratio indistinguishable from dense');
  });
});

describe('report.html', () => {
  it('is self-contained: no scripts, styles, images or links from elsewhere', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    const urls = [...html.matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((m) => m[0]);
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg', 'http://www.w3.org/1999/xlink']));
    expect(html).not.toMatch(/<link|<img|<iframe|\ssrc=|@import/);
    // 1 figure of accuracy by length, per model one by compression and one depth heat map.
    expect(html.match(/<figure /g)).toHaveLength(5);
    expect(html.match(/<svg /g)?.length).toBe(5);
  });

  // Skipped only off CI: .ci/run installs Debian's chromium, so in CI a missing browser fails here.
  it.skipIf(findChromium() === undefined && !process.env['CI'])('renders in headless Chromium with every plot and no console errors', () => {
    const chromium = findChromium();
    if (chromium === undefined) throw new Error('Chromium is not installed: .ci/run installs Debian\'s chromium package.');
    const result = spawnSync(
      chromium,
      ['--headless=new', '--no-sandbox', '--disable-gpu', '--enable-logging=stderr', '--v=0', '--virtual-time-budget=2000', '--dump-dom', `file://${join(runDir, 'report.html')}`],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('data-ready="1"');
    expect(result.stdout).toContain('data-figures="5"');
    expect(result.stderr.split('\n').filter((l) => l.includes(':CONSOLE'))).toEqual([]);
  }, 60_000);
});

describe('shards', () => {
  it('split the grid without overlap and merge into the same figures', async () => {
    const resolved = await resolveRecipe({ ...recipe, models: [recipe.models[1]!] }, { baseDir: dir });
    const shards = [0, 1, 2].map((index) => join(dir, `shard-${index}`));
    const outcomes = [];
    for (const [index, shardDir] of shards.entries()) outcomes.push(await runGrid(resolved, { dir: shardDir, shard: { index, count: 3 } }));
    expect(outcomes.reduce((s, o) => s + o.answered, 0)).toBe(1080);
    const merged = await buildReport(shards, { out: join(dir, 'merged') });
    expect(merged.summary.totals.duplicates).toBe(0);
    const whole = summary.cells.filter((c) => c.model === 'small');
    expect(merged.summary.cells.map((c) => [c.task, c.length, c.prefill, c.decode, c.compression, c.n, c.mean])).toEqual(
      whole.map((c) => [c.task, c.length, c.prefill, c.decode, c.compression, c.n, c.mean]),
    );
    await expect(buildReport(shards)).rejects.toThrow(/needs an output directory/);
  }, 60_000);

  it('merge through the CLI', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'report', join(dir, 'shard-0'), join(dir, 'shard-1'), join(dir, 'shard-2'), '--out', join(dir, 'cli-merged'), '--json'], {
      cwd: join(import.meta.dirname, '..', '..'),
      encoding: 'utf8',
    });
    const parsed = JSON.parse(out) as RunSummary;
    expect(parsed.totals.pairs).toBe(1080);
    expect(parsed.runs.map((r) => r.shard)).toEqual(['0/3', '1/3', '2/3']);
    expect(readFileSync(join(dir, 'cli-merged', 'report.html'), 'utf8')).toContain('<svg');
  }, 60_000);
});
