// The engine's runtimes (CPU, WebGPU, CUDA) differ in op forms and in how a generation runs, not in
// what a model is. Every choice that depends on the runtime is made here, in one profile per device,
// and the graph builders, the engine and the session worker consult it (as onnxruntime-genai's model
// builder picks op forms per execution provider in one place).
import type { Precision } from '../graph/decoder.js';

/** Where the engine runs: onnxruntime's CPU, WebGPU or CUDA execution provider. */
export type Device = 'cpu' | 'webgpu' | 'cuda';

/** The devices, in the order `auto` prefers them. */
export const DEVICES: readonly Device[] = ['cuda', 'webgpu', 'cpu'];

/** What `--device` (and a recipe's engine `device`) accepts: a device, or `auto` (runtime/resolve-device.ts). */
export const DEVICE_CHOICES = ['auto', 'cpu', 'webgpu', 'cuda'] as const;
export type DeviceRequest = (typeof DEVICE_CHOICES)[number];

/** How one generation runs. */
export type GenerationForm =
  /** A session run per prefill chunk and decode step; the KV cache is fed back between runs. */
  | 'stepwise'
  /** Prefill and greedy decoding in one run (graph/generation-graph.ts): nothing lives between runs. */
  | 'one-run';

/** One runtime's choices. */
export interface RuntimeProfile {
  readonly device: Device;
  readonly description: string;
  /** Graph precision when none is asked for. */
  readonly precision: Precision;
  /**
   * Precision of the weight MatMuls in fp16 graphs when none is asked for. WebGPU's fp16 MatMul
   * accumulates in fp16 (docs/engine.md), so its graphs cast to fp32; cuBLAS accumulates fp16
   * products in fp32 on tensor cores.
   */
  readonly matmulPrecision: Precision;
  readonly generation: GenerationForm;
  /**
   * Stepwise runtimes: the decode graph used when none is asked for (a second session), or none (the
   * prefill graph decodes too).
   */
  readonly decodeGraph?: string;
  /** Stepwise runtimes: the dense decode graph that runs beside a sparse prefill graph. */
  readonly denseDecodeBesideSparsePrefill: string;
  /** Sparse decode methods read the blocked cache (`params.cache: 'blocked'`) unless told otherwise. */
  readonly blockedSparseDecode: boolean;
  /**
   * One-run graphs run Block-Sparse (blocks of 64) through com.microsoft SparseAttention, a fused
   * block-sparse kernel (CUDA); elsewhere the method's generic operators run.
   */
  readonly sparseAttentionKernel: boolean;
  /** Cache outputs stay in device buffers between runs (`preferredOutputLocation: 'gpu-buffer'`). */
  readonly deviceResidentCache: boolean;
  /**
   * Where the session worker runs: a thread of this process, or a child process whose environment
   * carries what the provider reads from it (the CUDA provider reads ORT_CUDA_TUNABLE_OP_ENABLE and
   * needs its CUDA libraries on LD_LIBRARY_PATH, which the dynamic loader reads at process start).
   */
  readonly worker: 'thread' | 'process';
  /** Environment of a `process` worker, on top of the caller's (never set in the caller's own). */
  readonly workerEnv: Readonly<Record<string, string>>;
}

/** The profiles, one literal per device: the registry and the documentation of the choices. */
export const RUNTIME_PROFILES = {
  cpu: {
    device: 'cpu',
    description: "onnxruntime's CPU provider: fp32, a run per prefill chunk and decode step (any machine; CI)",
    precision: 'fp32',
    matmulPrecision: 'fp32',
    generation: 'stepwise',
    denseDecodeBesideSparsePrefill: 'dense-decode',
    blockedSparseDecode: false,
    sparseAttentionKernel: false,
    deviceResidentCache: false,
    worker: 'thread',
    workerEnv: {},
  },
  webgpu: {
    device: 'webgpu',
    description: "onnxruntime's WebGPU provider (Vulkan, Metal, D3D12): fp16 weights with fp32 MatMuls, the KV cache kept in GPU buffers between runs",
    precision: 'fp16',
    matmulPrecision: 'fp32',
    generation: 'stepwise',
    decodeGraph: 'dense-decode-blocked',
    denseDecodeBesideSparsePrefill: 'dense-decode-blocked',
    blockedSparseDecode: true,
    sparseAttentionKernel: false,
    deviceResidentCache: true,
    worker: 'thread',
    workerEnv: {},
  },
  cuda: {
    device: 'cuda',
    description: "onnxruntime's CUDA provider (NVIDIA): fp16 tensor-core MatMuls, fused flash attention, a whole generation in one run",
    precision: 'fp16',
    matmulPrecision: 'fp16',
    generation: 'one-run',
    denseDecodeBesideSparsePrefill: 'dense',
    blockedSparseDecode: false,
    sparseAttentionKernel: true,
    deviceResidentCache: false,
    worker: 'process',
    // Tunable ops: the only switch Node has for them (com.microsoft SparseAttention requires them).
    workerEnv: { ORT_CUDA_TUNABLE_OP_ENABLE: '1' },
  },
} as const satisfies Record<Device, RuntimeProfile>;

/**
 * The profile of a device.
 * @throws Error naming the devices when `device` is none of them.
 * @example runtimeProfile('cuda').generation // 'one-run'
 */
export function runtimeProfile(device: string): RuntimeProfile {
  const profile = (RUNTIME_PROFILES as Record<string, RuntimeProfile>)[device];
  if (!profile) throw new Error(`Unknown engine device "${device}"; expected one of ${Object.keys(RUNTIME_PROFILES).join(', ')}.`);
  return profile;
}

/** onnxruntime-node's execution provider entry for a profile's device. */
export function executionProvider(
  device: Device,
  options: { webgpuValidation?: string; webgpuBufferCache?: string; deviceId?: number } = {},
): string | { name: string; [key: string]: unknown } {
  switch (device) {
    case 'cpu':
      return 'cpu';
    case 'webgpu':
      return { name: 'webgpu', ...(options.webgpuValidation ? { validationMode: options.webgpuValidation } : {}), ...(options.webgpuBufferCache ? { storageBufferCacheMode: options.webgpuBufferCache } : {}) };
    case 'cuda':
      return { name: 'cuda', deviceId: options.deviceId ?? 0 };
  }
}
