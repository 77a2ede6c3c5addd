// The report's speed table through buildReport on run directories: a stepwise CPU run and a one-run
// CUDA run (their engine timings written into the predictions the runner wrote), merged with a
// server-like run that records no times. Each sparse cell shows its times and speedups over the
// dense cell of its own model and device; a cell on another device gets '-' and a note; runs
// without timings load as before and get no table.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveRecipe } from '../../runner/recipe/load.js';
import type { RunPrediction } from '../../runner/records.js';
import { buildReport } from '../../runner/report/build.js';
import { reportFigures } from '../../runner/report/html.js';
import { speedTable, terminalReport } from '../../runner/report/tables.js';
import { runPaths } from '../../runner/run-dir.js';
import { runGrid } from '../../runner/run.js';
import { writeDataset } from './fixtures.js';

let root: string;
const dirs = { cpu: '', cuda: '', server: '' };

/** Rewrites a run's predictions with the times an engine would have recorded. */
function addTimings(dir: string, timing: (p: RunPrediction, index: number) => Partial<RunPrediction>): void {
  const file = runPaths(dir).predictions;
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as RunPrediction);
  const index = (p: RunPrediction): number => Number(p.id.slice(-4));
  writeFileSync(file, lines.map((p) => JSON.stringify({ ...p, ...timing(p, index(p)) })).join('\n') + '\n');
}

async function run(name: string, model: string): Promise<string> {
  const recipe = {
    name,
    data: 'data',
    models: [{ name: model, backend: 'oracle', options: { corruptPerLnCompression: 0.2 } }],
    attention: [{ prefill: 'dense', decode: 'dense' }, { prefill: 'a-shape', decode: 'dense', compression: [2, 4] }],
  };
  const dir = join(root, name);
  await runGrid(await resolveRecipe(recipe, { baseDir: root }), { dir });
  return dir;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'lw-report-speed-'));
  writeDataset(join(root, 'data'), ['ruler/niah'], [1024], 4);
  dirs.cpu = await run('cpu', 'tiny');
  dirs.cuda = await run('cuda', 'big');
  dirs.server = await run('server', 'hosted');
  // Stepwise on the CPU: prefill 100 / C ms (+ the sample index), a step of 8 / C ms.
  addTimings(dirs.cpu, (p, i) => {
    const c = p.attention.compression;
    const prefillMs = 100 / c + i;
    const decodeStepMs = 8 / c;
    return { device: 'cpu', generation: 'stepwise', usage: { promptTokens: 1024, completionTokens: 5 }, attention: { ...p.attention, executed: { prefillMs, decodeStepMs, generationMs: prefillMs + 4 * decodeStepMs } } };
  });
  // One-run on CUDA: 400 / C ms + 20 / C ms a step, outputs of 1, 5, 9 and 13 tokens; C = 4 ran on WebGPU.
  addTimings(dirs.cuda, (p, i) => {
    const c = p.attention.compression;
    const tokens = 1 + 4 * i;
    return { device: c === 4 ? 'webgpu' : 'cuda', generation: 'one-run', usage: { promptTokens: 1024, completionTokens: tokens }, attention: { ...p.attention, executed: { generationMs: 400 / c + (20 / c) * (tokens - 1) } } };
  });
}, 60_000);

describe('speed against dense in the report', () => {
  it('gives each timed cell its times, speedups over dense on its device, and its score', async () => {
    const { summary, reportPath } = await buildReport([dirs.cpu, dirs.cuda, dirs.server], { out: join(root, 'merged') });
    const view = summary.speed.map((s) => ({ cell: `${s.model} ${s.prefill}@${s.compression}`, device: s.device, estimate: s.estimate, prefill: s.prefillMs, step: s.decodeStepMs, prefillX: s.prefillSpeedup, stepX: s.decodeSpeedup, notes: s.notes }));
    expect(view).toEqual([
      { cell: 'big a-shape@2', device: 'cuda', estimate: 'line-fit', prefill: 200, step: 10, prefillX: 2, stepX: 2, notes: [] },
      { cell: 'big a-shape@4', device: 'webgpu', estimate: 'line-fit', prefill: 100, step: 5, prefillX: null, stepX: null, notes: ['dense ran on cuda'] },
      { cell: 'big dense@1', device: 'cuda', estimate: 'line-fit', prefill: 400, step: 20, prefillX: 1, stepX: 1, notes: [] },
      // Prefill medians of 100 / C + 0..3.
      { cell: 'tiny a-shape@2', device: 'cpu', estimate: 'median', prefill: 51.5, step: 4, prefillX: 101.5 / 51.5, stepX: 2, notes: [] },
      { cell: 'tiny a-shape@4', device: 'cpu', estimate: 'median', prefill: 26.5, step: 2, prefillX: 101.5 / 26.5, stepX: 4, notes: [] },
      { cell: 'tiny dense@1', device: 'cpu', estimate: 'median', prefill: 101.5, step: 8, prefillX: 1, stepX: 1, notes: [] },
    ]);
    // Scores and effective compression come from the cells, so accuracy reads beside speed.
    for (const s of summary.speed) {
      const cell = summary.cells.find((c) => c.model === s.model && c.prefill === s.prefill && c.compression === s.compression)!;
      expect(s.score).toBe(cell.mean);
      expect(s.effectiveCompression).toBe(s.compression === 1 ? null : s.compression);
    }
    expect(summary.config.speed).toMatch(/^prefill: time until decoding starts/);

    const table = speedTable(summary);
    expect(table.headers).toEqual(['model', 'task', 'length', 'method', 'C', 'eff. C', 'score', 'device', 'timed', 'prefill ms', 'prefill speedup', 'step ms', 'step speedup', 'ms/token', 'token speedup', 'note']);
    const row = (model: string, method: string, c: string): string[] => table.rows.find((r) => r[0] === model && r[3] === method && r[4] === c)!;
    const tinyC4 = summary.speed.find((s) => s.model === 'tiny' && s.compression === 4)!;
    expect(row('tiny', 'a-shape/dense', '4')).toEqual(['tiny', 'ruler/niah', '1024', 'a-shape/dense', '4', '4.00', (tinyC4.score! * 100).toFixed(1), 'cpu', '4', '26.5', '3.83x', '2.00', '4.00x', '6.90', '3.87x', '']);
    expect(row('big', 'a-shape/dense', '4').slice(7)).toEqual(['webgpu (one-run)', '4', '100', '-', '5.00', '-', '19.8', '-', 'dense ran on cuda']);
    const text = terminalReport(summary);
    expect(text).toContain('Speed against dense (same device)\nmodel  task        length  method         C  eff. C  score  device            timed  prefill ms  prefill speedup  step ms  step speedup  ms/token  token speedup  note\n');
    const html = readFileSync(reportPath as string, 'utf8');
    expect(html).toContain('<h2>Speed against dense (same device)</h2>');
    expect(html).toContain('<td>webgpu (one-run)</td><td class="num">4</td><td class="num">100</td><td class="num">-</td>');
    // Accuracy against speedup, a figure per model with a comparable cell: both phases, dense at 1x.
    for (const model of ['big', 'tiny']) expect(html).toMatch(new RegExp(`<figure id="accuracy-by-speedup-${model}"><h2>Accuracy against measured speedup: ${model}</h2><svg`));
    const figure = reportFigures(summary, []).find((f) => f.id === 'accuracy-by-speedup-big')!;
    const points = (figure.spec as { data: { values: { method: string; phase: string; speedup: number; compression: number }[] } }).data.values;
    expect(points.map((p) => `${p.method}@${p.compression} ${p.phase} ${p.speedup}`)).toEqual(['a-shape/dense@2 prefill 2', 'a-shape/dense@2 decode step 2', 'a-shape/dense@1 prefill 1', 'a-shape/dense@1 decode step 1']);
  });

  it('has no speed table for runs without engine timings', async () => {
    const { summary, reportPath } = await buildReport([dirs.server]);
    expect(summary.cells).toHaveLength(3);
    expect(summary.speed).toEqual([]);
    expect(terminalReport(summary)).not.toContain('Speed against dense');
    const html = readFileSync(reportPath as string, 'utf8');
    expect(html).not.toContain('Speed against dense');
    expect(html).not.toContain('accuracy-by-speedup');
  });
});
