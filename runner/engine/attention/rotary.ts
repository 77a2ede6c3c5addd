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
