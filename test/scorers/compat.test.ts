// compat: 'paper-reference' reproduces the reference implementation's quirks; the default does not.
import { describe, expect, it } from 'vitest';
import { scoreSample } from '../../scorers/score-sample.js';
import type { ScorableSample } from '../../scorers/types.js';

const ref = { compat: 'paper-reference' } as const;
const sample = (task: string, scorer: string, target: string[], extra: Record<string, unknown> = {}): ScorableSample => ({ id: 'x', task, target, metadata: { scorer, ...extra } });

describe('paper-reference compatibility', () => {
  it('multi-hop: no <answer> tag drops the sample from the mean; ours scores the whole output', () => {
    const s = sample('story/multihop', 'exact', ['silver lamp']);
    expect(scoreSample(s, { output: 'The silver lamp' }, ref)).toMatchObject({ score: 0, excluded: true, noAnswer: true });
    expect(scoreSample(s, { output: 'The silver lamp' })).toMatchObject({ score: 1 });
    expect(scoreSample(s, { output: '<answer>a silver lamp</answer>' }, ref)).toMatchObject({ score: 1, pass: true });
    expect(scoreSample(s, { output: '<answer>gold key</answer>' }, ref).excluded).toBeUndefined();
  });

  it('CWE: no <answer> tag scores 0 even when the words are right; ours falls back to the output', () => {
    const s = sample('ruler/cwe', 'set-iou', ['apple', 'river']);
    expect(scoreSample(s, { output: '1. apple\n2. river' }, ref).score).toBe(0);
    expect(scoreSample(s, { output: '1. apple\n2. river' }).score).toBe(1);
    // Only numbered lines count in the reference: a comma list inside the tag is one word "apple, river".
    expect(scoreSample(s, { output: '<answer>apple, river</answer>' }, ref).score).toBe(0);
    expect(scoreSample(s, { output: '<answer>apple, river</answer>' }).score).toBe(1);
  });

  it('NIAH: the key is compared case-sensitively and the value is cut at its first period', () => {
    const s = sample('ruler/niah', 'numbered', ['v.1'], { keys: ['KeyA'], answerTemplate: 'The answer for {key} is {value}.' });
    expect(scoreSample(s, { output: '1. The answer for KeyA is v.1.' }, ref).score).toBe(0);
    expect(scoreSample(s, { output: '1. The answer for KeyA is v.1.' }).score).toBe(1);
    const t = sample('ruler/niah', 'numbered', ['abc'], { keys: ['KeyA'], answerTemplate: 'The answer for {key} is {value}.' });
    expect(scoreSample(t, { output: '1. The answer for keya is abc.' }, ref).score).toBe(0);
    expect(scoreSample(t, { output: '1. The answer for keya is abc.' }).score).toBe(1);
    expect(scoreSample(t, { output: '1. The answer for KeyA is: ABC' }, ref).score).toBe(1);
  });

  it('VT: commas stay attached to names in the reference', () => {
    const s = sample('ruler/vt', 'set-iou', ['ABCDE', 'FGHIJ']);
    expect(scoreSample(s, { output: '<answer>ABCDE, FGHIJ</answer>' }, ref).score).toBeCloseTo(1 / 3, 12);
    expect(scoreSample(s, { output: '<answer>VAR ABCDE VAR FGHIJ</answer>' }, ref).score).toBe(1);
    expect(scoreSample(s, { output: '<answer>ABCDE, FGHIJ</answer>' }).score).toBe(1);
  });

  it('filtering: an empty output is dropped, no tag scores 0, "Chapter N" is read', () => {
    const s = sample('story/filtering', 'set-iou', ['3', '7']);
    expect(scoreSample(s, { output: '   ' }, ref)).toMatchObject({ excluded: true });
    expect(scoreSample(s, { output: '3, 7' }, ref).score).toBe(0);
    expect(scoreSample(s, { output: '<answer>Chapter 3 and Chapter 7</answer>' }, ref).score).toBe(1);
    expect(scoreSample(s, { output: '<answer>3, 7, 9</answer>' }, ref).score).toBeCloseTo(2 / 3, 12);
  });

  it('SQuAD: case-sensitive tag, extra stop words, F1 rounded to 2 decimals', () => {
    const s = sample('qa/squad', 'token-f1', ['the city of new york']);
    // Tokens {city, of, new, york} against {new, york}: F1 2/3, rounded to 0.67.
    expect(scoreSample(s, { output: '<answer>New York</answer>' }, ref).score).toBe(0.67);
    expect(scoreSample(s, { output: '<ANSWER>New York</ANSWER>' }, ref)).toMatchObject({ score: 0, noAnswer: true });
    expect(scoreSample(s, { output: '<answer>New York</answer>' }).score).toBeCloseTo(2 / 3, 12);
    const u = sample('qa/squad', 'token-f1', ['salt and pepper']);
    expect(scoreSample(u, { output: '<answer>salt pepper</answer>' }, ref).score).toBe(1);
    expect(scoreSample(u, { output: '<answer>salt pepper</answer>' }).score).toBe(0.8);
    const t = sample('qa/squad', 'token-f1', ['alpha beta gamma']);
    // Precision 1, recall 1/3: F1 0.5.
    expect(scoreSample(t, { output: '<answer>alpha</answer>' }, ref).score).toBe(0.5);
  });

  it('multiple choice: every A-D letter in the answer counts, duplicates kept', () => {
    const s = sample('qa/quality', 'choice-set', ['B']);
    expect(scoreSample(s, { output: '<answer>B</answer>' }, ref).score).toBe(1);
    // "CHOICE B" keeps C and B.
    expect(scoreSample(s, { output: '<answer>Choice B</answer>' }, ref).score).toBe(0);
    expect(scoreSample(s, { output: '<answer>Choice B</answer>' }).score).toBe(1);
    expect(scoreSample(s, { output: '<answer>B, B</answer>' }, ref).score).toBe(0);
  });

  it('falls back to the default scorer for tasks the paper does not have', () => {
    const s = sample('ruler/fwe', 'set-iou', ['abc']);
    expect(scoreSample(s, { output: 'abc' }, ref)).toEqual({ ...scoreSample(s, { output: 'abc' }), compat: 'paper-reference', reference: 'none' });
  });
});
