// Timing of attention methods on a model's head shape: one attention layer as its own graph
// (attention/layer-graph.ts), chained `chain` times in one graph so that host copies cancel out
// ((t_chain - t_1) / (chain - 1) per layer), on random fp16 inputs (prefill queries and keys
// optionally RoPE-shaped: ropeInputs). Vertical-Slash's and FlexPrefill's rows also carry the
// compression the timed chunk executed, from the graph's kept-pairs count. Prefill is timed on the chunk in
// the middle of a prompt of length L (positions (L - c) / 2 ...): every method's chunk cost is affine
// in its position, so L / c times that chunk is the whole prompt's attention time per layer. Decode
// is one step over an (L - 1)-token cache held as the engine's WebGPU decode holds it: a frozen
// part and a tail (blockedCache), dense-decode-blocked the baseline, each sparse decode method in
// its blocked form over what it keeps (SnapKV's compacted cache, StreamingLLM's sinks and window). Each figure sits next to the cost model's bound (dense
// attention FLOPs or KV values over the method's, selection included). With `wholeModel`, the
// model's other work is measured once on the real model (synthetic weights: one prefill chunk at
// position 0 and decode steps, minus their dense attention) and whole-prefill / whole-step times
// are composed from the measured parts.
import type { GpuMemory } from '../runner/engine/gpu-memory.js';
import * as ort from 'onnxruntime-node';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelSpec } from '../runner/engine/checkpoint/config.js';
import { buildLayerGraph, emptyState, LAYER_IO } from '../runner/engine/attention/layer-graph.js';
import type { AttentionStateSpec } from '../runner/engine/attention/quest-state.js';
import { attentionMethod, DEFAULT_PREFILL_CHUNK, prefillChunkSetting } from '../runner/engine/attention/registry.js';
import { DEFAULT_BLOCK, FROZEN_IO } from '../runner/engine/attention/dense-decode-blocked.js';
import { statValue } from '../runner/engine/attention/stats.js';
import { STREAMING_IO } from '../runner/engine/attention/sink-window.js';
import { floatToHalf } from '../runner/engine/dtype.js';
import { GraphBuilder } from '../runner/engine/onnx/graph-builder.js';
import { encodeModel } from '../runner/engine/onnx/proto.js';
import { SPARSE_METHODS } from '../runner/engine/sparse/registry.js';
import { decodeTraffic, prefillCost, type CostShape } from '../runner/engine/sparse/cost.js';
import { causalPairs } from '../runner/engine/sparse/sparsity.js';
import type { Device } from '../runner/engine/session/protocol.js';

/** What to time. */
export interface AttentionBenchOptions {
  spec: ModelSpec;
  device: Device;
  lengths: number[];
  /**
   * Prefill methods besides dense (timed unless only decode methods are asked for). `id@label` times a variant of `id` with the
   * parameters `params['id@label']` (e.g. `a-shape@fused`).
   */
  prefill: string[];
  /** Decode methods besides the dense baselines. */
  decode: string[];
  /** Compression ratios of the prefill methods. */
  prefillCompressions: number[];
  /** Compression ratios of the decode methods. */
  decodeCompressions: number[];
  /** Prefill chunk length (the engine's default is 4096). */
  chunk: number;
  /** Layers chained per prefill graph (at least 2). */
  chain: number;
  /** Layers chained per decode graph (default DEFAULT_DECODE_CHAIN, at least 2). */
  decodeChain?: number;
  /** Timed runs per figure (the median is reported), after one warm-up run. */
  repeat: number;
  /** Per-method (or per-variant) parameters (e.g. `{ 'block-sparse': { blockSize: 64 } }`). */
  params?: Record<string, Record<string, unknown>>;
  /**
   * Prefill queries and keys: 'random' (default; uniform values, nearly flat attention: the worst
   * case for data-dependent patterns) or 'rope' (ropeInputs: attention that decays with distance and
   * has sinks, as a trained model's does).
   */
  inputs?: 'random' | 'rope';
  /**
   * Also record each figure's GPU time (WebGPU only): onnxruntime's profiler with the device's
   * timestamp queries, one GPU duration per dispatch. The profiler waits on the GPU as it collects
   * them, so the wall times of such a run are not comparable with a run without it. Rows get no GPU
   * time where the device has no timestamp queries.
   */
  gpuTime?: boolean;
  /** A GPU memory sampler (gpu-memory.ts): each row then records the peak while it ran. */
  memory?: Pick<GpuMemory, 'reset' | 'peak' | 'current'>;
  log?: (line: string) => void;
}

/** One figure. */
export interface AttentionBenchRow {
  phase: 'prefill' | 'decode';
  method: string;
  length: number;
  compression: number;
  budget: Record<string, number> | null;
  /** Prefill: attention time of the whole prompt per layer (chunks x middle chunk); decode: one step per layer. */
  msPerLayer: number;
  /** Dense attention's msPerLayer over this one. */
  speedup: number;
  /**
   * With `gpuTime`: the GPU's busy time per layer (the sum of the dispatches' GPU durations per run,
   * (chain - 1) layers apart as msPerLayer), and dense attention's over this one.
   */
  gpuMsPerLayer?: number;
  gpuSpeedup?: number;
  /** The cost model's dense / method ratio (FLOPs for prefill, KV values read for decode), selection included. */
  bound: number;
  /** The method's effective sparsity from the registry (1 - 1/C target for data-dependent ones). */
  sparsity: number;
  /**
   * Data-dependent prefill patterns (Vertical-Slash, FlexPrefill): the sparsity of the timed chunk as
   * measured by the graph (1 - kept pairs / the chunk rows' causal pairs, mean over heads), and the
   * compression 1 / (1 - that) the run actually executed.
   */
  measuredSparsity?: number;
  measuredCompression?: number;
  /**
   * With a memory sampler: used GPU memory (MiB, whole device) when the row began and its peak
   * while the row ran (graph build, session, runs). Memory that earlier rows' buffers still hold
   * (onnxruntime's buffer cache) is in both; the difference is what the row added at most.
   */
  gpuMemBeforeMiB?: number;
  peakGpuMemMiB?: number;
  error?: string;
}

/** A row's memory fields when a sampler took samples. */
const memoryFigures = (before: number | null, peak: number | null): Pick<AttentionBenchRow, 'gpuMemBeforeMiB' | 'peakGpuMemMiB'> =>
  before !== null && peak !== null && peak > 0 ? { gpuMemBeforeMiB: before, peakGpuMemMiB: Math.max(peak, before) } : {};

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : NaN;
};

/** Random fp16 (or fp32) values in [-scale, scale) as a tensor. */
export function randomTensor(fp16: boolean, dims: number[], seed: number, scale = 1): ort.Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  let s = (seed * 2654435761) >>> 0 || 1;
  if (fp16) {
    // 4096 distinct halves, repeated: generation stays cheap for 100M-value caches.
    const table = new Uint16Array(4096);
    for (let i = 0; i < table.length; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      table[i] = floatToHalf(((s / 2 ** 32) * 2 - 1) * scale);
    }
    const data = new Uint16Array(n);
    for (let i = 0; i < n; i++) data[i] = table[(i * 2654435761 + (i >>> 12)) & 4095]!;
    return new ort.Tensor('float16', data, dims);
  }
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return new ort.Tensor('float32', data, dims);
}

/** The new tokens' queries and keys of a prefill chunk (`[1, S, heads * d]`), when not random. */
interface NewTokens {
  query: ort.Tensor;
  key: ort.Tensor;
}

/**
 * Queries and keys whose attention looks like a trained model's rather than flat: each KV head has
 * a direction b (norm `strength` x d^(1/4)); every query and key is b plus unit Gaussian noise, rotated
 * by RoPE at its position (the model's theta, rotate-half layout), so q.k decays with distance as
 * RoPE's cosines dephase and attention concentrates near the diagonal with periodic side bands; keys
 * 0-3 carry 3b in the slowest quarter of the rotary pairs only, so they stay aligned with every query
 * (attention sinks). Returns the cache keys of positions 0..P-1 (`[1, kv, P, d]`) and the chunk's
 * queries and keys at positions P..P+S-1 (already rotated: the layer graph's RoPE is the identity).
 * @example ropeInputs(spec, true, 63488, 4096, 1.5).cacheKey.dims // [1, 4, 63488, 128]
 */
export function ropeInputs(spec: ModelSpec, fp16: boolean, P: number, S: number, strength = 1.5): { cacheKey: ort.Tensor } & NewTokens {
  const { numHeads: h, numKvHeads: kv, headDim: d } = spec;
  const half = d / 2;
  let seed = 0x9e3779b9;
  const uniform = (): number => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return (seed + 0.5) / 2 ** 32;
  };
  const gauss = (): number => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  // 65536 distinct normals, indexed by a hash: generation stays cheap for 100M-value caches.
  const normals = Float32Array.from({ length: 65536 }, gauss);
  const noise = (i: number): number => normals[(Math.imul(i, 2654435761) >>> 16) ^ (i & 0xffff)]!;
  const directions = Array.from({ length: kv }, () => {
    const b = Float64Array.from({ length: d }, gauss);
    const norm = Math.hypot(...b);
    return b.map((x) => (x / norm) * strength * Math.sqrt(Math.sqrt(d)));
  });
  const inv = Float64Array.from({ length: half }, (_, i) => Math.pow(spec.ropeTheta, (-2 * i) / d));
  const x = new Float64Array(d);
  /** Writes the rotated vector of (kv head g, position p, noise stream n) at out[o..o+d). */
  const write = (out: Uint16Array | Float32Array, o: number, g: number, p: number, n: number, sink: boolean): void => {
    const b = directions[g]!;
    for (let i = 0; i < d; i++) x[i] = sink ? ((i % half) >= (3 * half) / 4 ? 3 * b[i]! : 0) : b[i]! + noise(n + i);
    for (let i = 0; i < half; i++) {
      const a = p * inv[i]!;
      const c = Math.cos(a);
      const sn = Math.sin(a);
      const x0 = x[i]!;
      const x1 = x[i + half]!;
      const r0 = x0 * c - x1 * sn;
      const r1 = x1 * c + x0 * sn;
      if (fp16) {
        out[o + i] = floatToHalf(r0);
        out[o + i + half] = floatToHalf(r1);
      } else {
        out[o + i] = r0;
        out[o + i + half] = r1;
      }
    }
  };
  const make = (n: number): Uint16Array | Float32Array => (fp16 ? new Uint16Array(n) : new Float32Array(n));
  const type = fp16 ? 'float16' : 'float32';
  const cacheKey = make(kv * P * d);
  for (let g = 0; g < kv; g++) for (let p = 0; p < P; p++) write(cacheKey, (g * P + p) * d, g, p, ((g * 1048576 + p) * d) | 0, p < 4);
  const query = make(S * h * d);
  const key = make(S * kv * d);
  for (let s = 0; s < S; s++) {
    const p = P + s;
    for (let g = 0; g < kv; g++) write(key, (s * kv + g) * d, g, p, ((g * 1048576 + p) * d) | 0, p < 4);
    for (let q = 0; q < h; q++) write(query, (s * h + q) * d, Math.floor(q / (h / kv)), p, ((q + 97) * 7919 + p * 131) * d | 0, false);
  }
  return {
    cacheKey: new ort.Tensor(type, cacheKey as never, [1, kv, P, d]),
    query: new ort.Tensor(type, query as never, [1, S, h * d]),
    key: new ort.Tensor(type, key as never, [1, S, kv * d]),
  };
}

/** The method id of a name (`id` or `id@variant`) and its parameters. */
function variant(name: string, params: AttentionBenchOptions['params']): { id: string; params: Record<string, unknown> | undefined } {
  const id = name.split('@')[0]!;
  return { id, params: params?.[name] ?? params?.[id] };
}

const zeros = (fp16: boolean, dims: number[]): ort.Tensor => {
  const n = dims.reduce((a, b) => a * b, 1);
  return fp16 ? new ort.Tensor('float16', new Uint16Array(n), dims) : new ort.Tensor('float32', new Float32Array(n), dims);
};

/** Budget, graph inputs, sparsity and bound of a method at (C, L). */
function plan(phase: 'prefill' | 'decode', method: string, compression: number, length: number, shape: CostShape, params?: Record<string, unknown>): { budget: Record<string, number>; inputs: Record<string, number>; sparsity: number; bound: number } {
  const entry = (SPARSE_METHODS as Record<string, { budgetFor: (c: number, l: number, p?: Record<string, unknown>) => unknown; expectedSparsity: (b: never, l: number, c: number) => number; cost: (...a: never[]) => unknown }>)[method];
  if (!entry) throw new Error(`No budget for attention method "${method}".`);
  const budget = entry.budgetFor(compression, length, params) as Record<string, number>;
  const builder = attentionMethod(method);
  if (!builder.budgetInputs) throw new Error(`The engine has no graph for "${method}" yet.`);
  const cost = (entry.cost as (s: CostShape, l: number, b: unknown, c: number) => { attention?: number; selection?: number; kvCache?: number })(shape, length, budget, compression);
  const bound = phase === 'prefill'
    ? prefillCost(shape, length, 1).attention / (cost.attention! + cost.selection!)
    : decodeTraffic(shape, length, 1).kvCache / (cost.kvCache! + (cost as { selection?: number }).selection!);
  return { budget, inputs: builder.budgetInputs(budget), sparsity: entry.expectedSparsity(budget as never, length, compression), bound };
}

/**
 * Why no WebGPU session can be made here (onnxruntime's first line, e.g. "Failed to get a WebGPU
 * adapter: No supported adapters"), or null when one can: a one-node graph's session, created and
 * released. `create` is onnxruntime's session factory (replaceable in tests).
 */
export async function webgpuUnavailable(create: (model: Uint8Array, options: ort.InferenceSession.SessionOptions) => Promise<{ release(): Promise<void> }> = (m, o) => ort.InferenceSession.create(m, o)): Promise<string | null> {
  const g = new GraphBuilder('weights.bin');
  g.output(g.op('Identity', [g.input('x', 'float', [1])]), 'y', 'float', [1]);
  try {
    const session = await create(encodeModel(g.toModel()), { executionProviders: ['webgpu'], logSeverityLevel: 3 });
    await session.release();
    return null;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const line = message.split('\n')[0]!;
    // onnxruntime prefixes its source location and the failed check: keep what follows " was false.".
    return line.replace(/^.*? was false\.\s*/, '');
  }
}

/**
 * Copies of the float tensors of `feeds` named in `names`, made once on the GPU (WebGPU): an Identity
 * graph's outputs kept as GPU buffers, to feed in place of the host tensors. The engine keeps its cache on the GPU; fed from the host, a 128k
 * frozen cache (268 MB) was uploaded again in every timed run, whose time then varied by more than
 * the decode step being measured. `copies` are the GPU tensors by name; `release` frees them and the
 * session.
 */
export async function uploadOnce(feeds: Record<string, ort.Tensor>, names: readonly string[], device: Device = 'webgpu'): Promise<{ copies: Record<string, ort.Tensor>; release(): Promise<void> }> {
  const picked = names.filter((name) => feeds[name] !== undefined && feeds[name].location === 'cpu' && (feeds[name].type === 'float16' || feeds[name].type === 'float32'));
  if (picked.length === 0) return { copies: {}, release: async () => undefined };
  const g = new GraphBuilder('weights.bin');
  picked.forEach((name, i) => {
    const t = feeds[name]!;
    const type = t.type === 'float16' ? 'float16' : 'float';
    g.output(g.op('Identity', [g.input(`in${i}`, type, t.dims)]), `out${i}`, type, t.dims);
  });
  const session = await ort.InferenceSession.create(encodeModel(g.toModel()), {
    executionProviders: [device],
    logSeverityLevel: 3,
    ...(device === 'webgpu' ? { preferredOutputLocation: Object.fromEntries(picked.map((_, i) => [`out${i}`, 'gpu-buffer' as const])) } : {}),
  });
  const out = await session.run(Object.fromEntries(picked.map((name, i) => [`in${i}`, feeds[name]!])));
  const copies = Object.fromEntries(picked.map((name, i) => [name, out[`out${i}`]!]));
  return {
    copies,
    release: async () => {
      for (const t of Object.values(copies)) if (t.location === 'gpu-buffer') t.dispose();
      await session.release();
    },
  };
}

/** A session of a chained layer graph, ready to time. */
async function layerSession(method: string, spec: ModelSpec, device: Device, chain: number, maxPositions: number, params?: Record<string, unknown>, prefillChunk = DEFAULT_PREFILL_CHUNK, profilePrefix?: string): Promise<{ session: ort.InferenceSession; sharedInputs: string[]; layerInputs: string[]; states: AttentionStateSpec[] }> {
  // Fixed-pass graphs sized to the bench's chunk, as the engine sizes them to its own.
  const built = buildLayerGraph(method, spec, { precision: device === 'webgpu' ? 'fp16' : 'fp32', maxPositions, layers: chain, ...(params ? { params } : {}), ...prefillChunkSetting(method, prefillChunk) });
  const session = await ort.InferenceSession.create(built.model, {
    executionProviders: [device === 'webgpu' ? 'webgpu' : 'cpu'],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    ...(profilePrefix ? { enableProfiling: true, profileFilePrefix: profilePrefix } : {}),
    // The cache and states stay on the GPU; the attended values come back, which also waits for the
    // GPU to finish (with every output on the GPU, run() returns once the work is queued).
    ...(device === 'webgpu'
      ? { preferredOutputLocation: { [LAYER_IO.output]: 'cpu' as const, [LAYER_IO.presentKey]: 'gpu-buffer' as const, [LAYER_IO.presentValue]: 'gpu-buffer' as const, ...Object.fromEntries(built.states.map((st) => [st.output, 'gpu-buffer' as const])) } }
      : {}),
  });
  return { session, sharedInputs: built.sharedInputs, layerInputs: built.layerInputs, states: built.states };
}

/** A frozen cache for a blocked decode graph (dense-decode-blocked's layout, or Quest's rows). */
interface FrozenCache {
  length: number;
  /** Tokens evicted before the frozen part's end (StreamingLLM's window): positions run ahead of the cache by this much. */
  evicted?: number;
  /** The block P V is split by (FROZEN_IO.block). */
  block: number;
  /** `[1, kv, d, F]` (transposed) and `[1, kv, F, d]` (rows): a graph reads the one its layout names. */
  keyT: ort.Tensor;
  key: ort.Tensor;
  value: ort.Tensor;
}

/**
 * Median ms of `run` over `repeat` timed calls after one warm-up. Attention states (Quest's page
 * bounds, Ada-SnapKV's mask) are threaded from each run's outputs into the next, starting from
 * `initialStates` (default: empty). With `resident` (decode steps), each run's new cache (kept on
 * the GPU) is the next run's past, as in the engine, so no cache is uploaded inside the timing.
 */
async function timeRuns(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>, repeat: number, states: AttentionStateSpec[], initialStates: Record<string, ort.Tensor> | undefined, resident: { past: number; tokens: number } | null): Promise<{ ms: number; keptPairs?: number }> {
  let current: Record<string, ort.Tensor> = { ...feeds, ...(initialStates ?? Object.fromEntries(states.map((st) => [st.input, emptyState(st)]))) };
  let past = resident?.past ?? 0;
  const owned = new Set<ort.Tensor>(); // GPU tensors we fed from outputs and must free
  const given = new Set(Object.values(feeds)); // the caller's (uploadOnce's copies among them): never freed here
  let out = await session.run(current);
  const times: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const next: Record<string, ort.Tensor> = { ...feeds };
    for (const st of states) next[st.input] = out[st.output]!;
    if (resident) {
      past += resident.tokens;
      const S = resident.tokens;
      next[LAYER_IO.pastKey] = out[LAYER_IO.presentKey]!;
      next[LAYER_IO.pastValue] = out[LAYER_IO.presentValue]!;
      next[LAYER_IO.seqlensK] = new ort.Tensor('int32', Int32Array.of(past + S - 1), [1]);
      next[LAYER_IO.totalSequenceLength] = new ort.Tensor('int32', Int32Array.of(past + S), []);
      if (LAYER_IO.positionIds in feeds) next[LAYER_IO.positionIds] = new ort.Tensor('int64', BigInt64Array.from({ length: S }, (_, j) => BigInt(past + j)), [1, S]);
    }
    const carried = new Set(Object.values(next));
    for (const t of Object.values(out)) if (t.location === 'gpu-buffer' && !carried.has(t)) t.dispose();
    for (const t of owned) if (!carried.has(t)) t.dispose();
    owned.clear();
    for (const t of carried) if (t.location === 'gpu-buffer' && !given.has(t)) owned.add(t);
    current = next;
    const t0 = performance.now();
    out = await session.run(current);
    times.push(performance.now() - t0);
  }
  const keptPairs = statValue(out, 'kept_pairs');
  for (const t of Object.values(out)) if (t.location === 'gpu-buffer') t.dispose();
  for (const t of owned) t.dispose();
  return { ms: median(times), ...(keptPairs !== undefined ? { keptPairs } : {}) };
}

/** Feeds of one layer graph: `S` new tokens over a `P`-token cache (random when not given), budgets as int64 scalars. */
export function feedsFor(spec: ModelSpec, fp16: boolean, P: number, S: number, inputs: Record<string, number>, sharedInputs: string[], cache: { key: ort.Tensor; value: ort.Tensor } | null, at = P, fresh?: NewTokens): Record<string, ort.Tensor> {
  const { numHeads: h, numKvHeads: kv, headDim: d } = spec;
  const scale = 1 / Math.sqrt(Math.sqrt(d));
  const feeds: Record<string, ort.Tensor> = {
    [LAYER_IO.query]: fresh?.query ?? randomTensor(fp16, [1, S, h * d], 1, 4 * scale),
    [LAYER_IO.key]: fresh?.key ?? randomTensor(fp16, [1, S, kv * d], 2, 4 * scale),
    [LAYER_IO.value]: randomTensor(fp16, [1, S, kv * d], 3),
    [LAYER_IO.pastKey]: cache?.key ?? randomTensor(fp16, [1, kv, P, d], 4, 4 * scale),
    [LAYER_IO.pastValue]: cache?.value ?? randomTensor(fp16, [1, kv, P, d], 5),
    [LAYER_IO.seqlensK]: new ort.Tensor('int32', Int32Array.of(at + S - 1), [1]),
    [LAYER_IO.totalSequenceLength]: new ort.Tensor('int32', Int32Array.of(at + S), []),
    [LAYER_IO.positionIds]: new ort.Tensor('int64', BigInt64Array.from({ length: S }, (_, i) => BigInt(at + i)), [1, S]),
  };
  for (const name of sharedInputs) {
    const value = inputs[name];
    if (value === undefined) throw new Error(`Graph input "${name}" has no value.`);
    feeds[name] = new ort.Tensor('int64', BigInt64Array.of(BigInt(value)), []);
  }
  return feeds;
}

/**
 * A `tokens`-token cache as the engine's blocked decode holds it (the worker's rules): a frozen part
 * of whole blocks (at least one token left in the tail), or, for a cache shorter than two blocks,
 * all but its last token as one block; with `pages` (Quest's layout) whole 16-token pages.
 */
function blockedCache(spec: ModelSpec, fp16: boolean, tokens: number, seed: number, pages = false): { frozen: FrozenCache; tail: { key: ort.Tensor; value: ort.Tensor }; tailLength: number } {
  const { numKvHeads: kv, headDim: d } = spec;
  const scale = 1 / Math.sqrt(Math.sqrt(d));
  const blocks = Math.floor((tokens - 1) / DEFAULT_BLOCK) * DEFAULT_BLOCK;
  const F = blocks > 0 ? blocks : pages ? Math.floor(tokens / 16) * 16 : Math.max(1, tokens - 1);
  const key = randomTensor(fp16, [1, kv, F, d], seed, 4 * scale);
  // The same random values as the transposed layout: only the shape matters here.
  const keyT = new ort.Tensor(key.type as 'float16', key.data as Uint16Array, [1, kv, d, F]);
  return {
    frozen: { length: F, block: blocks > 0 ? DEFAULT_BLOCK : F, key, keyT, value: randomTensor(fp16, [1, kv, F, d], seed + 1) },
    tail: { key: randomTensor(fp16, [1, kv, tokens - F, d], seed + 2, 4 * scale), value: randomTensor(fp16, [1, kv, tokens - F, d], seed + 3) },
    tailLength: tokens - F,
  };
}

/** Decode layers chained per timed graph by default: a 7B model's 28. */
export const DEFAULT_DECODE_CHAIN = 28;

/**
 * Per-layer time of `method` with `inputs`: (t_chain - t_1) / (chain - 1), host copies cancelled.
 * @throws Error from onnxruntime when the graph fails (the caller records it).
 */
async function perLayerMs(method: string, o: AttentionBenchOptions, P: number, S: number, inputs: Record<string, number>, cache: { key: ort.Tensor; value: ort.Tensor }, maxPositions: number, frozen?: FrozenCache, fresh?: NewTokens): Promise<{ ms: number; gpuMs?: number; keptPairs?: number }> {
  const fp16 = o.device === 'webgpu';
  const times: number[] = [];
  const gpuTimes: number[] = [];
  let keptPairs: number | undefined;
  // A decode step of one layer is well under a millisecond: it is timed over a whole model's worth of
  // chained layers (decodeChain) and more runs, or run-to-run noise swamps the difference.
  const chain = S === 1 ? (o.decodeChain ?? DEFAULT_DECODE_CHAIN) : o.chain;
  const repeat = S === 1 ? Math.max(o.repeat, 7) : o.repeat;
  let uploaded: Awaited<ReturnType<typeof uploadOnce>> | null = null;
  try {
    for (const layers of [1, chain]) {
      const v = variant(method, o.params);
      const params = frozen ? { cache: 'blocked', ...v.params } : v.params;
      const profileDir = o.gpuTime && o.device === 'webgpu' ? mkdtempSync(join(tmpdir(), 'longweave-gpu-time-')) : undefined;
      const { session, sharedInputs, layerInputs, states } = await layerSession(v.id, o.spec, o.device, layers, maxPositions, params, o.chunk, profileDir ? join(profileDir, 'p') : undefined);
      let released = false;
      try {
        const stateInputs = new Set(states.map((st) => st.input));
        // With a frozen part, positions are absolute: the frozen tokens, any evicted ones, then the tail.
        const at = frozen ? frozen.length + (frozen.evicted ?? 0) + P : P;
        const all = feedsFor(o.spec, fp16, P, S, inputs, sharedInputs.filter((name) => !stateInputs.has(name) && name !== FROZEN_IO.length && name !== FROZEN_IO.block), cache, at, fresh);
        if (frozen) {
          // Every chained layer reads layer 0's frozen inputs (layer-graph.ts).
          all[FROZEN_IO.length] = new ort.Tensor('int64', BigInt64Array.of(BigInt(frozen.length)), [1]);
          all[FROZEN_IO.block] = new ort.Tensor('int64', BigInt64Array.of(BigInt(frozen.block)), [1]);
          all[FROZEN_IO.keyT(0)] = frozen.keyT;
          all[FROZEN_IO.key(0)] = frozen.key;
          all[FROZEN_IO.value(0)] = frozen.value;
          for (const name of layerInputs) if (!(name in all)) throw new Error(`Layer input "${name}" of ${method} has no value.`);
        }
        const used = Object.fromEntries(Object.entries(all).filter(([name]) => session.inputNames.includes(name)));
        // The cache the graph reads stays on the GPU between runs, as in the engine (uploadOnce):
        // copied once for both sessions (the 1-layer and the chained graph read the same cache).
        if (fp16 && !uploaded) uploaded = await uploadOnce(used, [FROZEN_IO.keyT(0), FROZEN_IO.key(0), FROZEN_IO.value(0), LAYER_IO.pastKey, LAYER_IO.pastValue]);
        const feeds = uploaded ? { ...used, ...uploaded.copies } : used;
        // Ada-SnapKV's validity mask covers the compacted cache (frozen part and tail): all valid at first.
        const cached = P + (frozen?.length ?? 0);
        const initial = v.id === 'ada-snapkv' ? Object.fromEntries(states.map((st) => [st.input, zeros(fp16, st.emptyDims.map((x) => (x === 0 ? cached : x)))])) : undefined;
        // Decode steps feed each run's new cache (on the GPU with WebGPU) to the next; prefill chunks re-feed theirs.
        const resident = S === 1 ? { past: at, tokens: S } : null;
        const timed = await timeRuns(session, feeds, repeat, states, initial, resident);
        times.push(timed.ms);
        if (layers === 1 && timed.keptPairs !== undefined) keptPairs = timed.keptPairs;
        if (profileDir) {
          // The profile is written when profiling ends (release ends it too); 1 warm-up + repeat runs.
          session.endProfiling();
          await session.release();
          released = true;
          gpuTimes.push(gpuBusyMs(profileDir) / (repeat + 1));
        }
      } finally {
        if (!released) await session.release();
        if (profileDir) rmSync(profileDir, { recursive: true, force: true });
      }
    }
  } finally {
    await uploaded?.release();
  }
  const perLayer = (t: number[]): number => Math.max(0, (t[1]! - t[0]!) / (chain - 1));
  // A device without timestamp queries writes no GPU durations: then there is no GPU time to report.
  const gpuMs = gpuTimes.length === 2 && gpuTimes.every((t) => t > 0) ? perLayer(gpuTimes) : undefined;
  return { ms: perLayer(times), ...(gpuMs !== undefined ? { gpuMs } : {}), ...(keptPairs !== undefined ? { keptPairs } : {}) };
}

/**
 * The GPU's busy time (ms) in the onnxruntime profile(s) under `dir`: the sum of the WebGPU
 * provider's per-dispatch GPU durations (events of category 'Api', written where the device has
 * timestamp queries). 0 when there are none.
 */
export function gpuBusyMs(dir: string): number {
  let us = 0;
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const events = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { cat?: string; dur?: number }[];
    for (const e of events) if (e.cat === 'Api' && typeof e.dur === 'number') us += e.dur;
  }
  return us / 1000;
}

/**
 * Times dense and each sparse method at every length and compression; returns one row per figure.
 * A method that fails (e.g. out of memory) gets a row with `error` and the run goes on.
 * @example await benchAttention({ spec, device: 'webgpu', lengths: [16384], prefill: ['a-shape'], decode: [], prefillCompressions: [10], decodeCompressions: [], chunk: 4096, chain: 3, repeat: 3 })
 */
export async function benchAttention(o: AttentionBenchOptions): Promise<AttentionBenchRow[]> {
  if (o.chain < 2) throw new RangeError(`chain must be at least 2 (layers per graph), got ${o.chain}.`);
  const log = o.log ?? (() => undefined);
  const fp16 = o.device === 'webgpu';
  const { numKvHeads: kv, headDim: d } = o.spec;
  const rows: AttentionBenchRow[] = [];
  const scale = 1 / Math.sqrt(Math.sqrt(d));
  for (const L of o.lengths) {
    const maxPositions = L + 64;
    const c = Math.min(o.chunk, L);
    const chunks = L / c;
    // The middle chunk: positions P..P+c-1 with P = (L - c) / 2 on a 64-token boundary.
    const P = Math.floor((L - c) / 2 / 64) * 64;
    const prefills = o.prefill.length > 0 || !o.decode.length;
    const rope = prefills && o.inputs === 'rope' ? ropeInputs(o.spec, fp16, P, c) : undefined;
    const cache = prefills ? { key: rope?.cacheKey ?? randomTensor(fp16, [1, kv, P, d], 4, 4 * scale), value: randomTensor(fp16, [1, kv, P, d], 5) } : { key: zeros(fp16, [1, kv, 0, d]), value: zeros(fp16, [1, kv, 0, d]) };
    const denseGpu: Record<string, number> = {};
    const record = async (phase: 'prefill' | 'decode', method: string, compression: number, graph: string, dense: number | null, planned: ReturnType<typeof plan> | null, p: number, s: number, factor: number, useCache: { key: ort.Tensor; value: ort.Tensor }, frozen?: FrozenCache): Promise<number> => {
      let ms = NaN;
      let gpuMs: number | undefined;
      let error: string | undefined;
      let measured: number | undefined;
      const before = o.memory?.current() ?? null;
      o.memory?.reset();
      try {
        const timed = await perLayerMs(graph, o, p, s, planned?.inputs ?? {}, useCache, maxPositions, frozen, phase === 'prefill' ? rope : undefined);
        ms = factor * timed.ms;
        if (timed.gpuMs !== undefined) gpuMs = factor * timed.gpuMs;
        // The chunk rows' causal pairs: those of p + s tokens less those of the first p.
        if (timed.keptPairs !== undefined) measured = 1 - timed.keptPairs / (o.spec.numHeads * (causalPairs(p + s) - causalPairs(p)));
      } catch (e) {
        error = e instanceof Error ? e.message.split('\n')[0]! : String(e);
      }
      const row: AttentionBenchRow = {
        phase,
        method,
        length: L,
        compression,
        budget: planned?.budget ?? null,
        msPerLayer: +ms.toFixed(3),
        speedup: dense === null ? 1 : +(dense / ms).toFixed(2),
        ...(gpuMs !== undefined ? { gpuMsPerLayer: +gpuMs.toFixed(4), gpuSpeedup: dense === null ? 1 : +((denseGpu[phase] ?? NaN) / gpuMs).toFixed(2) } : {}),
        bound: planned ? +planned.bound.toFixed(2) : 1,
        sparsity: planned ? +planned.sparsity.toFixed(4) : 0,
        ...(measured !== undefined ? { measuredSparsity: +measured.toFixed(4), measuredCompression: +(1 / (1 - measured)).toFixed(2) } : {}),
        ...memoryFigures(before, o.memory?.peak() ?? null),
        ...(error ? { error } : {}),
      };
      rows.push(row);
      if (dense === null && gpuMs !== undefined) denseGpu[phase] = gpuMs;
      const executed = row.measuredCompression !== undefined ? `, executed C ${row.measuredCompression}` : '';
      const mem = row.peakGpuMemMiB !== undefined ? `, GPU memory ${row.gpuMemBeforeMiB} -> peak ${row.peakGpuMemMiB} MiB` : '';
      const gpu = row.gpuMsPerLayer !== undefined ? `, GPU ${row.gpuMsPerLayer} ms/layer (${row.gpuSpeedup}x)` : '';
      log(`${phase} ${method} L=${L} C=${compression}: ${error ? `error: ${error}` : `${row.msPerLayer} ms/layer, ${row.speedup}x dense (bound ${row.bound}x${executed})${gpu}`}${mem}`);
      return ms;
    };
    /** The method's plan at C, or null after recording why it has none. */
    const planFor = (phase: 'prefill' | 'decode', method: string, C: number): ReturnType<typeof plan> | null => {
      try {
        return plan(phase, variant(method, o.params).id, C, L, o.spec, variant(method, o.params).params);
      } catch (e) {
        rows.push({ phase, method, length: L, compression: C, budget: null, msPerLayer: NaN, speedup: NaN, bound: NaN, sparsity: NaN, error: (e as Error).message });
        return null;
      }
    };
    // Dense prefill is the prefill methods' baseline; a decode-only run skips it.
    const densePrefill = prefills ? await record('prefill', 'dense', 1, 'dense', null, null, P, c, chunks, cache) : NaN;
    for (const method of o.prefill) {
      for (const C of o.prefillCompressions) {
        const planned = planFor('prefill', method, C);
        if (!planned) continue;
        await record('prefill', method, C, method, densePrefill, planned, P, c, chunks, cache);
      }
    }
    if (o.decode.length) {
      // Decode steps run over the blocked cache, as the engine's WebGPU decode does: a frozen part
      // (a multiple of the block, never rewritten) and a tail of 1 to 2 blocks that each step appends to.
      const full = blockedCache(o.spec, fp16, L - 1, 6);
      const dense = await record('decode', 'dense-decode-blocked', 1, 'dense-decode-blocked', null, null, full.tailLength, 1, 1, full.tail, full.frozen);
      for (const method of o.decode) {
        for (const C of o.decodeCompressions) {
          const planned = planFor('decode', method, C);
          if (!planned) continue;
          // SnapKV and Ada-SnapKV decode over the compacted cache (capacity tokens), StreamingLLM over
          // the sinks and the window that its one-time eviction keeps; that step is not timed.
          const id = variant(method, o.params).id;
          const b = planned.budget;
          const kept = b['capacity'] ?? (id === 'streaming-llm' ? Math.min(L - 1, b['sinks']! + b['recent']! - 1) : undefined);
          if (id === 'streaming-llm') planned.inputs[STREAMING_IO.windowStart] = Math.max(b['sinks']!, L - b['recent']!);
          const cache = kept !== undefined ? blockedCache(o.spec, fp16, kept, 8) : id === 'quest' && full.frozen.block !== DEFAULT_BLOCK ? blockedCache(o.spec, fp16, L - 1, 6, true) : full;
          if (kept !== undefined && id === 'streaming-llm') cache.frozen.evicted = L - 1 - kept;
          await record('decode', method, C, method, dense, planned, cache.tailLength, 1, 1, cache.tail, cache.frozen);
        }
      }
    }
  }
  return rows;
}

/** The model's work besides attention, measured once on the real model shape. */
export interface ModelParts {
  /** One prefill chunk of `chunk` tokens at position 0, minus its dense attention (all layers). */
  nonAttentionChunkMs: number;
  /** One decode step over a `chunk`-token cache, minus its dense attention (all layers). */
  nonAttentionStepMs: number;
  /** As measured: the whole chunk and step, and the per-layer dense attention subtracted. */
  chunkMs: number;
  stepMs: number;
  denseChunkAttentionMs: number;
  denseStepAttentionMs: number;
}

/**
 * Measures the model's non-attention time per prefill chunk and per decode step: the whole model
 * (synthetic fp16 weights of `spec`, one graph: dense GroupQueryAttention for prefill and decode)
 * on one chunk at position 0 and 8 decode steps, minus layers x the dense layer times measured the
 * same way as benchAttention's rows.
 * @example const parts = await measureModelParts(options, '/tmp/graphs')
 */
export async function measureModelParts(o: AttentionBenchOptions, cacheDir: string): Promise<ModelParts> {
  const { Engine } = await import('../runner/engine/engine.js');
  const { SyntheticSource } = await import('../runner/engine/checkpoint/synthetic.js');
  const log = o.log ?? (() => undefined);
  const c = o.chunk;
  const source = new SyntheticSource(o.spec, { seed: 'bench', dtype: 'F16', mode: 'fast', scale: 0.02 });
  // The engine's defaults: on WebGPU decode steps run in the blocked decode graph.
  const engine = await Engine.fromSource(o.spec, source, [], { device: o.device, chunkSize: c, maxLength: c + 64, cacheDir, log });
  let chunkMs: number;
  let stepMs: number;
  try {
    const prompt = Array.from({ length: c }, (_, i) => (i * 7919) % o.spec.vocabSize);
    await engine.generateIds(prompt.slice(0, 256), 2, { stopTokenIds: [] });
    const runs = [];
    for (let i = 0; i < Math.max(1, o.repeat); i++) runs.push(await engine.generateIds(prompt, 9, { stopTokenIds: [] }));
    chunkMs = median(runs.map((r) => r.timings.chunkMs[0]!));
    stepMs = median(runs.flatMap((r) => r.timings.decodeMs));
  } finally {
    await engine.close();
  }
  const fp16 = o.device === 'webgpu';
  const { numKvHeads: kv, headDim: d } = o.spec;
  const empty = { key: randomTensor(fp16, [1, kv, 0, d], 4), value: randomTensor(fp16, [1, kv, 0, d], 5) };
  const denseChunkAttentionMs = (await perLayerMs('dense', o, 0, c, {}, empty, c + 64)).ms;
  let denseStepAttentionMs: number;
  if (fp16) {
    const blocked = blockedCache(o.spec, fp16, c, 6);
    denseStepAttentionMs = (await perLayerMs('dense-decode-blocked', o, blocked.tailLength, 1, {}, blocked.tail, c + 64, blocked.frozen)).ms;
  } else {
    const cache = { key: randomTensor(fp16, [1, kv, c, d], 6), value: randomTensor(fp16, [1, kv, c, d], 7) };
    denseStepAttentionMs = (await perLayerMs('dense', o, c, 1, {}, cache, c + 64)).ms;
  }
  const N = o.spec.numLayers;
  const parts = {
    nonAttentionChunkMs: +(chunkMs - N * denseChunkAttentionMs).toFixed(2),
    nonAttentionStepMs: +(stepMs - N * denseStepAttentionMs).toFixed(3),
    chunkMs: +chunkMs.toFixed(2),
    stepMs: +stepMs.toFixed(3),
    denseChunkAttentionMs: +denseChunkAttentionMs.toFixed(3),
    denseStepAttentionMs: +denseStepAttentionMs.toFixed(3),
  };
  log(`model parts: ${JSON.stringify(parts)}`);
  return parts;
}

/**
 * Whole-prefill and whole-decode-step times composed from measured parts: chunks x non-attention
 * chunk time + layers x the row's per-layer attention (prefill), or non-attention step time +
 * layers x the row's step (decode).
 */
export function wholeTimes(rows: AttentionBenchRow[], parts: ModelParts, spec: ModelSpec, chunk: number): (AttentionBenchRow & { wholeMs: number; wholeSpeedup: number })[] {
  const whole = (r: AttentionBenchRow): number =>
    r.phase === 'prefill' ? (r.length / Math.min(chunk, r.length)) * parts.nonAttentionChunkMs + spec.numLayers * r.msPerLayer : parts.nonAttentionStepMs + spec.numLayers * r.msPerLayer;
  return rows.map((r) => {
    const base = rows.find((x) => x.length === r.length && x.phase === r.phase && x.compression === 1 && (x.method === 'dense' || x.method === 'dense-decode-blocked'));
    const ms = whole(r);
    return { ...r, wholeMs: +ms.toFixed(1), wholeSpeedup: base ? +(whole(base) / ms).toFixed(2) : NaN };
  });
}
