// The openai backend against a real HTTP server on 127.0.0.1 that injects faults: every sample is
// answered exactly once, or reported failed with its reason after the retry budget.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Random } from '../../generators/core/random.js';
import { validate } from '../../schemas/index.js';
import { resolveRecipe } from '../../runner/recipe/load.js';
import type { RunPrediction, RunResult } from '../../runner/records.js';
import { runGrid } from '../../runner/run.js';
import { BackendFailure } from '../../runner/backends/entry.js';
import { makeSample, writeDataset } from './fixtures.js';
import { startFaultServer, type Fault, type FaultServer } from './fault-server.js';

const servers: FaultServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function readLines<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);
}

const fast = { timeoutMs: 400, retries: 4, backoffBaseMs: 10, backoffMaxMs: 40 };

describe('openai backend under injected faults', () => {
  it('answers every sample once, or reports it failed with the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-faults-'));
    writeDataset(join(dir, 'data'), ['ruler/niah'], [1024], 60);
    const answer = (i: number): string => makeSample('ruler/niah', 1024, i).target[0] as string;
    // Fixed plans for the first samples, seeded random first-attempt faults for the rest.
    const fixed: Record<string, Fault[]> = {
      [answer(0)]: ['429', 'ok'],
      [answer(1)]: ['500', '500', 'ok'],
      [answer(2)]: ['hang', 'ok'],
      [answer(3)]: ['reset', 'ok'],
      [answer(4)]: ['malformed', 'ok'],
      [answer(5)]: ['slow'],
      [answer(6)]: ['500', '500', '500', '500', '500', '500', '500'],
      [answer(7)]: ['400'],
      [answer(8)]: ['length'],
      [answer(9)]: ['hang', 'hang', 'hang', 'hang', 'hang', 'hang'],
    };
    const kinds: Fault[] = ['ok', 'ok', '429', '500', 'reset', 'malformed', 'slow', 'hang'];
    const random = new Map<string, Fault>();
    const rng = new Random('faults');
    for (let i = 10; i < 60; i++) random.set(answer(i), rng.pick(kinds));
    const plan = (key: string, attempt: number): Fault => {
      const list = fixed[key];
      if (list) return list[attempt - 1] ?? 'ok';
      return attempt === 1 ? (random.get(key) ?? 'ok') : 'ok';
    };
    const shared = new Map<string, number[]>();
    const a = await startFaultServer({ plan, promptTokens: 1030, attempts: shared });
    const b = await startFaultServer({ plan, promptTokens: 1030, attempts: shared });
    servers.push(a, b);
    const resolved = await resolveRecipe(
      {
        name: 'faults',
        data: 'data',
        models: [{ name: 'm', backend: 'openai', options: { baseUrls: [a.url, b.url], apiKeyEnv: 'LW_TEST_KEY', concurrency: 8, ...fast } }],
      },
      { baseDir: dir, env: { LW_TEST_KEY: 'sk-test' } },
    );
    const runDir = join(dir, 'run');
    const outcome = await runGrid(resolved, { dir: runDir, env: { LW_TEST_KEY: 'sk-test' } });

    const predictions = readLines<RunPrediction>(join(runDir, 'predictions.jsonl'));
    const results = readLines<RunResult>(join(runDir, 'results.jsonl'));
    // Lines are the package's common formats.
    for (const p of predictions) expect(validate('prediction', p)).toEqual([]);
    for (const r of results) expect(validate('result', r)).toEqual([]);
    // Exactly one prediction per sample.
    expect(predictions).toHaveLength(60);
    expect(new Set(predictions.map((p) => p.id)).size).toBe(60);
    // The two that can't succeed are reported with their reasons; the rest are answered right.
    const failed = predictions.filter((p) => p.error !== undefined);
    expect(failed.map((p) => p.id).sort()).toEqual([makeSample('ruler/niah', 1024, 6).id, makeSample('ruler/niah', 1024, 7).id, makeSample('ruler/niah', 1024, 9).id].sort());
    const byId = new Map(failed.map((p) => [p.id, p.error]));
    expect(byId.get(makeSample('ruler/niah', 1024, 6).id)).toMatch(/^failed after 5 attempts: HTTP 500/);
    expect(byId.get(makeSample('ruler/niah', 1024, 7).id)).toMatch(/^failed \(not retryable\): HTTP 400 .*prompt too long/);
    expect(byId.get(makeSample('ruler/niah', 1024, 9).id)).toMatch(/^failed after 5 attempts: timed out after 400 ms/);
    expect(outcome.failed).toHaveLength(3);
    // Asking again can help after a 500 or a timeout, never after a 400.
    expect(Object.fromEntries(outcome.failed.map((f) => [f.id, f.retryable]))).toEqual({
      [makeSample('ruler/niah', 1024, 6).id]: true,
      [makeSample('ruler/niah', 1024, 7).id]: false,
      [makeSample('ruler/niah', 1024, 9).id]: true,
    });
    expect(failed.map((p) => p.retryable)).toEqual(failed.map((p) => p.id !== makeSample('ruler/niah', 1024, 7).id));
    expect(outcome.answered).toBe(57);
    expect(results).toHaveLength(57);
    expect(new Set(results.map((r) => r.id)).size).toBe(57);
    expect(results.every((r) => r.score === 1)).toBe(true);
    expect(results.find((r) => r.id === makeSample('ruler/niah', 1024, 8).id)?.truncated).toBe(true);
    expect(results.filter((r) => r.truncated)).toHaveLength(1);

    // Attempts per sample: the retry budget is 1 + 4; a 400 is not retried.
    const attempts = (i: number): number => shared.get(answer(i))?.length ?? 0;
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(attempts)).toEqual([2, 3, 2, 2, 2, 1, 5, 1, 1, 5]);
    // Retry-After 0.3 s was honoured.
    const times = shared.get(answer(0)) ?? [];
    expect((times[1] as number) - (times[0] as number)).toBeGreaterThanOrEqual(290);
    // Requests were spread over both servers, with the key, greedy, and the sample's budget.
    expect(a.requests).toBeGreaterThan(10);
    expect(b.requests).toBeGreaterThan(10);
    expect(a.headers[0]?.authorization).toBe('Bearer sk-test');
    expect(a.bodies[0]).toMatchObject({ model: 'm', temperature: 0, max_tokens: 32 });
    // Usage and reasoning are kept, apart from the answer.
    const ok = predictions.find((p) => p.id === makeSample('ruler/niah', 1024, 0).id);
    expect(ok).toMatchObject({ reasoning: 'I looked.', finishReason: 'stop', usage: { promptTokens: 1030, completionTokens: 7 }, backend: 'openai', model: 'm' });
    expect(ok?.output).toBe(`<answer>\n${answer(0)}\n</answer>`);
  }, 30_000);

  it('asks again for failed samples on resume, and uses the completions endpoint when told', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-faults-'));
    writeDataset(join(dir, 'data'), ['ruler/niah'], [1024], 5);
    let broken = true;
    const server = await startFaultServer({ plan: () => (broken ? '500' : 'ok') });
    servers.push(server);
    const recipe = { name: 'c', data: 'data', models: [{ name: 'm', backend: 'openai', options: { baseUrl: server.url, endpoint: 'completions', ...fast, retries: 1 } }] };
    const runDir = join(dir, 'run');
    const first = await runGrid(await resolveRecipe(recipe, { baseDir: dir }), { dir: runDir });
    expect(first.failed).toHaveLength(5);
    expect(server.requests).toBe(10);
    broken = false;
    const second = await runGrid(await resolveRecipe(recipe, { baseDir: dir }), { dir: runDir });
    expect(second.answered).toBe(5);
    expect(second.failed).toHaveLength(0);
    expect(server.bodies.at(-1)).toHaveProperty('prompt');
    expect(server.bodies.at(-1)).not.toHaveProperty('messages');
    expect(readLines<RunResult>(join(runDir, 'results.jsonl')).map((r) => r.score)).toEqual([1, 1, 1, 1, 1]);
    // Predictions keep the history: 5 failures, then 5 answers.
    expect(readLines<RunPrediction>(join(runDir, 'predictions.jsonl')).map((p) => p.error === undefined)).toEqual([...Array(5).fill(false), ...Array(5).fill(true)]);
    // A third run has nothing left to do.
    const before = server.requests;
    const third = await runGrid(await resolveRecipe(recipe, { baseDir: dir }), { dir: runDir });
    expect(third).toMatchObject({ answered: 0, alreadyDone: 5, failed: [] });
    expect(server.requests).toBe(before);
  }, 30_000);

  it('stops when aborted without recording the requests in flight', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-faults-'));
    writeDataset(join(dir, 'data'), ['ruler/niah'], [1024], 20);
    const server = await startFaultServer({ delayMs: 100 });
    servers.push(server);
    const controller = new AbortController();
    const runDir = join(dir, 'run');
    const resolved = await resolveRecipe({ name: 'a', data: 'data', models: [{ name: 'm', backend: 'openai', options: { baseUrl: server.url, concurrency: 4 } }] }, { baseDir: dir });
    setTimeout(() => controller.abort(), 250);
    const outcome = await runGrid(resolved, { dir: runDir, signal: controller.signal });
    expect(outcome.interrupted).toBe(true);
    expect(outcome.failed).toEqual([]);
    const predictions = readLines<RunPrediction>(join(runDir, 'predictions.jsonl'));
    expect(predictions.length).toBeGreaterThan(0);
    expect(predictions.length).toBeLessThan(20);
    expect(predictions.every((p) => p.error === undefined)).toBe(true);
  }, 30_000);

  it('stops the whole run at a refused API key instead of sending one request per sample', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-faults-'));
    writeDataset(join(dir, 'data'), ['ruler/niah'], [1024], 30);
    const server = await startFaultServer({ plan: () => '401' });
    servers.push(server);
    const runDir = join(dir, 'run');
    const resolved = await resolveRecipe({ name: 'k', data: 'data', models: [{ name: 'm', backend: 'openai', options: { baseUrl: server.url, apiKeyEnv: 'LW_TEST_KEY', concurrency: 2, ...fast } }] }, { baseDir: dir, env: { LW_TEST_KEY: 'wrong' } });
    const error = await runGrid(resolved, { dir: runDir, env: { LW_TEST_KEY: 'wrong' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendFailure);
    expect((error as BackendFailure).fatal).toBe(true);
    expect((error as Error).message).toBe(`HTTP 401 from ${server.url}: {"error":"invalid api key"}; check the API key in LW_TEST_KEY`);
    // At most the requests already in flight; nothing recorded, so --resume asks for everything.
    expect(server.requests).toBeLessThanOrEqual(2);
    expect(readFileSync(join(runDir, 'predictions.jsonl'), 'utf8')).toBe('');
  }, 30_000);

  it('waits out many retries at once without a MaxListenersExceededWarning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-faults-'));
    writeDataset(join(dir, 'data'), ['ruler/niah'], [1024], 40);
    const server = await startFaultServer({ plan: (_answer, attempt) => (attempt === 1 ? '429' : 'ok'), retryAfterSeconds: 0.2 });
    servers.push(server);
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const resolved = await resolveRecipe({ name: 'w', data: 'data', models: [{ name: 'm', backend: 'openai', options: { baseUrl: server.url, concurrency: 32, ...fast } }] }, { baseDir: dir });
      const outcome = await runGrid(resolved, { dir: join(dir, 'run'), signal: new AbortController().signal });
      expect(outcome.answered).toBe(40);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  }, 30_000);
});
