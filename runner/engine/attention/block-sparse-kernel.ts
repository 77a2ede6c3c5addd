// Block-Sparse prefill through onnxruntime's com.microsoft SparseAttention: on CUDA a fused
// block-sparse flash kernel whose time falls linearly with the kept blocks (shared/notes/
// cuda-on-h100.md). The selection is the reference's (runner/engine/sparse/reference/block-sparse.ts,
// blocks of 64, the kernel's size) and is computed in the graph, on the device, for the whole prompt
// at once (the one-run graph's prefill, graph/generation-graph.ts):
//
//   q, k --RotaryEmbedding--> padded to whole blocks --sum per block--> [H, nb, d], [kv, nb, d]
//   block scores [H, nb, nb] (query-head scope) or summed per KV group then repeated to the query
//   heads (kv-head scope); non-causal blocks -1e30, first / below / diagonal forced (3e30, 2e30, 1e30)
//   --TopK K = min(top_blocks, nb)--> kept blocks --sorted ascending (TopK of the indices)-->
//   CSR: row r keeps n_r = min(K, r + 1) blocks from offset c(c + 1) / 2 + (r - c) K, c = min(r, K);
//   ScatterElements puts row r's blocks there (the rest of a row's K slots go to a dump slot, cut off)
//   --> SparseAttention(q, k, v rotated; past = present = one zeroed buffer of the padded length)
//
// Sums select as means do (see block-sparse.ts: every key block but the last is full, and the last
// one is the last query block's diagonal). The kernel needs the past and present caches to be one
// buffer; the caller gives a buffer the session can update in place (the one-run graph: a distinct
// ConstantOfShape per layer; a test on the CPU provider: the same tensor fed and fetched) as
// ctx.pastKey / ctx.pastValue, of `[1, kv, >= P, d]`, and gets the filled cache under ctx.presentKey
// / ctx.presentValue. Head size: a multiple of 16 (the kernel's rule); on CUDA the kernel is built for 128.
import { float, int, ints, type GraphBuilder } from '../onnx/graph-builder.js';
import type { AttentionContext } from './types.js';
import { rotary } from './rotary.js';
import { budgetKnob } from './budget-knob.js';
import { BLOCK_SPARSE_IO } from './block-sparse.js';

/** The kernel's block size (tokens). */
export const KERNEL_BLOCK = 64;

/** Whether the fused kernel serves a model's heads and a setting's params (else a non-fused form runs). */
export function kernelServes(headDim: number, params: Record<string, unknown>): boolean {
  return headDim % 16 === 0 && (params['blockSize'] ?? 16) === KERNEL_BLOCK;
}

const i64 = (g: GraphBuilder, x: string): string => g.op('Cast', [x], { to: int(7) });
const i32 = (g: GraphBuilder, x: string): string => g.op('Cast', [x], { to: int(6) });
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
  const S = g.op('Gather', [g.op('Shape', [ctx.query]), g.int64([1])], { axis: int(0) }); // [1]
  const nb = g.op('Div', [g.op('Add', [S, g.int64([B - 1])]), g.int64([B])]); // [1]
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
  const range = g.op('Range', [g.int64([0], []), g.op('Reshape', [nb, g.int64([], [0])]), g.int64([1], [])]); // [nb]
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
  // Ascending within a row; the invalid tail (non-causal picks of early rows) sorts last.
  const valid = g.op('LessOrEqual', [picked!, rows]);
  const ordered = g.op('Where', [valid, f32(g, picked!), big(1e9)]);
  const [sorted] = g.node('TopK', [ordered, K1], { axis: int(-1), largest: int(0), sorted: int(1) }, { outputs: 2 });
  // CSR offsets: row r keeps n_r = min(K, r + 1) blocks, from c(c + 1) / 2 + (r - c) K, c = min(r, K).
  const Kv = g.op('Reshape', [K, g.int64([1])]);
  const rowsAll = g.op('Range', [g.int64([0], []), g.op('Add', [g.op('Reshape', [nb, g.int64([], [0])]), g.int64([1], [])]), g.int64([1], [])]); // [nb + 1]
  const c = g.op('Min', [rowsAll, Kv]);
  const offsets = g.op('Add', [g.op('Div', [g.op('Mul', [c, g.op('Add', [c, g.int64([1])])]), g.int64([2])]), g.op('Mul', [g.op('Sub', [rowsAll, c]), Kv])]); // [nb + 1]
  const slot = g.op('Range', [g.int64([0], []), K, g.int64([1], [])]); // [K]
  const rowStart = g.op('Unsqueeze', [g.op('Slice', [offsets, g.int64([0]), g.int64([-1]), g.int64([0])]), g.int64([1])]); // [nb, 1]
  const kept = g.op('Min', [g.op('Add', [range, g.int64([1])]), Kv]); // [nb]
  const width = g.op('Mul', [nb, Kv]); // [1]: nb * K slots, a dump slot after them
  const target = g.op('Where', [g.op('Less', [slot, g.op('Unsqueeze', [kept, g.int64([1])])]), g.op('Add', [rowStart, slot]), width]); // [nb, K]
  const Hs = scope === 'kv-head' ? kv : H;
  const flatTarget = g.op('Reshape', [g.op('Expand', [target, g.op('Concat', [g.int64([Hs]), nb, K1], { axis: int(0) })]), g.int64([Hs, -1])]);
  const flatBlocks = g.op('Reshape', [i64(g, sorted!), g.int64([Hs, -1])]);
  const base = g.op('Expand', [g.int64([-1], [1, 1]), g.op('Concat', [g.int64([Hs]), g.op('Add', [width, g.int64([1])])], { axis: int(0) })]);
  const scattered = g.op('ScatterElements', [base, flatTarget, flatBlocks], { axis: int(1) });
  let colIndices = g.op('Slice', [scattered, g.int64([0]), width, g.int64([1])]); // [Hs, nb * K]
  let rowIndices = g.op('Expand', [g.op('Unsqueeze', [offsets, g.int64([0])]), g.op('Concat', [g.int64([Hs]), g.op('Add', [nb, g.int64([1])])], { axis: int(0) })]); // [Hs, nb + 1]
  if (scope === 'kv-head') {
    // One layout per query head (layouts cycle over the heads): head h takes its KV group's selection.
    const ofHead = g.int64(Array.from({ length: H }, (_, h) => Math.floor(h / group)));
    colIndices = g.op('Gather', [colIndices, ofHead], { axis: int(0) });
    rowIndices = g.op('Gather', [rowIndices, ofHead], { axis: int(0) });
  }
  const total = g.op('Cast', [S], { to: int(6) }); // int32 [1]
  const [out] = g.node(
    'SparseAttention',
    [q, k, ctx.value, ctx.pastKey, ctx.pastValue, i32(g, rowIndices), i32(g, colIndices), total, total],
    { num_heads: int(H), kv_num_heads: int(kv), sparse_block_size: int(B), scale: float(1 / Math.sqrt(d)), do_rotary: int(0) },
    { domain: 'com.microsoft', outputs: [g.unique(`sparse_attention_${ctx.layer}`), ctx.presentKey, ctx.presentValue] },
  );
  return out!;
}
