// Block-Sparse prefill (MInference's block pattern as the paper runs it); the float64 reference is
// runner/engine/sparse/reference/block-sparse.ts (blockSparseAttention, blockSparseChunkAttention),
// the budget blockSparseBudget (runner/engine/sparse/budget.ts).
//
// Formulation, for one prefill chunk of S queries (cache positions P..T-1, T = P + S) over the T keys
// of the cache (the P cached ones and the S new ones, concatenated into presentKey/presentValue):
// - Blocks of B tokens (params.blockSize, 16 or 64; baked in) are aligned to absolute positions.
//   The chunk's queries are padded in front by P mod B rows and at the end to whole blocks (zeros),
//   giving nQ query blocks a0 = floor(P / B) ... ; keys are padded at the end to nK = ceil(T / B)
//   blocks. The reference mean-pools queries and keys per block over their real rows; the graph sums
//   them (fp32 whatever the compute dtype), which selects the same blocks: a query block's row count
//   scales its whole row of scores, every key block but the last is full (a factor B for all), and
//   the last key block, the only partial one, holds position T-1, so it is the diagonal block of the
//   last query block (forced) and after every other query block (not causal).
// - Selection: pooled-query x pooled-key dot products per query head, `[H, nQ, nK]` (summed over
//   the query heads of a KV head for params.scope 'kv-head'); the diagonal block, the block below it
//   and block 0 get scores 1e30, 2e30, 3e30 (so a topBlocks below 3 keeps them in the reference's
//   order: block 0, then below, then diagonal) and non-causal blocks -1e30; TopK keeps
//   K = min(topBlocks, nK) blocks per query block. Query blocks with fewer than K causal blocks get
//   non-causal filler blocks; every key in those lies after every query of the block, so the
//   token-level causal mask below drops them. TopK is a bitonic sort on WebGPU, one pass up to 2048
//   columns and log2(n)^2 / 2 passes beyond (/work/shared/notes/webgpu-on-h100.md), and nK = L / 16
//   reaches 8192 at 128k; so the selection runs as a tournament: params.topkLevels times (default
//   2) the K best of each 2048-column slice (params.topkWidth) become the candidates, then one TopK
//   keeps the K best of them, the same set. With B = 16 at 128k: K = 865 (C = 5) sorts 4 x 2048,
//   2 x 2048 and 1730 columns, one pass each, instead of 8192 columns in ~84 passes; K = 420
//   (C = 10) needs one level; K above 1024 gains less and K >= 2048 nothing (C = 2, K = 2400: the
//   last TopK sorts all 8192 columns, after two cheap levels).
// - Attention over the selected blocks only: the keys and values of the K chosen blocks are gathered
//   (`[heads, query blocks, K * B, d]`), scores are one MatMul per query block against them, the
//   token-level causal mask applies inside the diagonal block (and masks filler blocks whole), as
//   additive -30000 biases in the compute dtype built from the small [heads, blocks, K] block
//   offsets (no integer tensor of the scores' size), then Softmax and a MatMul with the gathered
//   values. Executed work is query heads x nQ x B x K x B x d (twice: scores and values): it scales
//   with topBlocks, not with T. With scope 'kv-head' the KV group shares one selection and the
//   MatMuls have group x B rows (the H100 note found that faster); 'query-head' (the paper, the
//   reference's default) gathers per query head.
// - Memory: the chunk's query blocks are processed in params.queryGroups groups (default 8),
//   unrolled in the graph, of ceil(nQ / groups) blocks each (the last groups are shifted back to stay
//   inside the chunk, so a short chunk recomputes a few blocks rather than making empty tensors).
//   One group gathers selecting-heads x ceil(nQ / groups) x K x B x d elements for keys (as many for
//   values) and its scores hold selecting-heads x ceil(nQ / groups) x R x K x B; both must stay under
//   2^31 (WebGPU's Gather fails past it). blockSparseQueryGroups() gives the smallest group count
//   for a shape, chunk and budget (counting one more block for a chunk that starts mid-block).
//   Qwen2.5-7B shape (28 query heads, 4 KV heads, d 128), 4096-token chunks, C = 1 / 2 / 5 / 10 / 20:
//   | L, B | K (blocks) | kv-head groups | query-head groups |
//   | 65536, 16 | 4096 / 1200 / 432 / 210 / 104 | 5 / 2 / 1 / 1 / 1 | 29 / 9 / 3 / 2 / 1 |
//   | 131072, 16 | 8192 / 2400 / 865 / 420 / 207 | 9 / 3 / 1 / 1 / 1 | 65 / 18 / 6 / 3 / 2 |
//   | 65536, 64 | 1024 / 300 / 108 / 53 / 26 | 4 / 2 / 1 / 1 / 1 | 8 / 3 / 1 / 1 / 1 |
//   | 131072, 64 | 2048 / 600 / 216 / 105 / 52 | 8 / 3 / 1 / 1 / 1 | 17 / 5 / 2 / 1 / 1 |
//   The default of 8 covers every sparse C (C >= 2) in kv-head scope and C >= 5 in query-head scope
//   at these lengths; more groups cost dispatches (about 20 nodes per group and layer), not FLOPs.
// - Chunked prefill: the selection of a chunk's query blocks uses the pooled keys of all T positions,
//   so with chunks aligned to B (the engine's 4096-token chunks) a chunked run equals the
//   whole-prompt reference's rows P..T-1 (tested). A chunk that starts mid-block pools the
//   straddling block's query over this chunk's rows only (earlier queries are not kept), and the
//   previous chunk pooled that block's keys over the part it had: blockSparseChunkAttention is the
//   reference for that case; every row still attends causally to its own block.
// - Integers: scalars (lengths, offsets) are int64; the per-block index tensors ([heads, nQ, K],
//   TopK's indices cast) are int32, which WebGPU's elementwise ops support (int64 falls back to the
//   CPU EP there), and fp32 inside the top-k tournament and where they are sliced per pass (block
//   numbers < 2^24 are exact; WebGPU's GatherElements and Slice take float data only: an int32 Slice
//   ran on the CPU, after a copy back from the GPU that made each layer wait for it). Nothing
//   integer has the scores' size.
// - params.formulation 'fused' (the default with scope 'kv-head'; 'matmul' is the form above, the
//   default with 'query-head'): the attention over the selected blocks runs in the fused
//   MultiHeadAttention kernel instead, with query blocks x selecting heads as its heads (fusedPass).
// - Budget: `attention.prefill.top_blocks` (int64 scalar input) unless params.topBlocks bakes it in;
//   params.blockSize must equal the budget's blockSize (budgetInputs only feeds topBlocks).
import { float, int, ints, type Attribute, type GraphBuilder } from '../onnx/graph-builder.js';
import { floatRange, indicesAsFloat, scalarOnGpu } from './webgpu-ints.js';
import { OnnxType } from '../onnx/proto.js';
import { floatToHalf } from '../dtype.js';
import { budgetKnob } from './budget-knob.js';
import { blockPasses } from './block-passes.js';
import { DEFAULT_PREFILL_CHUNK, type AttentionBuilder, type AttentionContext } from './types.js';
import { rotary } from './rotary.js';

/** Graph input of the budget when params.topBlocks is not given. */
export const BLOCK_SPARSE_IO = { topBlocks: 'attention.prefill.top_blocks' } as const;

/** Default number of query-block groups per chunk (see the header). */
export const DEFAULT_QUERY_GROUPS = 8;

/** Additive mask: scores + MASK stay finite in fp16 (|score| < 35000) and exp() of them is 0. */
const MASK = -30000;

/** A constant tensor in the compute dtype (float or float16). */
function computeConst(ctx: AttentionContext, values: readonly number[], dims: readonly number[]): string {
  if (ctx.valueType === 'float') return ctx.graph.inline('c_mask', 'float', dims, new Uint8Array(Float32Array.from(values).buffer));
  if (ctx.valueType === 'float16') return ctx.graph.inline('c_mask', 'float16', dims, new Uint8Array(Uint16Array.from(values, floatToHalf).buffer));
  throw new Error(`block-sparse runs in float or float16; the compute dtype is ${ctx.valueType}.`);
}

const positiveInt = (ctx: AttentionContext, name: string, fallback: number): number => {
  const value = ctx.params[name] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`block-sparse needs params.${name} as an integer >= 1; got ${JSON.stringify(value)}.`);
  }
  return value;
};

/**
 * Adds Block-Sparse prefill attention for one layer and returns `[1, S, numHeads * headDim]`.
 * @throws Error when a param is not valid.
 * @example blockSparsePrefill(ctx) // params { blockSize: 16, scope: 'kv-head' }, budget fed as attention.prefill.top_blocks
 */
export function blockSparsePrefill(ctx: AttentionContext): string {
  const { graph: g, spec } = ctx;
  const H = spec.numHeads;
  const kv = spec.numKvHeads;
  const group = H / kv;
  const d = spec.headDim;
  const B = positiveInt(ctx, 'blockSize', 16);
  const groups = positiveInt(ctx, 'queryGroups', DEFAULT_QUERY_GROUPS);
  const topkWidth = positiveInt(ctx, 'topkWidth', 2048);
  const topkLevels = ctx.params['topkLevels'] ?? 2;
  if (typeof topkLevels !== 'number' || !Number.isInteger(topkLevels) || topkLevels < 0) throw new Error(`block-sparse needs params.topkLevels as an integer >= 0; got ${JSON.stringify(topkLevels)}.`);
  const scope = ctx.params['scope'] ?? 'query-head';
  if (scope !== 'query-head' && scope !== 'kv-head') throw new Error(`block-sparse needs params.scope 'query-head' or 'kv-head'; got ${JSON.stringify(scope)}.`);
  const shared = scope === 'kv-head';
  // Default: fused for the kv-head scope (G x B rows per kernel head: 1.1x / 2.3x dense at C = 10 / 20,
  // 64k, H100), MatMul for the query-head scope (64 rows per head are as slow fused: 0.26x / 0.92x).
  const formulation = ctx.params['formulation'] ?? (shared ? 'fused' : 'matmul');
  if (formulation !== 'matmul' && formulation !== 'fused') throw new Error(`block-sparse needs params.formulation 'matmul' or 'fused'; got ${JSON.stringify(formulation)}.`);
  const fused = formulation === 'fused';
  // Fused: query blocks per MultiHeadAttention pass (static: they become the kernel's heads) and the
  // number of passes, which together must cover a chunk's blocks (the longest prefill chunk,
  // ctx.prefillChunk, 4096 tokens by default).
  // Pseudo-heads per pass: perPass query blocks x the selecting heads (query heads, or KV heads whose
  // G query heads become rows); WebGPU's MultiHeadAttention takes at most 1024 heads.
  const Hs = shared ? kv : H; // selecting heads
  const perPass = fused ? Math.max(1, Math.min(Math.floor(positiveInt(ctx, 'rowsPerPass', 1024) / B), Math.floor(1024 / Hs))) : 0;
  const passes = fused ? positiveInt(ctx, 'passes', Math.ceil((Math.ceil((ctx.prefillChunk ?? DEFAULT_PREFILL_CHUNK) / B) + 1) / perPass)) : groups;
  const topBlocks = budgetKnob(ctx, 'topBlocks', BLOCK_SPARSE_IO.topBlocks, 'block-sparse', 1);
  // A host barrier between passes (block-passes.ts): their gathered blocks are not all alive at once.
  const syncPasses = ctx.params['syncPasses'] ?? false;
  if (typeof syncPasses !== 'boolean') throw new Error(`block-sparse needs params.syncPasses as a boolean; got ${JSON.stringify(syncPasses)}.`);

  const positions = ctx.positionIds();
  const rotate = (x: string, heads: number): string => rotary(ctx, positions, x, heads);
  const toHeads = (x: string): string => g.op('Transpose', [g.op('Reshape', [x, g.int64([1, 0, kv, d])])], { perm: ints([0, 2, 1, 3]) });
  const [presentKey] = g.node('Concat', [ctx.pastKey, toHeads(rotate(ctx.key, kv))], { axis: int(2) }, { outputs: [ctx.presentKey] });
  const [presentValue] = g.node('Concat', [ctx.pastValue, toHeads(ctx.value)], { axis: int(2) }, { outputs: [ctx.presentValue] });

  // int64 scalars: T, S, P = T - S, off = P mod B, a0 = P div B, nQ, nK and the paddings.
  const scalar = (v: number): string => g.int64([v], []);
  const vec = (s: string): string => g.op('Reshape', [s, g.int64([1])]);
  const total = g.op('Cast', [ctx.totalSequenceLength], { to: int(7) });
  const S = g.op('Reshape', [g.op('Slice', [g.op('Shape', [ctx.query]), g.int64([1]), g.int64([2])]), g.int64([], [0])]);
  const P = g.op('Sub', [total, S]);
  const bs = scalar(B);
  const off = g.op('Mod', [P, bs]);
  const a0 = g.op('Div', [P, bs]);
  const ceilDiv = (x: string): string => g.op('Div', [g.op('Add', [x, scalar(B - 1)]), bs]);
  const padded = g.op('Add', [off, S]);
  // Fused passes take perPass blocks each: a shorter chunk is padded to that many (zero queries whose
  // rows are dropped at the end).
  const nQ = fused ? g.op('Max', [ceilDiv(padded), scalar(perPass)]) : ceilDiv(padded);
  const nK = ceilDiv(total);
  const padEnd = g.op('Sub', [g.op('Mul', [nQ, bs]), padded]);
  const keyPad = g.op('Sub', [g.op('Mul', [nK, bs]), total]);
  const zero = g.int64([0]);

  // Queries [H, nQ, B, d] (compute dtype, padded with zero rows), keys and values [kv, nK, B, d].
  const qHeads = g.op('Transpose', [g.op('Reshape', [rotate(ctx.query, H), g.int64([-1, H, d])])], { perm: ints([1, 0, 2]) });
  // Pads get an explicit fill value: WebGPU's Pad reads its third input whenever pads are an input.
  const fill = ctx.scalar(0);
  const qPadded = g.op('Pad', [qHeads, g.op('Concat', [zero, vec(off), zero, zero, vec(padEnd), zero], { axis: int(0) }), fill]);
  const qBlocks = g.op('Reshape', [qPadded, g.int64([H, -1, B, d])]);
  const keyPads = g.op('Concat', [zero, zero, zero, zero, zero, zero, vec(keyPad), zero], { axis: int(0) });
  const kBlocks = g.op('Reshape', [g.op('Pad', [presentKey!, keyPads, fill]), g.int64([kv, -1, B, d])]);
  const vBlocks = g.op('Reshape', [g.op('Pad', [presentValue!, keyPads, fill]), g.int64([kv, -1, B, d])]);

  const f32 = (x: string): string => (ctx.valueType === 'float' ? x : g.op('Cast', [x], { to: int(1) }));
  const f32Const = (v: number): string => g.inline('c_f32', 'float', [], new Uint8Array(Float32Array.of(v).buffer));
  const step = scalar(1);
  const axis2 = g.int64([2]);
  // Sums, not means (see the header): the selection is the same.
  const qPooled = g.op('ReduceSum', [f32(qBlocks), axis2], { keepdims: int(0) }); // [H, nQ, d]
  const kPooled = g.op('ReduceSum', [f32(kBlocks), axis2], { keepdims: int(0) }); // [kv, nK, d]

  // Block scores [kv, group, nQ, nK] -> per selecting head [Hs, nQ, nK].
  const kPooledT = g.op('Unsqueeze', [g.op('Transpose', [kPooled], { perm: ints([0, 2, 1]) }), g.int64([1])]);
  const perHead = g.op('MatMul', [g.op('Reshape', [qPooled, g.int64([kv, group, -1, d])]), kPooledT]);
  const blockScores = shared
    ? g.op('ReduceSum', [perHead, g.int64([1])], { keepdims: int(0) })
    : g.op('Reshape', [perHead, g.op('Concat', [g.int64([H]), g.op('Slice', [g.op('Shape', [perHead]), g.int64([2]), g.int64([4])])], { axis: int(0) })]);
  // Block indices in tensors of more than a few elements are int32 (block numbers and kv * nK are far
  // below 2^31): WebGPU's elementwise ops take int32 but not int64, so int64 would run on the CPU.
  const i32 = (x: string): string => g.op('Cast', [x], { to: int(6) });
  const f32Of = (x: string): string => g.op('Cast', [x], { to: int(1) });
  // TopK's int64 indices are read through a Gather (webgpu-ints.ts: a Cast from int64 runs on the CPU).
  const intOps = { op: (type: string, inputs: readonly string[], attributes?: Record<string, Attribute>) => g.op(type, inputs, attributes), int64: scalar };
  const one32 = g.int32([1], []);
  const zero32 = g.int32([0], []);
  // Block numbers made on the GPU (float Ranges; see webgpu-ints.ts), then int32.
  const qBlocksF = floatRange(intOps, a0, g.op('Add', [a0, nQ]));
  const qBlocks32 = i32(qBlocksF);
  const a = g.op('Unsqueeze', [qBlocks32, g.int64([1])]); // [nQ, 1]
  const b = g.op('Unsqueeze', [i32(floatRange(intOps, scalar(0), nK)), g.int64([0])]); // [1, nK]
  const adjusted = g.op('Where', [
    g.op('Equal', [b, zero32]),
    f32Const(3e30),
    g.op('Where', [
      g.op('Equal', [b, g.op('Sub', [a, one32])]),
      f32Const(2e30),
      g.op('Where', [g.op('Equal', [b, a]), f32Const(1e30), g.op('Where', [g.op('Greater', [b, a]), f32Const(-1e30), blockScores])]),
    ]),
  ]);
  const k = g.op('Min', [vec(g.op('Max', [topBlocks, step])), vec(nK)]);
  // Tournament TopK: `levels` times, the K best of each W-column slice (W = params.topkWidth,
  // default 2048: one bitonic pass on WebGPU) become the candidates; then the K best candidates. The
  // same set as one TopK over nK columns (ties to the lower index at every level); padding scores
  // -2e30, below every real column, and the real candidates never fall below K.
  const W = g.int64([topkWidth], []);
  const k1 = g.op('Min', [k, g.int64([topkWidth])]);
  const rowsShape = g.int64([Hs, 0, -1]);
  let candidates = adjusted; // [Hs, nQ, n] scores
  // Their key blocks as fp32 (exact below 2^24; WebGPU's GatherElements takes float data only).
  let columns: string | null = null; // [Hs, nQ, n] (null: the identity)
  let n = nK;
  for (let level = 0; level < topkLevels; level++) {
    const slices = g.op('Div', [g.op('Add', [n, scalar(topkWidth - 1)]), W]);
    const pads = g.op('Concat', [zero, zero, zero, zero, zero, vec(g.op('Sub', [g.op('Mul', [slices, W]), n]))], { axis: int(0) });
    const sliceShape = g.op('Concat', [g.int64([Hs]), vec(nQ), vec(slices), g.int64([topkWidth])], { axis: int(0) });
    const sliceOf = (x: string, fill: string): string => g.op('Reshape', [g.op('Pad', [x, pads, fill]), sliceShape]);
    const [best, index] = g.node('TopK', [sliceOf(candidates, f32Const(-2e30)), k1], { axis: int(-1), largest: int(1), sorted: int(1) }, { outputs: 2 });
    const picked = columns
      ? g.op('GatherElements', [sliceOf(columns, f32Const(0)), index!], { axis: int(-1) })
      : g.op('Add', [indicesAsFloat(intOps, index!, W), g.op('Unsqueeze', [g.op('Mul', [floatRange(intOps, scalar(0), slices), f32Const(topkWidth)]), g.int64([1])])]);
    candidates = g.op('Reshape', [best!, rowsShape]);
    columns = g.op('Reshape', [picked, rowsShape]);
    n = g.op('Mul', [slices, g.op('Reshape', [k1, g.int64([], [0])])]);
  }
  const [, top] = g.node('TopK', [candidates, k], { axis: int(-1), largest: int(1), sorted: int(1) }, { outputs: 2 });
  const selected = i32(columns ? g.op('GatherElements', [columns, top!], { axis: int(-1) }) : indicesAsFloat(intOps, top!, nK)); // [Hs, nQ, K] int32
  // Rows of the flat block tables [kv * nK, B, d]: selecting head s reads KV head s (kv-head) or s / group.
  const kvOf = g.int32(Array.from({ length: Hs }, (_, s) => (shared ? s : Math.floor(s / group))), [Hs, 1, 1]);
  const flat = g.op('Add', [selected, g.op('Mul', [kvOf, i32(scalarOnGpu(intOps, nK))])]); // [Hs, nQ, K] int32
  // Query-block groups (MatMul) or passes (fused): `per` blocks each (blockPasses).
  const per = fused ? scalar(perPass) : g.op('Div', [g.op('Add', [nQ, scalar(groups - 1)]), scalar(groups)]);
  // Sliced per pass, so handed on in float32 (WebGPU's Slice takes float types only; block numbers
  // are exact) and cast back to int32 after the slice.
  const passInputs = { qBlocks, qBlocksF, flat: f32Of(flat), selected: f32Of(selected), kBlocks, vBlocks, B, shared };
  const pass = fused ? fusedPasses(ctx, { ...passInputs, perPass }) : matmulPasses(ctx, passInputs);
  const attended = blockPasses({ ...intOps, float32: f32Const }, nQ, per, passes, 1, (start, end) => pass(vec(start), vec(end)), syncPasses);
  // Back to token-major [nQ * B, H * d], without the padding rows.
  const tokenMajor = shared && !fused
    ? g.op('Transpose', [g.op('Reshape', [attended, g.int64([kv, -1, group, B, d])])], { perm: ints([1, 3, 0, 2, 4]) })
    : g.op('Transpose', [attended], { perm: ints([1, 2, 0, 3]) });
  const rowsOut = g.op('Reshape', [tokenMajor, g.int64([-1, H * d])]);
  const chunk = g.op('Slice', [rowsOut, vec(off), vec(padded), g.int64([0])]);
  return g.op('Reshape', [chunk, g.int64([1, -1, H * d])]);
}

/** A float32 slice cast to int32 (PassInputs' flat and selected). */
function sliceInt(g: GraphBuilder, x: string, from: string, to: string, axes: string): string {
  return g.op('Cast', [g.op('Slice', [x, from, to, axes])], { to: int(6) });
}

/** Block tensors both formulations attend over (see blockSparsePrefill). */
interface PassInputs {
  /** Queries [H, nQ, B, d]. */
  qBlocks: string;
  /** Absolute query block numbers [nQ], float32 (sliced per pass, then int32). */
  qBlocksF: string;
  /**
   * Rows of the flat block tables [Hs, nQ, K] (kv * nK + block), and the selected blocks [Hs, nQ, K],
   * both float32 (sliced per pass: WebGPU's Slice takes float types only, and int32 there would run
   * on the CPU after a copy back from the GPU).
   */
  flat: string;
  selected: string;
  /** Keys and values [kv, nK, B, d]. */
  kBlocks: string;
  vBlocks: string;
  B: number;
  shared: boolean;
}

/**
 * The MatMul formulation: returns one group's attention, `[Hs, per, R, d]` for the blocks
 * [from, to) (1-element int64 vectors). Gathers the group's K selected blocks, one MatMul per query
 * block against them, the token-level causal mask as additive biases in the compute dtype (no
 * integer tensor of the scores' size), Softmax and a MatMul with the gathered values.
 */
function matmulPasses(ctx: AttentionContext, t: PassInputs): (from: string, to: string) => string {
  const { graph: g, spec } = ctx;
  const kv = spec.numKvHeads;
  const group = spec.numHeads / kv;
  const d = spec.headDim;
  const { B, shared } = t;
  const R = shared ? group * B : B;
  const axis1 = g.int64([1]);
  const zero32 = g.int32([0], []);
  const kTable = g.op('Reshape', [t.kBlocks, g.int64([-1, B, d])]);
  const vTable = g.op('Reshape', [t.vBlocks, g.int64([-1, B, d])]);
  // Queries per selecting head [Hs, nQ, R, d], softmax scale folded in.
  const qRows = shared
    ? g.op('Reshape', [g.op('Transpose', [g.op('Reshape', [t.qBlocks, g.int64([kv, group, -1, B, d])])], { perm: ints([0, 2, 1, 3, 4]) }), g.int64([kv, -1, R, d])])
    : t.qBlocks;
  const qScaled = g.op('Mul', [qRows, ctx.scalar(1 / Math.sqrt(d))]);
  // `upper` [1, 1, R, 1, B] masks key c > row r mod B inside the diagonal block; a block after the
  // query block (a filler) is masked whole.
  const upper = computeConst(ctx, Array.from({ length: R * B }, (_, x) => (x % B > Math.floor(x / B) % B ? MASK : 0)), [1, 1, R, 1, B]);
  return (from, to) => {
    const idx = sliceInt(g, t.flat, from, to, axis1); // [Hs, per, K]
    const keys = g.op('Reshape', [g.op('Gather', [kTable, idx], { axis: int(0) }), g.int64([0, 0, -1, d])]); // [Hs, per, K * B, d]
    const values = g.op('Reshape', [g.op('Gather', [vTable, idx], { axis: int(0) }), g.int64([0, 0, -1, d])]);
    const q = g.op('Slice', [qScaled, from, to, axis1]); // [Hs, per, R, d]
    const scores = g.op('MatMul', [q, g.op('Transpose', [keys], { perm: ints([0, 1, 3, 2]) })]); // [Hs, per, R, K * B]
    // Query block minus key block, [Hs, per, K]: 0 on the diagonal, < 0 for fillers.
    const delta = g.op('Sub', [g.op('Reshape', [sliceInt(g, t.qBlocksF, from, to, g.int64([0])), g.int64([1, -1, 1])]), sliceInt(g, t.selected, from, to, axis1)]);
    const toBias = (cond: string): string => g.op('Reshape', [g.op('Cast', [cond], { to: int(OnnxType[ctx.valueType]) }), g.int64([0, 0, 1, -1, 1])]);
    const diagonal = toBias(g.op('Equal', [delta, zero32])); // [Hs, per, 1, K, 1]
    const filler = g.op('Mul', [toBias(g.op('Less', [delta, zero32])), ctx.scalar(MASK)]);
    const scores5 = g.op('Reshape', [scores, g.int64([0, 0, 0, -1, B])]); // [Hs, per, R, K, B]
    const masked = g.op('Reshape', [g.op('Add', [g.op('Add', [scores5, filler]), g.op('Mul', [diagonal, upper])]), g.int64([0, 0, 0, -1])]);
    const probs = g.op('Softmax', [masked], { axis: int(-1) });
    return g.op('MatMul', [probs, values]); // [Hs, per, R, d]
  };
}

/**
 * The fused formulation: returns, for the `perPass` query blocks [from, to) (1-element int64
 * vectors), their attention `[H, perPass, B, d]`. The blocks x the selecting heads become the heads
 * ("pseudo-heads") of one com.microsoft MultiHeadAttention node (batch 1, so WebGPU runs its flash
 * kernel). A pseudo-head's query rows are its block's B rows, times the G query heads of the KV head
 * in scope 'kv-head' (they share the selection, so G x B rows share one key set: the kernel's
 * throughput grows with rows per head, about 1.5 TFLOP/s at 64 rows and 6 at 512 on the H100,
 * docs/sparse-attention.md); its keys are its K selected blocks (K x B keys, gathered row by row
 * into [1, pseudo-heads, K * B, d]); the token-level causal mask of the diagonal block and the
 * filler blocks are the attention_bias.
 */
function fusedPasses(ctx: AttentionContext, t: PassInputs & { perPass: number }): (from: string, to: string) => string {
  const { graph: g, spec } = ctx;
  const H = spec.numHeads;
  const kv = spec.numKvHeads;
  const G = H / kv;
  const d = spec.headDim;
  const { B, perPass, shared } = t;
  const Hs = shared ? kv : H;
  const P = perPass * Hs; // pseudo-heads, block-major: p = j * Hs + s
  const R = shared ? G * B : B; // rows per pseudo-head: (query head in the group, row)
  const axis1 = g.int64([1]);
  // Rows of the flat key and value tables, [(kv * nK + block) * B + c, d].
  const keyRows = g.op('Reshape', [t.kBlocks, g.int64([-1, d])]);
  const valueRows = g.op('Reshape', [t.vBlocks, g.int64([-1, d])]);
  const within = g.int32(Array.from({ length: B }, (_, c) => c), [1, 1, 1, B]);
  const zero32 = g.int32([0], []);
  const upper = computeConst(ctx, Array.from({ length: R * B }, (_, x) => (x % B > Math.floor(x / B) % B ? MASK : 0)), [1, R, 1, B]);
  const bnsh = g.int64([1, P, -1, d]);
  return (from, to) => {
    // Token rows [per, Hs, K, B] of the flat tables: (kv * nK + block) * B + c.
    const idx = g.op('Transpose', [sliceInt(g, t.flat, from, to, axis1)], { perm: ints([1, 0, 2]) }); // [per, Hs, K]
    const tokens = g.op('Add', [g.op('Mul', [g.op('Unsqueeze', [idx, g.int64([3])]), g.int32([B], [])]), within]);
    const keys = g.op('Reshape', [g.op('Gather', [keyRows, tokens], { axis: int(0) }), bnsh]); // [1, P, K * B, d]
    const values = g.op('Reshape', [g.op('Gather', [valueRows, tokens], { axis: int(0) }), bnsh]);
    const q = g.op('Slice', [t.qBlocks, from, to, axis1]); // [H, per, B, d]
    // [H, per, B, d] -> [R, per, Hs, d] with R = (g, row): [kv, G, per, B, d] -> [G, B, per, kv, d].
    const query = shared
      ? g.op('Reshape', [g.op('Transpose', [g.op('Reshape', [q, g.int64([kv, G, perPass, B, d])])], { perm: ints([1, 3, 2, 0, 4]) }), g.int64([1, R, P * d])])
      : g.op('Reshape', [g.op('Transpose', [q], { perm: ints([2, 1, 0, 3]) }), g.int64([1, R, P * d])]);
    // Bias [1, P, R, K * B]: fillers (key block after the query block) masked whole, the diagonal block
    // masked above the diagonal (key c > row r mod B).
    const sel = g.op('Transpose', [sliceInt(g, t.selected, from, to, axis1)], { perm: ints([1, 0, 2]) }); // [per, Hs, K]
    const a = g.op('Reshape', [sliceInt(g, t.qBlocksF, from, to, g.int64([0])), g.int64([-1, 1, 1])]); // [per, 1, 1]
    const delta = g.op('Reshape', [g.op('Sub', [a, sel]), g.int64([P, 1, -1, 1])]); // [P, 1, K, 1]
    const asBias = (cond: string): string => g.op('Cast', [cond], { to: int(OnnxType[ctx.valueType]) });
    // One full-size op (a Where broadcasting [P, 1, K, 1] against [1, R, 1, B]): at 128k each full-size
    // intermediate is a few hundred MB that onnxruntime allocates afresh in every run.
    const filler = g.op('Mul', [asBias(g.op('Less', [delta, zero32])), ctx.scalar(MASK)]); // [P, 1, K, 1]
    const bias = g.op('Where', [g.op('Equal', [delta, zero32]), upper, filler]); // [P, R, K, B]
    const [out] = g.node(
      'MultiHeadAttention',
      [query, keys, values, '', '', g.op('Reshape', [bias, g.int64([1, P, R, -1])])],
      { num_heads: int(P), scale: float(1 / Math.sqrt(d)) },
      // The present outputs are requested because WebGPU's MultiHeadAttention takes its flash-attention
      // path only when they are.
      { domain: 'com.microsoft', outputs: 3, name: `mha_bs_${ctx.layer}` },
    );
    // [1, R, P * d] -> [H, per, B, d].
    return shared
      ? g.op('Reshape', [g.op('Transpose', [g.op('Reshape', [out!, g.int64([G, B, perPass, kv, d])])], { perm: ints([3, 0, 2, 1, 4]) }), g.int64([H, perPass, B, d])])
      : g.op('Transpose', [g.op('Reshape', [out!, g.int64([B, perPass, H, d])])], { perm: ints([2, 1, 0, 3]) });
  };
}

/**
 * The smallest params.queryGroups that keeps one group's gathered keys (heads x blocks x K x B x d)
 * and scores (heads x blocks x R x K x B) under `limit` elements, for a chunk of `chunk` tokens.
 * @throws RangeError when one query block alone exceeds the limit.
 * @example blockSparseQueryGroups({ numHeads: 28, numKvHeads: 4, headDim: 128 }, 4096, { blockSize: 16, topBlocks: 865 }, 'query-head') // 8
 */
export function blockSparseQueryGroups(
  shape: { numHeads: number; numKvHeads: number; headDim: number },
  chunk: number,
  budget: { blockSize: number; topBlocks: number },
  scope: 'query-head' | 'kv-head' = 'query-head',
  limit = 2 ** 31,
): number {
  const { blockSize: B, topBlocks: K } = budget;
  const heads = scope === 'kv-head' ? shape.numKvHeads : shape.numHeads;
  const rows = scope === 'kv-head' ? (shape.numHeads / shape.numKvHeads) * B : B;
  // A chunk starting mid-block spans one more block.
  const blocks = Math.ceil(chunk / B) + 1;
  const perBlock = heads * K * B * Math.max(shape.headDim, rows);
  const maxPer = Math.floor((limit - 1) / perBlock);
  if (maxPer < 1) throw new RangeError(`One query block of block-sparse needs ${perBlock} elements, over the limit of ${limit}.`);
  return Math.ceil(blocks / maxPer);
}

export const blockSparseAttention: AttentionBuilder = {
  id: 'block-sparse',
  chunked: true,
  phase: 'prefill',
  description:
    'Block-Sparse (MInference): mean-pooled blocks (params.blockSize 16 or 64), top-k key blocks per query block with sink, diagonal and the block below forced; gathers the selected blocks (params scope, formulation fused|matmul, queryGroups, rowsPerPass, syncPasses; topBlocks from blockSparseBudget or a graph input).',
  build: blockSparsePrefill,
  budgetInputs: (budget) => {
    const topBlocks = budget['topBlocks'];
    if (topBlocks === undefined || !Number.isInteger(topBlocks) || topBlocks < 1) throw new Error(`block-sparse needs a budget with topBlocks >= 1; got ${JSON.stringify(budget)}.`);
    return { [BLOCK_SPARSE_IO.topBlocks]: topBlocks };
  },
};
