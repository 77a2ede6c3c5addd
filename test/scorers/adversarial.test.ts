// The default scorers on answers a careful user writes or a model produces, each case an issue
// found by trying them (exact scores), and the compatibility mode on the inputs where Python and
// JavaScript, or the references and our defaults, read text differently.
import { describe, expect, it } from 'vitest';
import { scoreSample } from '../../scorers/score-sample.js';
import type { ScorableSample } from '../../scorers/types.js';

const ref = { compat: 'paper-reference' } as const;
const sample = (task: string, scorer: string, target: string[], extra: Record<string, unknown> = {}): ScorableSample => ({ id: 'x', task, target, metadata: { scorer, ...extra } });
const score = (s: ScorableSample, output: string, options = {}): number => scoreSample(s, { output }, options).score;
const niah = sample('ruler/niah', 'numbered', ['v1', 'v2'], { keys: ['k1', 'k2'], answerTemplate: 'The answer for {key} is {value}.' });

describe('numbered', () => {
  it('reads every line ending', () => {
    for (const eol of ['\n', '\r\n', '\r', '\u2028', '\x85']) {
      expect(score(niah, `<answer>${eol}1. The answer for k1 is v1.${eol}2. The answer for k2 is v2.${eol}</answer>`), JSON.stringify(eol)).toBe(1);
    }
  });

  it('does not read a decimal or a time as a numbered item', () => {
    const s = sample('story/retrieval', 'numbered', ['lamp', 'key', 'rope']);
    expect(score(s, '<answer>\n3.5 kg of flour\n3:30 in the afternoon\n1. lamp\n2. key\n3. rope\n</answer>')).toBe(1);
    expect(score(s, '<answer>\n1. lamp\n2 - key\n3) rope\n</answer>')).toBe(1);
  });
});

describe('set-iou reads natural list formats', () => {
  const chapters = sample('story/filtering', 'set-iou', ['2', '6', '15'], { itemPrefixes: ['Chapter'] });
  it.each(['Chapters 2, 6, and 15', '[2, 6, 15]', 'Chapter 2, Chapter 6 and Chapter 15', '2, 6 & 15', '(2, 6, 15)', '- 2\n- 6\n- 15'])('%j scores 1', (answer) => {
    expect(score(chapters, `<answer>${answer}</answer>`)).toBe(1);
  });

  it('quoted, bracketed and dash-numbered items', () => {
    expect(score(sample('x/list', 'set-iou', ['A', 'B']), "<answer>['A', 'B']</answer>")).toBe(1);
    expect(score(sample('ruler/cwe', 'set-iou', ['apple', 'river']), '<answer>\n1- apple\n2- river\n</answer>')).toBe(1);
    // An item that merely contains brackets keeps them.
    expect(score(sample('x/list', 'set-iou', ['lamp (silver)', 'key']), '<answer>lamp (silver), key</answer>')).toBe(1);
  });
});

describe('choice-set', () => {
  it('does not read the article "A" as option A', () => {
    const s = sample('qa/quality', 'choice-set', ['B']);
    expect(score(s, '<answer>A good choice is B</answer>')).toBe(1);
    expect(score(s, '<answer>A reasonable reading points to B.</answer>')).toBe(1);
    // "A" followed by a verb or joiner about the option stays option A.
    expect(score(sample('qa/quality', 'choice-set', ['A']), '<answer>A is correct</answer>')).toBe(1);
    expect(score(sample('qa/quality', 'choice-set', ['A']), '<answer>Answer: A because the text says so</answer>')).toBe(1);
  });
});

describe('contains-all-f1 and contains-any-precise', () => {
  it('do not count the words of a prose answer as wrong answers', () => {
    const names = ['ESZCW', 'ZBUBD', 'QQGQJ', 'ZCCIT', 'AWMZY'];
    const output = 'VAR ESZCW, VAR ZBUBD, VAR QQGQJ, VAR ZCCIT, VAR AWMZY';
    expect(score(sample('ruler/vt', 'contains-all-f1', names), output)).toBe(1);
    expect(score(sample('ruler/vt', 'contains-any-precise', names), `The variables are ${output}.`)).toBe(1);
    // A wrong name of the same shape still costs precision: 5 of 6 candidates right.
    expect(score(sample('ruler/vt', 'contains-any-precise', names), `${output}, VAR QQQQQ`)).toBeCloseTo(5 / 6, 12);
    // Lowercase prose around lowercase keys is not shaped like them (no digits, no hyphens).
    const kv = ['ab12cd34-ef56gh78', 'ij90kl12-mn34op56'];
    expect(score(sample('ruler/niah', 'contains-all-f1', kv), `The values are ${kv.join(' and ')}.`)).toBe(1);
  });
});

describe('no answer', () => {
  it('an output with no <answer> block is flagged by every tag-reading scorer, and still scored', () => {
    const cases: [ScorableSample, string, number][] = [
      [niah, '1. The answer for k1 is v1.\n2. The answer for k2 is v2.', 1],
      [sample('ruler/vt', 'set-iou', ['ABCDE']), 'ABCDE', 1],
      [sample('story/multihop', 'exact', ['silver lamp']), 'I could not find it in the story.', 0],
      [sample('qa/squad', 'token-f1', ['otter']), 'otter', 1],
      [sample('qa/quality', 'choice-set', ['B']), 'B', 1],
    ];
    for (const [s, output, expected] of cases) expect(scoreSample(s, { output }), s.metadata.scorer).toMatchObject({ score: expected, noAnswer: true });
    for (const [s, output] of cases) expect(scoreSample(s, { output: `<answer>${output}</answer>` }).noAnswer, s.metadata.scorer).toBeUndefined();
  });
});

describe('"none" phrases', () => {
  it('apply to predictions for a gold "none", never to gold answers', () => {
    expect(score(sample('story/multihop', 'exact', ['none']), '<answer>N/A</answer>')).toBe(1);
    expect(score(sample('story/multihop', 'exact', ['nothing']), '<answer>none</answer>')).toBe(0);
    expect(score(sample('story/multihop', 'exact', ['nothing']), '<answer>Nothing</answer>')).toBe(1);
    expect(score(sample('qa/squad', 'token-f1', ['null']), '<answer>not found</answer>')).toBe(0);
    expect(score(sample('story/filtering', 'set-iou', ['none']), '<answer>Nothing.</answer>')).toBe(1);
    expect(score(sample('story/retrieval', 'numbered', ['lamp', 'none']), '<answer>\n1. lamp\n2. not found\n</answer>')).toBe(1);
  });
});

describe('reasoning', () => {
  const s = sample('story/multihop', 'exact', ['silver lamp']);
  it('a doubled </think> leaks nothing and a literal <think> in the answer deletes nothing', () => {
    expect(score(s, '<think>hmm</think><answer>gold key</answer></think><answer>silver lamp</answer>')).toBe(1);
    expect(scoreSample(s, { output: '<think>x</think>gold key</think>silver lamp' })).toMatchObject({ score: 1, noAnswer: true });
    expect(score(s, '<answer>silver lamp</answer> (no <think> tags were used)')).toBe(1);
    expect(score(s, '<answer>silver lamp')).toBe(1);
  });
});

describe('Unicode look-alikes (default scorers)', () => {
  it('fold compatibility forms and invisible characters, keep other scripts apart', () => {
    const s = sample('story/multihop', 'exact', ['silver lamp 12']);
    expect(score(s, '<answer>ｓｉｌｖｅｒ lamp １２</answer>')).toBe(1);
    expect(score(s, '<answer>silver\u200b lamp\u00a012\ufeff</answer>')).toBe(1);
    expect(score(s, '<answer>silver lamp\x8512</answer>')).toBe(1);
    // Cyrillic а (U+0430) in "lamp" is another word.
    expect(score(s, '<answer>silver l\u0430mp 12</answer>')).toBe(0);
  });
});

describe('paper-reference compatibility on Python-specific input', () => {
  it("rounds SQuAD F1 as Python's round does (ties to even)", () => {
    const s = sample('qa/squad', 'token-f1', ['alpha']);
    const fifteen = `alpha ${Array.from({ length: 14 }, (_, i) => `w${i}`).join(' ')}`;
    // F1 = 2 / (15 + 1) = 0.125 exactly: Python's round gives 0.12, toFixed would give 0.13.
    expect(score(s, `<answer>${fifteen}</answer>`, ref)).toBe(0.12);
    expect(score(s, `<answer>${fifteen}</answer>`)).toBe(0.125);
  });

  it("reads digits, whitespace and case as Python's re and str do", () => {
    // Fullwidth digits are \d to Python (and int() reads them).
    expect(score(niah, '１. The answer for k1 is v1.\n٢. The answer for k2 is v2.', ref)).toBe(1);
    // U+0085 and U+001C are whitespace to Python's split(); U+FEFF is not.
    const vt = sample('ruler/vt', 'set-iou', ['ABCDE', 'FGHIJ']);
    expect(score(vt, '<answer>ABCDE\x85FGHIJ</answer>', ref)).toBe(1);
    expect(score(vt, '<answer>ABCDE\x1cFGHIJ</answer>', ref)).toBe(1);
    expect(score(vt, '<answer>ABCDE\ufeffFGHIJ</answer>', ref)).toBe(0);
    // re.IGNORECASE folds the long s to s: "<anſwer>" is an answer tag to the reference.
    expect(score(sample('story/multihop', 'exact', ['lamp']), '<anſwer>lamp</ANSWER>', ref)).toBe(1);
    // str.strip() keeps U+FEFF, so this output is not empty and the sample is not dropped.
    expect(scoreSample(sample('story/filtering', 'set-iou', ['3']), { output: '\ufeff' }, ref).excluded).toBeUndefined();
    expect(scoreSample(sample('story/filtering', 'set-iou', ['3']), { output: '\x1c \x85' }, ref)).toMatchObject({ excluded: true });
  });

  it('reads the raw output: the first <answer> block even inside <think>, and values named while thinking', () => {
    const s = sample('story/multihop', 'exact', ['lamp']);
    const output = '<think>draft <answer>key</answer></think><answer>lamp</answer>';
    expect(score(s, output, ref)).toBe(0);
    expect(score(s, output)).toBe(1);
    const r = sample('ruler/niah', 'contains-all', ['1234']);
    expect(score(r, '<think>maybe 1234?</think> 5678', ref)).toBe(1);
    expect(score(r, '<think>maybe 1234?</think> 5678')).toBe(0);
  });

  it('scores RULER-format samples with RULER, paper-format ones with the paper, others with the defaults', () => {
    const cwe = sample('ruler/cwe', 'contains-all', ['apple', 'river']);
    expect(scoreSample(cwe, { output: ' apple, river.' }, ref)).toMatchObject({ score: 1, reference: 'ruler' });
    const vt = sample('ruler/vt', 'contains-all', ['ABCDE', 'FGHIJ']);
    expect(scoreSample(vt, { output: ' ABCDE, FGHIJ.' }, ref)).toMatchObject({ score: 1, reference: 'ruler' });
    expect(scoreSample(sample('ruler/vt', 'set-iou', ['ABCDE']), { output: '<answer>ABCDE</answer>' }, ref).reference).toBe('sparse-frontier');
    expect(scoreSample(sample('ruler/fwe', 'set-iou', ['abc']), { output: '<answer>abc</answer>' }, ref).reference).toBe('none');
  });
});
