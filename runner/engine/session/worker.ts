// The session worker: owns one onnxruntime-node InferenceSession (run() blocks its thread, not the
// caller's) and the KV cache between steps. On WebGPU the cache outputs stay in GPU buffers and are
// fed back as the next step's inputs; only logits come to the host. Never getData() a GPU tensor:
// in onnxruntime-node 1.30 that aborts the process. One-run runtimes (CUDA) load the generation
// graph instead and run each generation as one session run (session/one-run.ts).
// It runs as a worker thread, or as a child process (runtime/profile.ts: the CUDA provider reads its
// settings and libraries from the process environment); messages are the same either way.
import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { executionProvider, runtimeProfile } from '../runtime/profile.js';
import { runOneGeneration } from './one-run.js';
import { GRAPH_IO } from '../graph/model-graph.js';
import { FROZEN_IO, DEFAULT_BLOCK } from '../attention/dense-decode-blocked.js';
import { statValue } from '../attention/stats.js';
import { CACHE_OUT, SPLIT_AT, WINDOW_IO, freezeGraph, mergeGraph, windowGraph } from '../graph/cache-graphs.js';
import { SINK_WINDOW_IO, STREAMING_IO } from '../attention/sink-window.js';
import { ATTENTION_STATE, emptyState, type AttentionStateSpec } from '../attention/quest-state.js';
import { SNAPKV_IO } from '../attention/snapkv-io.js';
import { compressGraph } from '../graph/snapkv-compress.js';
import type { GenerateRequest, LoadRequest, WorkerMessage, WorkerRequest } from './protocol.js';

/** The channel to the engine: a thread's port, or a child process's IPC channel (advanced serialization). */
const channel = parentPort
  ? { post: (m: WorkerMessage, transfer: ArrayBuffer[]) => parentPort!.postMessage(m, transfer), listen: (f: (r: WorkerRequest) => void) => parentPort!.on('message', f) }
  : process.send
    ? { post: (m: WorkerMessage) => void process.send!(m), listen: (f: (r: WorkerRequest) => void) => process.on('message', f) }
    : null;
if (!channel) throw new Error('runner/engine/session/worker is a worker-thread or child-process entry point.');
// A child process ends with its parent's channel.
if (!parentPort) process.on('disconnect', () => process.exit(0));

let session: ort.InferenceSession | null = null;
/** The prefill graph's sessions: `session` alone, or the stages of a split prefill in layer order. */
let prefillStages: ort.InferenceSession[] = [];
let decodeSession: ort.InferenceSession | null = null;
/** Cache-reshaping sessions of a blocked decode graph. */
let freezeSession: ort.InferenceSession | null = null;
let mergeSession: ort.InferenceSession | null = null;
/** SnapKV / Ada-SnapKV cache compression, run once between prefill and decoding. */
let compressSession: ort.InferenceSession | null = null;
/** StreamingLLM over the blocked cache: the eviction of what no decode step reads, run once. */
let windowSession: ort.InferenceSession | null = null;
let loaded: LoadRequest | null = null;

function post(message: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  channel!.post(message, transfer);
}

async function load(request: LoadRequest): Promise<void> {
  const started = performance.now();
  const profile = runtimeProfile(request.device);
  // The cache outputs stay in device buffers between runs (WebGPU).
  const deviceCache = profile.deviceResidentCache;
  const preferred: Record<string, 'cpu' | 'gpu-buffer'> = {};
  if (deviceCache) {
    for (let layer = 0; layer < request.numLayers; layer++) {
      preferred[GRAPH_IO.presentKey(layer)] = 'gpu-buffer';
      preferred[GRAPH_IO.presentValue(layer)] = 'gpu-buffer';
    }
    preferred[GRAPH_IO.logits] = 'cpu';
  }
  // Options of a session that keeps (runtime) or folds (at load) the graph's weight casts.
  const optionsFor = (runtimeCasts: boolean): ort.InferenceSession.SessionOptions => ({
    executionProviders: [executionProvider(request.device, { ...(request.webgpuValidation ? { webgpuValidation: request.webgpuValidation } : {}), ...(request.webgpuBufferCache ? { webgpuBufferCache: request.webgpuBufferCache } : {}) })],
    // Runtime weight casts: constant folding off, and 'extended' (at 'all', another CPU-side
    // transformer also folds Cast of an initializer; checked with optimizedModelFilePath).
    graphOptimizationLevel: runtimeCasts ? 'extended' : 'all',
    logSeverityLevel: request.logSeverityLevel ?? 3,
    ...(deviceCache ? { preferredOutputLocation: preferred } : {}),
    ...(request.intraOpThreads ? { intraOpNumThreads: request.intraOpThreads } : {}),
    ...(request.profilePrefix ? { enableProfiling: true, profileFilePrefix: request.profilePrefix } : {}),
    ...(request.disableCpuFallback || runtimeCasts
      ? {
          extra: {
            ...(request.disableCpuFallback ? { session: { disable_cpu_ep_fallback: '1' } } : {}),
            ...(runtimeCasts ? { optimization: { disable_specified_optimizers: 'ConstantFolding' } } : {}),
          },
        }
      : {}),
  });
  if (request.generation === 'one-run') {
    session = await ort.InferenceSession.create(request.modelFile, optionsFor(request.runtimeWeightCasts === true && request.foldWeightCasts !== 'all'));
    prefillStages = [session];
    loaded = request;
    post({ type: 'loaded', loadMs: performance.now() - started, inputNames: [...session.inputNames], outputNames: [...session.outputNames] });
    return;
  }
  const fold = request.foldWeightCasts ?? 'none';
  const runtime = request.runtimeWeightCasts === true;
  // The prefill session serves decode steps too when there is no decode graph.
  const options = optionsFor(runtime && !(fold === 'all' || (fold === 'decode' && !request.decodeModelFile)));
  const decodeOptions = optionsFor(runtime && fold === 'none');
  // Each session's own state outputs stay on the GPU too (a name the session lacks is an error).
  const withStatesOf = (base: ort.InferenceSession.SessionOptions, specs: AttentionStateSpec[] | undefined): ort.InferenceSession.SessionOptions =>
    deviceCache && specs?.length ? { ...base, preferredOutputLocation: { ...preferred, ...Object.fromEntries(specs.map((s) => [s.output, 'gpu-buffer' as const])) } } : base;
  const withStates = (specs: AttentionStateSpec[] | undefined): ort.InferenceSession.SessionOptions => withStatesOf(options, specs);
  if (request.prefillStages?.length) {
    // Each stage's preferred output locations name its own outputs only.
    prefillStages = [];
    for (const stage of request.prefillStages) {
      const last = stage.to === request.numLayers;
      const own: Record<string, 'cpu' | 'gpu-buffer'> = { [last ? GRAPH_IO.logits : GRAPH_IO.hiddenOut]: last ? 'cpu' : 'gpu-buffer' };
      for (let layer = stage.from; layer < stage.to; layer++) own[GRAPH_IO.presentKey(layer)] = own[GRAPH_IO.presentValue(layer)] = 'gpu-buffer';
      for (const s of stage.states) own[s.output] = 'gpu-buffer';
      prefillStages.push(await ort.InferenceSession.create(stage.modelFile, deviceCache ? { ...options, preferredOutputLocation: own } : options));
    }
    session = prefillStages[0]!;
  } else {
    session = await ort.InferenceSession.create(request.modelFile, withStates(request.states?.prefill));
    prefillStages = [session];
  }
  // Sessions are created and run one after the other on this thread, never at once.
  decodeSession = request.decodeModelFile ? await ort.InferenceSession.create(request.decodeModelFile, withStatesOf(decodeOptions, request.states?.decode)) : null;
  if (decodeSession?.inputNames.includes(FROZEN_IO.length)) {
    const layout = decodeSession.inputNames.includes(FROZEN_IO.key(0)) ? ('rows' as const) : ('transposed' as const);
    const shape = { numLayers: request.numLayers, numKvHeads: request.numKvHeads, headDim: request.headDim, valueType: request.precision === 'fp16' ? ('float16' as const) : ('float' as const), layout };
    const cacheOptions = { ...options, enableProfiling: false };
    if (deviceCache) {
      const all: Record<string, 'gpu-buffer'> = {};
      for (let l = 0; l < request.numLayers; l++) for (const name of [CACHE_OUT.keyT(l), CACHE_OUT.value(l), CACHE_OUT.tailKey(l), CACHE_OUT.tailValue(l)]) all[name] = 'gpu-buffer';
      cacheOptions.preferredOutputLocation = all;
    }
    freezeSession = await ort.InferenceSession.create(freezeGraph(shape), cacheOptions);
    mergeSession = await ort.InferenceSession.create(mergeGraph(shape), cacheOptions);
    if (decodeSession.inputNames.includes(STREAMING_IO.windowStart)) {
      const windowOptions = { ...cacheOptions };
      if (deviceCache) {
        const tails: Record<string, 'gpu-buffer'> = {};
        for (let l = 0; l < request.numLayers; l++) for (const name of [CACHE_OUT.tailKey(l), CACHE_OUT.tailValue(l)]) tails[name] = 'gpu-buffer';
        windowOptions.preferredOutputLocation = tails;
      }
      windowSession = await ort.InferenceSession.create(windowGraph(shape), windowOptions);
    }
  }
  if (request.compress) {
    const { numLayers, numKvHeads, headDim } = request;
    const valueType = request.precision === 'fp16' ? ('float16' as const) : ('float' as const);
    const compressOptions = { ...options, enableProfiling: false };
    if (deviceCache) {
      const all: Record<string, 'gpu-buffer'> = {};
      for (let l = 0; l < numLayers; l++) {
        for (const name of [SNAPKV_IO.key(l), SNAPKV_IO.value(l), SNAPKV_IO.kept(l)]) all[name] = 'gpu-buffer';
        if (request.compress.variant === 'ada-snapkv') all[ATTENTION_STATE.output(l, SNAPKV_IO.maskState)] = 'gpu-buffer';
      }
      compressOptions.preferredOutputLocation = all;
    }
    const graph = compressGraph({ numLayers, numHeads: request.compress.numHeads, numKvHeads, headDim, valueType }, request.compress.variant, request.compress.params);
    compressSession = await ort.InferenceSession.create(graph, compressOptions);
  }
  loaded = request;
  const names = (pick: (s: ort.InferenceSession) => readonly string[]): string[] => [...new Set(prefillStages.flatMap(pick))];
  post({ type: 'loaded', loadMs: performance.now() - started, inputNames: names((s) => s.inputNames), outputNames: names((s) => s.outputNames) });
}

function emptyCache(request: LoadRequest): ort.Tensor {
  const dims = [1, request.numKvHeads, 0, request.headDim];
  return request.precision === 'fp16' ? new ort.Tensor('float16', new Uint16Array(0), dims) : new ort.Tensor('float32', new Float32Array(0), dims);
}

function argmax(row: Float32Array): number {
  let best = 0;
  let value = -Infinity;
  for (let i = 0; i < row.length; i++) {
    const x = row[i]!;
    if (x > value) {
      value = x;
      best = i;
    }
  }
  return best;
}

async function generate(request: GenerateRequest): Promise<void> {
  if (!session || !loaded) throw new Error('No session loaded.');
  const config = loaded;
  if (config.generation === 'one-run') {
    const result = await runOneGeneration(session, request, config);
    post(result, result.logits?.map((l) => l.buffer as ArrayBuffer) ?? []);
    return;
  }
  const layers = config.numLayers;
  let pastKeys: ort.Tensor[] = Array.from({ length: layers }, () => emptyCache(config));
  let pastValues: ort.Tensor[] = Array.from({ length: layers }, () => emptyCache(config));
  let position = 0;
  const collected: Float32Array[] = [];
  // Blocked decode: frozen cache (keys transposed, or as rows for Quest) of `frozenLength` tokens;
  // past* then hold the tail.
  const block = config.decodeBlock ?? DEFAULT_BLOCK;
  const rowsLayout = decodeSession?.inputNames.includes(FROZEN_IO.key(0)) ?? false;
  const frozenKeyInput = rowsLayout ? FROZEN_IO.key : FROZEN_IO.keyT;
  const page = config.decodePageSize ?? 16;
  // A sparse method's graph over keys transposed (SnapKV, Ada-SnapKV, StreamingLLM) must stay that
  // method, so its cache is frozen from the first step on (a short one as one block). dense-decode-
  // blocked, and Quest before a page is complete (then Quest is dense attention), hand the steps
  // without a frozen part to the full-cache prefill graph.
  const freezeAtOnce = !rowsLayout && config.decodeMethod !== undefined && config.decodeMethod !== 'dense-decode-blocked';
  /** The block P V over the frozen part is split by (FROZEN_IO.block); it divides frozenLength. */
  let frozenBlock = block;
  let frozenKeys: ort.Tensor[] = [];
  let frozenValues: ort.Tensor[] = [];
  let frozenLength = 0;
  const dispose = (tensors: ort.Tensor[]): void => {
    for (const t of tensors) if (t.location === 'gpu-buffer') t.dispose();
  };
  // Attention states by input name (empty until a session outputs them).
  const states = new Map<string, ort.Tensor>();
  const stateSpecs = [...(config.states?.prefill ?? []), ...(config.states?.decode ?? [])];
  /** Every layer's current past as the feeds of a cache graph (freeze, merge, compress, window). */
  const pastFeeds = (): Record<string, ort.Tensor> => {
    const feeds: Record<string, ort.Tensor> = {};
    for (let l = 0; l < layers; l++) {
      feeds[GRAPH_IO.pastKey(l)] = pastKeys[l]!;
      feeds[GRAPH_IO.pastValue(l)] = pastValues[l]!;
    }
    return feeds;
  };
  /** The new past from a cache graph's outputs (the caller has disposed of the old one). */
  const takePast = (out: Record<string, ort.Tensor>, key: (l: number) => string, value: (l: number) => string): void => {
    pastKeys = Array.from({ length: layers }, (_, l) => out[key(l)]!);
    pastValues = Array.from({ length: layers }, (_, l) => out[value(l)]!);
  };
  /** Moves the first `n` tokens of the current past into the frozen cache. */
  const freeze = async (n: number): Promise<void> => {
    const feeds: Record<string, ort.Tensor> = { ...pastFeeds(), [SPLIT_AT]: new ort.Tensor('int64', BigInt64Array.of(BigInt(n)), [1]) };
    for (let l = 0; l < layers; l++) {
      if (frozenLength > 0) {
        feeds[frozenKeyInput(l)] = frozenKeys[l]!;
        feeds[FROZEN_IO.value(l)] = frozenValues[l]!;
      }
    }
    const out = await (frozenLength > 0 ? mergeSession! : freezeSession!).run(feeds);
    dispose([...pastKeys, ...pastValues, ...frozenKeys, ...frozenValues]);
    frozenKeys = Array.from({ length: layers }, (_, l) => out[CACHE_OUT.keyT(l)]!);
    frozenValues = Array.from({ length: layers }, (_, l) => out[CACHE_OUT.value(l)]!);
    takePast(out, CACHE_OUT.tailKey, CACHE_OUT.tailValue);
    frozenLength += n;
  };
  /** SnapKV: replaces the prompt's cache by the kept tokens (the position counter stays absolute). */
  let compressed = false;
  const compress = async (): Promise<void> => {
    const capacity = request.attentionInputs?.[SNAPKV_IO.capacity] ?? config.compress?.capacity;
    if (capacity === undefined) throw new Error(`${config.compress!.variant} needs its budget: attentionInputs["${SNAPKV_IO.capacity}"] or params.capacity.`);
    const feeds: Record<string, ort.Tensor> = { ...pastFeeds(), [SNAPKV_IO.capacity]: new ort.Tensor('int64', BigInt64Array.of(BigInt(capacity)), []) };
    const windows = Array.from({ length: layers }, (_, l) => ATTENTION_STATE.input(l, SNAPKV_IO.windowState));
    for (let l = 0; l < layers; l++) {
      const window = states.get(windows[l]!);
      if (!window) throw new Error(`The prefill graph kept no window queries (${windows[l]}); build it with windowQueries.`);
      feeds[windows[l]!] = window;
    }
    const out = await compressSession!.run(feeds);
    dispose([...pastKeys, ...pastValues, ...windows.map((w) => states.get(w)!)]);
    for (const w of windows) states.delete(w);
    takePast(out, SNAPKV_IO.key, SNAPKV_IO.value);
    for (let l = 0; l < layers; l++) {
      dispose([out[SNAPKV_IO.kept(l)]!]);
      const mask = out[ATTENTION_STATE.output(l, SNAPKV_IO.maskState)];
      if (mask) states.set(ATTENTION_STATE.input(l, SNAPKV_IO.maskState), mask);
    }
    compressed = true;
  };
  /** StreamingLLM (blocked): the first kept position after the sinks, fed to every decode step. */
  let windowStart: number | null = null;
  const evictOutsideWindow = async (): Promise<void> => {
    const sinks = request.attentionInputs?.[SINK_WINDOW_IO.decode.sink] ?? config.streaming?.sinks;
    const recent = request.attentionInputs?.[SINK_WINDOW_IO.decode.window] ?? config.streaming?.recent;
    if (sinks === undefined || recent === undefined) throw new Error(`streaming-llm needs its budget: attentionInputs["${SINK_WINDOW_IO.decode.sink}"] and ["${SINK_WINDOW_IO.decode.window}"], or params.sinks and params.recent.`);
    // The cache holds the prompt's `position` tokens; the next step (total position + 1) reads the
    // sinks and positions from position + 1 - recent on, and later steps only later ones.
    windowStart = Math.max(sinks, position + 1 - recent);
    if (windowStart <= sinks) return;
    const feeds: Record<string, ort.Tensor> = {
      ...pastFeeds(),
      [WINDOW_IO.sinks]: new ort.Tensor('int64', BigInt64Array.of(BigInt(sinks)), [1]),
      [WINDOW_IO.from]: new ort.Tensor('int64', BigInt64Array.of(BigInt(windowStart)), [1]),
    };
    const out = await windowSession!.run(feeds);
    dispose([...pastKeys, ...pastValues]);
    takePast(out, CACHE_OUT.tailKey, CACHE_OUT.tailValue);
  };
  let compressMs: number | undefined;
  const chunkMs: number[] = [];
  const decodeMs: number[] = [];
  let keptPairs: number | undefined;
  let gatheredPairs: number | undefined;

  // The decode graph serves decode steps only; a one-token last prefill chunk stays in the prefill graph.
  const step = async (ids: readonly number[], decoding = false): Promise<Float32Array> => {
    let active = decoding && ids.length === 1 && decodeSession ? decodeSession : session!;
    if (active === decodeSession && freezeSession) {
      // The tail before this step (after SnapKV's compression the cache is shorter than the position).
      const tail = pastKeys[0]!.dims[2]!;
      if (rowsLayout) {
        // Quest: whole pages; the first as soon as one is complete (a chosen page is then always
        // in the frozen part or the tail), then every complete page once the tail holds 2 blocks.
        if (tail >= (frozenLength === 0 ? page : 2 * block + 1)) await freeze(Math.floor(tail / page) * page);
      } else if (tail > 2 * block) {
        // Move whole blocks once the tail holds 2, leaving at least one token in the tail; a frozen
        // part frozen as one short block grows to a multiple of the block here.
        await freeze(Math.floor((frozenLength + tail - 1) / block) * block - frozenLength);
        frozenBlock = block;
      } else if (frozenLength === 0 && freezeAtOnce) {
        frozenBlock = Math.max(1, tail - 1);
        await freeze(frozenBlock);
      }
      if (frozenLength === 0) active = session!; // too short to freeze yet: the full-cache graph
    }
    // The sessions this step runs: the prefill graph's stages in order (one unless split), or the decode graph.
    const pipeline = active === session ? prefillStages : [active];
    const has = (name: string): boolean => pipeline.some((s) => s.inputNames.includes(name));
    const feeds: Record<string, ort.Tensor> = {
      [GRAPH_IO.inputIds]: new ort.Tensor('int64', BigInt64Array.from(ids, (t) => BigInt(t)), [1, ids.length]),
      [GRAPH_IO.seqlensK]: new ort.Tensor('int32', Int32Array.of(position + ids.length - 1), [1]),
      [GRAPH_IO.totalSequenceLength]: new ort.Tensor('int32', Int32Array.of(position + ids.length), []),
    };
    if (has(GRAPH_IO.positionIds)) {
      feeds[GRAPH_IO.positionIds] = new ort.Tensor('int64', BigInt64Array.from(ids, (_, i) => BigInt(position + i)), [1, ids.length]);
    }
    for (let layer = 0; layer < layers; layer++) {
      feeds[GRAPH_IO.pastKey(layer)] = pastKeys[layer]!;
      feeds[GRAPH_IO.pastValue(layer)] = pastValues[layer]!;
      if (active === decodeSession && frozenLength > 0) {
        feeds[frozenKeyInput(layer)] = frozenKeys[layer]!;
        feeds[FROZEN_IO.value(layer)] = frozenValues[layer]!;
      }
    }
    for (const [name, value] of Object.entries(request.attentionInputs ?? {})) {
      if (has(name)) feeds[name] = new ort.Tensor('int64', BigInt64Array.of(BigInt(value)), []);
    }
    if (has(FROZEN_IO.length)) feeds[FROZEN_IO.length] = new ort.Tensor('int64', BigInt64Array.of(BigInt(frozenLength)), [1]);
    if (has(FROZEN_IO.block)) feeds[FROZEN_IO.block] = new ort.Tensor('int64', BigInt64Array.of(BigInt(frozenBlock)), [1]);
    if (windowStart !== null && has(STREAMING_IO.windowStart)) feeds[STREAMING_IO.windowStart] = new ort.Tensor('int64', BigInt64Array.of(BigInt(windowStart)), []);
    for (const spec of stateSpecs) if (has(spec.input)) feeds[spec.input] = states.get(spec.input) ?? emptyState(spec);
    // Each stage's own inputs, and the residual stream from the stage before.
    const outputs: Record<string, ort.Tensor> = {};
    let hidden: ort.Tensor | undefined;
    for (const stage of pipeline) {
      const stageFeeds: Record<string, ort.Tensor> = {};
      for (const name of stage.inputNames) {
        const value = name === GRAPH_IO.hiddenIn ? hidden : feeds[name];
        if (value) stageFeeds[name] = value;
      }
      const out = await stage.run(stageFeeds);
      if (hidden) dispose([hidden]);
      hidden = out[GRAPH_IO.hiddenOut];
      const kept = statValue(out, 'kept_pairs');
      if (kept !== undefined && !decoding) keptPairs = (keptPairs ?? 0) + kept;
      const gathered = statValue(out, 'gathered_pairs');
      if (gathered !== undefined && !decoding) gatheredPairs = (gatheredPairs ?? 0) + gathered;
      for (const [name, value] of Object.entries(out)) if (name !== GRAPH_IO.hiddenOut) outputs[name] = value;
    }
    for (const spec of stateSpecs) {
      const next = outputs[spec.output];
      if (!next) continue;
      const previous = states.get(spec.input);
      if (previous) dispose([previous]);
      states.set(spec.input, next);
    }
    for (const t of [...pastKeys, ...pastValues]) if (t.location === 'gpu-buffer') t.dispose();
    pastKeys = Array.from({ length: layers }, (_, layer) => outputs[GRAPH_IO.presentKey(layer)]!);
    pastValues = Array.from({ length: layers }, (_, layer) => outputs[GRAPH_IO.presentValue(layer)]!);
    position += ids.length;
    const logits = outputs[GRAPH_IO.logits]!;
    const data = logits.data as Float32Array;
    const vocab = logits.dims[2]!;
    const rows = logits.dims[1]!;
    if (request.returnLogits) for (let r = 0; r < rows; r++) collected.push(data.slice(r * vocab, (r + 1) * vocab));
    return data.subarray((rows - 1) * vocab, rows * vocab);
  };

  try {
    const prefillStart = performance.now();
    let last: Float32Array = new Float32Array(0);
    const chunk = Math.max(1, request.chunkSize);
    for (let at = 0; at < request.promptIds.length; at += chunk) {
      const t0 = performance.now();
      last = await step(request.promptIds.slice(at, at + chunk));
      chunkMs.push(performance.now() - t0);
      post({ type: 'progress', id: request.id, done: Math.min(at + chunk, request.promptIds.length), total: request.promptIds.length, chunkMs: chunkMs[chunkMs.length - 1]! });
    }
    const prefillMs = performance.now() - prefillStart;
    const tokens: number[] = [];
    const stops = new Set(request.stopTokenIds);
    let finishReason: 'stop' | 'length' = 'length';
    while (tokens.length < request.maxNewTokens) {
      const token = request.forcedTokens?.[tokens.length] ?? argmax(last);
      tokens.push(token);
      if (stops.has(token)) {
        finishReason = 'stop';
        break;
      }
      if (tokens.length >= request.maxNewTokens) break;
      if (compressSession && !compressed) {
        // SnapKV: once, before the first decode step (timed on its own).
        const c0 = performance.now();
        await compress();
        compressMs = performance.now() - c0;
      }
      if (windowSession && windowStart === null) {
        const c0 = performance.now();
        await evictOutsideWindow();
        compressMs = performance.now() - c0;
      }
      const t0 = performance.now();
      last = await step([token], true);
      decodeMs.push(performance.now() - t0);
    }
    const message: WorkerMessage = {
      type: 'result',
      id: request.id,
      tokens,
      finishReason,
      ...(request.returnLogits ? { logits: collected } : {}),
      timings: { generationMs: performance.now() - prefillStart, prefillMs, chunkMs, decodeMs, ...(compressMs !== undefined ? { compressMs } : {}) },
      ...(keptPairs !== undefined ? { attentionStats: { keptPairs, ...(gatheredPairs !== undefined ? { gatheredPairs } : {}) } } : {}),
    };
    post(message, request.returnLogits ? collected.map((l) => l.buffer as ArrayBuffer) : []);
  } finally {
    dispose([...pastKeys, ...pastValues, ...frozenKeys, ...frozenValues, ...states.values()]);
  }
}

channel.listen((request: WorkerRequest) => {
  const run = async (): Promise<void> => {
    if (request.type === 'load') await load(request);
    else if (request.type === 'generate') await generate(request);
    else {
      // The profile lands in `<profilePrefix>_<timestamp>.json`; the caller finds it by prefix.
      if (loaded?.profilePrefix) for (const s of prefillStages) s.endProfiling();
      for (const s of prefillStages) await s.release();
      prefillStages = [];
      await decodeSession?.release();
      await freezeSession?.release();
      await mergeSession?.release();
      await compressSession?.release();
      await windowSession?.release();
      compressSession = null;
      windowSession = null;
      session = null;
      decodeSession = null;
      freezeSession = null;
      mergeSession = null;
      post({ type: 'closed' });
    }
  };
  run().catch((error: unknown) => {
    post({ type: 'error', ...(request.type === 'generate' ? { id: request.id } : {}), message: error instanceof Error ? error.message : String(error) });
  });
});
