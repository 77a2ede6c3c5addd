// fp16 graphs with fp32 weight MatMuls (matmulPrecision 'fp32'): every projection is cast to fp32
// around its MatMul, the weights stay fp16 in the graph file, a session with weightCasts 'runtime'
// keeps the casts (fp16 weights in memory) while the default folds them at load (fp32 weights), both
// give the same logits, and those agree with the float64 reference at least as well as the fp16 graph's.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Engine } from '../../runner/engine/engine.js';
import { openCheckpoint } from '../../runner/engine/checkpoint/checkpoint.js';
import { ReferenceModel } from '../../runner/engine/reference/forward.js';
import { decodeModel } from '../../runner/engine/onnx/proto.js';
import { PROMPT, maxAbsDiff, writeFixtureCheckpoint } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'lw-engine-mm-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function run(dir: string, matmulPrecision?: 'fp32' | 'fp16', weightCasts?: 'runtime' | 'decode-folded' | 'folded'): Promise<{ logits: Float32Array[]; engine: Engine }> {
  const engine = await Engine.load(dir, { device: 'cpu', precision: 'fp16', allLogits: true, chunkSize: 9, cacheDir: join(root, 'cache'), maxLength: 64, ...(matmulPrecision ? { matmulPrecision } : {}), ...(weightCasts ? { weightCasts } : {}) });
  try {
    const result = await engine.generateIds(PROMPT, 3, { returnLogits: true, stopTokenIds: [] });
    return { logits: result.logits!, engine };
  } finally {
    await engine.close();
  }
}

describe('matmulPrecision fp32 in fp16 graphs (the default)', () => {
  it('casts around every projection, keeps fp16 weights, and stays within fp16 tolerance of the reference', async () => {
    const dir = writeFixtureCheckpoint('llama', root);
    const ckpt = openCheckpoint(dir);
    const fp32mm = await run(dir); // the default
    const plain = await run(dir, 'fp16');
    const counts = fp32mm.engine.graph.opCounts;
    const layers = ckpt.spec.numLayers;
    // Per layer qkv, o, gate/up and down, plus the vocabulary projection: 3 Casts each.
    expect((counts['Cast'] ?? 0) - (plain.engine.graph.opCounts['Cast'] ?? 0)).toBe(3 * (4 * layers + 1));
    expect(counts['MatMul']).toBe(plain.engine.graph.opCounts['MatMul']);
    // Weights stay fp16 initializers in the graph.
    const model = decodeModel(readFileSync(fp32mm.engine.graph.modelFile)) as { graph: { initializer: { name: string; dataType: number }[] } };
    expect(model.graph.initializer.find((t) => t.name === 'layers.0.qkv_proj')?.dataType).toBe(10);
    // The session keeps the casts (no fp32 copies folded in): optimize with the worker's settings and look.
    const optimized = join(root, 'optimized.onnx');
    const session = await ort.InferenceSession.create(fp32mm.engine.graph.modelFile, { graphOptimizationLevel: 'extended', optimizedModelFilePath: optimized, logSeverityLevel: 3, extra: { optimization: { disable_specified_optimizers: 'ConstantFolding' } } });
    await session.release();
    const after = decodeModel(readFileSync(optimized)) as { graph: { node: { opType: string }[]; initializer: { name: string; dataType: number }[] } };
    expect(after.graph.initializer.find((t) => t.name === 'layers.0.qkv_proj')?.dataType).toBe(10);
    expect(after.graph.node.filter((n) => n.opType === 'Cast').length).toBeGreaterThanOrEqual(3 * (4 * layers + 1));
    const expected = new ReferenceModel(ckpt.spec, ckpt.weights, 64).forward(PROMPT);
    const worst = (rows: Float32Array[]): number => Math.max(...expected.map((row, i) => maxAbsDiff(rows[i]!, row)));
    expect(worst(fp32mm.logits)).toBeLessThan(2e-2);
    expect(worst(fp32mm.logits)).toBeLessThanOrEqual(worst(plain.logits) + 1e-3);
  }, 60_000);

  it('weightCasts: folding the casts at load gives the same logits as casting every run, with fp32 weights in the folded session', async () => {
    const dir = writeFixtureCheckpoint('qwen2', root);
    const runtime = await run(dir, 'fp32', 'runtime');
    const folded = await run(dir, 'fp32', 'folded');
    expect(Math.max(...runtime.logits.map((row, i) => maxAbsDiff(row, folded.logits[i]!)))).toBe(0);
    // What a folding session does with the graph (the worker's options without the exclusion).
    const optimized = join(root, 'folded.onnx');
    const session = await ort.InferenceSession.create(folded.engine.graph.modelFile, { graphOptimizationLevel: 'all', optimizedModelFilePath: optimized, logSeverityLevel: 3 });
    await session.release();
    const after = decodeModel(readFileSync(optimized)) as { graph: { initializer: { name: string; dataType: number }[] } };
    expect(after.graph.initializer.filter((t) => t.dataType === 10).map((t) => t.name).filter((n) => n.endsWith('_proj'))).toEqual([]);
  }, 60_000);
});
