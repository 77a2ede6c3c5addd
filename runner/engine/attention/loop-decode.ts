// Decode attention inside the one-run generation graph's Loop (graph/generation-graph.ts): the
// plug-in contract for decode methods there, and dense attention. A method has two parts:
// `prepare`, in the outer graph once the prompt is prefilled, turns a layer's prompt cache into what
// its steps read (the whole cache for dense; a compacted cache, page bounds or a window for sparse
// methods); `attend`, in the Loop body, attends one new token's query over that and over the tail
// of generated tokens (carried by the Loop, the new token's key and value already appended).
// Values of the outer graph are read by every iteration, never copied.
import { float, int, ints, type GraphBuilder } from '../onnx/graph-builder.js';
import type { OnnxElementType } from '../onnx/proto.js';
import type { ModelSpec } from '../checkpoint/config.js';
import { questLoopDecode } from './loop-quest.js';
import { snapKvLoopDecode } from './loop-snapkv.js';
import { adaSnapKvLoopDecode } from './loop-ada-snapkv.js';
import { streamingLlmLoopDecode } from './loop-streaming-llm.js';

/** Tokens of a block of the prompt cache: P V runs over blocks, the prompt is padded to whole blocks. */
export const LOOP_BLOCK = 256;

/** What `prepare` gets: one layer's prompt, in the outer graph. */
export interface LoopPrepareContext {
  graph: GraphBuilder;
  spec: ModelSpec;
  layer: number;
  /** The prompt cache `[1, kv, Pp, d]` (keys rotated), Pp the padded prompt length. */
  promptKey: string;
  promptValue: string;
  /** The layer's prompt queries `[1, Pp, heads * d]`, before RoPE (SnapKV's observation window). */
  promptQuery: string;
  /** int64 `[1]`: the prompt's own length P, and Pp. */
  promptLength: string;
  paddedLength: string;
  /** float32 `[1, 1, 1, Pp]`: 0 at prompt positions, -inf at padding. */
  cacheBias: string;
  /** RoPE tables `[positions, d / 2]`, in the compute dtype. */
  cosCache: string;
  sinCache: string;
  valueType: OnnxElementType;
  /** The method's parameters. */
  params: Record<string, unknown>;
  /** An int64 scalar graph input shared by every layer (a budget), declared on first use. */
  budgetInput(name: string): string;
}

/** What a method's steps read of one layer: values of the outer graph, by the method's own names. */
export type LoopLayerState = Record<string, string>;

/** What `attend` gets: one new token of one layer, in the Loop body. */
export interface LoopStepContext {
  graph: GraphBuilder;
  spec: ModelSpec;
  layer: number;
  /** The new token's rotated query, `[1, kv, group, d]` (the query heads of a KV head as rows). */
  query: string;
  /** The generated tokens' keys and values, the new token's last: `[1, kv, t + 1, d]`. */
  tailKey: string;
  tailValue: string;
  /** int64 `[1]`: the new token's position; int64 scalar: the Loop iteration (0 for the second generated token). */
  position: string;
  iteration: string;
  state: LoopLayerState;
  valueType: OnnxElementType;
  params: Record<string, unknown>;
}

/** A decode method of the one-run graph. */
export interface LoopDecodeMethod {
  readonly id: string;
  readonly description: string;
  prepare(ctx: LoopPrepareContext): LoopLayerState;
  /** The attended output `[1, kv, group, d]`. */
  attend(ctx: LoopStepContext): string;
}

/**
 * Attention of the step's query over a part of the prompt cache and the tail, in one float32
 * softmax. `part.bias` (float32, broadcast to `[1, kv, group, n]`) masks keys of the part; with
 * `part.valueBlocks` (`[1, kv, n / 256, 256, d]`, n a multiple of 256) P V over the part runs as a
 * batch of 256-key products and a sum, which keeps the GPU busy where one product reduced over 128k
 * keys would not.
 *
 *   [q Kp^T / sqrt(d) (+ bias), q Kt^T / sqrt(d)] --Softmax--> split at n
 *   --> P_part x V_part (blocks, then ReduceSum) + P_tail x V_tail
 */
export function attendPartAndTail(
  ctx: Pick<LoopStepContext, 'graph' | 'spec' | 'query' | 'tailKey' | 'tailValue' | 'valueType'>,
  part: { key: string; value?: string; valueBlocks?: string; bias?: string; length: string },
): string {
  const { graph: g, spec } = ctx;
  const kv = spec.numKvHeads;
  const group = spec.numHeads / kv;
  const fp16 = ctx.valueType === 'float16';
  const scale = float(1 / Math.sqrt(spec.headDim));
  const scores = (keys: string): string => {
    const s = g.op('FusedMatMul', [ctx.query, keys], { alpha: scale, transA: int(0), transB: int(1) }, 'com.microsoft');
    return fp16 ? g.op('Cast', [s], { to: int(1) }) : s;
  };
  const partScores = part.bias ? g.op('Add', [scores(part.key), part.bias]) : scores(part.key);
  const probs = g.op('Softmax', [g.op('Concat', [partScores, scores(ctx.tailKey)], { axis: int(-1) })], { axis: int(-1) });
  const back = (x: string): string => (fp16 ? g.op('Cast', [x], { to: int(10) }) : x);
  const axis = g.int64([-1]);
  const partProbs = back(g.op('Slice', [probs, g.int64([0]), part.length, axis]));
  const tailProbs = back(g.op('Slice', [probs, part.length, g.int64([Number.MAX_SAFE_INTEGER]), axis]));
  let fromPart: string;
  if (part.valueBlocks) {
    const blocked = g.op('Transpose', [g.op('Reshape', [partProbs, g.int64([1, kv, group, -1, LOOP_BLOCK])])], { perm: ints([0, 1, 3, 2, 4]) });
    fromPart = g.op('ReduceSum', [g.op('MatMul', [blocked, part.valueBlocks]), g.int64([2])], { keepdims: int(0) });
  } else {
    if (!part.value) throw new Error('attendPartAndTail needs the part\'s values (value or valueBlocks).');
    fromPart = g.op('MatMul', [partProbs, part.value]);
  }
  return g.op('Add', [fromPart, g.op('MatMul', [tailProbs, ctx.tailValue])]);
}

/** Dense decode: every prompt key (the padding masked) and every generated one. */
export const denseLoopDecode: LoopDecodeMethod = {
  id: 'dense',
  description: 'Full attention over the prompt cache and the generated tokens.',
  prepare(ctx) {
    const { graph: g, spec } = ctx;
    return {
      key: ctx.promptKey,
      valueBlocks: g.op('Reshape', [ctx.promptValue, g.int64([1, spec.numKvHeads, -1, LOOP_BLOCK, spec.headDim])]),
      bias: ctx.cacheBias,
      length: ctx.paddedLength,
    };
  },
  attend(ctx) {
    const s = ctx.state;
    return attendPartAndTail(ctx, { key: s['key']!, valueBlocks: s['valueBlocks']!, bias: s['bias']!, length: s['length']! });
  },
};

/** The one-run graph's decode methods by id. */
export const LOOP_DECODE_METHODS: Record<string, LoopDecodeMethod> = {
  dense: denseLoopDecode,
  quest: questLoopDecode,
  snapkv: snapKvLoopDecode,
  'ada-snapkv': adaSnapKvLoopDecode,
  'streaming-llm': streamingLlmLoopDecode,
};

/**
 * A decode method of the one-run graph.
 * @throws Error naming the methods there are when `id` is none of them.
 */
export function loopDecodeMethod(id: string): LoopDecodeMethod {
  const method = LOOP_DECODE_METHODS[id];
  if (!method) throw new Error(`Decode attention "${id}" does not run in the one-run generation graph yet; it runs ${Object.keys(LOOP_DECODE_METHODS).join(', ')}.`);
  return method;
}
