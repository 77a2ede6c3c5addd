// promptfoo's own evaluator runs the exported config and tests with the longweave assertion:
// a provider that echoes the gold answer passes every test, one that answers wrong fails every one.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promptfooAssertion, promptfooExport } from '../../scorers/adapters/promptfoo.js';
import { writeExport } from '../../scorers/adapters/write.js';
import { formatGold } from '../../scorers/gold.js';
import type { Sample } from '../../generators/core/sample.js';
import { makeSample } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'longweave-promptfoo-'));
const samples: Sample[] = [
  makeSample('niah-0', 'ruler/niah', ['aaaa-1111', 'bbbb-2222'], 'numbered', 1024, { keys: ['key-one', 'key-two'], answerTemplate: 'The answer for {key} is {value}.' }),
  makeSample('vt-0', 'ruler/vt', ['ABCDE', 'FGHIJ'], 'set-iou', 1024, { itemPrefixes: ['VAR'] }),
  makeSample('hop-0', 'story/multihop', ['silver lamp'], 'exact', 2048),
  makeSample('qa-0', 'qa/quality', ['AC'], 'choice-set', 2048),
];
const byId = new Map(samples.map((s) => [s.id, s]));
const cwd = process.cwd();

interface EvalSummary {
  stats: { successes: number; failures: number; errors: number };
  results: { success: boolean; score: number; vars: Record<string, unknown>; gradingResult?: { reason?: string; componentResults?: { reason?: string; namedScores?: Record<string, number> }[] } }[];
}
type Provider = (prompt: string, context: { vars: Record<string, unknown> }) => Promise<{ output: string }>;
let evaluate: (suite: Record<string, unknown>, options: Record<string, unknown>) => Promise<{ toEvaluateSummary(): Promise<EvalSummary> }>;

beforeAll(async () => {
  process.env['PROMPTFOO_DISABLE_TELEMETRY'] = '1';
  process.env['PROMPTFOO_DISABLE_UPDATE'] = '1';
  process.env['PROMPTFOO_CONFIG_DIR'] = join(dir, '.promptfoo');
  process.env['PROMPTFOO_LOG_LEVEL'] = 'error';
  ({ evaluate } = (await import('promptfoo')) as unknown as { evaluate: typeof evaluate });
  writeExport(dir, promptfooExport(samples));
  process.chdir(dir);
});
afterAll(() => process.chdir(cwd));

async function runExported(provider: Provider): Promise<EvalSummary> {
  const text = readFileSync(join(dir, 'promptfooconfig.yaml'), 'utf8');
  const config = JSON.parse(text.slice(text.indexOf('\n') + 1)) as Record<string, unknown>;
  config['providers'] = [provider];
  const record = await evaluate(config, { cache: false, maxConcurrency: 1, showProgressBar: false });
  return record.toEvaluateSummary();
}

describe('promptfoo adapter', () => {
  it('exports a config that points at the assertion and a tests file with one test per sample', () => {
    const text = readFileSync(join(dir, 'promptfooconfig.yaml'), 'utf8');
    const config = JSON.parse(text.slice(text.indexOf('\n') + 1)) as { prompts: string[]; tests: string; defaultTest: { assert: { type: string; value: string }[] } };
    expect(config.prompts).toEqual(['{{input}}']);
    expect(config.tests).toBe('file://tests.jsonl');
    expect(config.defaultTest.assert[0]?.type).toBe('javascript');
    expect(config.defaultTest.assert[0]?.value).toMatch(/^file:\/\/.*scorers\/adapters\/promptfoo-assertion\.(ts|js)$/);
    const tests = readFileSync(join(dir, 'tests.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { vars: { id: string; target: string } });
    expect(tests.map((t) => [t.vars.id, JSON.parse(t.vars.target)])).toEqual(samples.map((s) => [s.id, s.target]));
  });

  it("promptfoo's evaluator passes every test when the provider echoes the gold answer", async () => {
    const summary = await runExported(async (_prompt, context) => ({ output: formatGold(byId.get(String(context.vars['id'])) as Sample) }));
    expect(summary.stats).toMatchObject({ successes: 4, failures: 0, errors: 0 });
    expect(summary.results.map((r) => [r.vars['id'], r.success, r.score])).toEqual(samples.map((s) => [s.id, true, 1]));
  }, 60_000);

  it("promptfoo's evaluator fails every test when the provider answers wrong", async () => {
    const summary = await runExported(async () => ({ output: '<explanation>guess</explanation><answer>\n1. wrong\n2. wrong\n</answer>' }));
    expect(summary.stats).toMatchObject({ successes: 0, failures: 4, errors: 0 });
    expect(summary.results.every((r) => !r.success && r.score === 0)).toBe(true);
    const niah = summary.results.find((r) => r.vars['id'] === 'niah-0');
    expect(JSON.stringify(niah?.gradingResult)).toContain('numbered: 0/2 items right');
  }, 60_000);

  it('the assertion reads list targets given as JSON strings (CSV tests) and reports truncation', () => {
    const r = promptfooAssertion('<answer>A, C</answer>', { vars: { id: 'x', target: '["AC"]', scorer: 'choice-set' }, providerResponse: { finishReason: 'length' } });
    expect(r).toEqual({ pass: true, score: 1, reason: 'choice-set: expected AC, got AC (output truncated by the token limit)', namedScores: { 'choice-set': 1, jaccard: 1 } });
    expect(() => promptfooAssertion('x', { vars: { id: 'y', target: ['a'] } })).toThrow('promptfoo test y: "scorer" must name a longweave scorer (in vars or metadata)');
  });
});
