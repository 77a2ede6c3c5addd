import { describe, expect, it } from 'vitest';
import { canonicalAnswer, isNoneAnswer, normalizeAnswer, NONE_PHRASES } from '../../scorers/text/normalize.js';
import { extractAnswer, listItems, numberedItems, stripReasoning } from '../../scorers/text/extract.js';

describe('normalizeAnswer', () => {
  it.each([
    ['  The  Golden Key. ', 'golden key'],
    ['A silver lamp', 'silver lamp'],
    ['an owl...', 'owl'],
    ['**Paris.**', 'paris'],
    ['"Rome"', 'rome'],
    ['`abc-def`', 'abc-def'],
    ['Theodore', 'theodore'],
    ['the', 'the'],
    ['Line\none', 'line one'],
  ])('%j -> %j', (input, expected) => {
    expect(normalizeAnswer(input)).toBe(expected);
  });

  it('maps every no-answer phrase to none', () => {
    for (const phrase of NONE_PHRASES) expect(canonicalAnswer(`${phrase.toUpperCase()}.`)).toBe('none');
    expect(canonicalAnswer('Not found')).toBe('none');
    expect(canonicalAnswer('The answer is not found')).toBe('answer is not found');
    expect(isNoneAnswer('no answer')).toBe(true);
    expect(isNoneAnswer('unknown')).toBe(false);
  });
});

describe('stripReasoning', () => {
  it.each([
    ['<think>hmm</think>Paris', 'Paris'],
    ['a<THINK>x</THINK>b<think>y</think>c', 'abc'],
    ['<think>still thinking when cut', ''],
    // A <think> never closed is reasoning cut off only where it opens the output; elsewhere it is text.
    ['answer <think>late thought', 'answer <think>late thought'],
    ['<answer>use <think> tags</answer>', '<answer>use <think> tags</answer>'],
    ['  <think>cut while thinking', ''],
    // A doubled </think> leaks nothing; a <think> inside a block is part of it.
    ['<think>a</think>b</think><answer>x</answer>', '<answer>x</answer>'],
    ['<think>mention <think> inside</think>Paris', 'Paris'],
    ['<answer>x</answer><think>after</think>', '<answer>x</answer>'],
    ['reasoning opened by the template</think>\n<answer>x</answer>', '\n<answer>x</answer>'],
    ['no tags at all', 'no tags at all'],
  ])('%j -> %j', (input, expected) => {
    expect(stripReasoning(input)).toBe(expected);
  });
});

describe('extractAnswer', () => {
  it('takes the last answer block with content', () => {
    expect(extractAnswer('<explanation>use <answer></answer></explanation><answer> 42 </answer>')).toEqual({ text: '42', source: 'tag' });
    expect(extractAnswer('<answer>first</answer> and <answer>second</answer>')).toEqual({ text: 'second', source: 'tag' });
    expect(extractAnswer('<answer>kept</answer><answer>  </answer>')).toEqual({ text: 'kept', source: 'tag' });
  });
  it('reads an unterminated block (output cut) and falls back to the whole output', () => {
    expect(extractAnswer('<answer>\n1. a\n2. b')).toEqual({ text: '1. a\n2. b', source: 'unterminated-tag' });
    expect(extractAnswer('  plain text ')).toEqual({ text: 'plain text', source: 'whole-output' });
    expect(extractAnswer('<ANSWER>x</Answer>')).toEqual({ text: 'x', source: 'tag' });
    expect(extractAnswer('<answer></answer>')).toEqual({ text: '', source: 'tag' });
  });
});

describe('numberedItems and listItems', () => {
  it('reads numbered lines, first occurrence wins', () => {
    expect([...numberedItems('1. a\n2) b\n3: c\n- 4. d\n**5.** e\n1. again\nno number')]).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
      [4, 'd'],
      [5, 'e'],
    ]);
  });
  it('splits lists on newlines, commas and semicolons and removes numbering', () => {
    expect(listItems('1. apple\n2. pear, plum; fig\n\n- kiwi')).toEqual(['apple', 'pear', 'plum', 'fig', 'kiwi']);
  });
});
