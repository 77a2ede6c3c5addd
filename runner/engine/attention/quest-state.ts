// Per-layer attention state: tensors an attention plug-in carries from one step to the next besides
// the KV cache (Quest's page bounds, Ada-SnapKV's validity mask, the prompt's last queries for
// SnapKV). A builder declares the input `attention_state.<layer>.<name>` (through ctx.sharedInput,
// so the one-layer test harness can feed it) and gives the updated tensor as the output
// `attention_state_out.<layer>.<name>`; the session worker threads each output into the next step's
// input (GPU buffers on WebGPU, like the cache) and feeds an empty tensor on the first step (the
// growing axis 0). Generic: first used by Quest, hence the file name. Also the token gather the
// decode plug-ins share.
import * as ort from 'onnxruntime-node';
import { int, type Dim, type GraphBuilder } from '../onnx/graph-builder.js';
import type { OnnxElementType } from '../onnx/proto.js';
import type { AttentionContext } from './types.js';

/** Names of the state inputs and outputs. */
export const ATTENTION_STATE = {
  inputPrefix: 'attention_state.',
  input: (layer: number, name: string) => `attention_state.${layer}.${name}`,
  output: (layer: number, name: string) => `attention_state_out.${layer}.${name}`,
  /** The output that feeds a state input. */
  outputOf: (input: string) => input.replace(/^attention_state\./, 'attention_state_out.'),
} as const;

/** A state as the worker needs it: its input and output names, dtype and the empty first value's dims. */
export interface AttentionStateSpec {
  input: string;
  output: string;
  type: OnnxElementType;
  /** Dims of the empty tensor fed on the first step (the growing axis is 0). */
  emptyDims: number[];
}

/**
 * The spec of a declared state input (symbolic dims become 0), or null for another input.
 * @example stateSpec('attention_state.0.min', 'float', [1, 2, 'pages', 16]) // { ..., emptyDims: [1, 2, 0, 16] }
 */
export function stateSpec(name: string, type: OnnxElementType, dims: readonly Dim[]): AttentionStateSpec | null {
  if (!name.startsWith(ATTENTION_STATE.inputPrefix)) return null;
  return { input: name, output: ATTENTION_STATE.outputOf(name), type, emptyDims: dims.map((x) => (typeof x === 'number' ? x : 0)) };
}

/** The empty first-step value of a state (its growing axis 0). @throws Error for a type with no empty value here. */
export function emptyState(state: AttentionStateSpec): ort.Tensor {
  const dims = state.emptyDims;
  if (state.type === 'float16') return new ort.Tensor('float16', new Uint16Array(0), dims);
  if (state.type === 'float') return new ort.Tensor('float32', new Float32Array(0), dims);
  if (state.type === 'int32') return new ort.Tensor('int32', new Int32Array(0), dims);
  if (state.type === 'int64') return new ort.Tensor('int64', new BigInt64Array(0), dims);
  throw new Error(`Attention state "${state.input}" has type ${state.type}, which has no empty value here.`);
}

/**
 * Declares one state of the context's layer: returns the previous value and a function that
 * declares the updated value as the state output. `dims` uses a symbolic name on the growing axis.
 * @example const s = attentionState(ctx, 'min', [1, kv, 'pages', d]); s.update(newMin)
 */
export function attentionState(ctx: AttentionContext, name: string, dims: readonly Dim[]): { value: string; update: (value: string) => void } {
  const value = ctx.sharedInput(ATTENTION_STATE.input(ctx.layer, name), ctx.valueType, dims);
  const outDims = dims.map((x) => (typeof x === 'number' ? x : `${x}_out`));
  return { value, update: (v) => ctx.graph.output(v, ATTENTION_STATE.output(ctx.layer, name), ctx.valueType, outDims) };
}

/**
 * Gathers tokens of a cache `[1, kv, T, d]` per KV head: `tokens` int32 `[1, kv, n]` -> `[1, kv, n, d]`.
 * The cache is viewed as `[kv x T, d]` rows and read with a plain Gather (global row g x T + t, int32:
 * WebGPU's elementwise kernels take int32, not int64; fine below 2^31 elements).
 * @example gatherTokens(g, presentKey, tokens, kv, d)
 */
export function gatherTokens(g: GraphBuilder, cache: string, tokens: string, kv: number, d: number): string {
  const length = g.op('Cast', [g.op('Shape', [cache], { start: int(2), end: int(3) })], { to: int(6) });
  const offsets = g.op('Mul', [g.int32(Array.from({ length: kv }, (_, i) => i), [1, kv, 1]), length]);
  return g.op('Gather', [g.op('Reshape', [cache, g.int64([-1, d])]), g.op('Add', [tokens, offsets])], { axis: int(0) });
}
