// A broken tokenizer.json is refused on load with the file and the field named, and no generator
// loop waits forever on a tokenizer that counts text as no tokens; Ctrl-C during `generate` leaves
// no staging folder behind.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSample } from '../../generators/generate.js';
import { loadHfTokenizer } from '../../generators/tokenizers/huggingface.js';
import type { Tokenizer } from '../../generators/tokenizers/types.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const TINY = JSON.parse(readFileSync(join(ROOT, 'models', 'tiny', 'tokenizer.json'), 'utf8')) as { model: Record<string, unknown>; added_tokens: unknown[] };

function tokenizerFile(dir: string, name: string, edit: (json: typeof TINY) => unknown): string {
  const folder = join(dir, name);
  mkdirSync(folder, { recursive: true });
  const file = join(folder, 'tokenizer.json');
  writeFileSync(file, JSON.stringify(edit(JSON.parse(JSON.stringify(TINY)) as typeof TINY)));
  return file;
}

describe('tokenizer files', () => {
  it('are checked on load, naming the file and the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-tok-'));
    const cases: [string, (j: typeof TINY) => unknown, string][] = [
      ['empty-vocab', (j) => ({ ...j, model: { ...j.model, vocab: {}, merges: [] }, added_tokens: [] }), '"model.vocab" must be a non-empty object of token -> id, got an empty object'],
      ['no-model', (j) => ({ ...j, model: undefined }), '"model" is missing: not a Hugging Face tokenizer.json'],
      ['bad-type', (j) => ({ ...j, model: { ...j.model, type: 'BPE2' } }), '"model.type" must be one of BPE, WordPiece, WordLevel, Unigram, got "BPE2"'],
      ['bad-merge', (j) => ({ ...j, model: { ...j.model, merges: [['a', 'b'], ['c']] } }), '"model.merges[1]" must be two tokens ("a b" or ["a", "b"]), got ["c"]'],
      ['bad-added', (j) => ({ ...j, added_tokens: [{ id: 1 }] }), '"added_tokens[0]" must have a non-empty "content" and an integer "id"'],
      ['no-decoder', (j) => ({ ...j, decoder: 'ByteLevel' }), '"decoder" must be null or an object with a "type", got string'],
      ['array', () => [], 'the file must hold a JSON object, got an array'],
    ];
    for (const [name, edit, message] of cases) {
      const file = tokenizerFile(dir, name, edit);
      expect(() => loadHfTokenizer(file), name).toThrow(`Tokenizer ${file}: ${message}`);
    }
    // A vocabulary without the byte tokens loads, but encodes text as nothing: refused too.
    const file = tokenizerFile(dir, 'no-bytes', (j) => ({ ...j, model: { ...j.model, vocab: { '<unk>': 0, zzz: 1 }, merges: [] }, added_tokens: [] }));
    expect(() => loadHfTokenizer(file)).toThrow(`Tokenizer ${file}: the tokenizer encodes "The" as 0 tokens; every text needs at least one (is the vocabulary complete?)`);
  });

  it('that count text as no tokens stop a generator instead of hanging it', () => {
    const nothing: Tokenizer = {
      id: 'broken',
      sha256: '0'.repeat(64),
      count: () => 0,
      countWithOffsets: (_text, positions) => ({ count: 0, offsets: positions.map(() => 0) }),
      encode: () => [],
      decode: () => '',
      addedSpecialTokens: 0,
      fastCount: false,
    };
    for (const task of ['ruler/niah', 'story/retrieval', 'qa/synthetic']) {
      expect(() => generateSample({ task, length: 4096, index: 0, tokenizer: nothing, chatTemplate: false }), task).toThrow(/the tokenizer counts ".*" as 0 tokens, so no prompt can reach its length/);
    }
  }, 10_000);

  it('stop `generate` with the file named, leaving nothing behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-tok-'));
    const file = tokenizerFile(dir, 'empty', (j) => ({ ...j, model: { ...j.model, vocab: {}, merges: [] } }));
    const out = join(dir, 'out');
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'cli', 'main.ts'), 'generate', '--task', 'ruler/niah', '--lengths', '1k', '--samples', '1', '--tokenizer', file, '--out', out], { encoding: 'utf8', timeout: 30_000, cwd: ROOT });
    expect(r.stderr).toBe(`longweave: Tokenizer ${file}: "model.vocab" must be a non-empty object of token -> id, got an empty object\n`);
    expect(r.status).toBe(1);
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  }, 30_000);
});

describe('generate interrupted', () => {
  it('by Ctrl-C removes the staging folder and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-int-'));
    const out = join(dir, 'out');
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'cli', 'main.ts'), 'generate', '--task', 'ruler/niah', '--lengths', '2k', '--samples', '5000', '--out', out], { cwd: ROOT, env: { ...process.env, CI: '1' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    for (let i = 0; i < 600 && !(existsSync(out) && readdirSync(out).some((e) => e.startsWith('.longweave-staging-'))); i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toBe(`longweave: interrupted; nothing was written to ${out}\n`);
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});
