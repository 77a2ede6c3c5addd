// `longweave engine bench MODEL`: times dense and sparse attention on a model's head shape (one
// attention layer as its own graph, random or RoPE-shaped inputs), next to the cost model's bounds
// and the compression data-dependent patterns executed; with
// --whole-model also the whole prefill and decode step, composed from parts measured on the model.
import { GpuMemory } from '../runner/engine/gpu-memory.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { openCheckpoint } from '../runner/engine/checkpoint/checkpoint.js';
import { parseConfig, type ModelSpec } from '../runner/engine/checkpoint/config.js';
import { MODEL_SHAPES, shapeConfig } from '../runner/engine/checkpoint/shapes.js';
import { benchAttention, measureModelParts, webgpuUnavailable, wholeTimes, type AttentionBenchRow } from '../bench/attention.js';
import { ENGINE_SPARSE_METHODS } from '../runner/engine/backend.js';
import { formatLength, parseLengths } from '../generators/core/length.js';
import { CliError } from './errors.js';

interface BenchArgs {
  model: string;
  lengths: string;
  attention?: string;
  'decode-attention'?: string;
  compression: string;
  'decode-compression': string;
  device: 'cpu' | 'webgpu' | 'cuda';
  chunk: number;
  chain: number;
  'decode-chain': number;
  repeat: number;
  'block-size'?: number;
  params?: string;
  'whole-model': boolean;
  'gpu-time': boolean;
  inputs: 'random' | 'rope';
  'cache-dir'?: string;
  json: boolean;
}

/** A checkpoint folder's spec, or a named real shape (random weights). */
function specOf(model: string): ModelSpec {
  if (model in MODEL_SHAPES) return parseConfig(shapeConfig(model));
  try {
    return openCheckpoint(model).spec;
  } catch (error) {
    throw new CliError(`${(error as Error).message} (MODEL is a checkpoint folder or one of the shapes ${Object.keys(MODEL_SHAPES).join(', ')})`);
  }
}

function list(value: string | undefined, all: readonly string[], flag: string): string[] {
  if (value === undefined) return [...all];
  if (value === '' || value === 'none') return [];
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) if (!all.includes(item.split('@')[0]!)) throw new CliError(`${flag}: "${item}" has no engine graph; allowed: ${all.join(', ')} (a variant is METHOD@NAME with --params).`);
  return items;
}

function parseParams(value: string | undefined, blockSize: number | undefined): Record<string, Record<string, unknown>> | undefined {
  let params: Record<string, Record<string, unknown>> = {};
  if (value !== undefined) {
    try {
      params = JSON.parse(value) as Record<string, Record<string, unknown>>;
    } catch (error) {
      throw new CliError(`--params: not JSON (${(error as Error).message}).`);
    }
    if (typeof params !== 'object' || params === null || Array.isArray(params) || Object.values(params).some((p) => typeof p !== 'object' || p === null || Array.isArray(p))) {
      throw new CliError('--params: an object of parameter objects by method name is required, e.g. {"block-sparse":{"blockSize":64}}.');
    }
  }
  if (blockSize !== undefined) params['block-sparse'] = { ...params['block-sparse'], blockSize };
  return Object.keys(params).length ? params : undefined;
}

function ratios(value: string, flag: string): number[] {
  const out = value.split(',').map((s) => Number(s.trim()));
  for (const c of out) if (!(Number.isFinite(c) && c > 1)) throw new CliError(`${flag}: compression ratios must be numbers greater than 1, got "${value}".`);
  return out;
}

const fixed = (x: number, digits: number): string => (Number.isFinite(x) ? x.toFixed(digits) : '-');

export const benchCommand: CommandModule<object, BenchArgs> = {
  command: 'bench <model>',
  describe: 'Time dense and sparse attention per layer (and, with --whole-model, whole prefill and decode steps) against the cost model',
  builder: (y) =>
    y
      .positional('model', { type: 'string', demandOption: true, describe: `Checkpoint folder (only config.json is read) or a shape: ${Object.keys(MODEL_SHAPES).join(', ')}` })
      .option('lengths', { type: 'string', default: '16k,64k,128k', describe: 'Prompt lengths (tokens; 4k = 4096)' })
      .option('attention', { type: 'string', describe: `Prefill methods, comma-separated, or none (default: all with a graph: ${ENGINE_SPARSE_METHODS.prefill.join(', ')})` })
      .option('decode-attention', { type: 'string', describe: `Decode methods, comma-separated, or none (default: all with a graph: ${ENGINE_SPARSE_METHODS.decode.join(', ')})` })
      .option('compression', { type: 'string', default: '2,5,10,20', describe: 'Compression ratios of the prefill methods' })
      .option('decode-compression', { type: 'string', default: '5,20', describe: 'Compression ratios of the decode methods' })
      .option('device', { choices: ['cpu', 'webgpu', 'cuda'] as const, default: 'webgpu' as const })
      .option('chunk', { type: 'number', default: 4096, describe: 'Prefill chunk length (the engine default)' })
      .option('chain', { type: 'number', default: 3, describe: 'Layers chained per timed prefill graph (host copies cancel out; the model\'s layer count times layers as the whole model runs them, which is slower for sparse methods)' })
      .option('decode-chain', { type: 'number', default: 28, describe: 'Layers chained per timed decode graph (a decode layer takes well under a millisecond)' })
      .option('repeat', { type: 'number', default: 3, describe: 'Timed runs per figure (median)' })
      .option('block-size', { type: 'number', describe: 'Block-Sparse block size (16 or 64; default 16)' })
      .option('params', { type: 'string', describe: 'JSON of method parameters by method or variant name, e.g. \'{"a-shape@fused":{"formulation":"fused"}}\' with --attention a-shape,a-shape@fused' })
      .option('inputs', { choices: ['random', 'rope'] as const, default: 'random' as const, describe: 'Prefill queries and keys: random (uniform, nearly flat attention: the worst case for vertical-slash and flexprefill, whose kept keys depend on the data) or rope (a shared direction per KV head plus noise, rotated by RoPE, with 4 sink keys: attention that decays with distance, as a trained model\'s does)' })
      .option('gpu-time', { type: 'boolean', default: false, describe: 'Also record each figure\'s GPU time (WebGPU: onnxruntime\'s profiler with timestamp queries, the dispatches\' GPU durations). The profiler waits on the GPU, so this run\'s wall times are not comparable with a run without it' })
      .option('whole-model', { type: 'boolean', default: false, describe: 'Also measure the model\'s non-attention time (builds the full model with random fp16 weights) and print whole-prefill / decode-step times' })
      .option('cache-dir', { type: 'string', describe: 'Graph cache for --whole-model (default: a temp folder)' })
      .option('json', { type: 'boolean', default: false }) as Argv<BenchArgs>,
  handler: async (args) => {
    const spec = specOf(args.model);
    let lengths: number[];
    try {
      lengths = parseLengths(args.lengths);
    } catch (error) {
      throw new CliError(`--lengths: ${(error as Error).message}`);
    }
    if (!(Number.isInteger(args.chain) && args.chain >= 2)) throw new CliError(`--chain must be an integer of at least 2, got ${args.chain}.`);
    if (args['gpu-time'] && args.device !== 'webgpu') throw new CliError('--gpu-time needs --device webgpu (it reads the WebGPU provider\'s GPU timestamps).');
    if (!(Number.isInteger(args['decode-chain']) && args['decode-chain'] >= 2)) throw new CliError(`--decode-chain must be an integer of at least 2, got ${args['decode-chain']}.`);
    const options = {
      spec,
      device: args.device,
      lengths,
      prefill: list(args.attention, ENGINE_SPARSE_METHODS.prefill, '--attention'),
      decode: list(args['decode-attention'], ENGINE_SPARSE_METHODS.decode, '--decode-attention'),
      prefillCompressions: ratios(args.compression, '--compression'),
      decodeCompressions: ratios(args['decode-compression'], '--decode-compression'),
      chunk: args.chunk,
      chain: args.chain,
      decodeChain: args['decode-chain'],
      repeat: args.repeat,
      inputs: args.inputs,
      ...(args['gpu-time'] ? { gpuTime: true } : {}),
      ...(parseParams(args.params, args['block-size']) ? { params: parseParams(args.params, args['block-size'])! } : {}),
      log: (line: string) => void process.stderr.write(`${line}\n`),
    };
    // One clear refusal where WebGPU can't start, instead of the same error on every row.
    if (args.device === 'webgpu') {
      const why = await webgpuUnavailable();
      if (why) throw new CliError(`No WebGPU device here (${why}). Run with --device cpu, or on a GPU host (scripts/bundle.sh packs one; docs/engine.md).`);
    }
    // GPU memory per row, where nvidia-smi is present (WebGPU on NVIDIA).
    const memory = args.device === 'webgpu' ? new GpuMemory() : undefined;
    memory?.start();
    let rows: (AttentionBenchRow & { wholeMs?: number; wholeSpeedup?: number })[];
    try {
      rows = await benchAttention({ ...options, ...(memory ? { memory } : {}) });
    } finally {
      memory?.stop();
    }
    const parts = args['whole-model'] ? await measureModelParts(options, args['cache-dir'] ?? join(tmpdir(), 'longweave-bench-graphs')) : null;
    const out = parts ? wholeTimes(rows, parts, spec, args.chunk) : rows;
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ model: args.model, device: args.device, layers: spec.numLayers, heads: spec.numHeads, kvHeads: spec.numKvHeads, headDim: spec.headDim, chunk: args.chunk, chain: args.chain, decodeChain: args['decode-chain'], repeat: args.repeat, inputs: args.inputs, modelParts: parts, rows: out }, null, 2)}\n`);
      return;
    }
    const gpu = out.some((r) => r.gpuMsPerLayer !== undefined);
    const header = ['phase', 'method', 'length', 'C', 'ms/layer', 'speedup', ...(gpu ? ['GPU ms/layer', 'GPU speedup'] : []), 'bound', ...(parts ? ['whole ms', 'whole speedup'] : []), 'sparsity', 'measured C', 'peak MiB', 'budget'];
    const lines = [header.join('\t')];
    for (const r of out) {
      lines.push([
        r.phase, r.method, formatLength(r.length), String(r.compression), r.error ? `error: ${r.error}` : fixed(r.msPerLayer, 2), fixed(r.speedup, 2), ...(gpu ? [fixed(r.gpuMsPerLayer ?? NaN, 3), fixed(r.gpuSpeedup ?? NaN, 2)] : []), fixed(r.bound, 2),
        ...(parts ? [fixed(r.wholeMs ?? NaN, 0), fixed(r.wholeSpeedup ?? NaN, 2)] : []), fixed(r.sparsity, 3), fixed(r.measuredCompression ?? NaN, 2), r.peakGpuMemMiB !== undefined ? String(r.peakGpuMemMiB) : '-', r.budget ? JSON.stringify(r.budget) : '',
      ].join('\t'));
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    process.stderr.write('ms/layer: prefill = attention of the whole prompt per layer (chunks x the middle chunk); decode = one step per layer over the blocked cache (dense-decode-blocked the baseline). bound: the cost model\'s dense / method ratio. measured C: the compression the timed chunk executed (vertical-slash, flexprefill: their kept keys depend on the data; see --inputs).\n');
  },
};
