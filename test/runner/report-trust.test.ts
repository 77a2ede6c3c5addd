// What a report must not hide: failed requests (n shrinks unless they are scored 0), prompts the
// server counted differently from the samples, and lines read around; and what it must survive:
// a torn last line left by a crash, which --resume tolerates too. The HTML keeps long errors
// inside the page and draws intervals that can't be mistaken for reference lines.
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CellSummary } from '../../runner/analysis/cells.js';
import { resolveRecipe } from '../../runner/recipe/load.js';
import { buildReport } from '../../runner/report/build.js';
import { accuracyByCompression, accuracyByLength } from '../../runner/report/plots.js';
import { runPaths } from '../../runner/run-dir.js';
import { runGrid } from '../../runner/run.js';
import { makeSample, writeDataset } from './fixtures.js';
import { startFaultServer, type FaultServer } from './fault-server.js';

let server: FaultServer;
let runDir: string;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-report-trust-'));
  writeDataset(join(dir, 'data'), ['ruler/niah'], [1024], 5);
  const failing = new Set([makeSample('ruler/niah', 1024, 1).target[0], makeSample('ruler/niah', 1024, 3).target[0]]);
  server = await startFaultServer({ plan: (answer) => (failing.has(answer) ? '500' : 'ok'), promptTokens: 1030 });
  runDir = join(dir, 'run');
  const recipe = { name: 'r', data: 'data', models: [{ name: 'm', backend: 'openai', options: { baseUrl: server.url, retries: 0, backoffBaseMs: 1, backoffMaxMs: 2 } }] };
  await runGrid(await resolveRecipe(recipe, { baseDir: dir }), { dir: runDir });
}, 60_000);
afterAll(async () => server.close());

describe('report warnings', () => {
  it('say failed requests are out of the means, and score them 0 on request', async () => {
    const { summary, reportPath } = await buildReport([runDir]);
    expect(summary.cells[0]).toMatchObject({ n: 3, failures: 2, mean: 1 });
    expect(summary.config.failed).toBe('excluded');
    expect(summary.warnings).toEqual([
      '2 failed requests are left out of the means of 1 cell, so their n is smaller (see Failed requests): `longweave run --resume` asks again, `longweave report --failed-as-zero` scores them 0',
      "model m: the server's prompt token counts differ from the samples' own in 3 of 3 samples (mean +6.0 tokens): the model sees another tokenizer or chat template than the samples were generated for, so lengths are not what they say",
    ]);
    const html = readFileSync(reportPath as string, 'utf8');
    expect(html).toContain('<div class="warnings"><strong>Read these numbers with care:</strong><ul><li>2 failed requests are left out');
    // The long error wraps inside the page; the token mismatch and the failures are highlighted.
    expect(html).toMatch(/<td class="wrap">failed after 1 attempts: HTTP 500 from /);
    expect(html.match(/<tr class="warn">/g)).toHaveLength(2);
    const zero = await buildReport([runDir], { failedAsZero: true, htmlOff: true });
    expect(zero.summary.cells[0]).toMatchObject({ n: 5, failures: 2, mean: 0.6 });
    expect(zero.summary.config.failed).toBe('scored-zero');
    expect(zero.summary.warnings[0]).toBe('2 failed requests are scored 0 in the means of 1 cell (--failed-as-zero)');
  });

  it('read around a torn last line, and name the file and line of an incomplete one', async () => {
    const predictions = runPaths(runDir).predictions;
    const intact = readFileSync(predictions, 'utf8');
    appendFileSync(predictions, '{"id":"ruler.niah-1024-0009","output":"x","mod');
    const { summary } = await buildReport([runDir], { htmlOff: true });
    expect(summary.warnings[0]).toBe(`${predictions}:6: skipped a torn last line (a run stopped while writing it; \`longweave run --resume\` cuts it and asks for that sample again)`);
    expect(summary.cells[0]).toMatchObject({ n: 3, failures: 2 });
    writeFileSync(predictions, `${intact}{"id":"ruler.niah-1024-0009","output":"x"}\n`);
    await expect(buildReport([runDir], { htmlOff: true })).rejects.toThrow(`${predictions}:6: /model, /attention are required in a run's file [run]`);
    writeFileSync(predictions, intact);
  });
});

describe('report figures', () => {
  const cell = (prefill: string, decode: string, compression: number, mean: number): CellSummary => ({
    model: 'm', task: 't', length: 1024, prefill, decode, compression, n: 10, failures: 0, mean, ci: { low: mean - 0.1, high: mean, level: 0.95, method: 'wilson' },
    passRate: null, noAnswerRate: null, truncationRate: null, meanLatencyMs: null, meanPromptTokens: null, meanCompletionTokens: null, meanInputTokens: null,
    promptTokenDelta: null, meanSparsity: null, executed: {},
  });

  it('draw interval caps a point wide, and methods at the same ratio apart', () => {
    const cells = [cell('dense', 'dense', 1, 0.9), cell('a-shape', 'dense', 4, 0.8), cell('dense', 'snapkv', 4, 0.7)];
    const byLength = JSON.stringify(accuracyByLength(cells)?.spec);
    expect(byLength).toContain('"mark":{"type":"errorbar","ticks":{"size":8}}');
    const byCompression = accuracyByCompression(cells, 'm')!;
    const values = (byCompression.spec as { data: { values: { method: string; compression: number; position: number }[] } }).data.values;
    const at4 = values.filter((v) => v.compression === 4);
    expect(at4.map((v) => v.method)).toEqual(['a-shape/dense', 'dense/snapkv']);
    expect(at4[0]!.position).toBeCloseTo(4 * 2 ** -0.04, 10);
    expect(at4[1]!.position).toBeCloseTo(4 * 2 ** 0.04, 10);
  });
});
