// Which prefill methods the one-run generation graph puts on the fused SparseAttention kernel when
// the runtime profile has it (generation.kernels.sparseAttention): Block-Sparse with blocks of 64
// and A-shape's block form, one SparseAttention node per layer; A-shape's exact token form keeps
// its own graph. (The kernel forms themselves are checked against float64 references at the layer
// level, sparse-attention-kernel.test.ts and a-shape-kernel.test.ts: the CPU provider does not run
// the one-run graph's in-graph cache buffer in place.)
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCheckpoint } from '../../runner/engine/checkpoint/checkpoint.js';
import { buildGenerationGraph } from '../../runner/engine/graph/generation-graph.js';
import { Engine } from '../../runner/engine/engine.js';
import { writeFixtureCheckpoint } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'lw-kernel-choice-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('one-run graph: the SparseAttention kernel where the profile has it', () => {
  const ckpt = openCheckpoint(writeFixtureCheckpoint('qwen2', root));
  const kernelNodes = (method: string, params: Record<string, unknown>, kernel: boolean): number => {
    const dir = mkdtempSync(join(root, 'graph-'));
    const built = buildGenerationGraph(ckpt.spec, ckpt.weights, { precision: 'fp32', logits: 'last', attention: { method, params }, maxPositions: 512, generation: { kernels: { sparseAttention: kernel } } }, dir);
    return built.opCounts['SparseAttention'] ?? 0;
  };

  it.each([
    ['a-shape', { granularity: 'block' }, true, true],
    ['a-shape', {}, true, false],
    ['a-shape', { granularity: 'block' }, false, false],
    ['block-sparse', { blockSize: 64 }, true, true],
    ['block-sparse', { blockSize: 16 }, true, false],
    ['vertical-slash', {}, true, false],
  ] as const)('%s %j, kernel in the profile %s: on the kernel %s', (method, params, kernel, expected) => {
    expect(ckpt.spec.headDim % 16).toBe(0); // the kernel's rule, so the fixture can be served
    expect(kernelNodes(method, params, kernel)).toBe(expected ? ckpt.spec.numLayers : 0);
  });
});

describe('the engine asks for the kernel for every method it serves', () => {
  const dir = writeFixtureCheckpoint('qwen2', root);
  it.each([
    ['a-shape', { granularity: 'block' }, true],
    ['a-shape', {}, false],
    ['block-sparse', { blockSize: 64 }, true],
  ] as const)('%s %j: on the kernel %s', async (method, params, expected) => {
    const engine = await Engine.load(dir, { device: 'cpu', generation: 'one-run', sparseAttentionKernel: true, attention: { method, params }, maxLength: 512, cacheDir: join(root, 'cache') });
    try {
      expect(engine.graph.opCounts['SparseAttention'] ?? 0).toBe(expected ? engine.spec.numLayers : 0);
    } finally {
      await engine.close();
    }
  });
});
