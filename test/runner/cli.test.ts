// `longweave run` from the command line: one cell from flags, and a bad recipe refused before any
// request, with every problem named.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../runner/analysis/summary.js';
import { runCli, writeDataset } from './fixtures.js';
import { startFaultServer, type FaultServer } from './fault-server.js';


let server: FaultServer;
beforeAll(async () => {
  server = await startFaultServer({ promptTokens: 1030 });
});
afterAll(async () => server.close());

describe('longweave run', () => {
  it('runs one cell from flags against a server and prints the summary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-cli-'));
    const files = writeDataset(join(dir, 'data'), ['ruler/niah'], [1024], 6);
    const out = join(dir, 'run');
    const result = await runCli(['run', '--backend', 'openai', '--base-url', server.url, '--model', 'm', '--samples', files['ruler/niah@1024']!, '--out', out, '--limit', '4', '--json']);
    expect(result.stderr).toContain(`${out}: 4 answered, 0 failed`);
    expect(result.status).toBe(0);
    const summary = JSON.parse(result.stdout) as RunSummary;
    expect(summary.cells).toHaveLength(1);
    expect(summary.cells[0]).toMatchObject({ model: 'm', task: 'ruler/niah', length: 1024, n: 4, mean: 1, promptTokenDelta: 6 });
    expect(summary.tokenCheck).toEqual([{ model: 'm', n: 4, exactShare: 0, meanDelta: 6, minDelta: 6, maxDelta: 6 }]);
    for (const name of ['run.json', 'predictions.jsonl', 'results.jsonl', 'summary.json', 'report.html']) expect(existsSync(join(out, name))).toBe(true);
    expect(readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n')).toHaveLength(4);
  }, 60_000);

  it('refuses a bad recipe before any request, naming each field and rule', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-cli-'));
    writeDataset(join(dir, 'data'), ['ruler/niah'], [1024], 2);
    const recipe = join(dir, 'recipe.json');
    writeFileSync(
      recipe,
      JSON.stringify({ name: 'bad', data: 'data', tasks: ['ruler/niah', 'ruler/unknown'], models: [{ name: 'm', backend: 'openai', options: { baseUrls: [server.url, 'htp:/x'], timeoutMs: -5 } }] }),
    );
    const before = server.requests;
    const result = await runCli(['run', recipe, '--out', join(dir, 'run')]);
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(`longweave: ${recipe}: /models/0/options/timeoutMs must be >= 1 [minimum]`);
    expect(server.requests).toBe(before);
    writeFileSync(recipe, JSON.stringify({ name: 'bad', data: 'data', tasks: ['ruler/niah', 'ruler/unknown'], models: [{ name: 'm', backend: 'openai', options: { baseUrls: [server.url, 'htp:/x'] } }] }));
    const second = await runCli(['run', recipe, '--out', join(dir, 'run')]);
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(/\/tasks\/1 "ruler\/unknown" is not a known task .* \[task\]; \/models\/0\/options\/baseUrls\/1 must use http or https, got "htp:" \[url\]/);
    expect(server.requests).toBe(before);
    expect(existsSync(join(dir, 'run'))).toBe(false);
  }, 60_000);
});
