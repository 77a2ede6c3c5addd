// The builtin tiny model's tokenizer (models/tiny, trained by scripts/train-tiny/train_tokenizer.py):
// loaded through the package's own Hugging Face loader it must encode exactly as the Python
// `tokenizers` library that trained it (and that transformers uses). The ids below were produced by
// Python: Tokenizer.from_file('models/tiny/tokenizer.json').encode(text, add_special_tokens=False).ids
import { describe, expect, it } from 'vitest';
import { builtinModelDir, loadTokenizer, renderChat, tokenizerNames } from '../../generators/tokenizers/index.js';
import { generateSample } from '../../generators/generate.js';

const PYTHON_IDS: { text: string; ids: number[] }[] = [
  {
    text: "The value for key ye1rk3cc-34j3r6n8-18p9q97k-hinvwceq is: s5m9hxku-qhpp0yq3-2ot3obga-lgs93wqd.",
    ids: [642,445,305,470,319,19,84,77,21,1805,15,21,22,76,21,84,24,80,26,15,19,26,82,27,83,27,25,77,1244,262,3812,451,83,274,28,264,23,79,27,74,2896,87,1456,74,523,18,91,83,21,15,20,377,21,510,3611,1085,3182,27,21,89,3887,16],
  },
  {
    text: "<|im_start|>user\nWhat are all the special magic numbers for distinct-tomography?<|im_end|>\n<|im_start|>assistant\n",
    ids: [1,357,271,201,870,446,588,267,407,408,442,305,865,3165,984,569,1567,91,33,2,201,1,334,384,663,201],
  },
  {
    text: "VAR TZHUC = 79288. VAR AYATL = VAR JWVKW.\n\n<answer>\nFURBQ, UGREQ\n</answer><|im_end|>",
    ids: [2044,269,60,42,55,37,609,223,25,27,20,26,26,16,499,299,59,35,54,46,609,499,602,57,56,45,57,392,30,566,477,40,55,52,36,51,14,2235,41,52,39,51,201,502,566,32,2],
  },
  {
    text: "Document 12: Café Zoë — naïve résumé, 1,234,567 ¥ 😀 \t tabs  and   spaces\r\n",
    ids: [761,223,19,20,28,424,952,130,105,1576,81,130,107,223,161,225,245,306,67,130,110,366,413,130,105,85,365,130,105,14,223,19,14,20,21,22,14,23,24,25,223,129,101,223,175,256,249,225,223,200,260,712,85,223,292,223,223,348,302,287,204,201],
  },
  {
    text: "It's what they'd've said: DON'T, won't, I'm.",
    ids: [1657,1724,787,462,9,70,9,366,539,28,565,49,48,9,54,14,265,268,9,86,14,382,9,79,16],
  },
];

describe('builtin:tiny tokenizer', () => {
  const tok = loadTokenizer('builtin:tiny');

  it('is listed and resolves to the shipped models/tiny folder', () => {
    expect(tokenizerNames()).toContain('builtin:tiny');
    expect(builtinModelDir('builtin:tiny')).toMatch(/models[\\/]tiny$/);
    expect(tok.id).toBe('builtin:tiny');
  });

  it('encodes exactly as Python tokenizers', () => {
    for (const { text, ids } of PYTHON_IDS) {
      expect(tok.encode(text)).toEqual(ids);
      expect(tok.count(text)).toBe(ids.length);
      expect(tok.decode(ids)).toBe(text.normalize('NFC'));
    }
  });

  it('uses the fast exact counter, equal to the full encode on generated prompts', () => {
    expect(tok.fastCount).toBe(true);
    const sample = generateSample({ task: 'ruler/niah', length: 700, index: 0, seed: 3, tokenizer: tok });
    expect(sample.metadata.inputTokens).toBe(700);
    const rendered = renderChat(tok.chatTemplate!, sample.messages);
    expect(tok.count(rendered)).toBe(tok.encode(rendered).length);
    expect(tok.encode(rendered).length).toBe(700);
  });

  it('has a ChatML template with <|im_end|> as eos', () => {
    expect(renderChat(tok.chatTemplate!, [{ role: 'user', content: 'Hi' }])).toBe('<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
    expect(tok.chatTemplate!.variables['eos_token']).toBe('<|im_end|>');
    expect(tok.encode('<|endoftext|><|im_start|><|im_end|>')).toEqual([0, 1, 2]);
  });

  it('rejects unknown builtin names, naming the known ones', () => {
    expect(() => loadTokenizer('builtin:huge')).toThrow(/builtin:tiny/);
    expect(() => builtinModelDir('nope')).toThrow(/Unknown builtin model/);
  });
});
