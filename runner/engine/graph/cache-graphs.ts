// Weight-free graphs that reshape the KV cache between steps for the blocked decode
// (attention/dense-decode-blocked.ts): `freeze` splits a cache into a frozen part (keys transposed,
// or as rows for Quest's layout) and a tail; `merge` moves the first tokens of the tail into the
// frozen part. They run rarely
// (once after prefill, then once per block of generated tokens), so their copies are amortised.
import { GraphBuilder, int, ints } from '../onnx/graph-builder.js';
import { encodeModel, type OnnxElementType } from '../onnx/proto.js';
import { FROZEN_IO, type FrozenLayout } from '../attention/dense-decode-blocked.js';
import { GRAPH_IO } from './model-graph.js';

/** Shapes the cache graphs need. */
export interface CacheShape {
  numLayers: number;
  numKvHeads: number;
  headDim: number;
  valueType: OnnxElementType;
  /** How the frozen keys are stored (default 'transposed'). */
  layout?: FrozenLayout;
}

/** Input carrying how many tokens to freeze or move (int64 `[1]`). */
export const SPLIT_AT = 'split_at';

/** Output names of the cache graphs. */
export const CACHE_OUT = {
  /** The frozen keys, in the shape's layout. */
  keyT: (layer: number) => `out.${layer}.key_t`,
  value: (layer: number) => `out.${layer}.value`,
  tailKey: (layer: number) => `out.${layer}.tail_key`,
  tailValue: (layer: number) => `out.${layer}.tail_value`,
} as const;

function build(shape: CacheShape, merge: boolean): Uint8Array {
  const g = new GraphBuilder();
  const { numKvHeads: kv, headDim: d, valueType: t } = shape;
  const at = g.input(SPLIT_AT, 'int64', [1]);
  const zero = g.int64([0]);
  const end = g.int64([Number.MAX_SAFE_INTEGER]);
  const axis = g.int64([2]);
  for (let l = 0; l < shape.numLayers; l++) {
    const key = g.input(GRAPH_IO.pastKey(l), t, [1, kv, 'sequence', d]);
    const value = g.input(GRAPH_IO.pastValue(l), t, [1, kv, 'sequence', d]);
    const rows = shape.layout === 'rows';
    const headKey = rows ? g.op('Slice', [key, zero, at, axis]) : g.op('Transpose', [g.op('Slice', [key, zero, at, axis])], { perm: ints([0, 1, 3, 2]) });
    const headValue = g.op('Slice', [value, zero, at, axis]);
    let frozenKey = headKey;
    let frozenValue = headValue;
    if (merge) {
      const previous = rows ? g.input(FROZEN_IO.key(l), t, [1, kv, 'frozen', d]) : g.input(FROZEN_IO.keyT(l), t, [1, kv, d, 'frozen']);
      frozenKey = g.op('Concat', [previous, headKey], { axis: int(rows ? 2 : 3) });
      frozenValue = g.op('Concat', [g.input(FROZEN_IO.value(l), t, [1, kv, 'frozen', d]), headValue], { axis: int(2) });
    }
    g.output(frozenKey, CACHE_OUT.keyT(l), t, rows ? [1, kv, 'frozen_out', d] : [1, kv, d, 'frozen_out']);
    g.output(frozenValue, CACHE_OUT.value(l), t, [1, kv, 'frozen_out', d]);
    g.output(g.op('Slice', [key, at, end, axis]), CACHE_OUT.tailKey(l), t, [1, kv, 'tail', d]);
    g.output(g.op('Slice', [value, at, end, axis]), CACHE_OUT.tailValue(l), t, [1, kv, 'tail', d]);
  }
  return encodeModel(g.toModel());
}

/** Inputs of the window graph: the sinks kept and where the kept window starts (int64 `[1]` each). */
export const WINDOW_IO = { sinks: 'keep_sinks', from: 'keep_from' } as const;

/**
 * `window` (StreamingLLM over the blocked cache, once before the first decode step): the cache's
 * first `keep_sinks` tokens and its tokens from `keep_from` on, as the new cache (CACHE_OUT.tailKey
 * and tailValue); what lies between is evicted.
 */
export function windowGraph(shape: CacheShape): Uint8Array {
  const g = new GraphBuilder();
  const { numKvHeads: kv, headDim: d, valueType: t } = shape;
  const sinks = g.input(WINDOW_IO.sinks, 'int64', [1]);
  const from = g.input(WINDOW_IO.from, 'int64', [1]);
  const zero = g.int64([0]);
  const end = g.int64([Number.MAX_SAFE_INTEGER]);
  const axis = g.int64([2]);
  for (let l = 0; l < shape.numLayers; l++) {
    for (const [input, output] of [[GRAPH_IO.pastKey(l), CACHE_OUT.tailKey(l)], [GRAPH_IO.pastValue(l), CACHE_OUT.tailValue(l)]] as const) {
      const x = g.input(input, t, [1, kv, 'sequence', d]);
      const kept = g.op('Concat', [g.op('Slice', [x, zero, sinks, axis]), g.op('Slice', [x, from, end, axis])], { axis: int(2) });
      g.output(kept, output, t, [1, kv, 'kept', d]);
    }
  }
  return encodeModel(g.toModel());
}

/** `freeze`: (cache, n) -> first n tokens as frozen (keys transposed), the rest as tail. */
export const freezeGraph = (shape: CacheShape): Uint8Array => build(shape, false);
/** `merge`: (frozen, tail, n) -> frozen + first n tail tokens, rest of the tail. */
export const mergeGraph = (shape: CacheShape): Uint8Array => build(shape, true);
