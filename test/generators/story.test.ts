// Story tasks: exact length under a full encode, a consistent world, and answers the text supports.
// The text check is independent of the generator's bookkeeping: an item's first mention in the
// story is always its purchase (sales only mention items bought earlier), so the order of first
// mentions is the order of acquisitions, and chapters with no new item bought nothing.
import { describe, expect, it } from 'vitest';
import { loadTokenizer, renderChat, type Tokenizer } from '../../generators/tokenizers/index.js';
import { generateSample } from '../../generators/generate.js';
import { Random } from '../../generators/core/random.js';
import { LengthError } from '../../generators/core/task.js';
import { ParamError } from '../../generators/params.js';
import type { Sample } from '../../generators/core/sample.js';
import { StoryWorld } from '../../generators/story/world.js';
import { ITEM_COMBINATIONS, characterPool, locationPool } from '../../generators/story/pools.js';
import { acquisitions, chaptersOf } from './story-text.js';
import { ARRIVAL, CONVERSATION, ENCOUNTER, EVENT, PURCHASE, SALE, ATMOSPHERE, GREETING, FAREWELL, CONCLUSION, REASON } from '../../generators/story/templates.js';
import { scoreSample } from '../../scorers/score-sample.js';
import { formatGold } from '../../scorers/gold.js';

const qwen = loadTokenizer('qwen3');
const llama = loadTokenizer('llama3.1');

function fullCount(tok: Tokenizer, s: Sample): number {
  return s.metadata.chatTemplate ? tok.encode(renderChat(tok.chatTemplate!, s.messages)).length : tok.encode(s.input).length + tok.addedSpecialTokens;
}

describe('story world', () => {
  it('has pools large enough for a million-token story and dozens of templates per slot', () => {
    expect(characterPool().length).toBeGreaterThan(2500);
    expect(locationPool().length).toBeGreaterThan(5000);
    expect(ITEM_COMBINATIONS).toBe(98304);
    expect(new Set(characterPool().filter((c) => locationPool().includes(c))).size).toBe(0);
    for (const list of [ARRIVAL, REASON, EVENT, ENCOUNTER, GREETING, PURCHASE, FAREWELL, CONCLUSION]) expect(list.length).toBeGreaterThanOrEqual(16);
    expect(CONVERSATION.length).toBeGreaterThanOrEqual(40);
    expect(ATMOSPHERE.length).toBeGreaterThanOrEqual(40);
    expect(SALE.length).toBeGreaterThanOrEqual(12);
  });

  it('keeps items unique, sells only owned items, and stays consistent when purchases are removed', () => {
    const world = new StoryWorld(new Random('world'), { protagonist: 'Arion', cast: 8, conversation: 2, sellRate: 0.5, crossMentions: 0 });
    for (let i = 0; i < 3000; i++) world.next();
    const bought = world.chapters.map((c) => c.bought as string);
    expect(new Set(bought).size).toBe(3000);
    for (const c of world.chapters) {
      if (c.sold !== null) expect(world.inventoryAfter(c.number - 1)).toContain(c.sold);
      expect(c.location).not.toBe(world.chapters[c.number - 2]?.location);
    }
    // Remove the purchase of an item that is sold later: the sale goes too.
    const sold = world.chapters.find((c) => c.sold !== null)!;
    const buyer = world.chapters.find((c) => c.bought === sold.sold)!;
    const changed = world.removePurchase(buyer.number);
    expect(changed.map((c) => c.number)).toEqual([buyer.number, sold.number]);
    expect(buyer.bought).toBeNull();
    expect(sold.sold).toBeNull();
    expect(buyer.sentences.some((s) => s.slot === 'purchase')).toBe(false);
    expect(sold.sentences.some((s) => s.slot === 'sale')).toBe(false);
    expect(() => world.removePurchase(buyer.number)).toThrow(`Chapter ${buyer.number} has no purchase to remove.`);
  });

  it('is a pure function of the seed (golden)', () => {
    const world = new StoryWorld(new Random('golden'), { protagonist: 'Arion', cast: 64, conversation: 3, sellRate: 0.5, crossMentions: 0 });
    const c = world.next();
    expect({ location: c.location, character: c.character, bought: c.bought, first: c.sentences[0]!.text }).toMatchInlineSnapshot(`
      {
        "bought": "slender granite plate",
        "character": "Harmon",
        "first": "Arion reached Legrosmouth late at night and slept at the first inn they found.",
        "location": "Legrosmouth",
      }
    `);
  });
});

describe('story/retrieval', () => {
  it.each([
    [4096, true, 'qwen3'],
    [16384, true, 'qwen3'],
    [6000, false, 'llama3.1'],
    [6000, true, 'llama3.1'],
  ])('is exact at %i tokens (chat template %s, %s) and its answers are in the asked chapters', (length, chat, name) => {
    const tok = name === 'qwen3' ? qwen : llama;
    const s = generateSample({ task: 'story/retrieval', length, index: 0, seed: 11, tokenizer: tok, chatTemplate: chat });
    expect(fullCount(tok, s)).toBe(length);
    expect(s.metadata.inputTokens).toBe(length);
    expect(s.target).toHaveLength(16);
    const chapters = chaptersOf(s);
    const firstItem = new Map<number, string>();
    for (const a of acquisitions(chapters)) if (!firstItem.has(a.chapter)) firstItem.set(a.chapter, a.item);
    const questions = s.metadata['questions'] as { chapter: number; kind: string }[];
    expect(new Set(questions.map((q) => q.chapter)).size).toBe(16);
    questions.forEach((q, i) => {
      const text = chapters.get(q.chapter)!;
      const answer = s.target[i]!;
      if (q.kind === 'item') expect(firstItem.get(q.chapter)).toBe(answer);
      else expect(text).toContain(answer);
      if (q.kind === 'location') expect(text.split('\n')[1]!.split('. ')[0]).toContain(answer);
      expect(s.input).toContain(`${i + 1}. In Chapter ${q.chapter}, which`);
      // The needle is the sentence that states the answer, at its recorded offset.
      const needle = s.metadata.needles![i]!;
      expect(s.input.slice(needle.charOffset, needle.charOffset + needle.text.length)).toBe(needle.text);
      expect(needle.text).toContain(answer);
    });
  });

  it('needle token offsets point at the needle in the tokenized prompt', () => {
    const s = generateSample({ task: 'story/retrieval', length: 4096, index: 1, seed: 3, tokenizer: qwen, params: { questions: 4 } });
    const ids = qwen.encode(renderChat(qwen.chatTemplate!, s.messages));
    for (const n of s.metadata.needles!) {
      const decoded = qwen.decode(ids.slice(n.tokenOffset, n.tokenOffset + n.tokenCount));
      expect(decoded.trim()).toBe(n.text);
    }
  });

  it('asks answer-absent questions about chapters with no purchase (gold "none")', () => {
    const s = generateSample({ task: 'story/retrieval', length: 8192, index: 0, seed: 5, tokenizer: qwen, params: { absent: 4 } });
    const chapters = chaptersOf(s);
    const withItem = new Set(acquisitions(chapters).map((a) => a.chapter));
    const questions = s.metadata['questions'] as { chapter: number; kind: string }[];
    const none = questions.filter((_, i) => s.target[i] === 'none');
    expect(none).toHaveLength(4);
    for (const q of none) {
      expect(q.kind).toBe('item');
      expect(withItem.has(q.chapter)).toBe(false);
    }
    expect(s.input).toContain('answer "none" for that question');
  });

  it('moves on its axes: more conversation makes fewer chapters; a small cast repeats names', () => {
    const base = generateSample({ task: 'story/retrieval', length: 16384, index: 0, seed: 1, tokenizer: qwen });
    const long = generateSample({ task: 'story/retrieval', length: 16384, index: 0, seed: 1, tokenizer: qwen, params: { conversation: 10 } });
    expect(long.metadata['chapters'] as number).toBeLessThan((base.metadata['chapters'] as number) * 0.7);
    const small = generateSample({ task: 'story/retrieval', length: 16384, index: 0, seed: 1, tokenizer: qwen, params: { cast: 3, crossMentions: 0.5 } });
    const places = new Set(locationPool());
    const named = new Set<string>();
    for (const text of chaptersOf(small).values()) for (const word of text.split(/[^A-Za-z]+/)) if (places.has(word)) named.add(word);
    // Three places visited, and (cross-mentions aside) no others named.
    expect(named.size).toBeLessThanOrEqual(3);
  });

  it('says how long a sample must be, and rejects bad parameters by name', () => {
    expect(() => generateSample({ task: 'story/retrieval', length: 2048, index: 0, tokenizer: qwen })).toThrow(LengthError);
    expect(() => generateSample({ task: 'story/retrieval', length: 2048, index: 0, tokenizer: qwen })).toThrow(/Length 2048 is too short for story\/retrieval: its fixed parts need at least \d+ tokens/);
    expect(() => generateSample({ task: 'story/retrieval', length: 4096, index: 0, tokenizer: qwen, params: { questions: 2, absent: 3 } })).toThrow(ParamError);
    expect(() => generateSample({ task: 'story/retrieval', length: 4096, index: 0, tokenizer: qwen, params: { kinds: ['weather'] } })).toThrow('story/retrieval: params.kinds');
  });
});

describe('story/multihop', () => {
  it.each([
    [{}, 4096],
    [{ hops: 3, gap: 2 }, 8192],
    [{ depth: 0.9 }, 8192],
  ])('%j at %i tokens: the answer is the acquisition the question points back to', (params, length) => {
    const s = generateSample({ task: 'story/multihop', length, index: 0, seed: 9, tokenizer: qwen, params });
    expect(fullCount(qwen, s)).toBe(length);
    const order = acquisitions(chaptersOf(s)).map((a) => a.item);
    const asked = s.metadata['askedItem'] as string;
    const hops = (params as { hops?: number }).hops ?? 1;
    expect(s.input).toContain(`acquiring ${asked}?`);
    expect(s.target).toEqual([order[order.indexOf(asked) - hops]]);
    const chain = s.metadata['chain'] as { chapter: number }[];
    const gap = (params as { gap?: number }).gap ?? 0;
    for (let i = 1; i < chain.length; i++) expect(chain[i]!.chapter - chain[i - 1]!.chapter).toBe(gap + 1);
    if ((params as { depth?: number }).depth === 0.9) expect(s.metadata.needles!.at(-1)!.depth).toBeGreaterThan(0.8);
  });

  it('answer-absent: the chain runs past the first acquisition, gold "none"', () => {
    const s = generateSample({ task: 'story/multihop', length: 4096, index: 0, seed: 2, tokenizer: qwen, params: { absent: true, hops: 2 } });
    const order = acquisitions(chaptersOf(s)).map((a) => a.item);
    expect(order.indexOf(s.metadata['askedItem'] as string)).toBe(1);
    expect(s.target).toEqual(['none']);
  });
});

describe('story/filtering', () => {
  it.each([4096, 12000])('at %i tokens the gold chapters are exactly those with no purchase, and removed items are never sold', (length) => {
    const s = generateSample({ task: 'story/filtering', length, index: 0, seed: 4, tokenizer: qwen });
    expect(fullCount(qwen, s)).toBe(length);
    const chapters = chaptersOf(s);
    const buying = new Set(acquisitions(chapters).map((a) => a.chapter));
    const without = [...chapters.keys()].filter((n) => !buying.has(n)).map(String);
    expect(s.target).toEqual(without);
    expect(s.target).toHaveLength(3);
    expect(s.input).toContain('Note: There are exactly 3 chapters without any purchases.');
    expect(s.metadata['itemPrefixes']).toEqual(['Chapter']);
  });

  it('with chapters: 0 the gold answer is "none"', () => {
    const s = generateSample({ task: 'story/filtering', length: 4096, index: 0, seed: 4, tokenizer: qwen, params: { chapters: 0 } });
    expect(s.target).toEqual(['none']);
    expect(s.input).toContain('answer "none"');
  });
});

describe('story scoring', () => {
  it.each(['story/retrieval', 'story/multihop', 'story/filtering'])('%s: the gold answer formatted as the prompt asks scores 1, with our scorers and the paper-reference ones', (task) => {
    for (const index of [0, 1]) {
      const s = generateSample({ task, length: 4096, index, seed: 21, tokenizer: qwen });
      const output = `<explanation>Found it.</explanation>\n${formatGold(s)}`;
      expect(scoreSample(s, { output }).score).toBe(1);
      expect(scoreSample(s, { output }, { compat: 'paper-reference' }).score).toBe(1);
      expect(scoreSample(s, { output: '<answer>\nnothing useful\n</answer>' }).score).toBeLessThan(1);
    }
  });
});
