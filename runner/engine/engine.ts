// The engine: a checkpoint (or synthetic weights), its cached graph and a session worker, with
// greedy generation from token ids or chat messages.
import { loadHfTokenizer } from '../../generators/tokenizers/huggingface.js';
import { renderChat } from '../../generators/tokenizers/chat-template.js';
import type { Tokenizer } from '../../generators/tokenizers/types.js';
import type { ChatMessage } from '../../generators/core/sample.js';
import { openCheckpoint, type WeightSource } from './checkpoint/checkpoint.js';
import { contextLimit, type ModelSpec } from './checkpoint/config.js';
import { ensureGraph, defaultCacheDir, type CachedGraph } from './graph/graph-cache.js';
import { runtimeWeightCasts, type Precision } from './graph/model-graph.js';
import { EngineSession } from './session/engine-session.js';
import type { Device, GenerateResult, LoadRequest } from './session/protocol.js';
import { snapKvParams } from './attention/snapkv-io.js';
import { DEFAULT_PREFILL_CHUNK, prefillChunkSetting } from './attention/registry.js';
import { runtimeProfile, type GenerationForm, type RuntimeProfile } from './runtime/profile.js';
import { DEFAULT_MLP_CHUNK } from './graph/generation-graph.js';
import { loopDecodeMethod } from './attention/loop-decode.js';
import { kernelPrefill } from './attention/kernel-prefill.js';
import { resolveDevice } from './runtime/resolve-device.js';
import { cudaEngineEnv } from './runtime/cuda-env.js';

/** Options of `Engine.load`. */
export interface EngineOptions {
  /**
   * Where to run (default cpu): `auto` picks CUDA where its provider and an NVIDIA GPU work, else
   * WebGPU where an adapter works, else the CPU (runtime/resolve-device.ts), and logs which and why.
   */
  device?: Device | 'auto';
  /** Defaults (runtime/profile.ts): fp16 on CUDA and WebGPU, fp32 on CPU. */
  precision?: Precision;
  /**
   * How a generation runs (default: the device's profile): `stepwise`, a session run per prefill
   * chunk and decode step with the KV cache fed back (CPU, WebGPU); or `one-run`, prefill and greedy
   * decoding in one run of graph/generation-graph.ts (CUDA, where no output can stay on the GPU
   * between runs). One-run generation runs dense or any sparse prefill method over the whole prompt
   * (Block-Sparse and A-shape's block form through the fused SparseAttention kernel where the
   * profile has it) and any decode method of attention/loop-decode.ts (dense, quest, snapkv,
   * ada-snapkv, streaming-llm) inside its Loop; `chunkSize` is then its MLP chunk (a multiple of 256).
   */
  generation?: GenerationForm;
  /** One-run generation: return the logits each token was chosen from (`returnLogits`); a graph of its own. */
  stepLogits?: boolean;
  /**
   * Run the session worker as a child process (`process`) or a thread (default: the profile's; CUDA
   * runs in a child process whose environment carries the provider's settings and libraries).
   */
  worker?: 'thread' | 'process';
  /** Environment added to a child-process worker's (on top of the profile's). */
  workerEnv?: Record<string, string>;
  /** One-run graphs: use the fused SparseAttention kernel for the prefill methods it serves, Block-Sparse and A-shape's block form (default: the profile's; CUDA). */
  sparseAttentionKernel?: boolean;
  /** Attention method id (see attention/registry.ts) and parameters. */
  attention?: { method: string; params?: Record<string, unknown> };
  /**
   * A different method for single-token decode steps: a second graph and session (the weights are
   * then held twice), sharing the KV cache with the first. Default on WebGPU: `dense-decode-blocked`
   * (6x faster decode at 64k on an H100); on CPU: none (one graph). Sparse decode methods carry
   * per-layer attention state between steps (Quest's page bounds); SnapKV and Ada-SnapKV also make
   * the prefill graph keep the prompt's last `params.window` queries and compress the cache once
   * before the first decode step. On WebGPU, Quest, SnapKV, Ada-SnapKV and StreamingLLM read the
   * blocked cache as dense-decode-blocked does (`params.cache: 'blocked'`, the default there).
   * With one-run generation the method runs inside the generation graph's Loop instead (no second
   * graph; the same budget inputs).
   */
  decodeAttention?: { method: string; params?: Record<string, unknown> };
  /** One graph for prefill and decode (no decode graph, weights held once), whatever the device. */
  singleGraph?: boolean;
  /** Precision of the vocabulary projection in fp16 graphs (see GraphSettings.headPrecision). */
  headPrecision?: Precision;
  /**
   * Precision of the weight MatMuls in fp16 graphs (see GraphSettings.matmulPrecision): `fp32`
   * keeps fp16 weights in memory and accumulates in fp32. Default: fp32 (WebGPU's fp16 MatMul
   * accumulates in fp16; with fp32 the engine's greedy tokens equal transformers' on the H100).
   */
  matmulPrecision?: Precision;
  /**
   * With fp32 MatMuls in an fp16 graph, where the fp16 weights become fp32 (H100, Qwen2.5-7B shape,
   * docs/engine.md): `folded` (default) folds the casts at load, so each session holds fp32 weights
   * (4k prefill 2.9 s, decode 47 ms/step, 69 GB at 64k with the decode graph); `decode-folded` only
   * in the decode session (the prefill's per-run fp32 copies made it slower, 4.5 s, and larger:
   * 71 GB at 4k, out of memory at 64k); `runtime` casts in every run (weights held once in fp16,
   * but per-run fp32 buffers: 1.7 s per decode step, 4.1 s per 4k chunk). The graphs are the same;
   * only the sessions differ.
   */
  weightCasts?: 'runtime' | 'decode-folded' | 'folded';
  /** Prefill chunk length in tokens (default 4096). */
  chunkSize?: number;
  /**
   * Split the prefill graph into this many graphs over consecutive layers (default 1), run one after
   * the other for each chunk. onnxruntime's WebGPU provider gives a run's large intermediates back
   * only when the run returns, so a chunk's peak memory holds one stage's instead of every layer's
   * (docs/engine.md, "What exhausts memory"); each stage is one more run per chunk. Needs a separate
   * decode graph when decoding (the default on WebGPU): otherwise decode steps run the stages too.
   */
  prefillStages?: number;
  /** Longest context to serve (default: the model's context limit). */
  maxLength?: number;
  /** Apply YaRN with this factor over max_position_embeddings (as the paper did for Qwen2.5 > 32k). */
  yarnFactor?: number;
  /** Emit logits of every prompt position (tests). */
  allLogits?: boolean;
  cacheDir?: string;
  disableCpuFallback?: boolean;
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  profilePrefix?: string;
  intraOpThreads?: number;
  /** WebGPU validation mode (default: onnxruntime's 'basic'). */
  webgpuValidation?: 'disabled' | 'wgpuOnly' | 'basic' | 'full';
  /**
   * How onnxruntime's WebGPU provider reuses freed storage buffers (its storageBufferCacheMode;
   * default: the provider's own). 'disabled' frees each buffer when its tensor dies, which
   * bounds memory when every run's intermediates have new sizes (sparse prefill chunks).
   */
  webgpuBufferCache?: 'disabled' | 'lazyRelease' | 'simple' | 'bucket';
  /** Reports progress (graph building, loading) to a logger such as stderr. */
  log?: (line: string) => void;
}

/** The defined entries of an environment. */
function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''));
}

/** Applies a YaRN override to a spec (Qwen2.5 beyond 32k, as in the paper). */
export function withYarn(spec: ModelSpec, factor: number): ModelSpec {
  if (!(factor > 1)) throw new RangeError(`yarnFactor must be greater than 1, got ${factor}.`);
  if (spec.rope.type !== 'default') throw new Error(`The checkpoint already sets rope_scaling "${spec.rope.type}"; a YaRN override applies to default RoPE only.`);
  return {
    ...spec,
    rope: { type: 'yarn', factor, originalMaxPositionEmbeddings: spec.maxPositionEmbeddings, betaFast: 32, betaSlow: 1, attentionFactor: 0.1 * Math.log(factor) + 1, truncate: true },
  };
}

/** A loaded model ready to generate. */
/** Sparse decode methods that read the blocked cache (`params.cache: 'blocked'`), as dense-decode-blocked does. */
export const BLOCKED_DECODE_METHODS: readonly string[] = ['quest', 'snapkv', 'ada-snapkv', 'streaming-llm'];

/**
 * On WebGPU a sparse decode method reads the blocked cache unless its params say otherwise (a flat
 * cache is copied whole by every step's append); on the CPU the flat cache stays the default.
 */
function withDecodeCache(attention: EngineOptions['decodeAttention'], profile: RuntimeProfile): EngineOptions['decodeAttention'] {
  if (!attention || !profile.blockedSparseDecode || !BLOCKED_DECODE_METHODS.includes(attention.method) || attention.params?.['cache'] !== undefined) return attention;
  return { ...attention, params: { ...attention.params, cache: 'blocked' } };
}

export class Engine {
  private tokenizerCache: Tokenizer | null = null;

  private constructor(
    readonly spec: ModelSpec,
    readonly graph: CachedGraph,
    readonly session: EngineSession,
    readonly stopTokenIds: number[],
    readonly chunkSize: number,
    readonly maxLength: number,
    private readonly tokenizerDir: string | null,
  ) {}

  /**
   * Loads a Hugging Face checkpoint directory.
   * @throws UnsupportedConfigError for configs the engine can't run; Error for missing files.
   * @example const engine = await Engine.load('/models/Qwen2.5-0.5B-Instruct', { device: 'cpu' })
   */
  static async load(modelDir: string, options: EngineOptions = {}): Promise<Engine> {
    const ckpt = openCheckpoint(modelDir);
    return Engine.fromSource(ckpt.spec, ckpt.weights, ckpt.stopTokenIds, options, ckpt.hasTokenizer ? ckpt.dir : null);
  }

  /** Loads from any weight source (synthetic weights for benchmarks). */
  static async fromSource(spec0: ModelSpec, weights: WeightSource, stopTokenIds: number[], options: EngineOptions = {}, tokenizerDir: string | null = null): Promise<Engine> {
    const spec = options.yarnFactor ? withYarn(spec0, options.yarnFactor) : spec0;
    const log0 = options.log ?? (() => undefined);
    let device: Device = 'cpu';
    if (options.device === 'auto' || options.device === 'cuda') {
      // auto: probe; cuda: fail here, with the doctor's reason and the fix, when it can't run.
      const choice = await resolveDevice(options.device);
      log0(`engine: ${choice.reason}`);
      device = choice.device;
    } else if (options.device) device = options.device;
    const profile = runtimeProfile(device);
    const precision = options.precision ?? profile.precision;
    options = { ...options, matmulPrecision: options.matmulPrecision ?? profile.matmulPrecision };
    const maxLength = options.maxLength ?? contextLimit(spec);
    const log = options.log ?? (() => undefined);
    const generation = options.generation ?? profile.generation;
    log(`engine: preparing graph (${spec.architecture}, ${precision}, attention ${options.attention?.method ?? 'dense'}, ${generation} generation on ${device})`);
    // A child-process worker's environment: the profile's settings, and for CUDA the folders of the
    // provider's CUDA libraries on LD_LIBRARY_PATH (read at process start by the dynamic loader).
    const deviceEnv = device === 'cuda' ? definedOnly(cudaEngineEnv({ LD_LIBRARY_PATH: process.env['LD_LIBRARY_PATH'] ?? '' })) : {};
    const sessionWorker: { process?: { env: Record<string, string> } } = (options.worker ?? profile.worker) === 'process' ? { process: { env: { ...profile.workerEnv, ...deviceEnv, ...options.workerEnv } } } : {};
    if (generation === 'one-run') return Engine.oneRun(spec, weights, stopTokenIds, { ...options, device, precision, maxLength, log, sessionWorker, sparseAttentionKernel: options.sparseAttentionKernel ?? profile.sparseAttentionKernel }, tokenizerDir);
    const decodeAttention = withDecodeCache(options.singleGraph ? undefined : (options.decodeAttention ?? (profile.decodeGraph ? { method: profile.decodeGraph } : undefined)), profile);
    // SnapKV / Ada-SnapKV: the prefill graph keeps the prompt's last queries; a compress graph runs before decoding.
    const compress: LoadRequest['compress'] =
      decodeAttention?.method === 'snapkv' || decodeAttention?.method === 'ada-snapkv'
        ? {
            variant: decodeAttention.method,
            params: snapKvParams(decodeAttention.params),
            numHeads: spec.numHeads,
            ...(typeof decodeAttention.params?.['capacity'] === 'number' ? { capacity: decodeAttention.params['capacity'] } : {}),
          }
        : undefined;
    const stageCount = options.prefillStages ?? 1;
    if (!(Number.isInteger(stageCount) && stageCount >= 1 && stageCount <= spec.numLayers)) {
      throw new Error(`prefillStages must be an integer from 1 to the model's ${spec.numLayers} layers; got ${stageCount}.`);
    }
    const prefillSettings = (layers?: { from: number; to: number }): Parameters<typeof ensureGraph>[2] => ({
      ...(layers ? { layers } : {}),
      precision,
      logits: options.allLogits ? 'all' : 'last',
      attention: options.attention ?? { method: 'dense' },
      maxPositions: maxLength,
      // Fixed-pass sparse prefill graphs size their passes to the chunk (a longer one would fail).
      ...prefillChunkSetting(options.attention?.method ?? 'dense', options.chunkSize ?? DEFAULT_PREFILL_CHUNK),
      ...(options.headPrecision ? { headPrecision: options.headPrecision } : {}),
      ...(options.matmulPrecision ? { matmulPrecision: options.matmulPrecision } : {}),
      ...(compress ? { windowQueries: compress.params.window } : {}),
    });
    // Stages: near-equal runs of consecutive layers.
    const bounds = Array.from({ length: stageCount + 1 }, (_, i) => Math.round((i * spec.numLayers) / stageCount));
    const stages = stageCount > 1 ? bounds.slice(0, -1).map((from, i) => ({ from, to: bounds[i + 1]! })) : null;
    const stageGraphs = stages?.map((layers) => ({ ...layers, graph: ensureGraph(spec, weights, prefillSettings(layers), options.cacheDir ?? defaultCacheDir()) }));
    const graph = stageGraphs ? stageGraphs[0]!.graph : ensureGraph(spec, weights, prefillSettings(), options.cacheDir ?? defaultCacheDir());
    for (const g of stageGraphs?.map((s) => s.graph) ?? [graph]) log(g.built ? `engine: built graph ${g.key} in ${(g.buildMs / 1000).toFixed(1)} s` : `engine: using cached graph ${g.key}`);
    if (stageGraphs) log(`engine: prefill in ${stageGraphs.length} stages (layers ${stageGraphs.map((s) => `${s.from}-${s.to - 1}`).join(', ')})`);
    const decodeGraph = decodeAttention
      ? ensureGraph(spec, weights, { precision, logits: 'last', attention: decodeAttention, maxPositions: maxLength, ...(options.headPrecision ? { headPrecision: options.headPrecision } : {}), ...(options.matmulPrecision ? { matmulPrecision: options.matmulPrecision } : {}) }, options.cacheDir ?? defaultCacheDir())
      : null;
    if (decodeGraph) log(`engine: decode graph ${decodeGraph.key} (${decodeAttention!.method})`);
    const prefillStates = stageGraphs ? stageGraphs.flatMap((s) => s.graph.states) : graph.states;
    const session = await EngineSession.open({
      modelFile: graph.modelFile,
      ...(stageGraphs ? { prefillStages: stageGraphs.map((s) => ({ modelFile: s.graph.modelFile, from: s.from, to: s.to, states: s.graph.states })) } : {}),
      ...(decodeGraph ? { decodeModelFile: decodeGraph.modelFile } : {}),
      ...(compress ? { compress } : {}),
      ...(prefillStates.length || decodeGraph?.states.length ? { states: { prefill: prefillStates, decode: decodeGraph?.states ?? [] } } : {}),
      ...(typeof decodeAttention?.params?.['block'] === 'number' ? { decodeBlock: decodeAttention.params['block'] } : {}),
      ...(decodeAttention ? { decodeMethod: decodeAttention.method } : {}),
      ...(typeof decodeAttention?.params?.['pageSize'] === 'number' ? { decodePageSize: decodeAttention.params['pageSize'] } : {}),
      ...(decodeAttention?.method === 'streaming-llm'
        ? { streaming: { ...(typeof decodeAttention.params?.['sinks'] === 'number' ? { sinks: decodeAttention.params['sinks'] } : {}), ...(typeof decodeAttention.params?.['recent'] === 'number' ? { recent: decodeAttention.params['recent'] } : {}) } }
        : {}),
      device,
      precision,
      ...sessionWorker,
      numLayers: spec.numLayers,
      numKvHeads: spec.numKvHeads,
      headDim: spec.headDim,
      ...(options.disableCpuFallback ? { disableCpuFallback: true } : {}),
      ...(runtimeWeightCasts({ precision, ...(options.matmulPrecision ? { matmulPrecision: options.matmulPrecision } : {}) })
        ? { runtimeWeightCasts: true, foldWeightCasts: ({ runtime: 'none', 'decode-folded': 'decode', folded: 'all' } as const)[options.weightCasts ?? 'folded'] }
        : {}),
      ...(options.logSeverityLevel !== undefined ? { logSeverityLevel: options.logSeverityLevel } : {}),
      ...(options.profilePrefix ? { profilePrefix: options.profilePrefix } : {}),
      ...(options.intraOpThreads ? { intraOpThreads: options.intraOpThreads } : {}),
      ...(options.webgpuValidation ? { webgpuValidation: options.webgpuValidation } : {}),
      ...(options.webgpuBufferCache ? { webgpuBufferCache: options.webgpuBufferCache } : {}),
    });
    log(`engine: session loaded on ${device} in ${(session.loaded.loadMs / 1000).toFixed(1)} s`);
    return new Engine(spec, graph, session, stopTokenIds, options.chunkSize ?? DEFAULT_PREFILL_CHUNK, maxLength, tokenizerDir);
  }

  /**
   * The one-run form: one generation graph (graph/generation-graph.ts) in one session.
   * @throws Error naming the option the one-run form can't serve (prefill stages, an unknown method).
   */
  private static async oneRun(
    spec: ModelSpec,
    weights: WeightSource,
    stopTokenIds: number[],
    options: EngineOptions & { device: Device; precision: Precision; maxLength: number; log: (line: string) => void; sessionWorker: { process?: { env: Record<string, string> } } },
    tokenizerDir: string | null,
  ): Promise<Engine> {
    const refuse = (what: string): never => {
      throw new Error(`One-run generation (device ${options.device}) keeps every layer in one graph; ${what} is not available with it.`);
    };
    const decode = options.decodeAttention && options.decodeAttention.method !== 'dense' ? options.decodeAttention : undefined;
    if (decode) loopDecodeMethod(decode.method);
    if ((options.prefillStages ?? 1) > 1) refuse('prefillStages');
    const mlpChunk = options.chunkSize ?? DEFAULT_MLP_CHUNK;
    const graph = ensureGraph(
      spec,
      weights,
      {
        precision: options.precision,
        logits: options.allLogits ? 'all' : 'last',
        attention: options.attention ?? { method: 'dense' },
        maxPositions: options.maxLength,
        prefillChunk: mlpChunk,
        generation: {
          ...(options.stepLogits || options.allLogits ? { stepLogits: true } : {}),
          ...(decode ? { decode } : {}),
          // Only where the kernel serves the method (attention/kernel-prefill.ts), so other graphs keep their cache keys.
          ...(options.sparseAttentionKernel && options.attention && kernelPrefill(options.attention.method, spec.headDim, options.attention.params ?? {}) ? { kernels: { sparseAttention: true } } : {}),
        },
        ...(options.headPrecision ? { headPrecision: options.headPrecision } : {}),
        ...(options.matmulPrecision ? { matmulPrecision: options.matmulPrecision } : {}),
      },
      options.cacheDir ?? defaultCacheDir(),
    );
    options.log(graph.built ? `engine: built graph ${graph.key} in ${(graph.buildMs / 1000).toFixed(1)} s` : `engine: using cached graph ${graph.key}`);
    const session = await EngineSession.open({
      modelFile: graph.modelFile,
      device: options.device,
      generation: 'one-run',
      mlpChunk,
      precision: options.precision,
      ...options.sessionWorker,
      numLayers: spec.numLayers,
      numKvHeads: spec.numKvHeads,
      headDim: spec.headDim,
      ...(options.disableCpuFallback ? { disableCpuFallback: true } : {}),
      ...(runtimeWeightCasts({ precision: options.precision, ...(options.matmulPrecision ? { matmulPrecision: options.matmulPrecision } : {}) }) ? { runtimeWeightCasts: true, foldWeightCasts: 'all' as const } : {}),
      ...(options.logSeverityLevel !== undefined ? { logSeverityLevel: options.logSeverityLevel } : {}),
      ...(options.profilePrefix ? { profilePrefix: options.profilePrefix } : {}),
      ...(options.intraOpThreads ? { intraOpThreads: options.intraOpThreads } : {}),
    });
    options.log(`engine: session loaded on ${options.device} in ${(session.loaded.loadMs / 1000).toFixed(1)} s (one run a generation)`);
    return new Engine(spec, graph, session, stopTokenIds, mlpChunk, options.maxLength, tokenizerDir);
  }

  /** The checkpoint's tokenizer. @throws Error when the checkpoint has none. */
  get tokenizer(): Tokenizer {
    if (!this.tokenizerDir) throw new Error('This model has no tokenizer.json; pass token ids instead of text.');
    this.tokenizerCache ??= loadHfTokenizer(this.tokenizerDir);
    return this.tokenizerCache;
  }

  /**
   * Greedy generation from token ids. `extra.onProgress` hears after each prefill chunk (prompt
   * tokens done, of how many, the chunk's milliseconds).
   * @throws RangeError when prompt plus output exceed the context the graph serves.
   */
  generateIds(
    promptIds: readonly number[],
    maxNewTokens: number,
    extra: { returnLogits?: boolean; forcedTokens?: number[]; stopTokenIds?: number[]; attentionInputs?: Record<string, number>; onProgress?: (p: { done: number; total: number; chunkMs: number }) => void } = {},
  ): Promise<GenerateResult> {
    if (promptIds.length === 0) throw new RangeError('The prompt has no tokens.');
    if (promptIds.length + maxNewTokens > this.maxLength) {
      throw new RangeError(`Prompt (${promptIds.length} tokens) plus ${maxNewTokens} new tokens exceed the engine's context of ${this.maxLength} tokens.`);
    }
    return this.session.generate({
      promptIds: [...promptIds],
      maxNewTokens,
      stopTokenIds: extra.stopTokenIds ?? this.stopTokenIds,
      chunkSize: this.chunkSize,
      returnLogits: extra.returnLogits ?? false,
      ...(extra.forcedTokens ? { forcedTokens: extra.forcedTokens } : {}),
      ...(extra.attentionInputs ? { attentionInputs: extra.attentionInputs } : {}),
    }, extra.onProgress ? (p) => extra.onProgress!({ done: p.done, total: p.total, chunkMs: p.chunkMs }) : undefined);
  }

  /** Token ids of chat messages under the checkpoint's chat template (or the raw text without one). */
  encodeChat(messages: readonly ChatMessage[]): number[] {
    const tok = this.tokenizer;
    if (tok.chatTemplate) return tok.encode(renderChat(tok.chatTemplate, messages));
    return tok.encode(messages.map((m) => m.content).join('\n'));
  }

  async close(): Promise<void> {
    await this.session.close();
  }
}
