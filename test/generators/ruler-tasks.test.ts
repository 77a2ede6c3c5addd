import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generate, generateSample } from '../../generators/generate.js';
import { loadTokenizer, renderChat, type Tokenizer } from '../../generators/tokenizers/index.js';
import { LengthError } from '../../generators/core/task.js';
import { ParamError } from '../../generators/params.js';
import type { Sample } from '../../generators/core/sample.js';
import { validate } from '../../schemas/index.js';

/** Tokens of the prompt as the model sees it, by one full encode (the independent check). */
function fullCount(tok: Tokenizer, sample: Sample): number {
  return sample.metadata.chatTemplate
    ? tok.encode(renderChat(tok.chatTemplate!, sample.messages)).length
    : tok.encode(sample.input).length + tok.addedSpecialTokens;
}

const RULER = ['ruler/niah', 'ruler/vt', 'ruler/cwe', 'ruler/fwe'];

describe('RULER tasks: exact length under every tokenizer', () => {
  for (const name of ['qwen3', 'llama3.1', 'o200k']) {
    for (const task of RULER) {
      it(`${task} with ${name}`, () => {
        const tok = loadTokenizer(name);
        for (const length of [2500, 4096, 9000]) {
          for (const chatTemplate of tok.chatTemplate ? [true, false] : [false]) {
            const sample = generateSample({ task, length, index: length % 7, seed: 11, tokenizer: tok, chatTemplate });
            expect(validate('sample', sample)).toEqual([]);
            expect(sample.metadata.inputTokens).toBe(length);
            expect(fullCount(tok, sample), `${task} ${name} ${length} template=${chatTemplate}`).toBe(length);
          }
        }
      });
    }
  }

  it('NIAH variants and haystacks are exact; needles land where metadata says', () => {
    const tok = loadTokenizer('qwen3');
    const variants = [
      { haystack: 'prose', keyType: 'word', valueType: 'number', keys: 1, queries: 1 },
      { haystack: 'noise', keyType: 'number', valueType: 'uuid', keys: 3, queries: 2, values: 2 },
      { haystack: 'needle', keyType: 'uuid', valueType: 'uuid', keys: 2, queries: 2 },
      { haystack: 'prose', format: 'ruler', keys: 4, queries: 4, depth: 0.5 },
    ];
    for (const params of variants) {
      const sample = generateSample({ task: 'ruler/niah', params, length: 6000, index: 3, seed: 5, tokenizer: tok });
      expect(fullCount(tok, sample)).toBe(6000);
      const rendered = renderChat(tok.chatTemplate!, sample.messages);
      const ids = tok.encode(rendered);
      const needles = sample.metadata.needles ?? [];
      expect(needles.length).toBe((params.keys ?? 4) * (params.values ?? 1));
      for (const needle of needles) {
        // The input holds the needle at its char offset, and its tokens decode back to it.
        expect(sample.input.slice(needle.charOffset, needle.charOffset + needle.text.length)).toBe(needle.text);
        const decoded = tok.decode(ids.slice(needle.tokenOffset, needle.tokenOffset + needle.tokenCount));
        expect(decoded.trim()).toBe(needle.text);
      }
      for (const value of sample.target) expect(sample.input).toContain(value);
    }
  });

  it('fixed depths put needles at that depth of the context', () => {
    const tok = loadTokenizer('qwen3');
    for (const depth of [0, 0.25, 0.5, 1]) {
      const sample = generateSample({ task: 'ruler/niah', params: { haystack: 'prose', keys: 1, queries: 1, depth }, length: 8000, index: 0, seed: 1, tokenizer: tok });
      const [needle] = sample.metadata.needles ?? [];
      expect(Math.abs((needle?.depth ?? -1) - depth)).toBeLessThan(0.02);
    }
  });

  it('VT targets resolve to the asked value; CWE and FWE targets are the true most frequent words', () => {
    const tok = loadTokenizer('qwen3');
    const vt = generateSample({ task: 'ruler/vt', length: 5000, index: 0, seed: 3, tokenizer: tok });
    const assign = new Map<string, string>();
    for (const m of vt.input.matchAll(/VAR ([A-Z]{5}) = (VAR [A-Z]{5}|\d+)\./g)) assign.set(m[1]!, m[2]!);
    const resolve = (v: string): string => {
      const rhs = assign.get(v)!;
      return rhs.startsWith('VAR ') ? resolve(rhs.slice(4)) : rhs;
    };
    const value = vt.metadata['value'] as string;
    expect([...assign.keys()].filter((v) => resolve(v) === value).sort()).toEqual([...vt.target].sort());

    const cwe = generateSample({ task: 'ruler/cwe', length: 6000, index: 0, seed: 3, tokenizer: tok });
    const counts = new Map<string, number>();
    for (const m of cwe.input.matchAll(/\d+\. ([a-z]+)/g)) counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + 1);
    for (const w of cwe.target) expect(counts.get(w)).toBe(30);
    expect([...counts].filter(([w]) => !cwe.target.includes(w)).every(([, c]) => c <= 3)).toBe(true);

    const fwe = generateSample({ task: 'ruler/fwe', length: 6000, index: 0, seed: 3, tokenizer: tok });
    const context = fwe.input.slice(fwe.input.indexOf('<context>\n') + 10, fwe.input.indexOf('\n</context>'));
    const f = new Map<string, number>();
    for (const w of context.split(/\s+/)) if (w && w !== '....') f.set(w, (f.get(w) ?? 0) + 1);
    const top = [...f].sort((a, b) => b[1] - a[1]);
    expect(top.slice(0, 3).map(([w]) => w)).toEqual(fwe.target);
    expect(top[2]![1]).toBeGreaterThan(top[3]![1]);
  });

  it('reaches 1M exactly (checked by a full encode)', () => {
    const tok = loadTokenizer('qwen3');
    const sample = generateSample({ task: 'ruler/niah', params: { haystack: 'noise', keys: 1, queries: 1 }, length: 1048576, index: 0, seed: 7, tokenizer: tok });
    expect(sample.metadata.inputTokens).toBe(1048576);
    expect(fullCount(tok, sample)).toBe(1048576);
  });

  it('reaches 128k exactly (checked by a full encode)', () => {
    const tok = loadTokenizer('qwen3');
    const sample = generateSample({ task: 'ruler/niah', params: { haystack: 'prose' }, length: 131072, index: 0, seed: 7, tokenizer: tok });
    expect(fullCount(tok, sample)).toBe(131072);
  });
});

describe('determinism and independence', () => {
  const digest = (s: Sample): string => createHash('sha256').update(JSON.stringify(s)).digest('hex').slice(0, 16);

  it('pins the output of fixed seeds (golden)', () => {
    const tok = loadTokenizer('qwen3');
    const golden = RULER.map((task) => {
      const s = generateSample({ task, length: 3000, index: 0, seed: 42, tokenizer: tok });
      return [s.id, digest(s)];
    });
    expect(golden).toMatchInlineSnapshot(`
      [
        [
          "ruler.niah-3000-0000-2939c9f2",
          "efcab9e82139190c",
        ],
        [
          "ruler.vt-3000-0000-7bf176d4",
          "521179a8c1ea1d01",
        ],
        [
          "ruler.cwe-3000-0000-10101a88",
          "d160e8f9004cbe9f",
        ],
        [
          "ruler.fwe-3000-0000-f45dba70",
          "d83a328230dbd852",
        ],
      ]
    `);
  });

  it('adding samples, lengths or tasks changes no existing sample', () => {
    const tok = loadTokenizer('qwen3');
    const small = [...generate({ task: 'ruler/niah', lengths: [2048], samples: 2, seed: 9, tokenizer: tok })];
    const large = [...generate({ task: 'ruler/niah', lengths: [4096, 2048], samples: 4, seed: 9, tokenizer: tok })];
    const byId = new Map(large.map((s) => [s.id, JSON.stringify(s)]));
    for (const s of small) expect(byId.get(s.id)).toBe(JSON.stringify(s));
    const again = generateSample({ task: 'ruler/niah', length: 2048, index: 1, seed: 9, tokenizer: tok });
    expect(JSON.stringify(again)).toBe(JSON.stringify(small[1]));
  });
});

describe('bad input', () => {
  it('rejects a length too short with the minimum it needs', () => {
    const tok = loadTokenizer('qwen3');
    let error: unknown;
    try {
      generateSample({ task: 'ruler/niah', length: 200, index: 0, seed: 1, tokenizer: tok });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LengthError);
    const minimum = (error as LengthError).minimum;
    expect((error as Error).message).toBe(`Length 200 is too short for ruler/niah: its fixed parts need at least ${minimum} tokens.`);
    // The minimum is honest: a little above it works (the random keys of another seed vary by a few tokens).
    const ok = generateSample({ task: 'ruler/niah', length: minimum + 40, index: 0, seed: 1, tokenizer: tok });
    expect(fullCount(tok, ok)).toBe(minimum + 40);
  });

  it('ruler/cwe says what cannot be done, never a minimum at or below the length asked', () => {
    const tok = loadTokenizer('qwen3');
    const errorAt = (length: number, seed: number): LengthError => {
      try {
        generateSample({ task: 'ruler/cwe', length, index: 0, seed, tokenizer: tok });
      } catch (e) {
        return e as LengthError;
      }
      throw new Error(`ruler/cwe at ${length} (seed ${seed}) did not fail`);
    };
    // The common words fit, but the few tokens left cannot be closed with whole list items.
    const stuck = errorAt(1915, 2);
    expect(stuck).toBeInstanceOf(LengthError);
    expect(stuck.message).toMatch(/^ruler\/cwe cannot reach exactly 1915 tokens: the prompt and its 10 common words, 30 times each, take 1911 tokens .*the 4 left\. Use another length; \d+ tokens or more hold any draw\.$/);
    expect(stuck.message).not.toContain('too short');
    const short = errorAt(1000, 2);
    expect(short.message).toMatch(/^Length 1000 is too short for ruler\/cwe: the prompt and its 10 common words, 30 times each, take \d+ tokens with the words this sample drew/);
    for (const e of [stuck, short]) expect(e.minimum).toBeGreaterThan(e.requested);
    // The length it names holds any draw of words.
    for (const seed of [1, 2, 3]) expect(generateSample({ task: 'ruler/cwe', length: stuck.minimum, index: 0, seed, tokenizer: tok }).metadata.inputTokens).toBe(stuck.minimum);
  });

  it('rejects unknown tasks and parameters naming the field and what is allowed', () => {
    expect(() => generateSample({ task: 'ruler/nope', length: 4096, index: 0 })).toThrow('Unknown task "ruler/nope": known tasks are ruler/niah');
    expect(() => generateSample({ task: 'ruler/niah', params: { keys: 0 }, length: 4096, index: 0 })).toThrow(ParamError);
    expect(() => generateSample({ task: 'ruler/niah', params: { keys: 0 }, length: 4096, index: 0 })).toThrow('ruler/niah: params.keys must be >= 1');
    expect(() => generateSample({ task: 'ruler/niah', params: { haystack: 'essay' }, length: 4096, index: 0 })).toThrow('params.haystack must be one of "needle", "prose", "noise"');
    expect(() => generateSample({ task: 'ruler/niah', params: { needles: 3 }, length: 4096, index: 0 })).toThrow('params.needles is not a parameter of ruler/niah; known: keyType');
    expect(() => generateSample({ task: 'ruler/niah', params: { keys: 2, queries: 3 }, length: 4096, index: 0 })).toThrow('params.queries must be at most keys (2)');
    expect(() => generateSample({ task: 'ruler/niah', params: { depth: 2 }, length: 4096, index: 0 })).toThrow('params.depth is not valid');
  });
});
