// `builtin:tiny`, the checkpoint shipped in models/tiny/, wherever a checkpoint folder is accepted:
// resolution, `engine info` of the real weights, greedy generation through the engine on the CPU
// provider against the float64 reference, recipe options, and the refusal of an unknown name.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { resolveModelPath } from '../../runner/engine/checkpoint/builtin.js';
import { openCheckpoint } from '../../runner/engine/checkpoint/checkpoint.js';
import { Engine } from '../../runner/engine/engine.js';
import { ReferenceModel } from '../../runner/engine/reference/forward.js';
import { checkEngineOptions } from '../../runner/engine/backend.js';

const root = mkdtempSync(join(tmpdir(), 'lw-builtin-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { encoding: 'utf8' });
const shipped = resolve('models/tiny');
const config = JSON.parse(readFileSync(join(shipped, 'config.json'), 'utf8')) as Record<string, number>;

describe('builtin:tiny resolution', () => {
  it('names the package folder models/tiny; other paths resolve against the base folder', () => {
    expect(resolveModelPath('builtin:tiny')).toBe(shipped);
    expect(resolveModelPath('ckpt/a', '/recipes')).toBe('/recipes/ckpt/a');
    expect(resolveModelPath('/abs/ckpt', '/recipes')).toBe('/abs/ckpt');
    expect(openCheckpoint('builtin:tiny').dir).toBe(shipped);
  });

  it('refuses an unknown builtin name, listing the builtin models', () => {
    expect(() => resolveModelPath('builtin:huge')).toThrow('Unknown builtin model "builtin:huge": use one of builtin:tiny.');
    expect(() => openCheckpoint('builtin:huge')).toThrow(/Unknown builtin model "builtin:huge"/);
    const result = cli(['engine', 'info', 'builtin:huge']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Unknown builtin model "builtin:huge": use one of builtin:tiny.');
  });

  it('is accepted as an engine recipe path, and an unknown name is an issue on path', () => {
    expect(checkEngineOptions({ path: 'builtin:tiny' }, { baseDir: root, env: {} })).toEqual([]);
    const issues = checkEngineOptions({ path: 'builtin:nope' }, { baseDir: root, env: {} });
    expect(issues).toEqual([{ path: 'path', rule: 'engine', message: 'Unknown builtin model "builtin:nope": use one of builtin:tiny.' }]);
  });
});

describe('longweave engine info builtin:tiny', () => {
  it('reports the shipped checkpoint: shape from config.json and its exact parameter count', () => {
    const h = config['hidden_size']!;
    const heads = config['num_attention_heads']!;
    const kv = config['num_key_value_heads']!;
    const d = config['head_dim']!;
    const ff = config['intermediate_size']!;
    const perLayer = h * heads * d * 2 + h * kv * d * 2 + 3 * h * ff + 2 * h;
    // Tied embeddings: the vocabulary matrix is counted once.
    const parameters = config['vocab_size']! * h + config['num_hidden_layers']! * perLayer + h;
    expect(parameters).toBe(5770496);
    const result = cli(['engine', 'info', 'builtin:tiny', '--json']);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      architecture: 'LlamaForCausalLM',
      family: 'llama',
      parameters,
      dtype: 'float16',
      layers: 6,
      hiddenSize: 256,
      heads: 4,
      kvHeads: 2,
      headDim: 64,
      vocabSize: 4096,
      contextLimit: 16384,
      stopTokenIds: [2],
    });
  });
});

describe('builtin:tiny through the engine on the CPU provider', () => {
  it('greedy tokens of a chat prompt equal the float64 reference model', async () => {
    const engine = await Engine.load('builtin:tiny', { device: 'cpu', chunkSize: 16, cacheDir: join(root, 'cache'), maxLength: 256 });
    try {
      const prompt = engine.encodeChat([{ role: 'user', content: 'What is the special magic number for the key "amber-9"? The special magic number for amber-9 is 4417.' }]);
      const steps = 8;
      const result = await engine.generateIds(prompt, steps, { returnLogits: true, stopTokenIds: [] });
      expect(result.tokens).toHaveLength(steps);
      const ckpt = openCheckpoint('builtin:tiny');
      const reference = new ReferenceModel(ckpt.spec, ckpt.weights, 256);
      const expected = reference.forward([...prompt, ...result.tokens.slice(0, -1)]).slice(prompt.length - 1);
      const greedy = expected.map((row) => row.indexOf(Math.max(...row)));
      expect(result.tokens).toEqual(greedy);
      // Logits of the last position of each step within fp32 tolerance of the reference.
      const rows = result.logits!.slice(-steps);
      rows.forEach((row, i) => {
        const ref = expected[i]!;
        const worst = Math.max(...row.map((v, j) => Math.abs(v - ref[j]!)));
        expect(worst, `step ${i}`).toBeLessThan(1e-3);
      });
    } finally {
      await engine.close();
    }
  });

  it('`engine generate builtin:tiny` prints a generation', () => {
    const result = cli(['engine', 'generate', 'builtin:tiny', '--prompt', 'Hello', '--max-tokens', '4', '--json']);
    expect(result.status).toBe(0);
    const out = JSON.parse(result.stdout) as { tokens: number[]; promptTokens: number };
    expect(out.tokens.length).toBeGreaterThan(0);
    expect(out.tokens.length).toBeLessThanOrEqual(4);
    expect(out.promptTokens).toBeGreaterThan(1);
  });
});
