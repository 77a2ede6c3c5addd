import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import yargs from 'yargs';
import { scoreCommand } from '../../cli/score.js';
import { validate } from '../../schemas/index.js';
import { formatGold } from '../../scorers/gold.js';
import { SCORER_VERSION } from '../../scorers/version.js';
import { jsonl, makeSample } from './fixtures.js';
import type { SummaryFile } from '../../cli/score.js';

async function run(argv: string[]): Promise<{ stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    await yargs(['score', ...argv])
      .command(scoreCommand)
      .strict()
      .fail((message, error) => {
        throw error ?? new Error(message);
      })
      .parseAsync();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return { stdout, stderr };
}

afterEach(() => vi.restoreAllMocks());

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'longweave-score-'));
  const niahMeta = { keys: ['k1', 'k2'], answerTemplate: 'The answer for {key} is {value}.' };
  const samples = [
    makeSample('n1', 'ruler/niah', ['v1', 'v2'], 'numbered', 1024, niahMeta),
    makeSample('n2', 'ruler/niah', ['v3', 'v4'], 'numbered', 1024, niahMeta),
    makeSample('m1', 'story/multihop', ['silver lamp'], 'exact', 2048),
    makeSample('m2', 'story/multihop', ['gold key'], 'exact', 2048),
  ];
  const samplesFile = join(dir, 'samples.jsonl');
  writeFileSync(samplesFile, jsonl(samples));
  const predictions = [
    { id: 'n1', output: formatGold(samples[0] as never), finishReason: 'stop' },
    { id: 'n2', output: '<answer>\n1. v3\n2. wrong\n</answer>', finishReason: 'stop' },
    { id: 'm1', output: 'The silver lamp', finishReason: 'length' },
    { id: 'ghost', output: 'x' },
  ];
  const predictionsFile = join(dir, 'predictions.jsonl');
  writeFileSync(predictionsFile, jsonl(predictions));
  return { dir, samplesFile, predictionsFile, out: join(dir, 'out') };
}

describe('longweave score', () => {
  it('writes results.jsonl and summary.json, prints a table, reports unmatched ids', async () => {
    const { samplesFile, predictionsFile, out } = setup();
    const { stdout, stderr } = await run(['--samples', samplesFile, '--predictions', predictionsFile, '--out', out]);
    const results = readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(results.map((r) => [r['id'], r['score'], r['truncated']])).toEqual([
      ['n1', 1, false],
      ['n2', 0.5, false],
      ['m1', 1, true],
    ]);
    for (const r of results) expect(validate('result', r)).toEqual([]);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as SummaryFile;
    expect(validate('summary', summary)).toEqual([]);
    expect(summary['unmatched']).toEqual({ predictionsWithoutSample: ['ghost'], samplesWithoutPrediction: ['m2'] });
    expect(summary['totals']).toEqual({ results: 3, inMeans: 3, excluded: 0, missing: 1, predictionsWithoutSample: 1, failed: 0 });
    expect(summary.groups.map((g) => [g.task, g.length, g.n, g.mean, g.truncatedRate])).toEqual([
      ['ruler/niah', 1024, 2, 0.75, 0],
      ['story/multihop', 2048, 1, 1, 1],
    ]);
    expect(summary['inputs']['samples'][0]).toMatchObject({ path: samplesFile, lines: 4 });
    expect(summary.inputs.samples[0]?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(stderr).toContain('warning: 1 predictions have no sample: "ghost"');
    expect(stderr).toContain('warning: 1 samples have no prediction: "m2"');
    expect(stdout.split('\n').slice(0, 4)).toEqual([
      'task            length  scorer    n   mean      95% CI  pass%  no-ans%  trunc%',
      '--------------  ------  --------  -  -----  ----------  -----  -------  ------',
      'ruler/niah        1024  numbered  2   75.0   0.0-100.0   50.0      0.0     0.0',
      // m1's answer has no <answer> block: it scores, and counts as no answer in the requested form.
      'story/multihop    2048  exact     1  100.0  20.7-100.0  100.0    100.0   100.0',
    ]);
    expect(results.map((r) => r['scorerVersion'])).toEqual([SCORER_VERSION, SCORER_VERSION, SCORER_VERSION]);
    expect(summary.config.scorerVersion).toBe(SCORER_VERSION);
  });

  it('--json prints summary.json; --compat paper-reference changes scores and is recorded', async () => {
    const { samplesFile, predictionsFile, out } = setup();
    const { stdout } = await run(['--samples', samplesFile, '--predictions', predictionsFile, '--out', out, '--json', '--compat', 'paper-reference']);
    const summary = JSON.parse(stdout) as SummaryFile;
    expect(summary.config.compat).toBe('paper-reference');
    const results = readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(results.map((r) => [r['id'], r['compat'], r['reference']])).toEqual([
      ['n1', 'paper-reference', 'sparse-frontier'],
      ['n2', 'paper-reference', 'sparse-frontier'],
      ['m1', 'paper-reference', 'sparse-frontier'],
    ]);
    // The reference drops multi-hop answers without an <answer> tag from the mean.
    expect(summary.groups[1]).toMatchObject({ task: 'story/multihop', n: 0, excluded: 1, mean: null, ci: null });
    expect(summary).toEqual(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')));
  });

  it('writes nothing when any input is invalid, naming file, line and field', async () => {
    const { samplesFile, predictionsFile, dir, out } = setup();
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"id":"n1","output":"x"}\n{"id":"n2","output":42}\n');
    await expect(run(['--samples', samplesFile, '--predictions', bad, '--out', out])).rejects.toThrow(`${bad}:2: field "output" must be a string, got number`);
    writeFileSync(bad, '{"id":"n1","output":"x"}\n{"id":"n2",\n');
    await expect(run(['--samples', samplesFile, '--predictions', bad, '--out', out])).rejects.toThrow(`${bad}:2: is not valid JSON`);
    const badSamples = join(dir, 'bad-samples.jsonl');
    writeFileSync(badSamples, jsonl([makeSample('n1', 'ruler/niah', ['v'], 'no-such-scorer')]));
    await expect(run(['--samples', badSamples, '--predictions', predictionsFile, '--out', out])).rejects.toThrow(`${badSamples}:1: field "/metadata/scorer" names unknown scorer "no-such-scorer"`);
    expect(existsSync(out)).toBe(false);
  });

  it('--strict refuses unmatched ids and writes nothing', async () => {
    const { samplesFile, predictionsFile, out } = setup();
    await expect(run(['--samples', samplesFile, '--predictions', predictionsFile, '--out', out, '--strict'])).rejects.toThrow(
      '--strict: 1 predictions without a sample ["ghost"], 1 samples without a prediction ["m2"]',
    );
    expect(existsSync(out)).toBe(false);
  });

  it("reads lm-eval's logged samples and RULER's prediction files", async () => {
    const { dir, samplesFile, out } = setup();
    const lmEval = join(dir, 'lm-eval.jsonl');
    writeFileSync(lmEval, jsonl([
      { doc_id: 0, doc: { id: 'n1' }, resps: [['<answer>1. v1\n2. v2</answer>']], filtered_resps: ['ignored'] },
      { doc_id: 2, resps: [['<answer>Silver lamp</answer>']] },
    ]));
    await run(['--samples', samplesFile, '--predictions', lmEval, '--out', out]);
    const results = readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(results.map((r) => [r['id'], r['score']])).toEqual([['n1', 1], ['m1', 1]]);
    const ruler = join(dir, 'ruler.jsonl');
    writeFileSync(ruler, jsonl([{ index: 1, pred: '1. v3\n2. v4', outputs: ['v3', 'v4'], input: '...', truncation: -1, length: 1024 }]));
    await run(['--samples', samplesFile, '--predictions', ruler, '--out', out]);
    expect(JSON.parse(readFileSync(join(out, 'results.jsonl'), 'utf8'))).toMatchObject({ id: 'n2', score: 1 });
  });

  it('takes a dataset folder for --samples', async () => {
    const { dir, predictionsFile, out } = setup();
    const { stdout } = await run(['--samples', dir, '--predictions', predictionsFile, '--out', out, '--json']);
    expect((JSON.parse(stdout) as SummaryFile).inputs.samples.map((f) => f.path)).toEqual([join(dir, 'samples.jsonl')]);
    const empty = mkdtempSync(join(tmpdir(), 'longweave-empty-'));
    await expect(run(['--samples', empty, '--predictions', predictionsFile, '--out', out])).rejects.toThrow(`${empty}: folder holds no samples.jsonl`);
  });

  it("re-scores a run's own predictions.jsonl: several models, methods and ratios, and retried failures", async () => {
    const { dir, samplesFile, out } = setup();
    const gold = (id: string): string => formatGold(makeSample(id, 'story/multihop', [id === 'm1' ? 'silver lamp' : 'gold key'], 'exact', 2048) as never);
    const dense = { prefill: 'dense', decode: 'dense', compression: 1 };
    const sparse = { prefill: 'a-shape', decode: 'dense', compression: 4 };
    const failure = { output: '', finishReason: 'error', error: 'failed after 7 attempts: HTTP 503' };
    const runFile = join(dir, 'run-predictions.jsonl');
    writeFileSync(runFile, jsonl([
      { id: 'm1', output: gold('m1'), model: 'a', attention: dense },
      { id: 'm1', output: 'wrong', model: 'a', attention: sparse },
      { id: 'm1', output: gold('m1'), model: 'b', attention: dense },
      // m2 failed for model a at C = 4 and was answered on --resume; for model b it failed for good.
      { id: 'm2', ...failure, model: 'a', attention: sparse },
      { id: 'm2', output: gold('m2'), model: 'a', attention: dense },
      { id: 'm2', output: gold('m2'), model: 'a', attention: sparse },
      { id: 'm2', ...failure, model: 'b', attention: dense },
    ]));
    const multihop = join(dir, 'multihop.jsonl');
    writeFileSync(multihop, readFileSync(samplesFile, 'utf8').split('\n').filter((l) => l.includes('story/multihop')).join('\n') + '\n');
    const { stdout, stderr } = await run(['--samples', multihop, '--predictions', runFile, '--out', out, '--json']);
    const summary = JSON.parse(stdout) as SummaryFile;
    expect(validate('summary', summary)).toEqual([]);
    expect(summary.groups.map((g) => [g.model, g.method, g.compression, g.n, g.mean, g.failed])).toEqual([
      ['a', 'a-shape/dense', 4, 2, 0.5, undefined],
      ['a', 'dense/dense', 1, 2, 1, undefined],
      ['b', 'dense/dense', 1, 1, 1, 1],
    ]);
    expect(summary.failed).toEqual([{ id: 'm2', model: 'b', method: 'dense/dense', compression: 1, error: 'failed after 7 attempts: HTTP 503' }]);
    expect(summary.unmatched).toEqual({ predictionsWithoutSample: [], samplesWithoutPrediction: [] });
    expect(summary.inputs.predictions[0]?.lines).toBe(7);
    expect(stderr).toContain('warning: 1 predictions are failed requests, left out of the means (n counts answers only): "m2"; --failed-as-zero scores them 0');
    const zero = JSON.parse((await run(['--samples', multihop, '--predictions', runFile, '--out', out, '--json', '--failed-as-zero'])).stdout) as SummaryFile;
    expect(zero.groups.at(-1)).toMatchObject({ model: 'b', n: 2, mean: 0.5, failed: 1 });
    expect(zero.config.failed).toBe('scored-zero');
    // Two answers to the same sample in the same setting are still an error.
    writeFileSync(runFile, jsonl([{ id: 'm1', output: 'x', model: 'a', attention: dense }, { id: 'm1', output: 'y', model: 'a', attention: dense }]));
    await expect(run(['--samples', multihop, '--predictions', runFile, '--out', out])).rejects.toThrow(`${runFile}:2: field "id" repeats id "m1" (model a, dense/dense C=1) first answered at ${runFile}:1`);
  });

  it('refuses an empty samples file, and RULER positions across several samples files', async () => {
    const { dir, samplesFile, predictionsFile, out } = setup();
    const empty = join(dir, 'empty.jsonl');
    writeFileSync(empty, '');
    await expect(run(['--samples', empty, '--predictions', predictionsFile, '--out', out])).rejects.toThrow(`${empty} is empty: it holds no samples`);
    const other = join(dir, 'other.jsonl');
    writeFileSync(other, jsonl([makeSample('o1', 'story/multihop', ['x'], 'exact', 2048)]));
    const ruler = join(dir, 'ruler.jsonl');
    writeFileSync(ruler, jsonl([{ index: 0, pred: 'x' }]));
    await expect(run(['--samples', samplesFile, other, '--predictions', ruler, '--out', out])).rejects.toThrow(
      `${ruler}:1: field "index" 0 matches no sample id and can only be matched by position, which is ambiguous across 2 samples files; score each samples file with its own predictions file`,
    );
    expect(existsSync(out)).toBe(false);
  });
});
