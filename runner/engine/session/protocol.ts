// Messages between the engine's main thread and its session worker. The worker owns the
// onnxruntime session and the KV cache (GPU buffers cannot leave the thread that made them), so
// the unit of work it accepts is a whole generation: prefill in chunks, then greedy decode.
import type { AttentionStateSpec } from '../attention/quest-state.js';
import type { SnapKvParams } from '../sparse/reference/snapkv.js';
import type { SnapKvVariant } from '../attention/snapkv-io.js';

import type { Device, GenerationForm } from '../runtime/profile.js';

export type { Device };

/** Loads a graph. */
export interface LoadRequest {
  type: 'load';
  modelFile: string;
  /** A second graph for single-token decode steps (another attention method), sharing the cache. */
  decodeModelFile?: string;
  /**
   * A prefill split into stages over consecutive layers (GraphSettings.layers), run one after the
   * other for each chunk with the residual stream passed on the device; replaces `modelFile`'s
   * session (which is stage 0's). Each run gives back its intermediates when it returns, so a chunk's
   * peak holds one stage's instead of every layer's.
   */
  prefillStages?: { modelFile: string; from: number; to: number; states: AttentionStateSpec[] }[];
  /**
   * Per-layer attention states of each graph (attention/quest-state.ts): the worker feeds each
   * session the states it declares (empty on the first step) and keeps what it outputs. Separate
   * per graph: on WebGPU each session's preferred output locations may only name its own outputs.
   */
  states?: { prefill: AttentionStateSpec[]; decode: AttentionStateSpec[] };
  /**
   * SnapKV / Ada-SnapKV: compress the cache once between prefill and the first decode step
   * (graph/snapkv-compress.ts). `capacity` is used when the request's attentionInputs give none.
   */
  compress?: { variant: SnapKvVariant; params: SnapKvParams; numHeads: number; capacity?: number };
  /** Block size of a blocked decode graph (`dense-decode-blocked`): tokens frozen or moved at once. */
  decodeBlock?: number;
  /**
   * The decode graph's attention method. The cache of a blocked SnapKV, Ada-SnapKV or StreamingLLM
   * graph is frozen from the first decode step on (dense-decode-blocked hands the steps of a cache
   * too short to freeze to the prefill graph).
   */
  decodeMethod?: string;
  /** StreamingLLM's budget when its params bake it in (else each request's attentionInputs give it). */
  streaming?: { sinks?: number; recent?: number };
  /** Page size of a blocked Quest decode graph (frozen keys as rows): whole pages are frozen. */
  decodePageSize?: number;
  device: Device;
  /**
   * How a generation runs (runtime/profile.ts): `one-run` loads the generation graph of
   * graph/generation-graph.ts as `modelFile` and runs each generation as one session run.
   */
  generation?: GenerationForm;
  /** One-run graphs: rows of an MLP chunk the graph was built for (its prefillChunk). */
  mlpChunk?: number;
  precision: 'fp32' | 'fp16';
  numLayers: number;
  numKvHeads: number;
  headDim: number;
  /** Fail session creation if any node would run on the CPU provider (WebGPU only). */
  disableCpuFallback?: boolean;
  /**
   * The graphs cast fp16 weights to fp32 at run time (matmulPrecision fp32): sessions must not
   * constant-fold those casts (which would hold fp32 copies of the weights).
   */
  runtimeWeightCasts?: boolean;
  /**
   * With runtimeWeightCasts: which sessions fold the casts at load instead, holding fp32 copies of
   * the weights on the device (see EngineOptions.weightCasts). Default 'none'.
   */
  foldWeightCasts?: 'none' | 'decode' | 'all';
  /** onnxruntime log level (0 verbose .. 4 fatal); verbose shows node placement. */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  /** Writes an onnxruntime profile (JSON) with this prefix. */
  profilePrefix?: string;
  /** CPU provider threads. */
  intraOpThreads?: number;
  /** WebGPU validation mode (onnxruntime's default is 'basic'; 'disabled' saves CPU time per dispatch). */
  webgpuValidation?: 'disabled' | 'wgpuOnly' | 'basic' | 'full';
  /** onnxruntime's WebGPU storageBufferCacheMode (EngineOptions.webgpuBufferCache). */
  webgpuBufferCache?: 'disabled' | 'lazyRelease' | 'simple' | 'bucket';
}

/** Runs one generation. */
export interface GenerateRequest {
  type: 'generate';
  id: number;
  promptIds: number[];
  maxNewTokens: number;
  stopTokenIds: number[];
  /** Prefill chunk length in tokens. */
  chunkSize: number;
  /** Return the logits of every step (tests; small vocabularies only). */
  returnLogits: boolean;
  /** Force these tokens instead of the argmax (teacher forcing, for comparisons). */
  forcedTokens?: number[];
  /** int64 scalar graph inputs of attention budgets (e.g. sink-window.ts's), fed to the graphs that declare them. */
  attentionInputs?: Record<string, number>;
}

export interface CloseRequest {
  type: 'close';
}

export type WorkerRequest = LoadRequest | GenerateRequest | CloseRequest;

/** Timings of one generation, milliseconds. */
export interface GenerationTimings {
  /** The whole generation (prefill, any cache step and decoding). */
  generationMs: number;
  /** Stepwise generation: the prefill's time (absent for one-run generation, which has no separate prefill). */
  prefillMs?: number;
  /** Each prefill chunk's time. */
  chunkMs: number[];
  /** Each decode step's time (the step that produced token i+1). */
  decodeMs: number[];
  /** SnapKV / Ada-SnapKV (compression) and blocked StreamingLLM (eviction outside the window): the cache step between prefill and the first decode step. */
  compressMs?: number;
}

export interface GenerateResult {
  type: 'result';
  id: number;
  tokens: number[];
  finishReason: 'stop' | 'length';
  /** Logits per step: prefill positions (all or last, as the graph emits) then one per decode step. */
  logits?: Float32Array[];
  timings: GenerationTimings;
  /**
   * Statistics the prefill graph's attention reported (attention/stats.ts), summed over its layers
   * and the prompt's chunks: `keptPairs` for Vertical-Slash and FlexPrefill (data-dependent patterns),
   * and `gatheredPairs`, the query-key slots their attention computed (padding and masked slots included).
   */
  attentionStats?: { keptPairs?: number; gatheredPairs?: number };
}

export interface LoadedMessage {
  type: 'loaded';
  loadMs: number;
  inputNames: string[];
  outputNames: string[];
}

export interface ErrorMessage {
  type: 'error';
  id?: number;
  message: string;
}

export interface ClosedMessage {
  type: 'closed';
}

/** Sent after each prefill chunk of a generation: prompt tokens done, of how many, and the chunk's time. */
export interface ProgressMessage {
  type: 'progress';
  id: number;
  done: number;
  total: number;
  chunkMs: number;
}

export type WorkerMessage = GenerateResult | LoadedMessage | ErrorMessage | ClosedMessage | ProgressMessage;
