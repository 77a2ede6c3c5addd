// Dense attention for decode steps (one new token) from generic operators: RotaryEmbedding, Concat
// onto the cache, q K^T, Softmax, P V, with the query heads of each KV head as the rows of one
// MatMul. onnxruntime 1.30's WebGPU GroupQueryAttention only uses its split-K decode kernel when
// past and present share one buffer, which the Node binding cannot arrange (preallocated outputs
// are ignored), so its decode step reads the cache slowly; plain MatMuls read it at bandwidth.
import { int, ints } from '../onnx/graph-builder.js';
import type { AttentionBuilder, AttentionContext } from './types.js';
import { decodeStep } from './rotary.js';

export const denseDecodeAttention: AttentionBuilder = {
  id: 'dense-decode',
  phase: 'decode',
  description: 'Full attention for one new token from MatMul/Softmax (decode graphs only).',
  build(ctx: AttentionContext): string {
    const { graph: g, spec } = ctx;
    const d = spec.headDim;
    const { q, presentKey, presentValue } = decodeStep(ctx);
    const keysT = g.op('Transpose', [presentKey], { perm: ints([0, 1, 3, 2]) });
    const scores = g.op('Mul', [g.op('MatMul', [q, keysT]), ctx.scalar(1 / Math.sqrt(d))]);
    const probs = g.op('Softmax', [scores], { axis: int(-1) });
    const out = g.op('MatMul', [probs, presentValue]);
    return g.op('Reshape', [out, g.int64([1, 1, spec.numHeads * d])]);
  },
};
