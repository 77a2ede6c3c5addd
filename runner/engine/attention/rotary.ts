// RoPE for the attention plug-ins built from generic operators: com.microsoft RotaryEmbedding over
// the model's cos/sin tables at the new tokens' positions.
import { int } from '../onnx/graph-builder.js';
import type { AttentionContext } from './types.js';

/**
 * Rotates `x` ([1, S, heads * headDim]) at `positions` (the context's positionIds()).
 * @example const q = rotary(ctx, positions, ctx.query, spec.numHeads);
 */
export function rotary(ctx: AttentionContext, positions: string, x: string, heads: number): string {
  return ctx.graph.op('RotaryEmbedding', [x, positions, ctx.cosCache, ctx.sinCache], { interleaved: int(0), num_heads: int(heads) }, 'com.microsoft');
}

/**
 * The common start of a decode-step plug-in (one new token): the rotated query as `[1, kv, group, d]`
 * (the query heads of each KV head as rows), and the cache with the rotated new key and the new value
 * appended under the context's present names.
 * @example const { q, presentKey, presentValue } = decodeStep(ctx);
 */
export function decodeStep(ctx: AttentionContext): { q: string; presentKey: string; presentValue: string } {
  const { graph: g, spec } = ctx;
  const kv = spec.numKvHeads;
  const d = spec.headDim;
  const positions = ctx.positionIds();
  const q = g.op('Reshape', [rotary(ctx, positions, ctx.query, spec.numHeads), g.int64([1, kv, spec.numHeads / kv, d])]);
  const kNew = g.op('Reshape', [rotary(ctx, positions, ctx.key, kv), g.int64([1, kv, 1, d])]);
  const vNew = g.op('Reshape', [ctx.value, g.int64([1, kv, 1, d])]);
  const [presentKey] = g.node('Concat', [ctx.pastKey, kNew], { axis: int(2) }, { outputs: [ctx.presentKey] });
  const [presentValue] = g.node('Concat', [ctx.pastValue, vNew], { axis: int(2) }, { outputs: [ctx.presentValue] });
  return { q, presentKey: presentKey!, presentValue: presentValue! };
}
