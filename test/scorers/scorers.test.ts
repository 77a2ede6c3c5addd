import { describe, expect, it } from 'vitest';
import { scorers, SCORER_NAMES, getScorer } from '../../scorers/registry.js';
import { choiceLetters } from '../../scorers/choice-set.js';
import { candidates } from '../../scorers/contains.js';
import { squadNormalize, tokenSetF1 } from '../../scorers/token-f1.js';

const NIAH_META = { answerTemplate: 'The answer for {key} is {value}.', keys: ['k-1', 'k-2', 'k-3'] };

describe('registry', () => {
  it('lists the scorers the generators name', () => {
    expect(SCORER_NAMES).toEqual(['numbered', 'set-iou', 'exact', 'token-f1', 'choice-set', 'contains-all', 'contains-any', 'contains-all-f1', 'contains-any-precise']);
    expect(() => getScorer('nope')).toThrow('Unknown scorer "nope": known scorers are numbered, set-iou');
  });
});

describe('numbered', () => {
  const score = (output: string, expected = ['v1', 'v2', 'v3'], metadata: Record<string, unknown> = NIAH_META) => scorers.numbered({ output, expected, metadata });

  it('scores the fraction of numbered items right, by position', () => {
    const r = score('<answer>\n1. The answer for k-1 is v1.\n2. The answer for k-2 is wrong.\n3. v3\n</answer>');
    expect(r.score).toBeCloseTo(2 / 3, 12);
    expect(r.pass).toBe(false);
    expect(r.reason).toBe('2/3 items right; first wrong item 2: expected "v2", got "The answer for k-2 is wrong."');
    expect(r.metrics).toEqual({ answered: 1 });
  });

  it('accepts the filled template, the bare value, a colon after "is", any case', () => {
    expect(score('1. THE ANSWER FOR K-1 IS V1\n2) the answer for k-2 is: v2.\n3: "v3"').score).toBe(1);
  });

  it('rejects the right value under the wrong key and items in the wrong position', () => {
    expect(score('1. The answer for k-2 is v1.\n2. The answer for k-1 is v2.\n3. v3').score).toBeCloseTo(1 / 3, 12);
    expect(score('1. v2\n2. v1\n3. v3').score).toBeCloseTo(1 / 3, 12);
  });

  it('falls back to unnumbered lines in order, and to the whole output without a tag', () => {
    expect(score('v1\nv2\nv3').score).toBe(1);
    expect(scorers.numbered({ output: 'The Silver Lamp.', expected: ['silver lamp'] }).score).toBe(1);
  });

  it('flags outputs with no answer', () => {
    expect(score('<answer>  </answer>')).toMatchObject({ score: 0, pass: false, noAnswer: true });
    expect(score('')).toMatchObject({ score: 0, noAnswer: true });
  });

  it('answers "none" for absent keys with any accepted phrasing', () => {
    const meta = { answerTemplate: 'The answer for {key} is {value}.', keys: ['k-1', 'k-2'] };
    expect(scorers.numbered({ output: '1. The answer for k-1 is not found.\n2. The answer for k-2 is v2.', expected: ['none', 'v2'], metadata: meta }).score).toBe(1);
    expect(scorers.numbered({ output: '1. No answer\n2. v2', expected: ['none', 'v2'], metadata: meta }).score).toBe(1);
    expect(scorers.numbered({ output: '1. v9\n2. v2', expected: ['none', 'v2'], metadata: meta }).score).toBe(0.5);
  });
});

describe('set-iou', () => {
  it('is intersection over union with precision, recall and F1', () => {
    const r = scorers['set-iou']({ output: '<answer>b, a, c</answer>', expected: ['a', 'b'] });
    expect(r.score).toBeCloseTo(2 / 3, 12);
    expect(r.metrics).toEqual({ precision: 2 / 3, recall: 1, f1: 0.8 });
    expect(r.reason).toBe('2 of 2 gold items found, 3 given; extra "c"');
  });

  it('reads numbered lists, newlines, whitespace-separated single words and item prefixes', () => {
    const meta = { itemPrefixes: ['VAR', 'Chapter'] };
    expect(scorers['set-iou']({ output: '<answer>\n1. Apple\n2. pear\n</answer>', expected: ['apple', 'pear'] }).score).toBe(1);
    expect(scorers['set-iou']({ output: '<answer>VAR ABCDE VAR FGHIJ</answer>', expected: ['ABCDE', 'FGHIJ'], metadata: meta }).score).toBe(1);
    expect(scorers['set-iou']({ output: '<answer>Chapter 3, Chapter 12 and Chapter 7</answer>', expected: ['3', '7', '12'], metadata: meta }).score).toBe(1);
    // Without the prefix list, "VAR" is a wrong item.
    expect(scorers['set-iou']({ output: 'VAR ABCDE', expected: ['ABCDE'] }).score).toBe(0.5);
    // A prefix is a whole word: "variable" keeps its letters.
    expect(scorers['set-iou']({ output: 'variable', expected: ['variable'], metadata: meta }).score).toBe(1);
  });

  it('keeps multi-word items whole', () => {
    expect(scorers['set-iou']({ output: 'golden key, silver lamp', expected: ['Golden Key', 'Silver Lamp'] }).score).toBe(1);
    expect(scorers['set-iou']({ output: 'golden key silver lamp', expected: ['Golden Key', 'Silver Lamp'] }).score).toBe(0);
  });

  it('handles answer-absent targets', () => {
    expect(scorers['set-iou']({ output: '<answer>None.</answer>', expected: ['none'] }).score).toBe(1);
    expect(scorers['set-iou']({ output: '<answer>not found</answer>', expected: ['none'] }).score).toBe(1);
    expect(scorers['set-iou']({ output: '<answer>3, 4</answer>', expected: ['none'] }).score).toBe(0);
    expect(scorers['set-iou']({ output: '<answer></answer>', expected: ['a'] })).toMatchObject({ score: 0, noAnswer: true });
  });
});

describe('exact', () => {
  it('compares one normalised answer with each target', () => {
    expect(scorers.exact({ output: '<answer>The Silver Lamp.</answer>', expected: ['silver lamp'] }).score).toBe(1);
    expect(scorers.exact({ output: '<answer>silver lamps</answer>', expected: ['silver lamp'] })).toMatchObject({ score: 0, reason: 'expected "silver lamp", got "silver lamps"' });
    expect(scorers.exact({ output: '<answer>Not mentioned</answer>', expected: ['none'] }).score).toBe(1);
  });
});

describe('token-f1', () => {
  it('is the SQuAD token-set F1, maximum over gold answers', () => {
    expect(squadNormalize('The Eiffel-Tower!')).toBe('eiffeltower');
    expect(tokenSetF1('new york city', 'new york')).toBeCloseTo(0.8, 12);
    expect(tokenSetF1('', '')).toBe(1);
    const r = scorers['token-f1']({ output: '<answer>in New York City</answer>', expected: ['Paris', 'New York'] });
    expect(r.score).toBeCloseTo(2 * (2 / 4) * 1 / (2 / 4 + 1), 12);
    expect(r.pass).toBe(false);
    expect(scorers['token-f1']({ output: '<answer>the New York.</answer>', expected: ['Paris', 'New York'] })).toMatchObject({ score: 1, pass: true, metrics: { exactMatch: 1 } });
  });
});

describe('choice-set', () => {
  it.each([
    ['A', 'A'],
    ['AC', 'AC'],
    ['C, A', 'AC'],
    ['(B)', 'B'],
    ['Answer: (C) and A', 'AC'],
    ['B) the dog ran', 'B'],
    ['ac', 'AC'],
    ['The correct option is (D).', 'D'],
    ['I think B', 'B'],
    ['E', ''],
  ])('%j -> %j', (text, letters) => {
    expect(choiceLetters(text)).toBe(letters);
  });
  it('scores set equality of letters, with jaccard', () => {
    expect(scorers['choice-set']({ output: '<answer>C, A</answer>', expected: ['AC'] })).toMatchObject({ score: 1, metrics: { jaccard: 1 } });
    expect(scorers['choice-set']({ output: '<answer>A</answer>', expected: ['A', 'C'] })).toMatchObject({ score: 0, metrics: { jaccard: 0.5 } });
    expect(scorers['choice-set']({ output: '<answer>E</answer>', expected: ['E'], metadata: { choiceLetters: 'ABCDE' } }).score).toBe(1);
    expect(scorers['choice-set']({ output: '<answer>no idea</answer>', expected: ['A'] })).toMatchObject({ score: 0, noAnswer: true });
  });
});

describe('RULER containment (exact RULER semantics)', () => {
  it('contains-all is the fraction of references found, case-insensitive, over the whole output', () => {
    expect(scorers['contains-all']({ output: 'x 123 Y', expected: ['123', '456', 'y'] }).score).toBeCloseTo(2 / 3, 12);
    expect(scorers['contains-all']({ output: '<answer>no</answer> 456', expected: ['456'] }).score).toBe(1);
    expect(scorers['contains-all']({ output: '\u0001 abc \t', expected: ['abc'] }).score).toBe(1);
  });
  it('contains-any is 1 if any reference is found (RULER string_match_part, not lm-eval\'s fraction)', () => {
    expect(scorers['contains-any']({ output: 'x 123 y', expected: ['123', '456'] }).score).toBe(1);
    expect(scorers['contains-any']({ output: 'x y', expected: ['123', '456'] }).score).toBe(0);
  });
  it('rewards listing every candidate, unlike the precision-aware companions', () => {
    const everything = Array.from({ length: 20 }, (_, i) => String(1000 + i)).join(', ');
    expect(scorers['contains-all']({ output: everything, expected: ['1003', '1007'] }).score).toBe(1);
    expect(scorers['contains-all-f1']({ output: everything, expected: ['1003', '1007'] }).score).toBeCloseTo((2 * 0.1) / 1.1, 12);
    expect(scorers['contains-any-precise']({ output: everything, expected: ['1003', '1007'] }).score).toBeCloseTo(0.1, 12);
  });
  it('finds candidates shaped like the references', () => {
    expect(candidates('The numbers are 1234 and 5678.', ['1234'])).toEqual(['1234', '5678']);
    expect(candidates('Values: ab12cd34-ef56gh78 and zz.', ['ab12cd34-ef56gh79'])).toEqual(['ab12cd34-ef56gh78']);
    expect(candidates('New York, Paris', ['new york'])).toEqual(['new york', 'paris']);
    expect(scorers['contains-all-f1']({ output: 'The special magic numbers are 1234 and 5678.', expected: ['1234', '5678'] }).score).toBe(1);
  });
});
