// ruler/niah: needle-in-a-haystack retrieval, RULER's family (single, multi-key, multi-value,
// multi-query; word, number, UUID and the paper's key-value needles; noise, prose and needle
// haystacks) with the paper's setting as default: four key-value needles among same-format
// distractor pairs, all four queried, answered as a numbered list.
import { Faker, en } from '@faker-js/faker';
import type { Random } from '../core/random.js';
import type { TaskDefinition } from '../core/task.js';
import { assembleExact, type FixedUnit } from '../core/assemble.js';
import { distractorFiller, noiseFiller, proseFiller, type HaystackKind } from '../core/haystack.js';
import { paperPrompt } from '../core/prompt.js';
import { resolveDepths, depthSchema, type DepthParam } from '../core/depth.js';
import { finishSample } from '../core/finish.js';

export type NeedleKind = 'kv' | 'word' | 'number' | 'uuid';

export interface NiahParams {
  keyType: NeedleKind;
  valueType: NeedleKind;
  haystack: HaystackKind;
  keys: number;
  values: number;
  queries: number;
  depth: DepthParam;
  format: 'paper' | 'ruler';
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';

/** The paper's key/value shape: four groups of 8 characters from [a-z0-9] joined by '-'. */
export function kvString(rng: Random): string {
  return [0, 1, 2, 3].map(() => rng.string(ALNUM, 8)).join('-');
}

function uuid(rng: Random): string {
  const h = (n: number): string => rng.string(HEX, n);
  return `${h(8)}-${h(4)}-4${h(3)}-${rng.pick(['8', '9', 'a', 'b'])}${h(3)}-${h(12)}`;
}

/** Makes needle keys or values of one kind, never repeating within a sample. */
function makeDrawer(kind: NeedleKind, rng: Random, faker: Faker): () => string {
  const seen = new Set<string>();
  const draw = (): string => {
    switch (kind) {
      case 'kv':
        return kvString(rng);
      case 'uuid':
        return uuid(rng);
      case 'number':
        return String(rng.int(1_000_000, 9_999_999));
      case 'word':
        return `${faker.word.adjective()}-${faker.word.noun()}`.toLowerCase().replace(/[^a-z-]/g, '');
    }
  };
  return () => {
    for (let i = 0; i < 1000; i++) {
      const value = draw();
      if (!seen.has(value)) {
        seen.add(value);
        return value;
      }
    }
    throw new Error(`Ran out of distinct ${kind} needles.`);
  };
}

const VALUE_NOUN: Record<NeedleKind, string> = { kv: 'values', word: 'words', number: 'numbers', uuid: 'uuids' };

export const rulerNiah: TaskDefinition<NiahParams> = {
  id: 'ruler/niah',
  version: 1,
  category: 'retrieval',
  scope: 'low',
  dispersion: 'low',
  description:
    'Needle in a haystack: key-value needles hidden in a haystack; return the values of the queried keys. ' +
    "Defaults are the paper's: 4 key-value needles among same-format distractors, 4 queries, numbered answers.",
  params: {
    keyType: { schema: { enum: ['kv', 'word', 'number', 'uuid'] }, default: 'kv', description: "Key shape: the paper's xxxxxxxx-xxxxxxxx-xxxxxxxx-xxxxxxxx, an adjective-noun word, a 7-digit number or a UUID." },
    valueType: { schema: { enum: ['kv', 'word', 'number', 'uuid'] }, default: 'kv', description: 'Value shape (same choices as keyType).' },
    haystack: { schema: { enum: ['needle', 'prose', 'noise'] }, default: 'needle', description: 'Filler: same-format distractor needles, generated essay prose, or RULER\'s repeated noise sentences.', moves: 'dispersion' },
    keys: { schema: { type: 'integer', minimum: 1, maximum: 64 }, default: 4, description: 'Distinct keys inserted (RULER num_needle_k).', moves: 'dispersion' },
    values: { schema: { type: 'integer', minimum: 1, maximum: 16 }, default: 1, description: 'Values per key (RULER num_needle_v); all must be returned.', moves: 'scope' },
    queries: { schema: { type: 'integer', minimum: 1, maximum: 64 }, default: 4, description: 'Keys asked about (RULER num_needle_q), at most `keys`.', moves: 'scope' },
    depth: { schema: depthSchema, default: 'random', description: "Needle depth: a number in [0,1], a list of depths (sample i uses entry i mod length), or 'random'." },
    format: { schema: { enum: ['paper', 'ruler'] }, default: 'paper', description: "Prompt and answer format: the paper's (explanation + numbered <answer>) or RULER's (answer prefix, string_match_all)." },
  },
  scorer: 'numbered',
  maxOutputTokens: (p) => 128 + 48 * p.queries * p.values,
  check(params) {
    if (params.queries > params.keys) {
      return { path: '/queries', message: `must be at most keys (${params.keys})` };
    }
    return null;
  },
  build(ctx) {
    const { params: p, rng } = ctx;
    const faker = new Faker({ locale: [en], randomizer: rng.fork('faker') });
    const drawKey = makeDrawer(p.keyType, rng, faker);
    const drawValue = makeDrawer(p.valueType, rng, faker);
    const keys = Array.from({ length: p.keys }, drawKey);
    const valuesByKey = keys.map(() => Array.from({ length: p.values }, drawValue));
    const queried = rng.sample(keys.map((_, i) => i), p.queries);

    const noun = VALUE_NOUN[p.valueType];
    const needleText = (key: string, value: string): string =>
      p.format === 'paper' ? `The value for key ${key} is: ${value}.` : `One of the special magic ${noun} for ${key} is: ${value}.`;

    // One needle per (key, value), shuffled, at the requested depths.
    const pairs = rng.shuffle(keys.flatMap((key, i) => (valuesByKey[i] as string[]).map((value) => ({ key, value }))));
    const depths = resolveDepths(p.depth, pairs.length, ctx.index, rng);
    const order = pairs.map((pair, i) => ({ ...pair, depth: depths[i] as number })).sort((a, b) => a.depth - b.depth);
    const needles: FixedUnit[] = order.map((n) => ({ body: needleText(n.key, n.value), depth: n.depth }));

    const filler =
      p.haystack === 'prose'
        ? proseFiller(rng.fork('prose'))
        : p.haystack === 'noise'
          ? noiseFiller()
          : distractorFiller(() => needleText(drawKey(), drawValue()));

    const queriedKeys = queried.map((i) => keys[i] as string);
    const target: string[] = [];
    const answerKeys: string[] = [];
    for (const i of queried) {
      for (const value of valuesByKey[i] as string[]) {
        target.push(value);
        answerKeys.push(keys[i] as string);
      }
    }

    let before: string;
    let after: string;
    let answerPrefix: string | undefined;
    if (p.format === 'paper') {
      const list = queriedKeys.map((k, i) => `${i + 1}. ${k}`).join('\n');
      const multi = p.values > 1 ? ' Some keys have several values: give one numbered line per value.' : '';
      ({ before, after } = paperPrompt({
        intro:
          'Below is a text that contains key-value pairs written as "The value for key <key> is: <value>." ' +
          `Find the values of the keys listed in the question.${multi}`,
        question: `What are the values for the following keys?\n${list}`,
        answerFormat: 'a numbered list with one line per value: "1. The answer for <key> is <value>."',
      }));
    } else {
      const query = queriedKeys.join(', ');
      answerPrefix = ` The special magic ${noun} for ${query} mentioned in the provided text are`;
      before = `Some special magic ${noun} are hidden within the following text. Make sure to memorize it. I will quiz you about the ${noun} afterwards.\n`;
      after = `\nWhat are all the special magic ${noun} for ${query} mentioned in the provided text?${answerPrefix}`;
    }

    const prompt = assembleExact({
      taskId: 'ruler/niah',
      tokenizer: ctx.tokenizer,
      chatTemplate: ctx.chatTemplate,
      before,
      after,
      needles,
      filler,
      target: ctx.length,
    });
    return finishSample(rulerNiah, ctx, prompt, target, {
      scorer: p.format === 'paper' ? 'numbered' : 'contains-all',
      ...(answerPrefix !== undefined ? { answerPrefix } : {}),
      extra: {
        keys: answerKeys,
        answerTemplate: p.format === 'paper' ? 'The answer for {key} is {value}.' : undefined,
        queriedKeys,
      },
    });
  },
};
