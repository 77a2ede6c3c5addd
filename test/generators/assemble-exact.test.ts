// assembleExact's last correction: lengths where per-unit counts can't close the last token (a filler
// unit that renders without its separator, first in the context), and lengths no arrangement reaches.
import { describe, expect, it } from 'vitest';
import { generateSample } from '../../generators/generate.js';
import { loadTokenizer, renderChat, type Tokenizer } from '../../generators/tokenizers/index.js';
import { assembleExact, type FillerSource } from '../../generators/core/assemble.js';
import { LengthError } from '../../generators/core/task.js';

describe('assembleExact under builtin:tiny', () => {
  const tok = loadTokenizer('builtin:tiny');

  // Tuples from scripts/train-tiny/make-data.mjs that threw "could not reach exactly N tokens
  // (off by 1 after 12 corrections)": the context is one filler unit followed by the needles.
  const cases = [
    { params: { keys: 1, queries: 1 }, length: 257, seed: 'tiny-train-3-w0', index: 149 },
    { params: { keys: 2, queries: 2 }, length: 403, seed: 'tiny-train-3-w0', index: 77 },
  ];
  for (const c of cases) {
    it(`ruler/niah ${JSON.stringify(c.params)} at ${c.length} tokens (${c.seed}, index ${c.index})`, () => {
      const sample = generateSample({ task: 'ruler/niah', params: c.params, length: c.length, index: c.index, seed: c.seed, tokenizer: tok });
      expect(sample.metadata.inputTokens).toBe(c.length);
      expect(tok.encode(renderChat(tok.chatTemplate!, sample.messages)).length).toBe(c.length);
      // Every needle is still in the context.
      const needles = sample.metadata.needles ?? [];
      expect(needles.length).toBe(c.params.keys);
      for (const needle of needles) expect(sample.input).toContain(needle.text);
    });
  }
});

describe('assembleExact when no arrangement reaches the length', () => {
  // Two tokens per word, plus one for a leading space: a unit counted after its separator is odd,
  // but every whole prompt (which starts with a word) is even, so odd lengths are unreachable.
  const count = (text: string): number => 2 * (text.match(/\S+/g)?.length ?? 0) + (text.startsWith(' ') ? 1 : 0);
  const toy: Tokenizer = {
    id: 'toy',
    sha256: '0'.repeat(64),
    count,
    countWithOffsets: (text, positions) => ({ count: count(text), offsets: positions.map((p) => count(text.slice(0, p))) }),
    encode: () => [],
    decode: () => '',
    addedSpecialTokens: 0,
    fastCount: false,
  };
  const sentences = ['One two three.', 'Four five.', 'Six.', 'Seven eight nine ten.'];
  const filler = (): FillerSource => {
    let i = 0;
    return { next: () => sentences[i++ % sentences.length] as string, shortUnits: sentences };
  };
  const spec = (target: number) => ({
    taskId: 'toy',
    tokenizer: toy,
    chatTemplate: false,
    before: 'Read this.\n',
    after: '\nDone.',
    needles: [{ body: 'The key is seven.', depth: 0.5 }],
    filler: filler(),
    target,
  });

  it('reaches an even length exactly', () => {
    const prompt = assembleExact(spec(80));
    expect(prompt.tokens).toBe(80);
    expect(count(prompt.rendered)).toBe(80);
  });

  it('throws LengthError, not a plain Error, for an odd length', () => {
    let error: unknown;
    try {
      assembleExact(spec(81));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LengthError);
    expect((error as LengthError).requested).toBe(81);
    expect((error as Error).message).toMatch(/no arrangement of filler tried reaches exactly 81 tokens/);
  });
});
