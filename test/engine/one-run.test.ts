// The one-run generation graph (CUDA's form: prefill and greedy decoding in one session run, an ONNX
// Loop) on the CPU provider: logits against the float64 reference for every family, the same tokens
// as step-by-step generation, stop and forced tokens, MLP chunks, the child-process worker.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../runner/engine/engine.js';
import { openCheckpoint } from '../../runner/engine/checkpoint/checkpoint.js';
import { ReferenceModel } from '../../runner/engine/reference/forward.js';
import { DEFAULT_MLP_CHUNK, generationTablePositions, promptLayout } from '../../runner/engine/graph/generation-graph.js';
import { listGraphCache } from '../../runner/engine/graph/graph-cache.js';
import { planAttention } from '../../runner/engine/backend.js';
import { FAMILIES, PROMPT, maxAbsDiff, writeFixtureCheckpoint } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'lw-one-run-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const argmax = (row: ArrayLike<number>): number => {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
};

describe('promptLayout', () => {
  it('pads to whole 256-token blocks in as few chunks as fit the MLP chunk', () => {
    expect(promptLayout(24)).toEqual({ paddedLength: 256, chunks: 1, chunkRows: 256 });
    expect(promptLayout(256)).toEqual({ paddedLength: 256, chunks: 1, chunkRows: 256 });
    expect(promptLayout(4096)).toEqual({ paddedLength: 4096, chunks: 1, chunkRows: 4096 });
    expect(promptLayout(4097)).toEqual({ paddedLength: 4608, chunks: 2, chunkRows: 2304 });
    expect(promptLayout(131072)).toEqual({ paddedLength: 131072, chunks: 32, chunkRows: 4096 });
    expect(promptLayout(300, 256)).toEqual({ paddedLength: 512, chunks: 2, chunkRows: 256 });
    expect(() => promptLayout(0)).toThrow('Prompt length must be a positive integer; got 0.');
  });

  it('sizes the RoPE tables for the padding of every prompt up to maxLength', () => {
    expect(DEFAULT_MLP_CHUNK).toBe(4096);
    for (const max of [128, 4096, 5000, 131072]) {
      const rows = generationTablePositions(max);
      for (const P of [1, max - 1, max]) expect(promptLayout(P).paddedLength).toBeLessThanOrEqual(rows);
    }
  });
});

describe.each(FAMILIES)('%s one-run generation', (family) => {
  it('matches the float64 reference at every prompt position and generated token', async () => {
    const dir = writeFixtureCheckpoint(family, root);
    const ckpt = openCheckpoint(dir);
    const engine = await Engine.load(dir, { device: 'cpu', generation: 'one-run', allLogits: true, cacheDir: join(root, 'cache'), maxLength: 256 });
    try {
      const steps = 6;
      const result = await engine.generateIds(PROMPT, steps, { returnLogits: true, stopTokenIds: [] });
      expect(result.tokens).toHaveLength(steps);
      expect(result.finishReason).toBe('length');
      expect(result.timings.prefillMs).toBeUndefined();
      expect(result.timings.generationMs).toBeGreaterThan(0);
      const logits = result.logits!;
      expect(logits).toHaveLength(PROMPT.length + steps - 1);
      const expected = new ReferenceModel(ckpt.spec, ckpt.weights, 256).forward([...PROMPT, ...result.tokens.slice(0, -1)]);
      let worst = 0;
      expected.forEach((row, i) => (worst = Math.max(worst, maxAbsDiff(logits[i]!, row))));
      expect(worst).toBeLessThan(1e-5);
      expect(result.tokens).toEqual(expected.slice(PROMPT.length - 1).map(argmax));
    } finally {
      await engine.close();
    }
  });
});

describe('one-run against step-by-step generation', () => {
  it.each(['qwen2', 'qwen3'] as const)('%s: the same 20 greedy tokens', async (family) => {
    const dir = writeFixtureCheckpoint(family, root);
    const options = { device: 'cpu' as const, cacheDir: join(root, 'cache'), maxLength: 256 };
    const stepwise = await Engine.load(dir, { ...options, chunkSize: 7 });
    const oneRun = await Engine.load(dir, { ...options, generation: 'one-run' });
    try {
      const a = await stepwise.generateIds(PROMPT, 20, { stopTokenIds: [] });
      const b = await oneRun.generateIds(PROMPT, 20, { stopTokenIds: [] });
      expect(b.tokens).toEqual(a.tokens);
      expect(b.finishReason).toBe('length');
    } finally {
      await stepwise.close();
      await oneRun.close();
    }
  });

  it('shares one weights file between the stepwise and the one-run graphs', async () => {
    const dir = writeFixtureCheckpoint('qwen2', root);
    for (const generation of ['stepwise', 'one-run'] as const) await (await Engine.load(dir, { device: 'cpu', generation, cacheDir: join(root, 'cache'), maxLength: 256 })).close();
    const listing = listGraphCache(join(root, 'cache'));
    const qwen2 = listing.graphs.filter((e) => e.architecture === 'Qwen2ForCausalLM');
    expect(qwen2.some((e) => e.settings?.generation !== undefined)).toBe(true);
    expect(qwen2.some((e) => e.settings?.generation === undefined)).toBe(true);
    expect(new Set(qwen2.map((e) => e.weightsDigest)).size).toBe(1);
  });
});

describe('one-run generation details', () => {
  it('stops at a stop token (kept as the last token), at the token limit, and after one token', async () => {
    const dir = writeFixtureCheckpoint('llama', root);
    const engine = await Engine.load(dir, { device: 'cpu', generation: 'one-run', cacheDir: join(root, 'cache'), maxLength: 256 });
    try {
      const free = await engine.generateIds(PROMPT, 12, { stopTokenIds: [] });
      const stop = free.tokens[4]!;
      const firstStop = free.tokens.indexOf(stop);
      const stopped = await engine.generateIds(PROMPT, 12, { stopTokenIds: [stop, 99999] });
      expect(stopped.tokens).toEqual(free.tokens.slice(0, firstStop + 1));
      expect(stopped.finishReason).toBe('stop');
      const one = await engine.generateIds(PROMPT, 1, { stopTokenIds: [] });
      expect(one.tokens).toEqual(free.tokens.slice(0, 1));
      expect(one.finishReason).toBe('length');
      const atFirst = await engine.generateIds(PROMPT, 12, { stopTokenIds: [free.tokens[0]!] });
      expect(atFirst.tokens).toEqual([free.tokens[0]]);
      expect(atFirst.finishReason).toBe('stop');
    } finally {
      await engine.close();
    }
  });

  it('forces tokens and returns the logits they were chosen against', async () => {
    const dir = writeFixtureCheckpoint('mistral', root);
    const ckpt = openCheckpoint(dir);
    const engine = await Engine.load(dir, { device: 'cpu', generation: 'one-run', stepLogits: true, cacheDir: join(root, 'cache'), maxLength: 256 });
    try {
      const forced = [5, 17, 3];
      const result = await engine.generateIds(PROMPT, 6, { forcedTokens: forced, returnLogits: true, stopTokenIds: [] });
      expect(result.tokens.slice(0, 3)).toEqual(forced);
      // Step logits only: the row each token was chosen from.
      expect(result.logits).toHaveLength(6);
      const expected = new ReferenceModel(ckpt.spec, ckpt.weights, 256).forward([...PROMPT, ...result.tokens.slice(0, -1)]).slice(PROMPT.length - 1);
      expected.forEach((row, i) => expect(maxAbsDiff(result.logits![i]!, row), `step ${i}`).toBeLessThan(1e-5));
      expect(result.tokens.slice(3)).toEqual(expected.slice(3).map(argmax));
    } finally {
      await engine.close();
    }
  });

  it('refuses logits from a graph built without them', async () => {
    const dir = writeFixtureCheckpoint('llama', root);
    const engine = await Engine.load(dir, { device: 'cpu', generation: 'one-run', cacheDir: join(root, 'cache'), maxLength: 256 });
    try {
      await expect(engine.generateIds(PROMPT, 2, { returnLogits: true })).rejects.toThrow('This one-run graph returns no logits; load the engine with stepLogits: true.');
    } finally {
      await engine.close();
    }
  });

  it('runs the MLP of a long prompt in chunks and matches the reference past the first chunk', async () => {
    const dir = writeFixtureCheckpoint('qwen2', root);
    const ckpt = openCheckpoint(dir);
    const prompt = Array.from({ length: 300 }, (_, i) => PROMPT[i % PROMPT.length]! + (i % 5));
    // chunkSize 256: a 300-token prompt is two chunks of 256 rows (212 of padding).
    const engine = await Engine.load(dir, { device: 'cpu', generation: 'one-run', allLogits: true, chunkSize: 256, cacheDir: join(root, 'cache'), maxLength: 320 });
    try {
      const result = await engine.generateIds(prompt, 4, { returnLogits: true, stopTokenIds: [] });
      const expected = new ReferenceModel(ckpt.spec, ckpt.weights, 320).forward([...prompt, ...result.tokens.slice(0, -1)]);
      expect(result.logits).toHaveLength(prompt.length + 3);
      let worst = 0;
      expected.forEach((row, i) => (worst = Math.max(worst, maxAbsDiff(result.logits![i]!, row))));
      expect(worst).toBeLessThan(1e-5);
    } finally {
      await engine.close();
    }
  });

  it('runs in a child-process worker with the same tokens', async () => {
    const dir = writeFixtureCheckpoint('qwen3', root);
    const options = { device: 'cpu' as const, generation: 'one-run' as const, cacheDir: join(root, 'cache'), maxLength: 256 };
    const thread = await Engine.load(dir, options);
    const child = await Engine.load(dir, { ...options, worker: 'process', workerEnv: { LONGWEAVE_TEST_MARK: '1' } });
    try {
      const a = await thread.generateIds(PROMPT, 8, { stopTokenIds: [] });
      const b = await child.generateIds(PROMPT, 8, { stopTokenIds: [] });
      expect(b.tokens).toEqual(a.tokens);
      expect(process.env['LONGWEAVE_TEST_MARK']).toBeUndefined();
    } finally {
      await thread.close();
      await child.close();
    }
  });

  it('refuses what the one-run graph does not run, naming it', async () => {
    const dir = writeFixtureCheckpoint('llama', root);
    const options = { device: 'cpu' as const, generation: 'one-run' as const, cacheDir: join(root, 'cache'), maxLength: 256 };
    await expect(Engine.load(dir, { ...options, attention: { method: 'streaming-llm' } })).rejects.toThrow('The one-run generation graph runs dense prefill attention or a sparse prefill method; got "streaming-llm".');
    await expect(Engine.load(dir, { ...options, prefillStages: 2 })).rejects.toThrow('prefillStages is not available with it.');
    await expect(Engine.load(dir, { ...options, decodeAttention: { method: 'no-such-method' } })).rejects.toThrow('Decode attention "no-such-method" does not run in the one-run generation graph yet; it runs dense');
    await expect(Engine.load(dir, { ...options, chunkSize: 100 })).rejects.toThrow("The one-run graph's MLP chunk must be a positive multiple of 256 tokens; got 100.");
    expect(readdirSync(join(root, 'cache')).some((name) => name.includes('.tmp-'))).toBe(false);
  });
});

describe('sparse prefill in one run', () => {
  // The stepwise engine with the whole prompt in one chunk is checked against the float64
  // references (test/engine/attention-*.test.ts); the one-run graph must give the same logits: its
  // sparse method sees exactly the prompt's tokens (not the padding) and decodes densely.
  const prompt = Array.from({ length: 150 }, (_, i) => 3 + ((i * 37) % 250));
  it.each([
    ['a-shape', 'llama', {}],
    ['block-sparse', 'qwen2', { scope: 'kv-head' }],
    ['block-sparse', 'mistral', {}],
    ['vertical-slash', 'qwen3', {}],
    ['flexprefill', 'llama', {}],
  ] as const)('%s on %s %j: the logits of the stepwise engine run in one chunk', async (method, family, params) => {
    const dir = writeFixtureCheckpoint(family, root);
    const spec = openCheckpoint(dir).spec;
    const plan = planAttention({ prefill: method, decode: 'dense', compression: 3, ...(Object.keys(params).length ? { params } : {}) }, spec, prompt.length);
    const attention = { method, ...(Object.keys(params).length ? { params } : {}) };
    const options = { device: 'cpu' as const, attention, cacheDir: join(root, 'cache'), maxLength: 320, allLogits: true };
    const stepwise = await Engine.load(dir, { ...options, chunkSize: 256, decodeAttention: { method: 'dense-decode' } });
    const oneRun = await Engine.load(dir, { ...options, generation: 'one-run' });
    try {
      const a = await stepwise.generateIds(prompt, 5, { returnLogits: true, stopTokenIds: [], attentionInputs: plan.inputs });
      const b = await oneRun.generateIds(prompt, 5, { returnLogits: true, stopTokenIds: [], attentionInputs: plan.inputs });
      expect(b.tokens).toEqual(a.tokens);
      expect(b.logits).toHaveLength(a.logits!.length);
      let worst = 0;
      a.logits!.forEach((row, i) => (worst = Math.max(worst, maxAbsDiff(b.logits![i]!, row))));
      expect(worst).toBeLessThan(1e-5);
      expect(b.attentionStats?.keptPairs).toBe(a.attentionStats?.keptPairs);
    } finally {
      await stepwise.close();
      await oneRun.close();
    }
  });
});
