// Property tests over hand-built samples for every scorer, drawn with fixed seeds: the gold answer
// formatted as the prompt asks scores 1; an empty output scores 0; shuffling a list answer does
// not change set scores; adding wrong items lowers precision-aware scores.
import { describe, expect, it } from 'vitest';
import { Random } from '../../generators/core/random.js';
import { scoreSample } from '../../scorers/score-sample.js';
import { formatGold, goldAnswer } from '../../scorers/gold.js';
import { SCORER_NAMES, type ScorerName } from '../../scorers/registry.js';
import type { ScorableSample } from '../../scorers/types.js';

const SEEDS = [42, 1337, 1211];
const PER_SEED = 25;
const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ADJECTIVES = ['golden', 'silver', 'ancient', 'crimson', 'quiet', 'hollow', 'bright', 'woven'];
const MATERIALS = ['oak', 'glass', 'iron', 'silk', 'clay', 'bone', 'amber', 'copper'];
const OBJECTS = ['lamp', 'key', 'compass', 'flute', 'mirror', 'lantern', 'dagger', 'map'];
const WORDS = ['apple', 'river', 'stone', 'cloud', 'ember', 'thistle', 'harbor', 'meadow', 'falcon', 'pepper', 'willow', 'copper'];

type Builder = (rng: Random, id: string) => ScorableSample;

const kv = (rng: Random): string => [0, 1, 2, 3].map(() => rng.string(ALNUM, 8)).join('-');
const item = (rng: Random): string => `${rng.pick(ADJECTIVES)} ${rng.pick(MATERIALS)} ${rng.pick(OBJECTS)}`;
const distinct = <T>(rng: Random, draw: (r: Random) => T, n: number): T[] => {
  const out = new Set<T>();
  while (out.size < n) out.add(draw(rng));
  return [...out];
};

// One builder per task shape, named by the task it imitates; each returns a sample the scorer reads.
const BUILDERS: Record<string, Builder> = {
  'ruler/niah': (rng, id) => {
    const n = rng.int(1, 8);
    const keys = distinct(rng, kv, n);
    const target = keys.map((_, i) => (i > 0 && rng.chance(0.15) ? 'none' : kv(rng)));
    return { id, task: 'ruler/niah', target, metadata: { scorer: 'numbered', keys, answerTemplate: 'The answer for {key} is {value}.' } };
  },
  'story/retrieval': (rng, id) => ({ id, task: 'story/retrieval', target: Array.from({ length: rng.int(1, 16) }, () => (rng.chance(0.5) ? item(rng) : `Chapter-${rng.int(1, 99)} Inn`)), metadata: { scorer: 'numbered' } }),
  'ruler/vt': (rng, id) => ({ id, task: 'ruler/vt', target: distinct(rng, (r) => r.string(UPPER, 5), rng.int(1, 8)), metadata: { scorer: 'set-iou', itemPrefixes: ['VAR'], listStyle: rng.pick(['comma', 'spaces', 'lines']) } }),
  'ruler/cwe': (rng, id) => ({ id, task: 'ruler/cwe', target: rng.sample(WORDS, rng.int(1, 10)), metadata: { scorer: 'set-iou', listStyle: 'numbered' } }),
  'story/filtering': (rng, id) => ({ id, task: 'story/filtering', target: distinct(rng, (r) => String(r.int(1, 60)), rng.int(1, 5)).sort((a, b) => Number(a) - Number(b)), metadata: { scorer: 'set-iou', itemPrefixes: ['Chapter'] } }),
  'story/multihop': (rng, id) => ({ id, task: 'story/multihop', target: [item(rng)], metadata: { scorer: 'exact' } }),
  'qa/squad': (rng, id) => ({ id, task: 'qa/squad', target: distinct(rng, item, rng.int(1, 3)), metadata: { scorer: 'token-f1' } }),
  'qa/quality': (rng, id) => ({ id, task: 'qa/quality', target: [rng.sample([...'ABCD'], rng.int(1, 3)).join('')], metadata: { scorer: 'choice-set' } }),
  'ruler/niah-ruler-format': (rng, id) => ({ id, task: 'ruler/niah', target: distinct(rng, (r) => String(r.int(1_000_000, 9_999_999)), rng.int(1, 4)), answerPrefix: ' The special magic numbers are', metadata: { scorer: 'contains-all' } }),
  'ruler/qa-any': (rng, id) => ({ id, task: 'ruler/qa', target: distinct(rng, item, rng.int(1, 3)), metadata: { scorer: 'contains-any' } }),
  'contains-all-f1': (rng, id) => ({ id, task: 'ruler/niah', target: distinct(rng, kv, rng.int(1, 4)), metadata: { scorer: 'contains-all-f1' } }),
  'contains-any-precise': (rng, id) => ({ id, task: 'ruler/qa', target: distinct(rng, (r) => String(r.int(10_000, 99_999)), rng.int(1, 3)), metadata: { scorer: 'contains-any-precise' } }),
};

function* samples(): Generator<[string, ScorableSample & { answerPrefix?: string }, Random]> {
  for (const [shape, build] of Object.entries(BUILDERS)) {
    for (const seed of SEEDS) {
      const rng = new Random(`${seed}/${shape}`);
      for (let i = 0; i < PER_SEED; i++) yield [shape, build(rng, `${shape}-${seed}-${i}`), rng];
    }
  }
}

describe('properties', () => {
  it('covers every registered scorer', () => {
    const used = new Set([...samples()].map(([, s]) => s.metadata.scorer));
    expect([...used].sort()).toEqual([...SCORER_NAMES].sort());
  });

  it('the gold answer formatted as the prompt asks scores 1', () => {
    for (const [shape, sample] of samples()) {
      const result = scoreSample(sample, { output: formatGold(sample), finishReason: 'stop' });
      expect({ shape, id: sample.id, score: result.score, pass: result.pass, noAnswer: result.noAnswer ?? false }).toEqual({ shape, id: sample.id, score: 1, pass: true, noAnswer: false });
    }
  });

  it('the gold answer also scores 1 under paper-reference compatibility (paper formats)', () => {
    for (const [shape, sample] of samples()) {
      // The paper's formats: VT space-separated, CWE numbered, filtering comma-separated.
      if (shape === 'ruler/vt') sample.metadata['listStyle'] = 'spaces';
      const result = scoreSample(sample, { output: formatGold(sample) }, { compat: 'paper-reference' });
      expect({ shape, id: sample.id, score: result.score }).toEqual({ shape, id: sample.id, score: 1 });
    }
  });

  it('reasoning before the gold answer changes nothing; a reasoning field is ignored', () => {
    for (const [, sample] of samples()) {
      const output = `<think>Perhaps ${sample.target.join(' or ')}? Wrong: 1. x</think>${formatGold(sample)}`;
      expect(scoreSample(sample, { output, reasoning: 'nothing useful' }).score).toBe(1);
    }
  });

  it('an empty output scores 0 and is flagged as no answer', () => {
    for (const [shape, sample] of samples()) {
      for (const output of ['', '   ', '<answer></answer>', '<think>only thinking, cut by the limit']) {
        const result = scoreSample(sample, { output, finishReason: 'length' });
        expect({ shape, output, score: result.score, noAnswer: result.noAnswer, truncated: result.truncated }).toEqual({ shape, output, score: 0, noAnswer: true, truncated: true });
      }
    }
  });

  const listScorers: ScorerName[] = ['set-iou', 'contains-all', 'contains-all-f1'];
  it('shuffling a list answer does not change set scores', () => {
    for (const [shape, sample, rng] of samples()) {
      if (!listScorers.includes(sample.metadata.scorer as ScorerName)) continue;
      const extras = rng.chance(0.5) ? ['intruder'] : [];
      const items = [...sample.target, ...extras];
      const base = scoreSample(sample, { output: `<answer>${items.join(', ')}</answer>` });
      for (let k = 0; k < 3; k++) {
        const shuffled = scoreSample(sample, { output: `<answer>${rng.shuffle(items).join(', ')}</answer>` });
        expect({ shape, score: shuffled.score, metrics: shuffled.metrics }).toEqual({ shape, score: base.score, metrics: base.metrics });
      }
    }
  });

  const precisionAware: ScorerName[] = ['set-iou', 'contains-all-f1', 'contains-any-precise'];
  it('adding wrong items lowers precision-aware scores', () => {
    for (const [shape, sample, rng] of samples()) {
      const scorer = sample.metadata.scorer as ScorerName;
      if (!precisionAware.includes(scorer)) continue;
      // Wrong items shaped like the right ones (the last character changed within its class), so
      // shape filters cannot discard them.
      const swap = (c: string): string => (/\d/.test(c) ? String((Number(c) + 1) % 10) : /[A-Z]/.test(c) ? (c === 'Q' ? 'R' : 'Q') : c === 'q' ? 'r' : 'q');
      const wrong = sample.target.map((t) => (/^\d+$/.test(t) ? String(Number(t) + 1) : `${t.slice(0, -1)}${swap(t.slice(-1))}`));
      const gold = goldAnswer(sample);
      const before = scoreSample(sample, { output: `<answer>${gold}</answer>` }).score;
      const after = scoreSample(sample, { output: `<answer>${rng.shuffle([...sample.target, ...wrong]).join(', ')}</answer>` }).score;
      expect({ shape, before, lower: after < before }).toEqual({ shape, before: 1, lower: true });
    }
  });

  it('RULER containment scores do not drop when wrong items are added (why companions exist)', () => {
    for (const [, sample] of samples()) {
      if (sample.metadata.scorer !== 'contains-all') continue;
      const wrong = sample.target.map((t) => String(Number(t) + 1));
      expect(scoreSample(sample, { output: [...sample.target, ...wrong].join(', ') }).score).toBe(1);
    }
  });
});
