// The Block-Sparse prefill graph (runner/engine/attention/block-sparse.ts) against the float64
// references of runner/engine/sparse/reference/block-sparse.ts, one layer on the CPU provider (fp32,
// identity RoPE): GQA groups 1, 4 and 7, lengths that are no multiple of the block (150, 200, 300),
// blocks of 16 and 64, both selection scopes, with and without a cache (aligned and mid-block),
// query-block groups that overlap, and a budget covering every block (= dense). Then the engine on
// the tiny fixture checkpoints at C = 1 against dense.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { denseCausalAttention } from '../../runner/engine/sparse/reference/dense.js';
import { blockSparseAttention, blockSparseChunkAttention, blockSparseSelect } from '../../runner/engine/sparse/reference/block-sparse.js';
import { SPARSE_METHODS } from '../../runner/engine/sparse/registry.js';
import { headTensor, type HeadTensor, type PrefillInput } from '../../runner/engine/sparse/tensor.js';
import { attentionMethod } from '../../runner/engine/attention/registry.js';
import { BLOCK_SPARSE_IO, blockSparseQueryGroups } from '../../runner/engine/attention/block-sparse.js';
import { blockSparseBudget } from '../../runner/engine/sparse/budget.js';
import { Engine } from '../../runner/engine/engine.js';
import { concatHeads, maxHeadDiff, randomCase, randomHeads, runAttentionLayer, sliceRows, type LayerCase, type LayerShape } from './attention-harness.js';
import { PROMPT, maxAbsDiff, writeFixtureCheckpoint, generateWithLogits } from './helpers.js';

const SHAPES: LayerShape[] = [
  { numHeads: 2, numKvHeads: 2, headDim: 16 },
  { numHeads: 8, numKvHeads: 2, headDim: 16 },
  { numHeads: 7, numKvHeads: 1, headDim: 16 },
];
const SCOPES = ['query-head', 'kv-head'] as const;

/** The whole prompt (cache + chunk) as the references take it; the past queries are random (their rows are not compared). */
function wholePrompt(shape: LayerShape, c: LayerCase, seed: number): PrefillInput {
  const past = c.pastKey?.length ?? 0;
  const pastQuery = past > 0 ? randomHeads(shape.numHeads, past, shape.headDim, seed) : undefined;
  return { query: concatHeads(pastQuery, c.query), key: concatHeads(c.pastKey, c.key), value: concatHeads(c.pastValue, c.value) };
}

const rows = (shape: LayerShape, data: Float64Array, length: number): HeadTensor => headTensor(shape.numHeads, length, shape.headDim, data);

describe.each(SHAPES)('block-sparse, $numHeads query heads over $numKvHeads KV heads', (shape) => {
  it.each(SCOPES)('scope %s, no cache: equals the reference over 150 tokens (blocks of 16) and differs from dense', async (scope) => {
    const c = randomCase(shape, 0, 150, 11);
    const input = wholePrompt(shape, c, 0);
    const budget = { blockSize: 16, topBlocks: 4 };
    const out = await runAttentionLayer('block-sparse', shape, c, { params: { blockSize: 16, scope, formulation: 'matmul' }, inputs: { [BLOCK_SPARSE_IO.topBlocks]: budget.topBlocks } });
    const ref = blockSparseAttention(input, budget, { scope });
    // The selection keeps fewer than all causal blocks somewhere (10 blocks, 4 kept).
    expect(ref.sparsity).toBeGreaterThan(0.3);
    expect(maxHeadDiff(out.output, rows(shape, ref.output, 150))).toBeLessThan(1e-5);
    expect(maxHeadDiff(out.output, rows(shape, denseCausalAttention(input), 150))).toBeGreaterThan(1e-3);
    expect(maxHeadDiff(out.presentKey, input.key)).toBe(0);
    expect(maxHeadDiff(out.presentValue, input.value)).toBe(0);
  });

  it.each(SCOPES)('scope %s, aligned cache (64 + 136 tokens): equals the whole-prompt reference rows 64..199', async (scope) => {
    const c = randomCase(shape, 64, 136, 21);
    const input = wholePrompt(shape, c, 5);
    const budget = { blockSize: 16, topBlocks: 5 };
    // topBlocks baked in as a param here; 3 query-block groups over 9 blocks; the top-k tournament
    // over slices of 4 of the 13 key blocks (K = 5 > 4).
    const out = await runAttentionLayer('block-sparse', shape, c, { params: { blockSize: 16, scope, topBlocks: 5, queryGroups: 3, topkWidth: 4, formulation: 'matmul' } });
    const ref = blockSparseAttention(input, budget, { scope });
    expect(maxHeadDiff(out.output, sliceRows(rows(shape, ref.output, 200), 64, 136))).toBeLessThan(1e-5);
    const chunk = blockSparseChunkAttention(input, budget, { scope }, 64);
    expect(maxHeadDiff(out.output, rows(shape, chunk.output, 136))).toBeLessThan(1e-5);
    expect(maxHeadDiff(out.output, sliceRows(rows(shape, denseCausalAttention(input), 200), 64, 136))).toBeGreaterThan(1e-3);
  });

  it('mid-block cache (37 + 113 tokens): equals the chunk reference, which pools the straddling query block over its chunk rows', async () => {
    const c = randomCase(shape, 37, 113, 31);
    const input = wholePrompt(shape, c, 6);
    const budget = { blockSize: 16, topBlocks: 3 };
    // Top-k tournament over slices of 4 of the 10 key blocks (K = 3), three levels.
    const out = await runAttentionLayer('block-sparse', shape, c, { params: { blockSize: 16, scope: 'kv-head', topkWidth: 4, topkLevels: 3, formulation: 'matmul' }, inputs: { [BLOCK_SPARSE_IO.topBlocks]: 3 } });
    const chunk = blockSparseChunkAttention(input, budget, { scope: 'kv-head' }, 37);
    expect(maxHeadDiff(out.output, rows(shape, chunk.output, 113))).toBeLessThan(1e-5);
  });

  it('blocks of 64 over 300 tokens (with a 128-token cache and without), and a budget covering every block equals dense', async () => {
    const budget = { blockSize: 64, topBlocks: 2 };
    for (const past of [0, 128]) {
      const c = randomCase(shape, past, 300 - past, 41 + past);
      const input = wholePrompt(shape, c, 7);
      const out = await runAttentionLayer('block-sparse', shape, c, { params: { blockSize: 64 }, inputs: { [BLOCK_SPARSE_IO.topBlocks]: budget.topBlocks } });
      const ref = rows(shape, blockSparseAttention(input, budget).output, 300);
      expect(maxHeadDiff(out.output, sliceRows(ref, past, 300 - past))).toBeLessThan(1e-5);
      expect(maxHeadDiff(out.output, sliceRows(rows(shape, denseCausalAttention(input), 300), past, 300 - past))).toBeGreaterThan(1e-3);
    }
    // C = 1: topBlocks = every block; fed once as the budget's value and once larger than the block count.
    const c = randomCase(shape, 96, 104, 51);
    const input = wholePrompt(shape, c, 8);
    const full = SPARSE_METHODS['block-sparse'].budgetFor(1, 200);
    expect(full).toEqual({ blockSize: 16, topBlocks: 13 });
    const dense = sliceRows(rows(shape, denseCausalAttention(input), 200), 96, 104);
    for (const topBlocks of [full.topBlocks, 40]) {
      const out = await runAttentionLayer('block-sparse', shape, c, { params: { blockSize: 16, scope: 'kv-head' }, inputs: attentionMethod('block-sparse').budgetInputs!({ ...full, topBlocks }) });
      expect(maxHeadDiff(out.output, dense)).toBeLessThan(1e-5);
    }
  });
});

// The fused formulation (query blocks x query heads as the heads of one MultiHeadAttention node per
// pass) selects the same blocks and must give the same rows.
describe.each(SHAPES)('block-sparse fused, $numHeads query heads over $numKvHeads KV heads', (shape) => {
  it.each(SCOPES)('scope %s: no cache (150 tokens, one pass padded to 64 blocks), aligned and mid-block caches (passes of 2 blocks) equal the references', async (scope) => {
    const c0 = randomCase(shape, 0, 150, 11);
    const input0 = wholePrompt(shape, c0, 0);
    const out0 = await runAttentionLayer('block-sparse', shape, c0, { params: { blockSize: 16, scope, formulation: 'fused' }, inputs: { [BLOCK_SPARSE_IO.topBlocks]: 4 } });
    const ref0 = blockSparseAttention(input0, { blockSize: 16, topBlocks: 4 }, { scope });
    expect(maxHeadDiff(out0.output, rows(shape, ref0.output, 150))).toBeLessThan(1e-5);
    expect(maxHeadDiff(out0.output, rows(shape, denseCausalAttention(input0), 150))).toBeGreaterThan(1e-3);
    expect(maxHeadDiff(out0.presentKey, input0.key)).toBe(0);

    const c1 = randomCase(shape, 64, 136, 21);
    const input1 = wholePrompt(shape, c1, 5);
    // 9 query blocks in 5 passes of 2 (the last pass shifted back by one block).
    const out1 = await runAttentionLayer('block-sparse', shape, c1, { params: { blockSize: 16, scope, topBlocks: 5, formulation: 'fused', rowsPerPass: 32, passes: 5, topkWidth: 4 } });
    expect(maxHeadDiff(out1.output, rows(shape, blockSparseChunkAttention(input1, { blockSize: 16, topBlocks: 5 }, { scope }, 64).output, 136))).toBeLessThan(1e-5);

    const c2 = randomCase(shape, 37, 113, 31);
    const input2 = wholePrompt(shape, c2, 6);
    const out2 = await runAttentionLayer('block-sparse', shape, c2, { params: { blockSize: 16, scope, formulation: 'fused', rowsPerPass: 48, passes: 3 }, inputs: { [BLOCK_SPARSE_IO.topBlocks]: 3 } });
    expect(maxHeadDiff(out2.output, rows(shape, blockSparseChunkAttention(input2, { blockSize: 16, topBlocks: 3 }, { scope }, 37).output, 113))).toBeLessThan(1e-5);
  });

  it('blocks of 64 over 300 tokens with a 128-token cache, and a full budget equals dense', async () => {
    const c = randomCase(shape, 128, 172, 169);
    const input = wholePrompt(shape, c, 7);
    const out = await runAttentionLayer('block-sparse', shape, c, { params: { blockSize: 64, formulation: 'fused' }, inputs: { [BLOCK_SPARSE_IO.topBlocks]: 2 } });
    expect(maxHeadDiff(out.output, sliceRows(rows(shape, blockSparseAttention(input, { blockSize: 64, topBlocks: 2 }).output, 300), 128, 172))).toBeLessThan(1e-5);
    const full = await runAttentionLayer('block-sparse', shape, c, { params: { blockSize: 64, formulation: 'fused' }, inputs: { [BLOCK_SPARSE_IO.topBlocks]: 5 } });
    expect(maxHeadDiff(full.output, sliceRows(rows(shape, denseCausalAttention(input), 300), 128, 172))).toBeLessThan(1e-5);
  });

  it('rejects an unknown formulation', async () => {
    await expect(runAttentionLayer('block-sparse', shape, randomCase(shape, 0, 20, 1), { params: { formulation: 'dense' }, inputs: { [BLOCK_SPARSE_IO.topBlocks]: 2 } })).rejects.toThrow("block-sparse needs params.formulation 'matmul' or 'fused'; got \"dense\".");
  });
});

describe('block-sparse details', () => {
  const shape = { numHeads: 4, numKvHeads: 2, headDim: 16 };

  it('topBlocks below the three forced blocks keeps them in the reference order (block 0, then the one below the diagonal)', async () => {
    const c = randomCase(shape, 0, 100, 61);
    const input = wholePrompt(shape, c, 0);
    for (const topBlocks of [1, 2]) {
      const budget = { blockSize: 16, topBlocks };
      expect(blockSparseSelect(input, budget).heads[0]![5]).toEqual(topBlocks === 1 ? Int32Array.of(0) : Int32Array.of(0, 4));
      const out = await runAttentionLayer('block-sparse', shape, c, { params: { blockSize: 16, topBlocks } });
      expect(maxHeadDiff(out.output, rows(shape, blockSparseAttention(input, budget).output, 100))).toBeLessThan(1e-5);
    }
  });

  it('query-block groups give the same output whatever their number (1 to more than the blocks)', async () => {
    const c = randomCase(shape, 32, 90, 71);
    const input = wholePrompt(shape, c, 9);
    const expected = rows(shape, blockSparseChunkAttention(input, { blockSize: 16, topBlocks: 3 }, {}, 32).output, 90);
    for (const queryGroups of [1, 2, 4, 9]) {
      const out = await runAttentionLayer('block-sparse', shape, c, { params: { blockSize: 16, queryGroups }, inputs: { [BLOCK_SPARSE_IO.topBlocks]: 3 } });
      expect(maxHeadDiff(out.output, expected)).toBeLessThan(1e-5);
    }
  });

  it('the top-k tournament selects as one TopK (widths 2 to 8, 0 to 3 levels, K below and above the width)', async () => {
    const c = randomCase(shape, 0, 130, 75);
    const input = wholePrompt(shape, c, 0);
    for (const [topkWidth, topkLevels, topBlocks] of [[2, 3, 3], [3, 1, 4], [8, 2, 3], [2, 0, 5], [4, 2, 6]] as const) {
      const out = await runAttentionLayer('block-sparse', shape, c, { params: { blockSize: 8, topkWidth, topkLevels, topBlocks, scope: 'kv-head' } });
      const ref = blockSparseAttention(input, { blockSize: 8, topBlocks }, { scope: 'kv-head' });
      expect(maxHeadDiff(out.output, rows(shape, ref.output, 130))).toBeLessThan(1e-5);
    }
  });

  it('short chunks: one token after a cache (aligned or mid-block), a prompt shorter than a block', async () => {
    for (const [past, length] of [[32, 1], [37, 1], [0, 5], [45, 3]] as const) {
      const c = randomCase(shape, past, length, 85 + past);
      const input = wholePrompt(shape, c, 3);
      const expected = rows(shape, blockSparseChunkAttention(input, { blockSize: 16, topBlocks: 2 }, {}, past).output, length);
      const out = await runAttentionLayer('block-sparse', shape, c, { params: { blockSize: 16, topBlocks: 2 } });
      expect(maxHeadDiff(out.output, expected)).toBeLessThan(1e-5);
    }
  });

  it('the chunk reference at past = 0 is the whole-prompt reference', () => {
    const c = randomCase(shape, 0, 70, 81);
    const input = wholePrompt(shape, c, 0);
    for (const scope of SCOPES) {
      const budget = { blockSize: 16, topBlocks: 3 };
      const chunk = blockSparseChunkAttention(input, budget, { scope }, 0);
      const whole = blockSparseAttention(input, budget, { scope });
      expect(chunk.selection.heads).toEqual(whole.selection.heads);
      expect(Array.from(chunk.output)).toEqual(Array.from(whole.output));
    }
    expect(() => blockSparseChunkAttention(input, { blockSize: 16, topBlocks: 3 }, {}, 70)).toThrow('past is 70; an integer in [0, 70) is required.');
  });

  it('blockSparseQueryGroups is the smallest group count whose gathered keys and scores stay under 2^31 elements', () => {
    const qwen7b = { numHeads: 28, numKvHeads: 4, headDim: 128 };
    for (const scope of SCOPES) {
      for (const blockSize of [16, 64]) {
        for (const compression of [1, 2, 5, 20]) {
          const budget = blockSparseBudget(compression, 131072, blockSize);
          const groups = blockSparseQueryGroups(qwen7b, 4096, budget, scope);
          const heads = scope === 'kv-head' ? 4 : 28;
          const rows = scope === 'kv-head' ? 7 * blockSize : blockSize;
          const largest = (g: number): number => {
            const per = Math.ceil((4096 / blockSize + 1) / g);
            return Math.max(heads * per * budget.topBlocks * blockSize * 128, heads * per * rows * budget.topBlocks * blockSize);
          };
          expect(largest(groups)).toBeLessThan(2 ** 31);
          if (groups > 1) expect(largest(groups - 1)).toBeGreaterThanOrEqual(2 ** 31);
        }
      }
    }
    // Dense at 128k in query-head scope needs many groups; C = 20 with 64-token blocks needs one.
    expect(blockSparseQueryGroups(qwen7b, 4096, blockSparseBudget(1, 131072), 'query-head')).toBeGreaterThan(8);
    expect(blockSparseQueryGroups(qwen7b, 4096, blockSparseBudget(20, 131072, 64), 'kv-head')).toBe(1);
    expect(() => blockSparseQueryGroups(qwen7b, 4096, { blockSize: 16, topBlocks: 8192 }, 'query-head', 2 ** 20)).toThrow('One query block of block-sparse needs');
  });

  it('refuses bad params and budgets', async () => {
    const c = randomCase(shape, 0, 20, 91);
    await expect(runAttentionLayer('block-sparse', shape, c, { params: { blockSize: 0, topBlocks: 3 } })).rejects.toThrow('block-sparse needs params.blockSize as an integer >= 1; got 0.');
    await expect(runAttentionLayer('block-sparse', shape, c, { params: { scope: 'page', topBlocks: 3 } })).rejects.toThrow("block-sparse needs params.scope 'query-head' or 'kv-head'");
    await expect(runAttentionLayer('block-sparse', shape, c, { params: { topkLevels: -1, topBlocks: 3 } })).rejects.toThrow('block-sparse needs params.topkLevels as an integer >= 0; got -1.');
    expect(() => attentionMethod('block-sparse').budgetInputs!({ blockSize: 16 })).toThrow('block-sparse needs a budget with topBlocks >= 1');
    expect(attentionMethod('block-sparse').budgetInputs!({ blockSize: 16, topBlocks: 26 })).toEqual({ 'attention.prefill.top_blocks': 26 });
  });
});

describe('block-sparse in the engine (tiny fixture checkpoints)', () => {
  const root = mkdtempSync(join(tmpdir(), 'lw-engine-bs-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const run = (dir: string, options: Parameters<typeof Engine.load>[1], attentionInputs?: Record<string, number>): ReturnType<typeof generateWithLogits> => generateWithLogits(dir, root, 4, options ?? {}, attentionInputs);

  // One family (qwen3: q/k norms, GQA group 2) keeps the file fast; the graph is family-independent.
  it('qwen3: C = 1 fed as a graph input equals dense; a small budget with 4-token blocks does not', async () => {
    const dir = writeFixtureCheckpoint('qwen3', root);
    const method = attentionMethod('block-sparse');
    const full = SPARSE_METHODS['block-sparse'].budgetFor(1, PROMPT.length);
    const dense = await run(dir, {});
    const sparse = await run(dir, { attention: { method: 'block-sparse' } }, method.budgetInputs!({ ...full }));
    expect(sparse.tokens).toEqual(dense.tokens);
    sparse.logits.forEach((row, i) => expect(maxAbsDiff(row, dense.logits[i]!)).toBeLessThan(1e-5));
    // Blocks of 4 over 24 prompt tokens, 3 kept: rows past the third block see fewer keys.
    const small = await run(dir, { attention: { method: 'block-sparse', params: { blockSize: 4, scope: 'kv-head' } } }, method.budgetInputs!({ blockSize: 4, topBlocks: 3 }));
    expect(maxAbsDiff(small.logits[PROMPT.length - 1]!, dense.logits[PROMPT.length - 1]!)).toBeGreaterThan(1e-4);
  });
});
