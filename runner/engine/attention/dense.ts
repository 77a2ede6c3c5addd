// Dense causal attention: com.microsoft GroupQueryAttention with RoPE applied inside the kernel.
// It is the fused kernel on WebGPU (flash attention), handles chunked prefill (past + several new
// tokens) and decode alike, and appends the new keys and values to the cache.
import { int } from '../onnx/graph-builder.js';
import type { AttentionBuilder, AttentionContext } from './types.js';

/** Dense attention over the whole context (the baseline every sparse method is compared with). */
export const denseAttention: AttentionBuilder = {
  id: 'dense',
  phase: 'both',
  description: 'Full causal attention (fused GroupQueryAttention kernel, RoPE inside).',
  build(ctx: AttentionContext): string {
    const { graph, spec } = ctx;
    const [output] = graph.node(
      'GroupQueryAttention',
      [ctx.query, ctx.key, ctx.value, ctx.pastKey, ctx.pastValue, ctx.seqlensK, ctx.totalSequenceLength, ctx.cosCache, ctx.sinCache],
      {
        num_heads: int(spec.numHeads),
        kv_num_heads: int(spec.numKvHeads),
        do_rotary: int(1),
        rotary_interleaved: int(0),
      },
      { domain: 'com.microsoft', outputs: [`attn_${ctx.layer}`, ctx.presentKey, ctx.presentValue], name: `gqa_${ctx.layer}` },
    );
    return output!;
  },
};
