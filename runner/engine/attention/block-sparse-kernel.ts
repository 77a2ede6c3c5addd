// Block-Sparse prefill through onnxruntime's com.microsoft SparseAttention: on CUDA a fused
// block-sparse flash kernel whose time falls linearly with the kept blocks (shared/notes/
// cuda-on-h100.md). The selection is the reference's (runner/engine/sparse/reference/block-sparse.ts,
// blocks of 64, the kernel's size) and is computed in the graph, on the device, for the whole prompt
// at once (the one-run graph's prefill, graph/generation-graph.ts):
//
//   q, k --RotaryEmbedding--> padded to whole blocks --sum per block--> [H, nb, d], [kv, nb, d]
//   block scores [H, nb, nb] (query-head scope) or summed per KV group then repeated to the query
//   heads (kv-head scope); non-causal blocks -1e30, first / below / diagonal forced (3e30, 2e30, 1e30)
//   --TopK K = min(top_blocks, nb)--> kept blocks, row r keeping min(K, r + 1) causal ones
//   --> the CSR layout and SparseAttention (sparse-attention-kernel.ts: blockLayout,
//   sparseAttentionKernel; q, k, v rotated; past = present = one zeroed buffer of the padded length)
//
// Sums select as means do (see block-sparse.ts: every key block but the last is full, and the last
// one is the last query block's diagonal). The kernel needs the past and present caches to be one
// buffer; the caller gives a buffer the session can update in place (the one-run graph: a distinct
// ConstantOfShape per layer; a test on the CPU provider: the same tensor fed and fetched) as
// ctx.pastKey / ctx.pastValue, of `[1, kv, >= P, d]`, and gets the filled cache under ctx.presentKey
// / ctx.presentValue. Head size: a multiple of 16 (the kernel's rule); on CUDA the kernel is built for 128.
import { int, ints, type GraphBuilder } from '../onnx/graph-builder.js';
import type { AttentionContext } from './types.js';
import { rotary } from './rotary.js';
import { budgetKnob } from './budget-knob.js';
import { BLOCK_SPARSE_IO } from './block-sparse.js';
import { blockLayout, KERNEL_BLOCK, promptBlocks, sparseAttentionKernel } from './sparse-attention-kernel.js';

export { KERNEL_BLOCK };

/** Whether the fused kernel serves a model's heads and a block-sparse setting's params (else a non-fused form runs). */
export function kernelServes(headDim: number, params: Record<string, unknown>): boolean {
  return headDim % 16 === 0 && (params['blockSize'] ?? 16) === KERNEL_BLOCK;
}

const f32 = (g: GraphBuilder, x: string): string => g.op('Cast', [x], { to: int(1) });

/**
 * Adds Block-Sparse attention over the S = ctx.query rows (the whole prompt, positions 0..S-1) and
 * returns `[1, S, heads * d]`.
 * @throws Error when params.blockSize is not 64 or params.scope is unknown.
 */
export function blockSparseKernelPrefill(ctx: AttentionContext): string {
  const { graph: g, spec } = ctx;
  const H = spec.numHeads;
  const kv = spec.numKvHeads;
  const group = H / kv;
  const d = spec.headDim;
  const B = KERNEL_BLOCK;
  if ((ctx.params['blockSize'] ?? 16) !== B) throw new Error(`The SparseAttention kernel runs blocks of ${B}; block-sparse has params.blockSize ${JSON.stringify(ctx.params['blockSize'] ?? 16)}.`);
  const scope = ctx.params['scope'] ?? 'query-head';
  if (scope !== 'query-head' && scope !== 'kv-head') throw new Error(`block-sparse needs params.scope 'query-head' or 'kv-head'; got ${JSON.stringify(scope)}.`);
  const topBlocks = budgetKnob(ctx, 'topBlocks', BLOCK_SPARSE_IO.topBlocks, 'block-sparse', 1);

  const positions = ctx.positionIds();
  const q = rotary(ctx, positions, ctx.query, H);
  const k = rotary(ctx, positions, ctx.key, kv);
  // Rows: S; blocks nb = ceil(S / B). Pad the rows to nb * B with zeros, then sum per block.
  const blocks = promptBlocks(g, ctx.query);
  const { rows: S, count: nb, range } = blocks;
  const padRows = g.op('Sub', [g.op('Mul', [nb, g.int64([B])]), S]);
  const pads = g.op('Concat', [g.int64([0, 0, 0, 0]), padRows, g.int64([0])], { axis: int(0) });
  // [heads, nb, d] sums per block (fp32).
  const sums = (x: string, heads: number): string => {
    const blocks = g.op('Reshape', [g.op('Pad', [f32(g, x), pads]), g.int64([-1, B, heads, d])]);
    const summed = g.op('ReduceSum', [blocks, g.int64([1])], { keepdims: int(0) }); // [nb, heads, d]
    return g.op('Transpose', [summed], { perm: ints([1, 0, 2]) });
  };
  const qs = sums(q, H); // [H, nb, d]
  const ks = sums(k, kv); // [kv, nb, d]
  // Scores per selecting head: [Hs, nb, nb].
  let scores: string;
  if (scope === 'kv-head') {
    const perKv = g.op('ReduceSum', [g.op('Reshape', [qs, g.int64([kv, group, -1, d])]), g.int64([1])], { keepdims: int(0) }); // [kv, nb, d]
    scores = g.op('MatMul', [perKv, g.op('Transpose', [ks], { perm: ints([0, 2, 1]) })]);
  } else {
    const kPerHead = g.op('Reshape', [g.op('Expand', [g.op('Unsqueeze', [ks, g.int64([1])]), g.int64([kv, group, 1, 1])]), g.int64([H, -1, d])]);
    scores = g.op('MatMul', [qs, g.op('Transpose', [kPerHead], { perm: ints([0, 2, 1]) })]);
  }
  // Causal mask and forced blocks, from row / column block numbers.
  const rows = g.op('Unsqueeze', [range, g.int64([1])]); // [nb, 1]
  const cols = g.op('Unsqueeze', [range, g.int64([0])]); // [1, nb]
  const big = (x: number): string => g.inline('c_f32', 'float', [], new Uint8Array(Float32Array.of(x).buffer));
  // Forced blocks in the reference's order of priority (a budget under 3 keeps block 0, then the
  // block below the diagonal, then the diagonal); the later Where wins where they coincide.
  let ranked = g.op('Where', [g.op('Greater', [cols, rows]), big(-1e30), scores]);
  ranked = g.op('Where', [g.op('Equal', [cols, rows]), big(1e30), ranked]);
  ranked = g.op('Where', [g.op('Equal', [cols, g.op('Sub', [rows, g.int64([1])])]), big(2e30), ranked]);
  ranked = g.op('Where', [g.op('Equal', [cols, g.int64([0])]), big(3e30), ranked]);
  const K = g.op('Min', [topBlocks, g.op('Reshape', [nb, g.int64([], [0])])]); // scalar
  const K1 = g.op('Reshape', [K, g.int64([1])]);
  const [, picked] = g.node('TopK', [ranked, K1], { axis: int(-1), largest: int(1), sorted: int(1) }, { outputs: 2 }); // [Hs, nb, K] int64
  // Every pick is kept; blockLayout drops the non-causal ones (the fill of rows r < K - 1), so row r keeps min(K, r + 1).
  const layout = blockLayout(g, blocks, picked!, g.op('GreaterOrEqual', [picked!, g.int64([0], [])]));
  let { rowIndices, colIndices } = layout;
  if (scope === 'kv-head') {
    // One layout per query head (layouts cycle over the heads): head h takes its KV group's selection.
    const ofHead = g.int64(Array.from({ length: H }, (_, h) => Math.floor(h / group)));
    colIndices = g.op('Gather', [colIndices, ofHead], { axis: int(0) });
    rowIndices = g.op('Gather', [rowIndices, ofHead], { axis: int(0) });
  }
  return sparseAttentionKernel(ctx, q, k, blocks, { ...layout, rowIndices, colIndices });
}
