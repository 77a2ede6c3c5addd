// autoevals, LangSmith, inspect_ai and lm-evaluation-harness adapters. autoevals and LangSmith
// run through their own packages (autoevals' makePartial and Scorer type; LangSmith's
// runEvaluator and EvaluationResult type); inspect_ai and lm-eval are Python, so their files are
// checked for shape and, where python3 is present, compiled and parsed by Python.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makePartial, type Scorer as AutoevalsScorerType } from 'autoevals';
import type { EvaluationResult } from 'langsmith/evaluation';
import { runEvaluator } from 'langsmith/lib/evaluation/evaluator';
import { autoevalsScorer, type AutoevalsArgs } from '../../scorers/adapters/autoevals.js';
import { langsmithEvaluator, toLangSmith } from '../../scorers/adapters/langsmith.js';
import { inspectExport, toInspectScoreRow } from '../../scorers/adapters/inspect.js';
import { lmEvalExport } from '../../scorers/adapters/lm-eval.js';
import { writeExport } from '../../scorers/adapters/write.js';
import { scorers } from '../../scorers/registry.js';
import type { ResultRecord } from '../../scorers/summarize.js';
import { SCORER_VERSION } from '../../scorers/version.js';
import { makeSample } from './fixtures.js';

const python = ((): boolean => {
  try {
    execFileSync('python3', ['-c', 'import yaml'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('autoevals / Braintrust', () => {
  it('our scorers already return { name, score }, and the wrapper fits autoevals\' Scorer type and makePartial', async () => {
    const plain: { name: string; score: number } = scorers.exact({ output: 'Paris', expected: ['paris'] });
    expect(plain).toMatchObject({ name: 'exact', score: 1 });
    const typed: AutoevalsScorerType<string, Omit<AutoevalsArgs, 'output' | 'expected'>> = autoevalsScorer('set-iou');
    const partial = makePartial(typed, 'longweave-set-iou').partial({ metadata: { itemPrefixes: ['VAR'] } });
    const score = await partial({ output: '<answer>VAR ABCDE, KLMNO</answer>', target: ['ABCDE', 'FGHIJ'] });
    expect(score).toEqual({
      name: 'longweave/set-iou',
      score: 1 / 3,
      metadata: { pass: false, reason: '1 of 2 gold items found, 2 given; missing "fghij"; extra "klmno"', noAnswer: false, truncated: false, metrics: { precision: 0.5, recall: 0.5, f1: 0.5 } },
    });
    expect(autoevalsScorer()({ output: '<answer>B</answer>', expected: 'B', metadata: { scorer: 'choice-set' } }).score).toBe(1);
    expect(() => autoevalsScorer()({ output: 'x', expected: 'x' })).toThrow('autoevals scorer: name a longweave scorer, or pass metadata.scorer');
  });
});

describe('LangSmith', () => {
  it("maps results to { key, score, comment } and runs as an evaluator through langsmith's runEvaluator", async () => {
    const mapped: EvaluationResult = toLangSmith({ name: 'exact', score: 1, pass: true, reason: 'exact match' });
    expect(mapped).toEqual({ key: 'exact', score: 1, comment: 'exact match' });
    const evaluator = runEvaluator(langsmithEvaluator() as never);
    const run = { id: 'r1', name: 'model', run_type: 'llm', inputs: {}, outputs: { output: '<answer>\n1. The answer for k-1 is v1.\n2. v9\n</answer>' } };
    const example = { id: 'e1', dataset_id: 'd1', inputs: {}, outputs: { target: ['v1', 'v2'] }, metadata: { scorer: 'numbered', keys: ['k-1', 'k-2'], answerTemplate: 'The answer for {key} is {value}.' } };
    const result = (await evaluator.evaluateRun(run as never, example as never)) as EvaluationResult;
    expect({ key: result.key, score: result.score, comment: result.comment }).toEqual({ key: 'numbered', score: 0.5, comment: '1/2 items right; first wrong item 2: expected "v2", got "v9"' });
  });
});

const record: ResultRecord = { id: 'a', task: 'story/multihop', length: 1024, scorer: 'exact', scores: { exact: 1 }, score: 1, pass: true, reason: 'exact match', noAnswer: false, truncated: false, scorerVersion: SCORER_VERSION };

describe('inspect_ai', () => {
  it('writes a json_dataset file, Score rows and a precomputed_scores scorer', () => {
    expect(toInspectScoreRow(record, 'silver lamp')).toEqual({ id: 'a', value: 1, answer: 'silver lamp', explanation: 'exact match', metadata: { scorer: 'exact', scorerVersion: SCORER_VERSION, pass: true, noAnswer: false, truncated: false, scores: { exact: 1 } } });
    const files = inspectExport([makeSample('a', 'story/multihop', ['silver lamp'], 'exact')], [record]);
    expect(Object.keys(files).sort()).toEqual(['dataset.jsonl', 'precomputed_scores.py', 'scores.jsonl']);
    expect(JSON.parse(files['dataset.jsonl'] as string)).toMatchObject({ id: 'a', input: 'prompt of a', target: ['silver lamp'], metadata: { task: 'story/multihop', scorer: 'exact' } });
    expect(files['precomputed_scores.py']).toContain('def precomputed_scores(path: str = "scores.jsonl"):');
  });

  it.runIf(python)('precomputed_scores.py is valid Python', () => {
    const dir = mkdtempSync(join(tmpdir(), 'longweave-inspect-'));
    const [, py] = writeExport(dir, inspectExport([makeSample('a', 'story/multihop', ['x'], 'exact')], [record]));
    execFileSync('python3', ['-c', 'import ast, sys; ast.parse(open(sys.argv[1]).read())', py as string]);
  });
});

describe('lm-evaluation-harness', () => {
  const samples = [
    makeSample('n1', 'ruler/niah', ['v1', 'v2'], 'contains-all', 4096, { maxOutputTokens: 96 }),
    { ...makeSample('n2', 'ruler/niah', ['v3'], 'contains-all', 4096), answerPrefix: ' The values are' },
  ];

  it('writes a generate_until task YAML, its dataset and utils.py', () => {
    const files = lmEvalExport(samples);
    expect(Object.keys(files).sort()).toEqual(['longweave_ruler_niah.jsonl', 'longweave_ruler_niah.yaml', 'utils.py']);
    const yaml = files['longweave_ruler_niah.yaml'] as string;
    for (const line of ['task: longweave_ruler_niah', 'output_type: generate_until', 'doc_to_text: "{{input}}{{answer_prefix}}"', '  max_gen_toks: 96', 'process_results: !function utils.process_results', '  - metric: contains_all']) {
      expect(yaml.split('\n')).toContain(line);
    }
    const docs = (files['longweave_ruler_niah.jsonl'] as string).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(docs[1]).toEqual({ id: 'n2', task: 'ruler/niah', input: 'prompt of n2', target: ['v3'], answer_prefix: ' The values are', length: 4096, scorer: 'contains-all', max_gen_toks: 64 });
  });

  it.runIf(python)('the YAML parses and utils.process_results computes RULER string_match_all', () => {
    const dir = mkdtempSync(join(tmpdir(), 'longweave-lmeval-'));
    writeExport(dir, lmEvalExport(samples));
    const script = [
      'import json, sys, yaml',
      'class L(yaml.SafeLoader): pass',
      "L.add_constructor('!function', lambda loader, node: 'fn:' + loader.construct_scalar(node))",
      "cfg = yaml.load(open('longweave_ruler_niah.yaml'), Loader=L)",
      'sys.path.insert(0, ".")',
      'import utils',
      "doc = json.loads(open('longweave_ruler_niah.jsonl').readline())",
      "print(json.dumps([cfg['task'], cfg['dataset_kwargs'], cfg['process_results'], cfg['generation_kwargs'], utils.process_results(doc, ['found V1 only'])]))",
    ].join('\n');
    const out = JSON.parse(execFileSync('python3', ['-c', script], { cwd: dir, encoding: 'utf8' })) as unknown[];
    expect(out).toEqual([
      'longweave_ruler_niah',
      { data_files: { test: 'longweave_ruler_niah.jsonl' } },
      'fn:utils.process_results',
      { until: [], max_gen_toks: 96, do_sample: false, temperature: 0 },
      { contains_all: 0.5 },
    ]);
  });
});
