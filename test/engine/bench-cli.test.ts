// `longweave engine bench` on the CPU provider: one row per method, length and ratio, the cost
// model's bounds next to the times, and clear refusals. (The figures themselves come from the H100
// runs in docs; here only their presence and the exact bounds are checked.)
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCheckpoint } from '../../runner/engine/checkpoint/checkpoint.js';
import { SPARSE_METHODS } from '../../runner/engine/sparse/registry.js';
import { decodeTraffic, prefillCost } from '../../runner/engine/sparse/cost.js';
import { gpuBusyMs, randomTensor, uploadOnce, webgpuUnavailable } from '../../bench/attention.js';
import * as ort from 'onnxruntime-node';
import { writeFixtureCheckpoint } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'lw-engine-bench-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { encoding: 'utf8' });

interface Row { phase: string; method: string; length: number; compression: number; msPerLayer: number; speedup: number; bound: number; sparsity: number; budget: Record<string, number> | null; error?: string }

describe('gpuBusyMs', () => {
  it('sums the WebGPU dispatches\' GPU durations (Api events) of every profile in the folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-gpu-busy-'));
    try {
      writeFileSync(join(dir, 'p_1.json'), JSON.stringify([
        { cat: 'Session', name: 'model_run', dur: 90000 },
        { cat: 'Node', name: 'n_MatMul_kernel_time', dur: 5000 },
        { cat: 'Api', name: 'n_MatMul&MatMul&MatMul', dur: 1250 },
        { cat: 'Api', name: 'n_Softmax&Softmax&Softmax', dur: 250 },
      ]));
      writeFileSync(join(dir, 'p_2.json'), JSON.stringify([{ cat: 'Api', name: 'x', dur: 500 }]));
      writeFileSync(join(dir, 'notes.txt'), '[{"cat":"Api","dur":99999}]');
      expect(gpuBusyMs(dir)).toBe(2);
      rmSync(join(dir, 'p_1.json'));
      rmSync(join(dir, 'p_2.json'));
      expect(gpuBusyMs(dir)).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('longweave engine bench', () => {
  it('times dense, a-shape and the decode methods (over the blocked cache) per layer with the cost model\'s bounds', () => {
    const dir = writeFixtureCheckpoint('llama', root);
    const spec = openCheckpoint(dir).spec;
    const result = cli(['engine', 'bench', dir, '--device', 'cpu', '--lengths', '640', '--attention', 'a-shape', '--decode-attention', 'streaming-llm,quest,snapkv,ada-snapkv', '--compression', '2,4', '--decode-compression', '4', '--chunk', '128', '--repeat', '1', '--decode-chain', '4', '--json']);
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { rows: Row[]; layers: number; decodeChain: number };
    expect(report.layers).toBe(spec.numLayers);
    expect(report.decodeChain).toBe(4);
    expect(report.rows.map((r) => `${r.phase} ${r.method} ${r.compression}`)).toEqual([
      'prefill dense 1', 'prefill a-shape 2', 'prefill a-shape 4',
      'decode dense-decode-blocked 1', 'decode streaming-llm 4', 'decode quest 4', 'decode snapkv 4', 'decode ada-snapkv 4',
    ]);
    for (const row of report.rows) {
      expect(row.error).toBeUndefined();
      expect(Number.isFinite(row.msPerLayer)).toBe(true);
    }
    const aShape = report.rows[2]!;
    const budget = SPARSE_METHODS['a-shape'].budgetFor(4, 640);
    expect(aShape.budget).toEqual(budget);
    const cost = SPARSE_METHODS['a-shape'].cost(spec, 640, budget, 4);
    expect(aShape.bound).toBeCloseTo(prefillCost(spec, 640, 1).attention / (cost.attention + cost.selection), 2);
    const stream = report.rows[4]!;
    const sb = SPARSE_METHODS['streaming-llm'].budgetFor(4, 640);
    expect(stream.budget).toEqual(sb);
    const traffic = SPARSE_METHODS['streaming-llm'].cost(spec, 640, sb, 4);
    expect(stream.bound).toBeCloseTo(decodeTraffic(spec, 640, 1).kvCache / (traffic.kvCache + traffic.selection), 2);
    expect(stream.sparsity).toBeCloseTo(1 - (sb.sinks + sb.recent) / 640, 4);
    expect(report.rows[6]!.budget).toEqual({ capacity: 160 });
  }, 60_000);

  it('prints the compression a data-dependent pattern executed, on random and on RoPE-shaped inputs', () => {
    const dir = writeFixtureCheckpoint('llama', root);
    const run = (inputs: string): Row & { measuredCompression?: number; measuredSparsity?: number } => {
      const result = cli(['engine', 'bench', dir, '--device', 'cpu', '--lengths', '1024', '--attention', 'vertical-slash,a-shape', '--decode-attention', 'none', '--compression', '4', '--chunk', '256', '--repeat', '1', '--inputs', inputs, '--params', '{"vertical-slash":{"tileSize":16,"forcedSlash":4}}', '--json']);
      expect(result.status, result.stderr).toBe(0);
      const report = JSON.parse(result.stdout) as { rows: (Row & { measuredCompression?: number })[]; inputs: string };
      expect(report.inputs).toBe(inputs);
      // A-shape's kept pairs follow from its budget: no measurement.
      expect(report.rows.find((r) => r.method === 'a-shape')!.measuredCompression).toBeUndefined();
      return report.rows.find((r) => r.method === 'vertical-slash')!;
    };
    const flat = run('random');
    const shaped = run('rope');
    for (const row of [flat, shaped]) {
      expect(row.measuredCompression).toBeCloseTo(1 / (1 - row.measuredSparsity!), 1);
      expect(row.measuredCompression).toBeGreaterThan(1);
    }
    // Attention that decays with distance lets the same budget keep fewer pairs than flat attention.
    expect(shaped.measuredCompression!).toBeGreaterThan(flat.measuredCompression!);
  }, 60_000);

  it('refuses an unknown method, a ratio of 1 and a bad length', () => {
    const dir = writeFixtureCheckpoint('llama', root);
    const unknown = cli(['engine', 'bench', dir, '--device', 'cpu', '--attention', 'magic']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/--attention: "magic" has no engine graph; allowed: a-shape/);
    const ratio = cli(['engine', 'bench', dir, '--device', 'cpu', '--compression', '1']);
    expect(ratio.status).toBe(1);
    expect(ratio.stderr).toContain('--compression: compression ratios must be numbers greater than 1');
    const chain = cli(['engine', 'bench', dir, '--device', 'cpu', '--decode-chain', '1']);
    expect(chain.status).toBe(1);
    expect(chain.stderr).toContain('--decode-chain must be an integer of at least 2, got 1.');
    const gpuTime = cli(['engine', 'bench', dir, '--device', 'cpu', '--gpu-time']);
    expect(gpuTime.status).toBe(1);
    expect(gpuTime.stderr).toContain('--gpu-time needs --device webgpu');
    const length = cli(['engine', 'bench', dir, '--device', 'cpu', '--lengths', 'ten']);
    expect(length.status).toBe(1);
    expect(length.stderr).toContain('--lengths');
  }, 60_000);
});

describe('uploadOnce', () => {
  it('copies only the named float tensors (through an Identity session) and leaves the feeds as given', async () => {
    const half = randomTensor(true, [1, 2, 3, 4], 7);
    const single = randomTensor(false, [2, 5], 8);
    const ints = new ort.Tensor('int64', BigInt64Array.of(5n), [1]);
    const other = randomTensor(false, [3], 9);
    const feeds = { half, single, ints, other };
    const up = await uploadOnce(feeds, ['half', 'single', 'ints', 'missing'], 'cpu');
    try {
      expect(Object.keys(up.copies).sort()).toEqual(['half', 'single']);
      expect(up.copies['half']).not.toBe(half);
      expect(up.copies['single']).not.toBe(single);
      expect(up.copies['half']!.type).toBe('float16');
      expect(up.copies['half']!.dims).toEqual([1, 2, 3, 4]);
      expect(Array.from(up.copies['half']!.data as Uint16Array)).toEqual(Array.from(half.data as Uint16Array));
      expect(Array.from(up.copies['single']!.data as Float32Array)).toEqual(Array.from(single.data as Float32Array));
      // The feeds themselves are left as given.
      expect(Object.keys(feeds)).toEqual(['half', 'single', 'ints', 'other']);
      for (const [name, t] of Object.entries({ half, single, ints, other })) expect(feeds[name as keyof typeof feeds]).toBe(t);
    } finally {
      await up.release();
    }
    const none = await uploadOnce(feeds, ['ints']);
    expect(none.copies).toEqual({});
    await none.release();
  });
});

describe('webgpuUnavailable', () => {
  it('gives onnxruntime\'s reason without its source location, or null once a session was made and released', async () => {
    const failing = async (): Promise<never> => {
      throw new Error('/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 lambda adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters\nmore');
    };
    expect(await webgpuUnavailable(failing)).toBe('Failed to get a WebGPU adapter: No supported adapters');
    expect(await webgpuUnavailable(async () => { throw new Error('plain failure'); })).toBe('plain failure');
    let released = 0;
    const providers: unknown[] = [];
    const working = async (_model: Uint8Array, options: { executionProviders?: unknown }): Promise<{ release(): Promise<void> }> => {
      providers.push(options.executionProviders);
      return { release: async () => void released++ };
    };
    expect(await webgpuUnavailable(working)).toBeNull();
    expect(released).toBe(1);
    expect(providers).toEqual([['webgpu']]);
  });

  // Where this machine has no WebGPU adapter (CI has none): one refusal naming --device cpu, no rows.
  it('makes engine bench refuse once, before any row, where WebGPU can\'t start', async () => {
    const why = await webgpuUnavailable();
    if (why === null) return; // a machine with WebGPU: the rows would run
    const dir = writeFixtureCheckpoint('llama', root);
    const run = cli(['engine', 'bench', dir, '--lengths', '64', '--attention', 'a-shape', '--compression', '2']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`No WebGPU device here (${why}). Run with --device cpu`);
    expect(run.stdout).toBe('');
    expect(run.stderr).not.toMatch(/prefill dense L=/);
  }, 60_000);
});
