import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scoreSample } from '../../scorers/index.js';
import { corruptText, OracleBackend, oracleCorrupts } from '../../runner/backends/oracle.js';
import { BACKEND_NAMES, getBackend } from '../../runner/backends/registry.js';
import { normalizePredictionLine, ReplayBackend } from '../../runner/backends/replay.js';
import { makeSample } from './fixtures.js';

const samples = Array.from({ length: 200 }, (_, i) => makeSample('ruler/niah', 1024, i));

describe('oracle backend', () => {
  it('answers with the gold output, which scores 1', async () => {
    const oracle = new OracleBackend('gold');
    const sample = samples[0]!;
    const prediction = await oracle.generate({ sample, maxOutputTokens: 32 });
    expect(prediction).toMatchObject({ output: `<answer>\n${sample.target[0]}\n</answer>`, finishReason: 'stop', backend: 'oracle', model: 'gold', usage: { promptTokens: 1024 } });
    expect(scoreSample(sample, prediction).score).toBe(1);
  });

  it('corrupts a seeded share of answers, a share that grows with the compression ratio', async () => {
    expect(corruptText('Chapter 9: ab-Z')).toBe('Dibqufs 0: bc-A');
    const options = { corruptRate: 0.2, corruptPerLnCompression: 0.1, seed: 7 };
    const at = (c: number): Set<string> => new Set(samples.filter((s) => oracleCorrupts(s, c, options)).map((s) => s.id));
    const dense = at(1);
    const c10 = at(10);
    expect(dense.size).toBeGreaterThan(25);
    expect(dense.size).toBeLessThan(55);
    expect(c10.size).toBeGreaterThan(dense.size);
    for (const id of dense) expect(c10.has(id)).toBe(true);
    expect(at(1)).toEqual(dense);
    const oracle = new OracleBackend('bad', options);
    for (const sample of samples.slice(0, 40)) {
      const p = await oracle.generate({ sample, maxOutputTokens: 32, attention: { prefill: 'dense', decode: 'quest', compression: 10 } });
      expect(scoreSample(sample, p).score).toBe(c10.has(sample.id) ? 0 : 1);
      expect(p.attention).toMatchObject({ prefill: 'dense', decode: 'quest', compression: 10, sparsity: 0.9 });
    }
  });
});

describe('replay backend', () => {
  it('reads ours, RULER and lm-eval lines', () => {
    expect(normalizePredictionLine({ id: 'a', output: 'x', finishReason: 'length' })).toEqual({ id: 'a', prediction: { output: 'x', finishReason: 'length', attentionKey: '' } });
    expect(normalizePredictionLine({ index: 3, pred: 'y', outputs: ['gold'] })).toEqual({ id: '3', prediction: { output: 'y', attentionKey: '' } });
    expect(normalizePredictionLine({ doc_id: 4, resps: [['z']], filtered_resps: ['z'] })).toEqual({ id: '4', prediction: { output: 'z', attentionKey: '' } });
    expect(normalizePredictionLine({ id: 'b', output: '', error: 'HTTP 500' })).toBeUndefined();
  });

  it('answers by sample and attention setting, falling back to the sample alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-replay-'));
    const file = join(dir, 'p.jsonl');
    const [s0, s1, s2] = samples;
    writeFileSync(
      file,
      [
        { id: s0!.id, output: 'dense answer', attention: { prefill: 'dense', decode: 'dense', compression: 1 } },
        { id: s0!.id, output: 'quest answer', attention: { prefill: 'dense', decode: 'quest', compression: 5 } },
        { id: s1!.id, output: 'only answer' },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n') + '\n',
    );
    const replay = await ReplayBackend.load('r', file);
    const ask = (sample: typeof s0, decode: string, compression: number) => replay.generate({ sample: sample!, maxOutputTokens: 8, attention: { prefill: 'dense', decode, compression } });
    expect((await ask(s0, 'quest', 5)).output).toBe('quest answer');
    expect((await ask(s0, 'dense', 1)).output).toBe('dense answer');
    expect((await ask(s1, 'quest', 5)).output).toBe('only answer');
    await expect(ask(s2, 'dense', 1)).rejects.toThrow(`no prediction for sample ${s2!.id} in ${file}`);
  });
});

describe('backend registry', () => {
  it('lists the backends and refuses unknown names', () => {
    expect(BACKEND_NAMES).toEqual(['openai', 'oracle', 'replay', 'engine']);
    expect(getBackend('openai').supportsAttention).toBe(false);
    expect(getBackend('oracle').supportsAttention).toBe(true);
    expect(() => getBackend('tgi')).toThrow('Unknown backend "tgi": known backends are openai, oracle, replay, engine.');
  });

  it('loads the engine entry lazily, with its own option checks', async () => {
    const issues = await getBackend('engine').check({ path: 'no/such/checkpoint' }, { baseDir: tmpdir(), env: {} });
    expect(issues.map((i) => i.path.replace(/^\//, ''))).toEqual(['path']);
    expect(issues[0]!.message).toContain('config.json');
  });
});
