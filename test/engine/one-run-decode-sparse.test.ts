// The sparse decode methods inside the one-run generation graph's Loop (attention/loop-quest.ts,
// loop-snapkv.ts, loop-ada-snapkv.ts, loop-streaming-llm.ts) on the CPU provider, fp32: the logits
// each token was chosen from against the float64 forward pass with the method's reference in its
// attention, for GQA groups 1, 4 and 7 (tiny random checkpoints of three families), prompts that
// are no multiple of a page or a block (53 and 300 tokens: the prompt ends inside a page, the
// generation crosses page boundaries), budgets that bind and budgets that cover everything (dense).
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../runner/engine/engine.js';
import { openCheckpoint } from '../../runner/engine/checkpoint/checkpoint.js';
import { tinyConfig, writeRandomCheckpoint } from '../../runner/engine/checkpoint/synthetic.js';
import { ReferenceModel } from '../../runner/engine/reference/forward.js';
import { SPARSE_METHODS } from '../../runner/engine/sparse/registry.js';
import { QUEST_IO } from '../../runner/engine/attention/quest.js';
import { SNAPKV_IO } from '../../runner/engine/attention/snapkv-io.js';
import { SINK_WINDOW_IO } from '../../runner/engine/attention/sink-window.js';
import { LOOP_DECODE_METHODS } from '../../runner/engine/attention/loop-decode.js';
import { PROMPT, maxAbsDiff } from './helpers.js';
import { snapKvAttend } from './attention-harness.js';

const root = mkdtempSync(join(tmpdir(), 'lw-one-run-ds-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const MAX_LENGTH = 384;

/** Checkpoints with query heads per KV head 1 (4 KV heads), 4 (2 KV heads) and 7 (1 KV head). */
const GROUPS = [
  { group: 1, config: tinyConfig('llama', { num_attention_heads: 4, num_key_value_heads: 4 }) },
  { group: 4, config: tinyConfig('qwen2', { hidden_size: 128, num_attention_heads: 8, num_key_value_heads: 2 }) },
  { group: 7, config: tinyConfig('qwen3', { num_attention_heads: 7, num_key_value_heads: 1, head_dim: 16 }) },
] as const;

function checkpoint(group: number): string {
  const dir = join(root, `group-${group}`);
  const spec = writeRandomCheckpoint(dir, GROUPS.find((g) => g.group === group)!.config, `longweave-one-run-decode/${group}`);
  expect(spec.numHeads / spec.numKvHeads).toBe(group);
  return dir;
}

/** 53 tokens: three full 16-token pages and 5 tokens of a fourth; 300 tokens: past one 256-token block. */
const SHORT = [...PROMPT, ...PROMPT, ...PROMPT.slice(0, 5)];
const LONG = Array.from({ length: 300 }, (_, i) => PROMPT[(i * 7) % PROMPT.length]! + (i % 11));

type Attend = NonNullable<ReferenceModel['attend']>;

/** The logits each token was chosen from (the last prompt position's, then every decode step's), float64. */
function expected(dir: string, prompt: readonly number[], tokens: readonly number[], attend?: Attend): Float64Array[] {
  const ckpt = openCheckpoint(dir);
  const reference = new ReferenceModel(ckpt.spec, ckpt.weights, MAX_LENGTH);
  if (attend) reference.attend = attend;
  return reference.forward([...prompt, ...tokens.slice(0, -1)]).slice(prompt.length - 1);
}

/** Runs a generation and checks every step's logits against the reference with `attend`; returns the reference rows. */
async function check(engine: Engine, dir: string, prompt: readonly number[], steps: number, attentionInputs: Record<string, number>, attend: Attend | undefined): Promise<{ tokens: number[]; want: Float64Array[] }> {
  const result = await engine.generateIds(prompt, steps, { returnLogits: true, stopTokenIds: [], attentionInputs });
  expect(result.tokens).toHaveLength(steps);
  const want = expected(dir, prompt, result.tokens, attend);
  expect(result.logits).toHaveLength(want.length);
  let worst = 0;
  want.forEach((row, i) => (worst = Math.max(worst, maxAbsDiff(result.logits![i]!, row))));
  expect(worst).toBeLessThan(1e-5);
  return { tokens: result.tokens, want };
}

/** The largest difference between two runs of reference rows, first row (prefill, always dense) left out. */
const divergence = (a: Float64Array[], b: Float64Array[]): number => Math.max(...a.slice(1).map((row, i) => maxAbsDiff(row, b[i + 1]!)));

async function load(dir: string, method: string, params?: Record<string, unknown>, chunkSize?: number): Promise<Engine> {
  return Engine.load(dir, {
    device: 'cpu',
    generation: 'one-run',
    stepLogits: true,
    maxLength: MAX_LENGTH,
    cacheDir: join(root, 'cache'),
    ...(chunkSize ? { chunkSize } : {}),
    decodeAttention: { method, ...(params ? { params } : {}) },
  });
}

const questAttend = (promptLength: number, pageBudget: number): Attend => (_layer, position, step) =>
  position >= promptLength ? SPARSE_METHODS.quest.reference({ step }, { pageSize: 16, pageBudget }).output : undefined;

const streamingAttend = (promptLength: number, sinks: number, recent: number): Attend => (_layer, position, step) =>
  position >= promptLength ? SPARSE_METHODS['streaming-llm'].reference({ step }, { sinks, recent }).output : undefined;

it('registers every decode method of the stepwise engine in the one-run graph', () => {
  expect(Object.keys(LOOP_DECODE_METHODS).sort()).toEqual(['ada-snapkv', 'dense', 'quest', 'snapkv', 'streaming-llm']);
});

describe.each(GROUPS.map((g) => g.group))('GQA group %i', (group) => {
  it('quest: page selection across the prompt and the generated tokens equals the reference; every page equals dense', async () => {
    const dir = checkpoint(group);
    const engine = await load(dir, 'quest');
    try {
      // 53 + 30 tokens: the prompt's last page fills from the tail, then tail-only pages become earlier pages.
      const steps = 30;
      const bound = await check(engine, dir, SHORT, steps, { [QUEST_IO.pageBudget]: 2 }, questAttend(SHORT.length, 2));
      expect(divergence(bound.want, expected(dir, SHORT, bound.tokens))).toBeGreaterThan(1e-4);
      const all = SPARSE_METHODS.quest.budgetFor(1, SHORT.length + steps).pageBudget;
      await check(engine, dir, SHORT, steps, { [QUEST_IO.pageBudget]: all }, undefined);
      // 300 tokens in a 512-token padded cache: pages from the prompt only, and k = 0 earlier pages (budget 0).
      const long = await check(engine, dir, LONG, 6, { [QUEST_IO.pageBudget]: 3 }, questAttend(LONG.length, 3));
      expect(divergence(long.want, expected(dir, LONG, long.tokens))).toBeGreaterThan(1e-4);
      if (group === 1) {
        await check(engine, dir, LONG, 4, { [QUEST_IO.pageBudget]: 0 }, questAttend(LONG.length, 0));
        // An 11-token prompt holds no complete page: the first steps have no earlier page to choose.
        await check(engine, dir, PROMPT.slice(0, 11), 12, { [QUEST_IO.pageBudget]: 1 }, questAttend(11, 1));
      }
    } finally {
      await engine.close();
    }
  });

  it('streaming-llm: sinks and a window sliding past the prompt equal the reference; a window covering everything equals dense', async () => {
    const dir = checkpoint(group);
    const engine = await load(dir, 'streaming-llm');
    try {
      const steps = 24;
      const feeds = (sinks: number, recent: number) => ({ [SINK_WINDOW_IO.decode.sink]: sinks, [SINK_WINDOW_IO.decode.window]: recent });
      // recent 10 < 24 steps: the window leaves the prompt and slides over the generated tokens.
      const bound = await check(engine, dir, SHORT, steps, feeds(4, 10), streamingAttend(SHORT.length, 4, 10));
      expect(divergence(bound.want, expected(dir, SHORT, bound.tokens))).toBeGreaterThan(1e-4);
      await check(engine, dir, SHORT, steps, feeds(4, SHORT.length + steps), undefined);
      await check(engine, dir, LONG, 6, feeds(4, 37), streamingAttend(LONG.length, 4, 37));
      // No sinks and the new token alone; more sinks than the prompt has tokens.
      if (group === 1) {
        await check(engine, dir, SHORT, 4, feeds(0, 1), streamingAttend(SHORT.length, 0, 1));
        await check(engine, dir, SHORT, 8, feeds(56, 2), streamingAttend(SHORT.length, 56, 2));
      }
    } finally {
      await engine.close();
    }
  });

  it.each(['snapkv', 'ada-snapkv'] as const)('%s: the compacted prompt equals the reference\'s selection; full capacity equals dense', async (method) => {
    const dir = checkpoint(group);
    const params = { window: 8, kernel: 5, recent: 4, prefix: 2 };
    const engine = await load(dir, method, params);
    try {
      const bound = await check(engine, dir, SHORT, 6, { [SNAPKV_IO.capacity]: 9 }, snapKvAttend(method, 9, SHORT.length, params));
      expect(divergence(bound.want, expected(dir, SHORT, bound.tokens))).toBeGreaterThan(1e-4);
      await check(engine, dir, SHORT, 6, { [SNAPKV_IO.capacity]: SHORT.length }, undefined);
      // 300 tokens in a 512-token padded cache (the padding never kept).
      await check(engine, dir, LONG, 4, { [SNAPKV_IO.capacity]: 40 }, snapKvAttend(method, 40, LONG.length, params));
    } finally {
      await engine.close();
    }
  });
});

describe('one-run sparse decode settings', () => {
  it('takes budgets baked into params, and refuses bad ones naming the parameter', async () => {
    const dir = checkpoint(4);
    const baked = await load(dir, 'quest', { pageBudget: 2 });
    try {
      await check(baked, dir, SHORT, 20, {}, questAttend(SHORT.length, 2));
    } finally {
      await baked.close();
    }
    await expect(load(dir, 'quest', { pageBudget: -1 })).rejects.toThrow('quest needs params.pageBudget as an integer >= 0; got -1.');
    await expect(load(dir, 'quest', { scope: 'query-head' })).rejects.toThrow('quest in the one-run graph selects pages per KV head (params.scope "kv-head"); got "query-head".');
    await expect(load(dir, 'streaming-llm', { recent: 0 })).rejects.toThrow('streaming-llm needs params.recent as an integer >= 1; got 0.');
    await expect(load(dir, 'snapkv', { kernel: 4 })).rejects.toThrow('snapkv needs an odd params.kernel; got 4.');
  });
});
