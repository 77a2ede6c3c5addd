// onnxruntime's com.microsoft SparseAttention for the whole prompt, from any per-head block
// selection: on CUDA a fused block-sparse flash kernel whose time falls linearly with the kept
// blocks (shared/notes/cuda-on-h100.md). The block-level prefill methods (block-sparse-kernel.ts,
// a-shape-kernel.ts) compute their selection in the graph and hand it here as candidates:
//
//   picked [Hs, nb, K] int64 key-block numbers per query-block row, valid [Hs, nb, K] bool
//   --non-causal or invalid slots to 1e9, TopK ascending--> each row's kept blocks first, ascending
//   counts n[h, r] = valid slots, offsets = [0, CumSum(n)] (the CSR row pointer, [Hs, nb + 1])
//   --ScatterElements slot t of row r to offsets[h, r] + t when t < n[h, r] (else a dump slot)-->
//   block_col_indices [Hs, max_h offsets[h, nb]] padded with -1
//
// Rows keep any number of blocks (a kept-block mask, a ragged TopK), and layouts number 1, the KV
// heads (repeated to their query heads) or the query heads (layouts cycle over the query heads).
// The kernel needs its past and present caches to be one buffer: ctx.pastKey / ctx.pastValue are
// one the session updates in place (see block-sparse-kernel.ts), filled under ctx.presentKey /
// ctx.presentValue.
import { float, int, type GraphBuilder } from '../onnx/graph-builder.js';
import type { AttentionContext } from './types.js';

/** The kernel's block size (tokens). */
export const KERNEL_BLOCK = 64;

/** One graph's view of the prompt in kernel blocks: S rows (`[1]` int64), nb = ceil(S / 64) blocks. */
export interface PromptBlocks {
  /** Prompt rows S, `[1]` int64. */
  readonly rows: string;
  /** Blocks nb, `[1]` int64. */
  readonly count: string;
  /** Block numbers 0..nb-1, `[nb]` int64. */
  readonly range: string;
}

/** S and nb from the query rows `[1, S, heads * d]`. */
export function promptBlocks(g: GraphBuilder, query: string): PromptBlocks {
  const rows = g.op('Gather', [g.op('Shape', [query]), g.int64([1])], { axis: int(0) });
  const count = g.op('Div', [g.op('Add', [rows, g.int64([KERNEL_BLOCK - 1])]), g.int64([KERNEL_BLOCK])]);
  const range = g.op('Range', [g.int64([0], []), g.op('Reshape', [count, g.int64([], [0])]), g.int64([1], [])]);
  return { rows, count, range };
}

/** A selection in CSR form, one layout per row of the int32 tensors. */
export interface BlockLayout {
  /** `[layouts, nb + 1]` int32 row pointer. */
  readonly rowIndices: string;
  /** `[layouts, max nnz]` int32 key blocks, ascending per row, padded with -1. */
  readonly colIndices: string;
  /** Kept blocks per layout and row, `[layouts, nb]` int64. */
  readonly counts: string;
  /** `[layouts, nb, K]` bool: slot t of row r is kept (t < counts). */
  readonly keptSlots: string;
  /** `[layouts, nb, K]` int64: the kept blocks in those slots (ascending), junk elsewhere. */
  readonly blocks: string;
}

/**
 * The CSR layout of a per-layout block selection: `picked` `[Hs, nb, K]` int64 candidate key blocks
 * of each query-block row, in any order, `valid` `[Hs, nb, K]` bool which of them are kept. Invalid
 * and non-causal (key block > row) candidates are dropped; a valid block must not repeat in a row.
 * @example blockLayout(g, blocks, picked, valid) // rows keep different numbers of blocks
 */
export function blockLayout(g: GraphBuilder, blocks: PromptBlocks, picked: string, valid: string): BlockLayout {
  const rows = g.op('Unsqueeze', [blocks.range, g.int64([1])]); // [nb, 1]
  const f32 = (x: string): string => g.op('Cast', [x], { to: int(1) });
  const causal = g.op('And', [valid, g.op('LessOrEqual', [picked, rows])]);
  // Ascending within a row; the dropped slots sort last (block numbers are exact in float32).
  const K1 = g.op('Gather', [g.op('Shape', [picked]), g.int64([2])], { axis: int(0) }); // [1]
  const ordered = g.op('Where', [causal, f32(picked), g.inline('c_f32', 'float', [], new Uint8Array(Float32Array.of(1e9).buffer))]);
  const [sorted] = g.node('TopK', [ordered, K1], { axis: int(-1), largest: int(0), sorted: int(1) }, { outputs: 2 });
  const sortedBlocks = g.op('Cast', [sorted!], { to: int(7) }); // [Hs, nb, K]
  const counts = g.op('ReduceSum', [g.op('Cast', [causal], { to: int(7) }), g.int64([-1])], { keepdims: int(0) }); // [Hs, nb]
  const Hs = g.op('Gather', [g.op('Shape', [picked]), g.int64([0])], { axis: int(0) }); // [1]
  const zeroColumn = g.op('Expand', [g.int64([0], [1, 1]), g.op('Concat', [Hs, g.int64([1])], { axis: int(0) })]);
  const offsets = g.op('Concat', [zeroColumn, g.op('CumSum', [counts, g.int64([1], [])])], { axis: int(1) }); // [Hs, nb + 1]
  const slot = g.op('Range', [g.int64([0], []), g.op('Reshape', [K1, g.int64([], [0])]), g.int64([1], [])]); // [K]
  const keptSlots = g.op('Less', [slot, g.op('Unsqueeze', [counts, g.int64([-1])])]); // [Hs, nb, K]
  const rowStart = g.op('Unsqueeze', [g.op('Slice', [offsets, g.int64([0]), g.int64([-1]), g.int64([1])]), g.int64([-1])]); // [Hs, nb, 1]
  const width = g.op('Mul', [blocks.count, K1]); // [1]: nb * K slots, a dump slot after them
  const target = g.op('Reshape', [g.op('Where', [keptSlots, g.op('Add', [rowStart, slot]), width]), g.op('Concat', [Hs, g.int64([-1])], { axis: int(0) })]);
  const base = g.op('Expand', [g.int64([-1], [1, 1]), g.op('Concat', [Hs, g.op('Add', [width, g.int64([1])])], { axis: int(0) })]);
  const scattered = g.op('ScatterElements', [base, target, g.op('Reshape', [sortedBlocks, g.op('Concat', [Hs, g.int64([-1])], { axis: int(0) })])], { axis: int(1) });
  const maxNnz = g.op('ReduceMax', [g.op('Slice', [offsets, g.int64([-1]), g.int64([Number.MAX_SAFE_INTEGER]), g.int64([1])])], { keepdims: int(0) }); // scalar
  const colIndices = g.op('Slice', [scattered, g.int64([0]), g.op('Reshape', [maxNnz, g.int64([1])]), g.int64([1])]);
  const i32 = (x: string): string => g.op('Cast', [x], { to: int(6) });
  return { rowIndices: i32(offsets), colIndices: i32(colIndices), counts, keptSlots, blocks: sortedBlocks };
}

/**
 * A layout from a kept-block mask `[Hs, nb, nb]` (bool; entries above the diagonal are ignored).
 * @example blockLayoutFromMask(g, blocks, mask) // A-shape's sink and window blocks
 */
export function blockLayoutFromMask(g: GraphBuilder, blocks: PromptBlocks, mask: string): BlockLayout {
  const shape = g.op('Shape', [mask]);
  const picked = g.op('Expand', [g.op('Unsqueeze', [blocks.range, g.int64([0, 1])]), shape]);
  return blockLayout(g, blocks, picked, mask);
}

/**
 * Attention over the prompt through SparseAttention with `layout`, of the rotated q `[1, S, H * d]`
 * and k `[1, S, kv * d]`; returns `[1, S, H * d]`. Reports kept_pairs (the causal query-key pairs
 * of the kept blocks) and gathered_pairs (kept blocks x 64 x 64, what the kernel computes), summed
 * over query heads.
 * @example sparseAttentionKernel(ctx, q, k, blocks, layout)
 */
export function sparseAttentionKernel(ctx: AttentionContext, q: string, k: string, blocks: PromptBlocks, layout: BlockLayout): string {
  const { graph: g, spec } = ctx;
  const H = spec.numHeads;
  const B = KERNEL_BLOCK;
  if (ctx.report) reportPairs(ctx, blocks, layout);
  const total = g.op('Cast', [blocks.rows], { to: int(6) }); // int32 [1]
  const [out] = g.node(
    'SparseAttention',
    [q, k, ctx.value, ctx.pastKey, ctx.pastValue, layout.rowIndices, layout.colIndices, total, total],
    { num_heads: int(H), kv_num_heads: int(spec.numKvHeads), sparse_block_size: int(B), scale: float(1 / Math.sqrt(spec.headDim)), do_rotary: int(0) },
    { domain: 'com.microsoft', outputs: [g.unique(`sparse_attention_${ctx.layer}`), ctx.presentKey, ctx.presentValue] },
  );
  return out!;
}

/** kept_pairs and gathered_pairs of a layout (layouts cycle over the H query heads, so each counts H / layouts times). */
function reportPairs(ctx: AttentionContext, blocks: PromptBlocks, layout: BlockLayout): void {
  const g = ctx.graph;
  const B = KERNEL_BLOCK;
  const f32 = (x: string): string => g.op('Cast', [x], { to: int(1) });
  const rows = g.op('Unsqueeze', [blocks.range, g.int64([1])]); // [nb, 1]
  // Query rows of block r: min(B, S - rB); a block left of the diagonal gives rows x B pairs, the diagonal rows (rows + 1) / 2.
  const inRow = g.op('Min', [g.int64([B]), g.op('Sub', [blocks.rows, g.op('Mul', [rows, g.int64([B])])])]); // [nb, 1]
  const diagonal = g.op('Div', [g.op('Mul', [inRow, g.op('Add', [inRow, g.int64([1])])]), g.int64([2])]);
  const perBlock = g.op('Where', [g.op('Equal', [layout.blocks, rows]), diagonal, g.op('Mul', [inRow, g.int64([B])])]); // [Hs, nb, K]
  const kept = g.op('ReduceSum', [g.op('Where', [layout.keptSlots, perBlock, g.int64([0])])], { keepdims: int(0) });
  const keptBlocks = g.op('ReduceSum', [layout.counts], { keepdims: int(0) });
  const layouts = g.op('Gather', [g.op('Shape', [layout.counts]), g.int64([0], [])], { axis: int(0) });
  const perLayout = g.op('Div', [g.int64([ctx.spec.numHeads], []), layouts]); // 1, kv and H layouts all divide H
  ctx.report!('kept_pairs', f32(g.op('Mul', [kept, perLayout])));
  ctx.report!('gathered_pairs', f32(g.op('Mul', [g.op('Mul', [keptBlocks, perLayout]), g.int64([B * B], [])])));
}
