// The parity suite's corpus: real generated samples of every task, in both prompt formats where a
// task has two and in its answer-absent and multi-value variants, each with adversarial
// predictions built from its gold answer: case, punctuation, order, duplicates, partial and extra
// items, prose around the answer, list styles, several / missing / unterminated / oddly cased
// <answer> tags, reasoning blocks (closed, opened by the template, cut off, doubled, holding their
// own <answer>), empty and truncated output, Unicode look-alikes (fullwidth and other-script
// digits, the long s, dotted and dotless i, the Kelvin sign, U+0085, U+001C, NBSP, U+FEFF,
// zero-width spaces, Cyrillic letters), every line ending, and task-specific traps (`Chapters 2,
// 6, and 15`, `3.5`, `A good choice is B`, `Question 1: B`, F1 rounding ties, "none" phrasings).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from '../../../generators/generate.js';
import { Random } from '../../../generators/core/random.js';
import type { Sample } from '../../../generators/core/sample.js';
import { loadTokenizer } from '../../../generators/tokenizers/index.js';
import { WorkshopFactory, workshopDocument } from '../../../generators/qa/synthetic.js';
import { formatGold, goldAnswer } from '../../../scorers/gold.js';

/** A group of samples: one task in one format or variant. */
export interface CorpusGroup {
  label: string;
  samples: Sample[];
}

interface Variant {
  label: string;
  task: string;
  params?: Record<string, unknown>;
  length?: number;
  samples?: number;
  /** Score these samples with another registered scorer (contains-any over RULER-format samples). */
  scorer?: string;
}

const VARIANTS: Variant[] = [
  { label: 'ruler/niah paper', task: 'ruler/niah' },
  { label: 'ruler/niah paper multi-value', task: 'ruler/niah', params: { keys: 3, queries: 2, values: 2 } },
  { label: 'ruler/niah paper word keys', task: 'ruler/niah', params: { keyType: 'word', valueType: 'number' } },
  { label: 'ruler/niah ruler', task: 'ruler/niah', params: { format: 'ruler' } },
  { label: 'ruler/niah ruler multi-value', task: 'ruler/niah', params: { format: 'ruler', keyType: 'word', valueType: 'uuid', values: 3 } },
  { label: 'ruler/vt paper', task: 'ruler/vt', samples: 6 },
  { label: 'ruler/vt ruler', task: 'ruler/vt', params: { format: 'ruler', chains: 2 } },
  // ruler/cwe's common words alone can take 2k-3k tokens (issue 23): its samples are 4k long.
  { label: 'ruler/cwe paper', task: 'ruler/cwe', samples: 6, length: 4096 },
  { label: 'ruler/cwe ruler', task: 'ruler/cwe', params: { format: 'ruler' }, length: 4096 },
  { label: 'ruler/fwe paper', task: 'ruler/fwe' },
  { label: 'ruler/fwe ruler', task: 'ruler/fwe', params: { format: 'ruler' } },
  { label: 'ruler/niah ruler (contains-any)', task: 'ruler/niah', params: { format: 'ruler', values: 2 }, scorer: 'contains-any' },
  { label: 'ruler/cwe ruler (contains-any)', task: 'ruler/cwe', params: { format: 'ruler' }, scorer: 'contains-any', length: 4096 },
  { label: 'story/retrieval', task: 'story/retrieval', params: { questions: 6 }, length: 3072 },
  { label: 'story/retrieval absent', task: 'story/retrieval', params: { questions: 6, absent: 2 }, length: 3072 },
  { label: 'story/multihop', task: 'story/multihop' },
  { label: 'story/multihop absent', task: 'story/multihop', params: { absent: true } },
  { label: 'story/filtering', task: 'story/filtering' },
  { label: 'story/filtering none', task: 'story/filtering', params: { chapters: 0 } },
  { label: 'qa/synthetic open', task: 'qa/synthetic' },
  { label: 'qa/synthetic choice', task: 'qa/synthetic', params: { questionKind: 'choice' } },
  { label: 'qa/synthetic absent', task: 'qa/synthetic', params: { absent: 1 } },
  { label: 'qa/squad', task: 'qa/squad', params: { fitLength: 1024 } },
  { label: 'qa/squad unanswerable', task: 'qa/squad', params: { fitLength: 1024, unanswerable: 'only' } },
  { label: 'qa/quality', task: 'qa/quality', params: { fitLength: 1024 } },
  { label: 'qa/toefl', task: 'qa/toefl', params: { fitLength: 1024 } },
];

// QA sources in the formats the QA tasks read (SQuAD v2 JSON; QuALITY / TOEFL-QA JSON Lines), built
// from the package's synthetic workshops, as test/generators/qa.test.ts does.
function writeQaSources(): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'longweave-parity-'));
  const rng = new Random('parity-qa-sources');
  const factory = new WorkshopFactory(rng);
  const workshops = Array.from({ length: 12 }, () => factory.next());
  const squad = {
    version: 'v2.0',
    data: [
      {
        title: 'Workshops',
        paragraphs: workshops.map((w) => ({
          context: workshopDocument(w, rng, { colour: 3 }),
          qas: [
            { id: `${w.name}-1`, question: `Who founded ${w.name}?`, answers: [{ text: w.founder, answer_start: 0 }, { text: `the founder ${w.founder.split(' ')[0]}`, answer_start: 0 }], is_impossible: false },
            { id: `${w.name}-2`, question: `Who bought ${w.name}?`, answers: [], plausible_answers: [{ text: 'x', answer_start: 0 }], is_impossible: true },
          ],
        })),
      },
    ],
  };
  const mcq = (prefix: string): string =>
    workshops
      .map((w, i) =>
        JSON.stringify({
          context: workshopDocument(w, rng, { colour: 6 }),
          questions: [`${prefix}Which animal was the emblem of ${w.name}? Options: A.${w.emblem} B.unicorn C.dragon D.griffin `, `${prefix}Which of these are mythical? Options: A.${w.emblem} B.unicorn C.dragon D.sparrow `],
          answer: [i % 2 === 0 ? 'A' : 'D', i % 2 === 0 ? 'BC' : 'CB'],
        }),
      )
      .join('\n');
  const files: Record<string, string> = { 'qa/squad': join(dir, 'squad.json'), 'qa/quality': join(dir, 'quality.jsonl'), 'qa/toefl': join(dir, 'toefl.jsonl') };
  writeFileSync(files['qa/squad'] as string, JSON.stringify(squad));
  writeFileSync(files['qa/quality'] as string, mcq(''));
  writeFileSync(files['qa/toefl'] as string, mcq('Question: '));
  return files;
}

/**
 * The corpus's samples: every variant above, 4 samples each (6 where a task has one variant in
 * the paper's format), seed 2204, Qwen3's tokenizer.
 */
export function corpusSamples(): CorpusGroup[] {
  const tokenizer = loadTokenizer('qwen3');
  const sources = writeQaSources();
  return VARIANTS.map((v) => {
    const options = { task: v.task, lengths: [v.length ?? 2048], samples: v.samples ?? 4, seed: 2204, tokenizer, params: v.params ?? {}, sources };
    const samples = [...generate(options as Parameters<typeof generate>[0])].map((s) => (v.scorer ? { ...s, metadata: { ...s.metadata, scorer: v.scorer } } : s));
    return { label: v.label, samples };
  });
}

// ---- adversarial predictions ----

const LOOKALIKE_DIGITS = ['０１２３４５６７８９', '٠١٢٣٤٥٦٧٨٩', '०१२३४५६७८९', '𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗'];
const ODD_SPACES = ['\u00a0', '\x85', '\x1c', '\x1f', '\u2028', '\u3000', '\u2009', '\t', '\v', '\f'];
const INVISIBLE = ['\ufeff', '\u200b', '\u200d', '\u00ad'];
const LOOKALIKE_LETTERS: Record<string, string[]> = { s: ['ſ'], i: ['İ', 'ı'], k: ['K'], a: ['а'], e: ['е'], o: ['о'], A: ['А'], B: ['В'], C: ['С'] };
const LINE_ENDINGS = ['\r\n', '\r', '\u2028', '\x85', '\u2029', '\n\n'];
const PROSE_BEFORE = ['The answer is ', 'Answer: ', 'Based on the text, ', 'Final answer:\n', 'I think it is ', 'A good answer: '];
const PROSE_AFTER = ['.', ' is the answer.', '\nThat is all.', ' (from the context)', '!', ''];
const NONE_WORDS = ['none', 'None.', 'nothing', 'N/A', 'Not found', 'null', 'NONE', 'no answer'];

type Mutation = (text: string, rng: Random, sample: Sample) => string;

function replaceRandomChar(text: string, rng: Random, test: (c: string) => boolean, replace: (c: string) => string): string {
  const positions = [...text].map((c, i) => (test(c) ? i : -1)).filter((i) => i >= 0);
  if (positions.length === 0) return text;
  const chars = [...text];
  const at = rng.pick(positions);
  chars[at] = replace(chars[at] as string);
  return chars.join('');
}

// Character-level perturbations of a whole output.
const PERTURB: Record<string, Mutation> = {
  upper: (t) => t.toUpperCase(),
  lower: (t) => t.toLowerCase(),
  title: (t) => t.replace(/\b\w/g, (c) => c.toUpperCase()),
  digit: (t, rng) => {
    const set = [...rng.pick(LOOKALIKE_DIGITS)];
    return t.replace(/\d/g, (d) => (rng.chance(0.5) ? (set[Number(d)] as string) : d));
  },
  space: (t, rng) => replaceRandomChar(t, rng, (c) => c === ' ', () => rng.pick(ODD_SPACES)),
  spaces: (t, rng) => t.replace(/ /g, () => (rng.chance(0.3) ? rng.pick(ODD_SPACES) : ' ')),
  invisible: (t, rng) => {
    const chars = [...t];
    chars.splice(rng.int(0, chars.length), 0, rng.pick(INVISIBLE));
    return chars.join('');
  },
  letter: (t, rng) => replaceRandomChar(t, rng, (c) => c in LOOKALIKE_LETTERS, (c) => rng.pick(LOOKALIKE_LETTERS[c] as string[])),
  letters: (t, rng) => t.replace(/[sikaeoABC]/g, (c) => (rng.chance(0.25) ? rng.pick(LOOKALIKE_LETTERS[c] as string[]) : c)),
  lineEnding: (t, rng) => {
    const ending = rng.pick(LINE_ENDINGS);
    return t.replace(/\n/g, ending);
  },
  truncate: (t, rng) => [...t].slice(0, rng.int(0, Math.max(0, [...t].length - 1))).join(''),
  padding: (t, rng) => `${rng.pick(['', ' ', '\n', '\x1c', '\x85', '\ufeff', '\u3000'])}${t}${rng.pick(['', ' ', '\n', '\x1f', '\x85', '\ufeff', '\t'])}`,
  control: (t, rng) => replaceRandomChar(t, rng, (c) => c === ' ' || c === '\n', () => rng.pick(['\x00', '\x07', '\x1b', '\x0b', '\x1e'])),
};

// The answer's body, in the gold form or one of the list styles a model may use.
function answerBodies(sample: Sample, rng: Random): string {
  const target = sample.target;
  const gold = goldAnswer(sample);
  const keys = Array.isArray(sample.metadata['keys']) ? (sample.metadata['keys'] as string[]) : [];
  const items = [...target];
  const styles: (() => string)[] = [
    () => gold,
    () => items.join(', '),
    () => items.join(' '),
    () => items.map((x, i) => `${i + 1}. ${x}`).join('\n'),
    () => items.map((x, i) => `${i + 1}) ${x}`).join('\n'),
    () => items.map((x, i) => `${i + 1}: ${x}`).join('\n'),
    () => items.map((x, i) => `${i + 1}- ${x}`).join('\n'),
    () => items.map((x, i) => `**${i + 1}.** ${x}`).join('\n'),
    () => items.map((x) => `- ${x}`).join('\n'),
    () => `[${items.join(', ')}]`,
    () => `[${items.map((x) => `'${x}'`).join(', ')}]`,
    () => JSON.stringify(items),
    () => (items.length > 1 ? `${items.slice(0, -1).join(', ')}, and ${items[items.length - 1]}` : (items[0] ?? '')),
    () => items.map((x) => `VAR ${x}`).join(' '),
    () => items.map((x) => `VAR ${x}`).join(', '),
    () => `Chapters ${items.join(', ')}`,
    () => items.map((x) => `Chapter ${x}`).join(' and '),
    () => items.map((x, i) => `${i + 1}. The answer for ${keys[i] ?? 'key'} is: ${x}`).join('\n'),
    () => items.map((x, i) => `${i + 1}. the answer for ${(keys[i] ?? 'key').toUpperCase()} is ${x}.`).join('\n'),
    () => items.map((x, i) => `${i + 1}.The answer for ${keys[i] ?? 'key'} is ${x}.`).join(' '),
    () => items.map((x, i) => `${i + 1}. The ${x}`).join('\n'),
    () => items.map((x) => `"${x}"`).join(', '),
    () => items.map((x) => `**${x}**`).join(', '),
  ];
  return rng.pick(styles)();
}

// Wrong, partial, reordered and duplicated forms of the body.
const CONTENT: Record<string, Mutation> = {
  same: (t) => t,
  shuffle: (t, rng) => rng.shuffle(t.split('\n')).join('\n'),
  shuffleComma: (t, rng) => rng.shuffle(t.split(', ')).join(', '),
  duplicate: (t, rng) => {
    const lines = t.split('\n');
    const i = rng.int(0, lines.length - 1);
    return [...lines.slice(0, i + 1), lines[i] as string, ...lines.slice(i + 1)].join('\n');
  },
  dropLine: (t, rng) => {
    const lines = t.split('\n');
    lines.splice(rng.int(0, lines.length - 1), 1);
    return lines.join('\n');
  },
  dropComma: (t, rng) => {
    const parts = t.split(', ');
    parts.splice(rng.int(0, parts.length - 1), 1);
    return parts.join(', ');
  },
  extra: (t, rng, s) => `${t}${t.includes('\n') ? '\n' : ', '}${rng.pick(distractors(s))}`,
  replace: (t, _rng, s) => t.replace(s.target[0] ?? '', distractors(s)[0] ?? 'x'),
  wrongValue: (t) => t.replace(/[a-z0-9](?=[^a-z0-9]*$)/i, (c) => (c === '7' ? '8' : c === 'q' ? 'r' : c === 'Q' ? 'R' : /\d/.test(c) ? '7' : /[a-z]/.test(c) ? 'q' : 'Q')),
  period: (t) => `${t}.`,
  trailingPeriods: (t) => t.replace(/\n/g, '.\n'),
  quote: (t) => `"${t}"`,
  bold: (t) => `**${t}**`,
  none: (_t, rng) => rng.pick(NONE_WORDS),
  noneList: (t, rng) => t.replace(/[^\n,]+$/, rng.pick(NONE_WORDS)),
  prose: (t, rng) => `${rng.pick(PROSE_BEFORE)}${t}${rng.pick(PROSE_AFTER)}`,
  numberNoise: (t) => `${t}\n3.5 kg, 3:30`,
  mcq: (t, rng) => rng.pick([`A good choice is ${t}`, `Question 1: ${t}`, `(${t})`, `${t}, ${t}`, `Options ${t} and C`, t.toLowerCase(), `${t} because it fits`, `The answer is ${t}.`]),
  // Letters outside ASCII glued to words: word boundaries differ between Python and JavaScript there.
  accented: (t, rng) => t.replace(/(^|\s)(\w)/g, (m, space: string, first: string) => (rng.chance(0.3) ? `${space}${rng.pick(['é', 'ñ', 'ø', 'ß'])}${first}` : m)),
  articles: (t, rng) => `${rng.pick(['éthe ', 'the ', 'ña ', 'an ', 'Über-the '])}${t}${rng.pick([' éis: x', ' and thé', ' toé', ' a', ''])}`,
  f1Tie: (t, rng) => {
    // Token counts that put F1 = 2k / (k + fillers + gold tokens) exactly on a rounding tie:
    // with k + fillers + gold tokens = 16, k = 1, 3, 5 give 1/8, 3/8, 5/8 (0.125, 0.375, 0.625).
    const tokens = t.split(/\s+/).filter(Boolean);
    const k = tokens.length >= 5 && rng.chance(0.3) ? 5 : tokens.length >= 3 && rng.chance(0.5) ? 3 : 1;
    const fillers = (k === 1 ? 15 : k === 3 ? 13 : 11) - tokens.length;
    return [...tokens.slice(0, k), ...Array.from({ length: Math.max(0, fillers) }, (_, i) => `filler${i}`)].join(' ');
  },
};

function distractors(sample: Sample): string[] {
  const m = sample.metadata;
  const pool: string[] = [];
  if (Array.isArray(m['queriedKeys'])) pool.push(...(m['queriedKeys'] as string[]));
  if (Array.isArray(m['chainValues'])) pool.push(...(m['chainValues'] as string[]));
  pool.push('QQQQQ', 'apple', '42', '7', 'B', 'silver lamp', 'Chapter 99', 'zzzz-zzzz');
  return pool;
}

// How the body is put into an output.
const WRAP: Record<string, (body: string, rng: Random, sample: Sample) => string> = {
  gold: (_b, _rng, s) => formatGold(s),
  tagged: (b) => `<explanation>Reading the text.</explanation>\n<answer>\n${b}\n</answer>`,
  taggedTight: (b) => `<answer>${b}</answer>`,
  untagged: (b) => b,
  unterminated: (b) => `<explanation>x</explanation><answer>\n${b}`,
  upperTag: (b) => `<ANSWER>${b}</ANSWER>`,
  mixedTag: (b) => `<Answer>${b}</aNSWER>`,
  longS: (b) => `<anſwer>${b}</anſwer>`,
  spacedTag: (b) => `< answer>${b}</ answer>`,
  twoBlocksWrongFirst: (b, _rng, s) => `<answer>${distractors(s)[0]}</answer>\n<answer>${b}</answer>`,
  twoBlocksRightFirst: (b, _rng, s) => `<answer>${b}</answer>\n<answer>${distractors(s)[0]}</answer>`,
  emptyBlockFirst: (b) => `<answer></answer><answer>${b}</answer>`,
  echoedFormat: (b) => `<explanation>The format is <answer>Your answer here...</answer></explanation>\n<answer>${b}</answer>`,
  think: (b, _rng, s) => `<think>Maybe ${distractors(s)[0]}? Or ${s.target.join(' ')}.</think>\n<answer>${b}</answer>`,
  thinkWithAnswer: (b, _rng, s) => `<think>draft: <answer>${distractors(s)[0]}</answer></think><answer>${b}</answer>`,
  thinkHoldsAnswer: (b) => `<think>so <answer>${b}</answer></think>I am not sure.`,
  templateOpened: (b) => `the values are somewhere</think>\n\n<answer>${b}</answer>`,
  doubledClose: (b, _rng, s) => `<think>a</think>${distractors(s)[0]}</think><answer>${b}</answer>`,
  cutWhileThinking: (b) => `<think>listing: ${b}`,
  literalThink: (b) => `<answer>${b} (I used <think> tags)</answer>`,
  prefixContinuation: (b) => ` ${b}.`,
  empty: () => '',
  blank: (_b, rng) => rng.pick(['   ', '\n\n', '\x1c', '\x85', '\ufeff', '\u2028', '<answer></answer>', '<answer>  </answer>']),
};

/**
 * `count` adversarial outputs for a sample, drawn with a seeded generator: a body (gold or another
 * list style), a content change, a wrapper and sometimes one or two character-level perturbations.
 */
export function adversarialOutputs(sample: Sample, count: number): string[] {
  const rng = new Random(`parity/${sample.id}/${sample.metadata.scorer}`);
  const wraps = Object.keys(WRAP);
  const contents = Object.keys(CONTENT);
  const perturbs = Object.keys(PERTURB);
  const outputs = [formatGold(sample)];
  while (outputs.length < count) {
    // Half the outputs stay close to a right answer, so the parsers are exercised past rejection.
    let body = rng.chance(0.5) ? goldAnswer(sample) : answerBodies(sample, rng);
    const content = rng.chance(0.5) ? 'same' : rng.pick(contents);
    body = (CONTENT[content] as Mutation)(body, rng, sample);
    const wrap = rng.chance(0.35) ? rng.pick(['gold', 'tagged', 'taggedTight']) : rng.pick(wraps);
    let output = (WRAP[wrap] as (b: string, r: Random, s: Sample) => string)(body, rng, sample);
    const rounds = rng.chance(0.55) ? 0 : rng.int(1, 2);
    for (let i = 0; i < rounds; i++) output = (PERTURB[rng.pick(perturbs)] as Mutation)(output, rng, sample);
    outputs.push(output);
  }
  return outputs;
}
