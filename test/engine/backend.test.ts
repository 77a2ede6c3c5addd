// The runner's `engine` backend on a tiny checkpoint with a byte-level tokenizer and a ChatML
// template: prompt tokens, greedy output (checked against the float64 reference), stop handling,
// and the recipe option checks.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkEngineOptions, createEngineBackend, ENGINE_SPARSE_METHODS } from '../../runner/engine/backend.js';
import { openCheckpoint } from '../../runner/engine/checkpoint/checkpoint.js';
import { ReferenceModel } from '../../runner/engine/reference/forward.js';
import { loadHfTokenizer } from '../../generators/tokenizers/huggingface.js';
import { renderChat } from '../../generators/tokenizers/chat-template.js';
import type { Sample } from '../../generators/core/sample.js';
import { writeFixtureCheckpoint } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'lw-engine-backend-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sample = {
  id: 's1',
  task: 'test',
  taskVersion: 1,
  input: 'What is the value?',
  target: ['x'],
  messages: [{ role: 'user', content: 'What is the value?' }],
  metadata: {},
} as unknown as Sample;

describe('engine backend', () => {
  it('generates greedily from the chat-templated prompt, as the reference does', async () => {
    const dir = writeFixtureCheckpoint('qwen2', root);
    const backend = await createEngineBackend({ name: 'tiny-qwen2', backend: 'engine', options: { path: dir, device: 'cpu', maxLength: 128, cacheDir: join(root, 'cache') } }, { baseDir: root, env: {} });
    try {
      expect(backend.name).toBe('engine');
      expect(backend.model).toBe('tiny-qwen2');
      const prediction = await backend.generate({ sample, maxOutputTokens: 5 });
      expect(prediction.error).toBeUndefined();
      const tok = loadHfTokenizer(dir);
      const promptIds = tok.encode(renderChat(tok.chatTemplate!, sample.messages));
      expect(prediction.usage).toEqual({ promptTokens: promptIds.length, completionTokens: 5 });
      const ckpt = openCheckpoint(dir);
      const reference = new ReferenceModel(ckpt.spec, ckpt.weights, 128);
      let logits = reference.forward(promptIds).at(-1)!;
      const expected: number[] = [];
      for (let i = 0; i < 5; i++) {
        const token = logits.indexOf(Math.max(...logits));
        expected.push(token);
        logits = reference.step(token);
      }
      expect(prediction.finishReason).toBe(expected.includes(257) ? 'stop' : 'length');
      expect(prediction.output).toBe(tok.decode(expected.filter((t) => t !== 257)));
      expect(prediction.attention).toMatchObject({ prefill: 'dense', decode: 'dense', compression: 1, sparsity: 0 });

      const allowed = `the engine runs prefill: dense, ${ENGINE_SPARSE_METHODS.prefill.join(', ')}; decode: dense, ${ENGINE_SPARSE_METHODS.decode.join(', ')}`;
      expect(ENGINE_SPARSE_METHODS.prefill).toContain('a-shape');
      expect(ENGINE_SPARSE_METHODS.decode).toContain('streaming-llm');
      const sparse = await backend.generate({ sample, maxOutputTokens: 5, attention: { prefill: 'magic', decode: 'dense', compression: 5 } });
      expect(sparse.finishReason).toBe('error');
      expect(sparse.error).toBe(`Prefill attention "magic" is not available in the engine yet; ${allowed}.`);
      const decode = await backend.generate({ sample, maxOutputTokens: 5, attention: { prefill: 'dense', decode: 'magic', compression: 5 } });
      expect(decode.error).toBe(`Decode attention "magic" is not available in the engine yet; ${allowed}.`);

      const tooLong = await backend.generate({ sample: { ...sample, messages: [{ role: 'user', content: 'x'.repeat(200) }] }, maxOutputTokens: 5 });
      expect(tooLong.error).toMatch(/exceed the engine's context of 128 tokens/);
    } finally {
      await backend.close!();
    }
  });

  it('checks recipe options and names each bad field', () => {
    const dir = writeFixtureCheckpoint('qwen3', root);
    expect(checkEngineOptions({ path: dir, device: 'webgpu', chunkSize: 512 }, { baseDir: root, env: {} })).toEqual([]);
    expect(checkEngineOptions({ path: dir, matmulPrecision: 'fp16' }, { baseDir: root, env: {} })).toEqual([]);
    expect(checkEngineOptions({ path: dir, weightCasts: 'folded' }, { baseDir: root, env: {} })).toEqual([]);
    expect(checkEngineOptions({ path: dir, prefillStages: 4 }, { baseDir: root, env: {} })).toEqual([]);
    expect(checkEngineOptions({ path: dir, device: 'cuda' }, { baseDir: root, env: {} })).toEqual([]);
    expect(checkEngineOptions({ path: dir, device: 'cpu', generation: 'one-run' }, { baseDir: root, env: {} })).toEqual([]);
    expect(checkEngineOptions({ path: dir, generation: 'loop' }, { baseDir: root, env: {} })).toEqual([{ path: 'generation', rule: 'engine', message: 'must be "stepwise" or "one-run", got "loop"' }]);
    const issues = checkEngineOptions({ path: 'missing', device: 'tpu', chunkSize: 0, yarnFactor: 1, matmulPrecision: 'bf16', weightCasts: 'never', prefillStages: 1.5, extra: true }, { baseDir: root, env: {} });
    expect(issues.map((i) => i.path).sort()).toEqual(['chunkSize', 'device', 'extra', 'matmulPrecision', 'path', 'prefillStages', 'weightCasts', 'yarnFactor']);
    expect(issues.find((i) => i.path === 'prefillStages')!.message).toBe('must be a positive integer, got 1.5');
    expect(issues.find((i) => i.path === 'weightCasts')!.message).toBe('must be one of "runtime", "decode-folded", "folded", got "never"');
    expect(issues.find((i) => i.path === 'device')!.message).toBe('must be "auto", "cpu", "webgpu", "cuda", got "tpu"');
  });
});
