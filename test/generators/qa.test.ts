// QA tasks: the source readers (with fixtures written here in the SQuAD v2 and QuALITY / TOEFL-QA
// formats), exact document packing, the same question at every length, clear errors for missing
// or malformed sources, qa/synthetic, and the gold answer scoring 1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTokenizer, renderChat } from '../../generators/tokenizers/index.js';
import { generateSample } from '../../generators/generate.js';
import { Random } from '../../generators/core/random.js';
import { ParamError } from '../../generators/params.js';
import { LengthError } from '../../generators/core/task.js';
import type { Sample } from '../../generators/core/sample.js';
import { SourceError } from '../../generators/qa/source.js';
import { WorkshopFactory, workshopDocument } from '../../generators/qa/synthetic.js';
import { scoreSample } from '../../scorers/score-sample.js';
import { formatGold } from '../../scorers/gold.js';

const qwen = loadTokenizer('qwen3');
let dir = '';
const sources: Record<string, string> = {};

function exactCount(s: Sample): number {
  return s.metadata.chatTemplate ? qwen.encode(renderChat(qwen.chatTemplate!, s.messages)).length : qwen.encode(s.input).length;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'longweave-qa-'));
  const rng = new Random('qa-fixtures');
  const factory = new WorkshopFactory(rng);
  const workshops = Array.from({ length: 24 }, () => factory.next());
  const squad = {
    version: 'v2.0',
    data: [
      {
        title: 'Workshops',
        paragraphs: workshops.map((w) => ({
          context: workshopDocument(w, rng, { colour: 4 }),
          qas: [
            { id: `${w.name}-1`, question: `Who founded ${w.name}?`, answers: [{ text: w.founder, answer_start: 0 }, { text: w.founder.split(' ')[0], answer_start: 0 }], is_impossible: false },
            { id: `${w.name}-2`, question: `Who bought ${w.name} when it closed?`, answers: [], plausible_answers: [{ text: 'x', answer_start: 0 }], is_impossible: true },
          ],
        })),
      },
    ],
  };
  sources['qa/squad'] = join(dir, 'squad-v2.json');
  writeFileSync(sources['qa/squad'], JSON.stringify(squad));
  const mcq = (prefix: string): string =>
    workshops
      .map((w, i) =>
        JSON.stringify({
          context: workshopDocument(w, rng, { colour: 10 }),
          questions: [`${prefix}Which animal was the emblem of ${w.name}? Options: A.${w.emblem} B.unicorn C.dragon D.griffin `, `${prefix}Which of these are mythical? Options: A.${w.emblem} B.unicorn C.dragon D.sparrow `],
          answer: ['A', i % 2 === 0 ? 'BC' : 'CB'],
        }),
      )
      .join('\n');
  sources['qa/quality'] = join(dir, 'quality.jsonl');
  writeFileSync(sources['qa/quality'], mcq(''));
  sources['qa/toefl'] = join(dir, 'toefl.jsonl');
  writeFileSync(sources['qa/toefl'], mcq('Question: '));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('source QA tasks', () => {
  it.each(['qa/squad', 'qa/quality', 'qa/toefl'])('%s: exact at several lengths, gold document numbered as the question says, same question at every length', (task) => {
    const asked: string[] = [];
    for (const length of [1024, 3000, 8192]) {
      const s = generateSample({ task, length, index: 2, seed: 7, tokenizer: qwen, params: { fitLength: 1024 }, sources });
      expect(exactCount(s)).toBe(length);
      const k = s.metadata['goldDocument'] as number;
      expect(s.input).toContain(`Question about document ${k}:\n${s.metadata['question']}`);
      const needle = s.metadata.needles![0]!;
      expect(needle.text.startsWith(`Document ${k}:\n`)).toBe(true);
      expect(s.input.slice(needle.charOffset, needle.charOffset + needle.text.length)).toBe(needle.text);
      asked.push(s.metadata['question'] as string);
      if (task === 'qa/squad') expect(needle.text).toContain(s.target[0]);
      if (task === 'qa/toefl') expect(s.metadata['question']).not.toMatch(/^Question: /);
      if (task !== 'qa/squad') expect(s.metadata.scorer).toBe('choice-set');
    }
    expect(new Set(asked).size).toBe(1);
  });

  it('drops SQuAD v2 unanswerable questions by default and asks only them with unanswerable: only (gold "none")', () => {
    for (let index = 0; index < 6; index++) {
      const s = generateSample({ task: 'qa/squad', length: 2048, index, seed: 1, tokenizer: qwen, params: { fitLength: 1024 }, sources });
      expect(s.target[0]).not.toBe('none');
      expect(s.input).not.toContain('answer "none"');
    }
    const absent = generateSample({ task: 'qa/squad', length: 2048, index: 0, seed: 1, tokenizer: qwen, params: { fitLength: 1024, unanswerable: 'only' }, sources });
    expect(absent.target).toEqual(['none']);
    expect(absent.metadata['unanswerable']).toBe(true);
    expect(absent.input).toContain('If the document does not contain the answer, answer "none"');
  });

  it('says which file and format a task needs when no source is given', () => {
    expect(() => generateSample({ task: 'qa/squad', length: 4096, index: 0, tokenizer: qwen })).toThrow(SourceError);
    expect(() => generateSample({ task: 'qa/squad', length: 4096, index: 0, tokenizer: qwen })).toThrow(
      /qa\/squad reads the user's own data, and no source file was given\. It needs a SQuAD v2\.0 JSON file .* Pass it with --source qa\/squad=PATH/,
    );
    expect(() => generateSample({ task: 'qa/toefl', length: 4096, index: 0, tokenizer: qwen })).toThrow(/JSON Lines.*"answer": \["D", "AC"/);
    expect(() => generateSample({ task: 'qa/quality', length: 4096, index: 0, tokenizer: qwen, sources: { 'qa/quality': join(dir, 'missing.jsonl') } })).toThrow(/source file .*missing\.jsonl does not exist/);
  });

  it('names the field of a malformed source', () => {
    const bad = join(dir, 'bad-squad.json');
    writeFileSync(bad, JSON.stringify({ data: [{ paragraphs: [{ context: 'x', qas: [{ question: 'q?', answers: 'nope' }] }] }] }));
    expect(() => generateSample({ task: 'qa/squad', length: 4096, index: 0, tokenizer: qwen, params: { fitLength: 1024 }, sources: { 'qa/squad': bad } })).toThrow(
      `${bad}: data[0].paragraphs[0].qas[0].answers must be an array of {"text": "..."}.`,
    );
    const badJsonl = join(dir, 'bad.jsonl');
    writeFileSync(badJsonl, '{"context": "a", "questions": ["q"], "answer": ["B"]}\n{"context": "b", "questions": ["q"], "answer": ["maybe"]}\n');
    expect(() => generateSample({ task: 'qa/quality', length: 4096, index: 0, tokenizer: qwen, params: { fitLength: 1024 }, sources: { 'qa/quality': badJsonl } })).toThrow(
      `${badJsonl}: line 2: answer[0] must be option letters such as "B" or "AC", got "maybe".`,
    );
  });

  it('keeps only questions that fit fitLength, which may not exceed the length', () => {
    expect(() => generateSample({ task: 'qa/squad', length: 2048, index: 0, tokenizer: qwen, sources })).toThrow(ParamError);
    expect(() => generateSample({ task: 'qa/squad', length: 2048, index: 0, tokenizer: qwen, sources })).toThrow('qa/squad: params.fitLength must be at most the length being generated (2048), got 8192');
    expect(() => generateSample({ task: 'qa/squad', length: 2048, index: 30, tokenizer: qwen, params: { fitLength: 1024 }, sources })).toThrow(
      /sample 30 asks question 31, but only 24 of the 48 questions in .* fit fitLength=1024 tokens/,
    );
    expect(() => generateSample({ task: 'qa/quality', length: 4096, index: 0, tokenizer: qwen, params: { fitLength: 300 }, sources })).toThrow(/only 0 of the 48 questions/);
  });
  it('gives samples of two different source files different ids (the file\'s content, not its path, counts)', () => {
    const options = { task: 'qa/quality', length: 2048, index: 0, seed: 7, tokenizer: qwen, params: { fitLength: 1024 } };
    const original = generateSample({ ...options, sources });
    const copy = join(dir, 'quality-copy.jsonl');
    copyFileSync(sources['qa/quality']!, copy);
    expect(generateSample({ ...options, sources: { 'qa/quality': copy } }).id).toBe(original.id);
    const edited = join(dir, 'quality-edited.jsonl');
    writeFileSync(edited, readFileSync(sources['qa/quality']!, 'utf8').replace('unicorn', 'kraken'));
    const other = generateSample({ ...options, sources: { 'qa/quality': edited } });
    expect(other.id).not.toBe(original.id);
    const shaOf = (x: typeof original): string => (x.metadata['source'] as { sha256: string }).sha256;
    expect(shaOf(other)).not.toBe(shaOf(original));
  });
});

describe('qa/synthetic', () => {
  it.each([
    [{}, 1024],
    [{}, 16384],
    [{ questionKind: 'choice' }, 4096],
    [{ colour: 0 }, 2500],
  ])('%j at %i tokens: exact, and the gold document states the answer', (params, length) => {
    const s = generateSample({ task: 'qa/synthetic', length, index: 0, seed: 3, tokenizer: qwen, params });
    expect(exactCount(s)).toBe(length);
    const gold = s.metadata.needles![0]!.text;
    expect(gold).toContain(s.metadata['entity'] as string);
    if ((params as { questionKind?: string }).questionKind === 'choice') {
      const options = s.metadata['options'] as string[];
      expect(options).toHaveLength(4);
      const answer = options['ABCD'.indexOf(s.target[0]!)]!;
      expect(gold).toContain(answer);
      for (const wrong of options.filter((o) => o !== answer)) expect(gold).not.toContain(` ${wrong} `);
      expect(s.metadata.scorer).toBe('choice-set');
    } else {
      expect(gold).toContain(s.target[0]);
      expect(s.metadata.scorer).toBe('token-f1');
    }
  });

  it('answer-absent: the gold document omits the fact asked', () => {
    const s = generateSample({ task: 'qa/synthetic', length: 2048, index: 0, seed: 3, tokenizer: qwen, params: { absent: 1, facts: ['founded'] } });
    expect(s.target).toEqual(['none']);
    expect(s.metadata.needles![0]!.text).not.toMatch(/\b1[789]\d\d\b/);
    expect(() => generateSample({ task: 'qa/synthetic', length: 2048, index: 0, tokenizer: qwen, params: { absent: 1, questionKind: 'choice' } })).toThrow('qa/synthetic: params.absent applies to open questions only');
  });

  it('says how long a sample must be', () => {
    expect(() => generateSample({ task: 'qa/synthetic', length: 200, index: 0, tokenizer: qwen })).toThrow(LengthError);
  });
});

describe('QA scoring', () => {
  it.each([
    ['qa/squad', { fitLength: 1024 }],
    ['qa/quality', { fitLength: 1024 }],
    ['qa/toefl', { fitLength: 1024 }],
    ['qa/synthetic', {}],
    ['qa/synthetic', { questionKind: 'choice' }],
    ['qa/squad', { fitLength: 1024, unanswerable: 'only' }],
  ])('%s %j: the gold answer formatted as the prompt asks scores 1 (ours and paper-reference)', (task, params) => {
    for (const index of [0, 1, 2]) {
      const s = generateSample({ task, length: 2048, index, seed: 5, tokenizer: qwen, params, sources });
      const output = `<explanation>It is in the document.</explanation>\n${formatGold(s)}`;
      expect(scoreSample(s, { output }).score).toBe(1);
      if (s.target[0] !== 'none') expect(scoreSample(s, { output }, { compat: 'paper-reference' }).score).toBe(1);
    }
  });
});
