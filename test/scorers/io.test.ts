import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonl } from '../../scorers/io/jsonl.js';
import { normalizePrediction, readPredictions } from '../../scorers/io/predictions.js';
import { readSamples } from '../../scorers/io/samples.js';
import { matchPredictions } from '../../scorers/match.js';
import { jsonl, makeSample } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'longweave-io-'));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('JSON Lines', () => {
  it('parses objects, skips blank lines, names file and line for bad JSON', () => {
    expect(parseJsonl('{"a":1}\r\n\n{"a":2}\n', 'x.jsonl')).toEqual([
      { line: 1, value: { a: 1 } },
      { line: 3, value: { a: 2 } },
    ]);
    expect(() => parseJsonl('{"a":1}\n{"a":\n', 'x.jsonl')).toThrow(/^x\.jsonl:2: is not valid JSON/);
    expect(() => parseJsonl('[1]\n', 'x.jsonl')).toThrow('x.jsonl:1: must be a JSON object, got an array');
  });
});

describe('readPredictions', () => {
  it('reads ours and maps RULER and lm-eval aliases', () => {
    expect(normalizePrediction({ id: 'a', output: 'x', finishReason: 'length', model: 'm', extraField: 1 }, 'p', 1).prediction).toEqual({ id: 'a', output: 'x', finishReason: 'length', model: 'm' });
    expect(normalizePrediction({ index: 3, pred: 'x', outputs: ['gold'], input: 'prompt' }, 'p', 1)).toMatchObject({ prediction: { id: '3', output: 'x' }, idSource: 'index', position: 3 });
    expect(normalizePrediction({ doc_id: 0, resps: [['y']], filtered_resps: ['z'], doc: { id: 'sample-7' } }, 'p', 1)).toMatchObject({ prediction: { id: 'sample-7', output: 'y' }, idSource: 'doc.id' });
    expect(normalizePrediction({ doc_id: 5, filtered_resps: ['z'] }, 'p', 1)).toMatchObject({ prediction: { id: '5', output: 'z' }, position: 5 });
    expect(normalizePrediction({ id: 'a', output: 'x', finish_reason: 'stop', reasoning_content: 'r' }, 'p', 1).prediction).toEqual({ id: 'a', output: 'x', finishReason: 'stop', reasoning: 'r' });
  });

  it('names file, line and field for wrong types and missing fields', () => {
    expect(() => normalizePrediction({ id: 7, output: 'x' }, 'p.jsonl', 4)).toThrow('p.jsonl:4: field "id" must be a non-empty string, got number');
    expect(() => normalizePrediction({ id: 'a', output: ['x'] }, 'p.jsonl', 2)).toThrow('p.jsonl:2: field "output" must be a string, got array');
    expect(() => normalizePrediction({ id: 'a' }, 'p.jsonl', 2)).toThrow('p.jsonl:2: field "output" is required (or one of its aliases: pred, resps, filtered_resps)');
    expect(() => normalizePrediction({ doc_id: 1, resps: ['flat'] }, 'p.jsonl', 9)).toThrow("p.jsonl:9: field \"resps\" must be a list of lists of strings (lm-eval's resps), got [string]");
    expect(() => normalizePrediction({ index: 1, outputs: ['gold'] }, 'p.jsonl', 1)).toThrow('field "outputs" holds RULER\'s references, not the model output');
    expect(() => normalizePrediction({ index: -1, pred: 'x' }, 'p.jsonl', 1)).toThrow('p.jsonl:1: field "index" must be a non-negative integer or a non-empty string, got number');
    expect(() => normalizePrediction({ id: 'a', output: 'x', latencyMs: 'slow' }, 'p.jsonl', 3)).toThrow('p.jsonl:3: /latencyMs must be number [type]');
    expect(() => normalizePrediction({ id: 'a', output: 'x', attention: { prefill: 'dense' } }, 'p.jsonl', 3)).toThrow(/^p\.jsonl:3: \/attention\/decode is required \[required\] \(and 1 more\)/);
  });

  it('rejects duplicate ids naming both lines', async () => {
    const p = file('dup.jsonl', jsonl([{ id: 'a', output: 'x' }, { id: 'b', output: 'y' }, { id: 'a', output: 'z' }]));
    await expect(readPredictions(p)).rejects.toThrow(`${p}:3: field "id" repeats id "a" first used on line 1`);
    await expect(readPredictions(join(dir, 'missing.jsonl'))).rejects.toThrow(`${join(dir, 'missing.jsonl')}: does not exist`);
  });
});

describe('readSamples', () => {
  it('validates against the sample schema and drops prompts unless asked', async () => {
    const p = file('s.jsonl', jsonl([makeSample('a', 'ruler/niah', ['v'], 'numbered'), makeSample('b', 'ruler/niah', ['w'], 'numbered')]));
    const loaded = await readSamples([p]);
    expect(loaded.map((l) => [l.sample.id, l.line, l.sample.input])).toEqual([
      ['a', 1, ''],
      ['b', 2, ''],
    ]);
    expect((await readSamples([p], { keepInput: true }))[0]?.sample.input).toBe('prompt of a');
  });

  it('names file, line and JSON path for invalid samples, and rejects ids repeated across files', async () => {
    const bad = makeSample('a', 'ruler/niah', ['v'], 'numbered') as unknown as Record<string, unknown>;
    bad['target'] = 'v';
    const p = file('bad.jsonl', jsonl([makeSample('ok', 'ruler/niah', ['v'], 'numbered'), bad]));
    await expect(readSamples([p])).rejects.toThrow(`${p}:2: /target must be array [type]`);
    const one = file('one.jsonl', jsonl([makeSample('a', 'ruler/niah', ['v'], 'numbered')]));
    const two = file('two.jsonl', jsonl([makeSample('b', 'ruler/niah', ['v'], 'numbered'), makeSample('a', 'ruler/vt', ['v'], 'set-iou')]));
    await expect(readSamples([one, two])).rejects.toThrow(`${two}:2: field "id" repeats id "a" first used at ${one}:1`);
  });
});

describe('matchPredictions', () => {
  it('matches by id, falls back to position for numeric aliases, and reports both unmatched sides', () => {
    const samples = [{ id: 's0' }, { id: 's1' }, { id: 's2' }];
    const preds = [
      normalizePrediction({ id: 's2', output: 'x' }, 'p', 1),
      normalizePrediction({ index: 0, pred: 'y' }, 'p', 2),
      normalizePrediction({ id: 'ghost', output: 'z' }, 'p', 3),
      normalizePrediction({ index: 2, pred: 'dup of s2 by position' }, 'p', 4),
    ];
    const m = matchPredictions(samples, preds);
    expect(m.pairs.map((p) => [p.sample.id, p.prediction.prediction.output, p.matchedBy])).toEqual([
      ['s2', 'x', 'id'],
      ['s0', 'y', 'position'],
    ]);
    expect(m.predictionsWithoutSample).toEqual(['ghost', '2']);
    expect(m.samplesWithoutPrediction).toEqual(['s1']);
  });
});
