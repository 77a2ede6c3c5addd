import { describe, expect, it } from 'vitest';
import { Random } from '../../generators/core/random.js';
import { canonicalJson, deriveSampleSeed, sampleId } from '../../generators/core/seed.js';
import { formatLength, parseLength, parseLengths } from '../../generators/core/length.js';
import { resolveDepths } from '../../generators/core/depth.js';
import { ProseGenerator, PROSE_STATS } from '../../generators/core/prose.js';

const seededRuns = ['42', '1337', '1211'];

describe('Random', () => {
  it('gives the same stream for the same seed (golden)', () => {
    const values = seededRuns.map((seed) => {
      const r = new Random(seed);
      return [r.int(0, 1000), r.int(0, 1000), r.string('abc', 5), r.pick(['x', 'y', 'z'])];
    });
    expect(values).toMatchInlineSnapshot(`
      [
        [
          685,
          546,
          "cabca",
          "y",
        ],
        [
          206,
          236,
          "bbbcb",
          "y",
        ],
        [
          14,
          98,
          "ababa",
          "y",
        ],
      ]
    `);
  });

  it('shuffles and samples without losing or repeating items', () => {
    const r = new Random('s');
    const items = Array.from({ length: 50 }, (_, i) => i);
    expect([...r.shuffle(items)].sort((a, b) => a - b)).toEqual(items);
    const picked = r.sample(items, 20);
    expect(new Set(picked).size).toBe(20);
  });

  it('rejects bad ranges and empty picks with messages that say what is allowed', () => {
    const r = new Random('s');
    expect(() => r.int(5, 1)).toThrow('Max 1 should be greater than or equal to min 5.');
    expect(() => r.pick([])).toThrow('Cannot pick from an empty array.');
    expect(() => r.sample([1, 2], 3)).toThrow('Cannot take 3 distinct items from 2.');
  });

  it('works as faker randomizer when detached (faker calls next unbound)', () => {
    const { next } = new Random('detached');
    expect(next()).toBeGreaterThanOrEqual(0);
  });
});

describe('seeds', () => {
  it('canonical JSON sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: [2, { d: 3, c: 4 }], u: undefined })).toBe('{"a":[2,{"c":4,"d":3}],"b":1}');
  });

  it('derives a pinned per-sample seed from every component, the prompt format and input files included', () => {
    const format = { tokenizerSha256: 'a'.repeat(64), chatTemplateSha256: 'b'.repeat(64), templateKwargs: {} };
    const key = { suiteSeed: 7, taskId: 'ruler/niah', taskVersion: 1, params: { keys: 4 }, length: 4096, index: 0, format };
    expect(deriveSampleSeed(key)).toBe('5ff523b44243abde05749484ec8a2ef9');
    const variants = [
      { ...key, suiteSeed: 8 },
      { ...key, taskId: 'ruler/vt' },
      { ...key, taskVersion: 2 },
      { ...key, params: { keys: 5 } },
      { ...key, length: 8192 },
      { ...key, index: 1 },
      { ...key, format: { ...format, tokenizerSha256: 'c'.repeat(64) } },
      { ...key, format: { ...format, chatTemplateSha256: null, templateKwargs: null } },
      { ...key, format: { ...format, templateKwargs: { enable_thinking: false } } },
      { ...key, inputs: { source: 'd'.repeat(64) } },
    ].map(deriveSampleSeed);
    expect(new Set([deriveSampleSeed(key), ...variants]).size).toBe(11);
    // Parameter and kwarg order do not matter; no input files is the same as an empty map.
    expect(deriveSampleSeed({ ...key, params: { b: 1, a: 2 } })).toBe(deriveSampleSeed({ ...key, params: { a: 2, b: 1 } }));
    expect(deriveSampleSeed({ ...key, inputs: {} })).toBe(deriveSampleSeed(key));
    expect(sampleId('ruler/niah', 4096, 3, 'abcdef0123')).toBe('ruler.niah-4096-0003-abcdef01');
  });
});

describe('lengths', () => {
  it('parses k, m and integers (binary k)', () => {
    expect(parseLength('4k')).toBe(4096);
    expect(parseLength('128K')).toBe(131072);
    expect(parseLength('1m')).toBe(1048576);
    expect(parseLength('5000')).toBe(5000);
    expect(parseLength(2048)).toBe(2048);
    expect(parseLength('1.5k')).toBe(1536);
    expect(parseLengths('4k,32k, 128k')).toEqual([4096, 32768, 131072]);
    expect(formatLength(131072)).toBe('128k');
    expect(formatLength(1048576)).toBe('1m');
    expect(formatLength(5000)).toBe('5000');
  });

  it('rejects bad lengths naming the value and the accepted forms', () => {
    expect(() => parseLength('4 kb')).toThrow('Invalid length "4 kb": use a positive integer or a number followed by k or m');
    expect(() => parseLength('0')).toThrow('must be a whole, positive number');
    expect(() => parseLength('0.3')).toThrow('whole, positive');
    expect(() => parseLength('-4k')).toThrow('Invalid length');
    expect(() => parseLength('64m')).toThrow('at most 16777216 tokens');
  });
});

describe('depths', () => {
  it('resolves fixed, grid and random depths', () => {
    const r = new Random('d');
    expect(resolveDepths(0.25, 3, 0, r)).toEqual([0.25, 0.25, 0.25]);
    expect(resolveDepths([0, 0.5, 1], 1, 4, r)).toEqual([0.5]);
    const random = resolveDepths('random', 4, 0, r);
    expect(random).toHaveLength(4);
    for (const d of random) expect(d).toBeGreaterThanOrEqual(0);
  });
});

describe('prose', () => {
  it('is deterministic, varied English with no template holes', () => {
    const a = new ProseGenerator(new Random('p')).text(200);
    const b = new ProseGenerator(new Random('p')).text(200);
    expect(a).toBe(b);
    expect(a).not.toMatch(/undefined|\$\{|\{\w+\}/);
    expect(a).not.toMatch(/\ba [aeiou]/i);
    const sentences = a.split(/(?<=\.)\s+/);
    expect(new Set(sentences).size).toBeGreaterThan(190);
    expect(a).toContain('\n\n');
    expect(PROSE_STATS.templates).toBeGreaterThanOrEqual(40);
  });

  it('pins the opening of a fixed seed (golden)', () => {
    expect(new ProseGenerator(new Random('golden')).text(2)).toMatchInlineSnapshot(`"Most sailors learn more from reefing the sails at dusk than from any book about sailing. The navigators who last longest are rarely the fastest; they are the most steady."`);
  });
});
