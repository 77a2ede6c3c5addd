// Vertical-Slash pattern prefill, shared by the Vertical-Slash and FlexPrefill graph builders
// (vertical-slash.ts, flexprefill.ts): estimation, coverage of the slash tiles, and the gathered
// attention. The two methods differ only in how many columns and diagonals each head keeps, which
// they supply as a `select` callback. Design:
//
// One prefill chunk: S new queries at positions P..T-1 (T = P + S) over the T keys of the cache and
// the chunk. Everything below is per "selecting head" (a query head, or a KV head with scope
// 'kv-head', whose G query heads share one selection from their summed statistics).
//
// 1. Estimation (dense over lastQueries x T, as MInference does): the chunk's last n = min(lastQueries,
//    S) queries against all T keys, causal softmax. The keys are gathered in reverse order, so row r
//    (query T-n+r) reads key T-1-c at column c; then the vertical (column) sums are a sum over
//    rows (reversed back), and the slash sum of offset o = query - key is the sum of F[r, o+n-1-r]:
//    padding each row with n zeros and re-reading the flat buffer with a row stride one shorter
//    (Pad, Reshape, Slice) lines the diagonals up as columns, so the slash sums are a sum over rows
//    too. The sums are MatMuls with a row of ones, which read along T.
//    Statistics in fp32 whatever the compute dtype. Cost: h x n x T scores per chunk (n = 64 for
//    Vertical-Slash, 512 for FlexPrefill), computed in passes of whole KV heads (see Memory): one
//    KV head of a 7B shape (7 query heads) at n = 512, T = 128K is 4.7e8 scores.
// 2. Selection (the callback): TopK over the T columns / offsets per head with the forced ones given
//    +3e38 (ONNX TopK breaks ties by the lower index, as the reference does). TopK is a bitonic sort
//    on WebGPU (log^2 T / 2 passes past 2048 columns); it runs once per head, layer and chunk, two
//    (Vertical-Slash) or four (FlexPrefill: full sorts for the coverage count, then the top k) times.
//    Ragged per-head counts are padded to the maximum over heads with a validity mask.
// 3. Relative tiles: a kept offset o makes query block b (absolute rows tb..tb+t-1, t = tileSize)
//    read keys tb-o..tb-o+t-1, i.e. relative positions r = tb - key in [o-t+1, o]. The union R of
//    these intervals is the same for every block, so it is computed once per head: kept offsets
//    become an indicator (ScatterElements), r is covered when some kept offset lies in [r, r+t-1]
//    (difference of a CumSum), and the covered r are compacted into a list (CumSum ranks +
//    ScatterElements; padding gets a huge r, so its key tb - r is negative and masked).
// 4. Attention per (head, query block b): keys tb - R (negative ones masked) and the kept vertical
//    columns, a vertical dropped when tb - v is in R (the slash tiles already hold it: softmax must
//    not count a key twice); the per-row causal mask is applied inside the gathered set. Keys and
//    values are gathered ([heads, blocks, |R| + verticals, d]) and attended with MatMul / Softmax /
//    MatMul, so executed work is blocks x t x (|R| + verticals) per head: it falls with the budget
//    (the reference's kept pairs, plus the padding of R and of the columns to the longest head of
//    a pass, plus keys tb - r < 0 that early blocks gather and mask: up to 2x on a first chunk whose
//    R spans it, ~1x for later chunks of a long context), never L^2.
//
// Fused formulation (params.formulation 'fused', the default with scope 'kv-head'): step 4's
// attention runs in com.microsoft MultiHeadAttention instead of MatMul / Softmax / MatMul. Each
// (query block, selecting head) pair is one of the kernel's heads (batch 1, present outputs
// requested: WebGPU's flash path), with its Gs x t query rows, its gathered keys [1, heads, M, d] and
// the mask as a per-head attention_bias; passes of params.rowsPerPass (512) query rows (at most 1024
// kernel heads), a static params.passes of them (enough for the graph's longest prefill chunk,
// AttentionContext.prefillChunk, 4096 tokens by default; a shorter chunk is padded to one pass).
// The kernel is fast only with many rows per head (H100: 1.5 TFLOP/s at 64 rows, 6 at 448-512),
// hence the kv-head default (docs/sparse-attention.md).
//
// Chunked prefill: blocks are aligned to absolute positions (query padded in front by P mod t rows
// and behind to a whole block), the pattern is estimated from the chunk's own last queries against
// all keys so far, and with P = 0 the result is the whole-prompt reference (chunkPatternReference in
// runner/engine/sparse/reference/vertical-slash.ts is the chunk-aware reference).
//
// Integers: scalars and shapes (T, S, P, block counts, list lengths) are int64; the per-head and
// per-block index tensors (TopK's indices cast, tile ranks, key indices) are int32 (positions stay
// below 2^31). onnxruntime's WebGPU provider has no int64 kernels for elementwise ops, Where or
// Concat (nor bool Concat), so int64 or bool index math on selection outputs ran on the CPU: every
// layer waited for the GPU to copy the selection back, built the [heads, blocks, keys] index
// tensors on the host and copied them up again (the H100 profile in docs/sparse-attention.md,
// "Keeping the index math on the GPU"). The data-dependent lengths (covered tiles, FlexPrefill's
// counts) are read on the host: one wait each, which no static graph avoids.
//
// Memory and passes: the key indices of all heads and blocks ([heads, blocks, |R| + columns], int32)
// are built once; the heavy part runs in sequential passes over the selecting heads, each slicing
// its heads' indices (trimmed to its own longest tile list and column list), gathering keys and
// values ([heads, blocks, M, d], M = |R| + columns) and attending (scores [heads, blocks, Gs, t, M]).
// Gather fails past 2^31 elements on WebGPU, so a pass must keep heads x ceil(S/t) x M x d under
// 2^31. `headsPerPass` (param) sets the pass size; the estimation runs in passes of
// max(1, floor(headsPerPass x Gs / G)) KV heads. Default (defaultHeadsPerPass): the most heads
// whose worst case fits for a 4096-token chunk at the full budget of the model's max positions
// (M <= 2 x maxPositions: |R| ~ T and every column kept, deduplicated by the mask but gathered),
// e.g. 4 query heads per pass for maxPositions 32768 and d = 128 (7 passes on a 28-head model), 1
// at 131072, all heads for short-context models (one pass). At sparse budgets M is far smaller
// (about 2^15 keys at 128K, C = 5), so larger passes fit; `headsPerPass` trades memory against
// graph size: ONNX Runtime's session creation grows faster than linearly with the node count
// (measured on this CPU, FlexPrefill on a 28 x 128 / 4 KV-head layer repeated 28 times, fp32: one
// pass 4.3k nodes, 1.9 s; 7 query heads per pass 8.4k nodes, 7.4 s; 4 per pass 10.8k nodes, 11.5 s).
// Equal constants and pure nodes over equal inputs are built once per graph, so the shape
// arithmetic is shared by all layers. Scope 'kv-head' multiplies a pass's scores by G.
import { float, int, ints, type Attribute, type GraphBuilder } from '../onnx/graph-builder.js';
import { OnnxType } from '../onnx/proto.js';
import { DEFAULT_PREFILL_CHUNK, type AttentionContext } from './types.js';
import { rotary } from './rotary.js';
import { blockPasses, passBarrier, type PassOps } from './block-passes.js';
import { scalarOnGpu, type IntOps } from './webgpu-ints.js';

/** The pattern parameters a graph bakes in (the references' VerticalSlashParams, tile mode). */
export interface PatternParams {
  lastQueries: number;
  forcedVertical: number;
  forcedSlash: number;
  tileSize: number;
  scope: 'query-head' | 'kv-head';
  /** Selecting heads per attention pass (see the header); default by the model's max positions. */
  headsPerPass?: number;
  /** 'matmul' (Gather, MatMul, Softmax, MatMul) or 'fused' (MultiHeadAttention over pseudo-heads). */
  formulation: 'matmul' | 'fused';
  /** Fused: query rows per MultiHeadAttention pass (rounded down to whole tiles) and the number of passes. */
  rowsPerPass: number;
  passes?: number;
  /** A host barrier between consecutive passes (block-passes.ts), so their buffers are not all alive at once. */
  syncPasses: boolean;
  /** Drop the columns no block of the chunk attends before the gather (default false). */
  compactColumns: boolean;
}

/** Per-head statistics (float32 `[Hs, T]`) and the scalars a selection needs (int64 scalars). */
export interface PatternStats {
  vertical: string;
  slash: string;
  /** T = P + S. */
  total: string;
  /** Estimation rows n = min(lastQueries, S). */
  rows: string;
  /** Selecting heads Hs. */
  heads: number;
}

/**
 * Kept columns and offsets per selecting head: float32 `[Hs, k]` (exact below 2^24; TopK's int64
 * indices through indicesAsFloat, see webgpu-ints.ts), and bool `[Hs, k]` masks when ragged.
 */
export interface PatternSelection {
  vertical: string;
  verticalValid?: string;
  slash: string;
  slashValid?: string;
}

/** Rows per group in the estimation's row sums (see rowSums in patternPrefill). */
const ROW_GROUP = 16;

/** A float32 scalar constant. */
export const f32 = (ctx: AttentionContext, x: number): string => ctx.graph.inline('c_f32', 'float', [], new Uint8Array(Float32Array.of(x).buffer));

/**
 * Selecting heads per attention pass by default: the most whose gathered keys stay under 2^31
 * elements for a 4096-token chunk (64 blocks of 64) at the full budget (2 x maxPositions keys per
 * block) of the model's longest context, at least one.
 */
export function defaultHeadsPerPass(maxPositions: number, headDim: number, rowsPerHead: number, heads: number): number {
  return Math.max(1, Math.min(heads, Math.floor(2 ** 31 / (64 * 2 * maxPositions * headDim * rowsPerHead))));
}

/** Checks the baked-in pattern params (merged over the reference's defaults). */
export function patternParams(method: string, defaults: object, params: Record<string, unknown>): PatternParams {
  const p = { ...defaults, ...params } as Record<string, unknown>;
  for (const [name, min] of [['lastQueries', 1], ['forcedVertical', 0], ['forcedSlash', 0], ['tileSize', 1]] as const) {
    const v = p[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new Error(`${method} needs params.${name} as an integer >= ${min}; got ${JSON.stringify(v)}.`);
  }
  if (p['slashMode'] !== 'tile') throw new Error(`${method}'s graph computes slashes as tiles (slashMode 'tile'); got ${JSON.stringify(p['slashMode'])}.`);
  if (p['scope'] !== 'query-head' && p['scope'] !== 'kv-head') throw new Error(`${method} needs params.scope 'query-head' or 'kv-head'; got ${JSON.stringify(p['scope'])}.`);
  // Default: fused for the kv-head scope (G x tile rows per kernel head), MatMul for the query-head
  // scope (64-row heads run the fused kernel at ~1.5 TFLOP/s); docs/sparse-attention.md has the figures.
  const formulation = p['formulation'] ?? (p['scope'] === 'kv-head' ? 'fused' : 'matmul');
  if (formulation !== 'matmul' && formulation !== 'fused') throw new Error(`${method} needs params.formulation 'matmul' or 'fused'; got ${JSON.stringify(formulation)}.`);
  for (const name of ['rowsPerPass', 'passes']) {
    const v = p[name];
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 1)) throw new Error(`${method} needs params.${name} as an integer >= 1; got ${JSON.stringify(v)}.`);
  }
  const sync = p['syncPasses'] ?? false;
  if (typeof sync !== 'boolean') throw new Error(`${method} needs params.syncPasses as a boolean; got ${JSON.stringify(sync)}.`);
  const compact = p['compactColumns'] ?? false;
  if (typeof compact !== 'boolean') throw new Error(`${method} needs params.compactColumns as a boolean; got ${JSON.stringify(compact)}.`);
  const hp = p['headsPerPass'];
  if (hp !== undefined && (typeof hp !== 'number' || !Number.isInteger(hp) || hp < 1)) throw new Error(`${method} needs params.headsPerPass as an integer >= 1; got ${JSON.stringify(hp)}.`);
  return {
    lastQueries: p['lastQueries'] as number,
    forcedVertical: p['forcedVertical'] as number,
    forcedSlash: p['forcedSlash'] as number,
    tileSize: p['tileSize'] as number,
    scope: p['scope'],
    ...(hp !== undefined ? { headsPerPass: hp as number } : {}),
    formulation,
    rowsPerPass: (p['rowsPerPass'] as number | undefined) ?? 512,
    ...(p['passes'] !== undefined ? { passes: p['passes'] as number } : {}),
    syncPasses: sync,
    compactColumns: compact,
  };
}

/** `stats` with the first `forced` entries raised to +3e38 (kept first, lower index first). */
export function forcedScores(ctx: AttentionContext, stats: string, total: string, forced: number): string {
  const g = ctx.graph;
  // A float Range (on the GPU, bounds read on the host): an int64 one is built on the host and copied up.
  const index = g.op('Range', [f32(ctx, 0), g.op('Cast', [total], { to: int(1) }), f32(ctx, 1)]);
  return g.op('Where', [g.op('Less', [index, f32(ctx, forced)]), f32(ctx, 3e38), stats]);
}

/** The pattern graphs' IntOps (webgpu-ints.ts) on a context's graph. */
export function intOps(ctx: AttentionContext): IntOps {
  const g = ctx.graph;
  return { op: (type, inputs, attributes) => g.op(type, inputs, attributes), int64: (v) => g.int64([v], []) };
}

/** TopK indices along the last axis; `k` an int64 scalar. */
export function topK(ctx: AttentionContext, scores: string, k: string): { values: string; indices: string } {
  const g = ctx.graph;
  const [values, indices] = g.node('TopK', [scores, g.op('Reshape', [k, g.int64([1])])], { axis: int(-1), largest: int(1), sorted: int(1) }, { outputs: 2 });
  return { values: values!, indices: indices! };
}

/** Per graph: constants and nodes patternPrefill has built (see patternPrefill). */
const BUILT = new WeakMap<GraphBuilder, Map<string, string>>();

/**
 * Adds pattern (vertical + slash tile) prefill attention for one layer and returns
 * `[1, S, numHeads * headDim]`; also produces the present cache. `select` turns the per-head
 * statistics into kept columns and offsets (Vertical-Slash: fixed counts; FlexPrefill: coverage).
 */
export function patternPrefill(ctx: AttentionContext, p: PatternParams, select: (stats: PatternStats) => PatternSelection): string {
  const { graph: g, spec } = ctx;
  // Built once per graph: equal constants and equal nodes over equal inputs (the shape arithmetic
  // every layer repeats) are shared across layers; session creation slows with the node count.
  let built = BUILT.get(g);
  if (!built) BUILT.set(g, (built = new Map()));
  const memo = built;
  const once = (key: string, make: () => string): string => {
    let name = memo.get(key);
    if (!name) memo.set(key, (name = make()));
    return name;
  };
  const i64 = (values: readonly number[], dims: readonly number[] = [values.length]): string => once(`i64|${values.join(',')}|${dims.join(',')}`, () => g.int64(values, dims));
  const op = (type: string, inputs: readonly string[], attributes: Record<string, Attribute> = {}): string =>
    once(`${type}|${inputs.join(',')}|${JSON.stringify(attributes)}`, () => g.op(type, inputs, attributes));
  const f32c = (x: number): string => once(`f32|${x}`, () => f32(ctx, x));
  const scalar = (x: number): string => once(`scalar|${x}`, () => ctx.scalar(x));
  const H = spec.numHeads;
  const KV = spec.numKvHeads;
  const G = H / KV;
  const d = spec.headDim;
  const t = p.tileSize;
  const kvScope = p.scope === 'kv-head';
  const Hs = kvScope ? KV : H;
  const Gs = kvScope ? G : 1;
  const positions = ctx.positionIds();
  const c = (v: number): string => i64([v], []);
  const vec = (x: string): string => op('Reshape', [x, i64([1])]);
  const shape = (...parts: (number | string)[]): string => op('Concat', parts.map((x) => (typeof x === 'number' ? i64([x]) : vec(x))), { axis: int(0) });
  const slice = (x: string, start: string | number, end: string | number, axis: number): string =>
    op('Slice', [x, typeof start === 'number' ? i64([start]) : vec(start), typeof end === 'number' ? i64([end]) : vec(end), i64([axis])]);
  const add = (a: string, b: string): string => op('Add', [a, b]);
  const sub = (a: string, b: string): string => op('Sub', [a, b]);
  const mul = (a: string, b: string): string => op('Mul', [a, b]);
  const sum = (x: string, axes: number[]): string => op('ReduceSum', [x, i64(axes)], { keepdims: int(0) });
  // int32 index math (see "Integers" in the header): constants, casts, and T as the int32 input.
  const c32 = (v: number): string => once(`i32|${v}`, () => g.int32([v], []));
  const to32 = (x: string): string => op('Cast', [x], { to: int(6) });
  // Casts to float32: integer lists that are sliced (WebGPU's Slice takes float types only; exact
  // below 2^24: key indices are below KV x T, cast to int32 after the slice), and host lengths
  // that bound the float Ranges below.
  const asF = (x: string): string => op('Cast', [x], { to: int(1) });
  const T32 = ctx.totalSequenceLength;

  // RoPE, the present cache, queries [H, S, d] with the softmax scale folded in.
  const toHeads = (x: string): string => op('Transpose', [op('Reshape', [x, i64([1, 0, KV, d])])], { perm: ints([0, 2, 1, 3]) });
  const [presentKey] = g.node('Concat', [ctx.pastKey, toHeads(rotary(ctx, positions, ctx.key, KV))], { axis: int(2) }, { outputs: [ctx.presentKey] });
  const [presentValue] = g.node('Concat', [ctx.pastValue, toHeads(ctx.value)], { axis: int(2) }, { outputs: [ctx.presentValue] });
  const q = mul(op('Transpose', [op('Reshape', [rotary(ctx, positions, ctx.query, H), i64([-1, H, d])])], { perm: ints([1, 0, 2]) }), scalar(1 / Math.sqrt(d)));
  const keys = op('Reshape', [presentKey!, i64([KV, -1, d])]);
  const values = op('Reshape', [presentValue!, i64([KV, -1, d])]);
  // S from the positions input and T from total_sequence_length: graph inputs every layer shares.
  const S = op('Reshape', [op('Shape', [positions], { start: int(1), end: int(2) }), i64([], [0])]);
  const T = op('Cast', [ctx.totalSequenceLength], { to: int(7) });
  const P = sub(T, S);
  // Sequences and scalars over T are made on the GPU by float Ranges, whose bounds the kernel reads
  // on the host: a tensor built on the host is copied up during the run, and such copies waited for
  // the GPU in the H100 profiles (webgpu-ints.ts). Values are below 2^24, exact in float32.
  /** Float32 start, start + step, ... below `end` (host int64 scalars or float constants), on the GPU. */
  const rangeF = (start: string | number, end: string | number, step = 1): string =>
    op('Range', [typeof start === 'number' ? f32c(start) : asF(start), typeof end === 'number' ? f32c(end) : asF(end), f32c(step)]);
  // The memoized builders as block-passes.ts and webgpu-ints.ts take them.
  const ops: PassOps = { op, int64: c, float32: f32c };
  /** A host int64 scalar as a one-element float32 tensor on the GPU (webgpu-ints.ts), nodes shared across layers. */
  const onGpu = (x: string): string => scalarOnGpu(ops, x);

  // 1. Estimation: F[kv, g, r, c] = softmax row r (query T-n+r) at key T-1-c, causal: c >= n-1-r.
  const n = op('Min', [S, c(p.lastQueries)]);
  const lastQ = op('Reshape', [slice(q, sub(S, n), S, 1), i64([KV, G, -1, d])]);
  const reversed = to32(rangeF(sub(T, c(1)), -1, -1));
  const keysRevT = op('Reshape', [op('Transpose', [op('Gather', [keys, reversed], { axis: int(1) })], { perm: ints([0, 2, 1]) }), i64([KV, 1, d, -1])]);
  // Compared in fp32 (exact below 2^24): the [n, T] mask in a dtype WebGPU kernels take.
  const firstCol = op('Reshape', [rangeF(sub(n, c(1)), -1, -1), i64([-1, 1])]);
  const per = Math.min(Hs, p.headsPerPass ?? defaultHeadsPerPass(spec.maxPositionEmbeddings, d, Gs, Hs));
  // Estimation in passes of whole KV heads (as many as the attention passes cover, at least one).
  const kvPer = Math.max(1, Math.floor((per * Gs) / G));
  // Slash: pad rows with n zeros; element (r, o + n - 1 - r) sits at flat n - 1 + r (T + n - 1) + o.
  const pads = op('Concat', [i64([0, 0, 0, 0, 0, 0, 0]), vec(n)], { axis: int(0) });
  const width = sub(add(T, n), c(1));
  const skewStart = sub(n, c(1));
  const skewEnd = add(skewStart, mul(n, width));
  const skewShape = op('Concat', [i64([0, 0]), vec(n), vec(width)], { axis: int(0) });
  const verticalParts: string[] = [];
  const slashParts: string[] = [];
  /**
   * Sums `x` [k, s, count, T] over its rows into fp32 [k * s, T], read along T (a ReduceSum over a
   * non-innermost axis reads with a stride of T). Two levels: a MatMul with a 0/1 matrix sums groups
   * of ROW_GROUP rows in the compute dtype ([groups, count] x [k, s, count, T]; an fp16 MatMul
   * accumulates in fp16, so a group is kept short: 16 values of at most 1), then the group sums,
   * cast to fp32, are summed by a MatMul with a row of ones. The 0/1 matrix is built on the GPU
   * from Ranges (a host-built tensor would be copied up mid-run, a wait for the GPU).
   */
  const rowSums = (x: string, count: string): string => {
    // Lengths as int64 on the host; the Ranges over them run on the GPU (rangeF).
    const groups = op('Div', [add(count, c(ROW_GROUP - 1)), c(ROW_GROUP)]);
    const member = op('Cast', [op('Equal', [
      op('Unsqueeze', [rangeF(0, groups), i64([1])]),
      // Rows as r + 0.5, so the division floors the same even a few ULP off.
      op('Unsqueeze', [op('Floor', [op('Div', [rangeF(0.5, count), f32c(ROW_GROUP)])]), i64([0])]),
    ])], { to: int(OnnxType[ctx.valueType]) });
    const groupSums = op('MatMul', [member, x]); // [k, s, groups, T]
    const groupSumsF = ctx.valueType === 'float' ? groupSums : op('Cast', [groupSums], { to: int(1) });
    const ones = op('Expand', [f32c(1), op('Concat', [i64([1]), vec(groups)], { axis: int(0) })]);
    return op('Flatten', [op('MatMul', [ones, groupSumsF])], { axis: int(2) });
  };
  // With syncPasses, each estimation pass waits for the previous one (block-passes.ts's barrier).
  let wait: string | undefined;
  const after = (v: number): string | number => (wait ? add(c(v), wait) : v);
  // Scope 'kv-head': the group's heads are summed first (the column and diagonal sums are the same
  // sums, and the skew then moves a G times smaller tensor). The causal mask touches only the first
  // n - 1 columns (key T-1-c is hidden from row r when c < n-1-r), so those are scored, masked and
  // softmaxed apart (the triangle, [n, n], its last column masked: it belongs to the main part) from
  // the columns n-1 .. T-1 that every row sees (the main part, no mask). Each part's softmax is then
  // scaled to the whole row's by exp(lse_part - lse), folded into the MatMul that sums the heads, so
  // a pass allocates two full-size buffers (scores, probabilities) where the masked form allocated
  // three (scores, masked scores, probabilities): each one is allocated afresh in every run on
  // WebGPU (see rowSums). A part's log-sum-exp is max(score) - log(max(probability)): both maxima
  // sit in the same column, and neither needs an exp() over the full-size tensor.
  /** Scores, probabilities and fp32 log-sum-exp `[k, n, G, 1]` of one part. */
  const part32 = (scores: string): { probs: string; lse: string } => {
    const probs = op('Softmax', [scores], { axis: int(-1) });
    const top = (x: string): string => op('Cast', [op('ReduceMax', [x, i64([-1])], { keepdims: int(1) })], { to: int(1) });
    return { probs, lse: sub(top(scores), op('Log', [top(probs)])) };
  };
  for (let k0 = 0; k0 < KV; k0 += kvPer) {
    const k1 = Math.min(KV, k0 + kvPer);
    const part = (x: string): string => (k0 === 0 && k1 === KV ? x : slice(x, after(k0), after(k1), 0));
    let rows: string;
    if (kvScope) {
      // (Nodes are memoized: each pass shares these.)
      const lastQn = op('Transpose', [lastQ], { perm: ints([0, 2, 1, 3]) }); // [KV, n, G, d]
      const cols = op('Reshape', [rangeF(0, n), i64([1, -1])]);
      // [n, 1, n]: rows on the scores' axis -3, the group's heads (axis -2) alike.
      const tri = op('Unsqueeze', [op('And', [op('GreaterOrEqual', [cols, firstCol]), op('Less', [cols, op('Reshape', [onGpu(sub(n, c(1))), i64([1, 1])])])]), i64([1])]);
      const main = part32(op('MatMul', [part(lastQn), slice(part(keysRevT), sub(n, c(1)), T, 3)])); // [k, n, G, T-n+1]
      const triangle = part32(op('Where', [tri, op('MatMul', [part(lastQn), slice(part(keysRevT), 0, n, 3)]), scalar(-65504)])); // [k, n, G, n]
      const high = op('Max', [main.lse, triangle.lse]);
      const lse = add(high, op('Log', [add(op('Exp', [sub(main.lse, high)]), op('Exp', [sub(triangle.lse, high)]))]));
      /** The part's probabilities summed over the group's heads, each row scaled to the whole row's softmax: [k, n, 1, width]. */
      const headSums = (x: { probs: string; lse: string }): string => {
        const weight = op('Cast', [op('Exp', [sub(x.lse, lse)])], { to: int(OnnxType[ctx.valueType]) });
        return op('MatMul', [op('Transpose', [weight], { perm: ints([0, 1, 3, 2]) }), x.probs]);
      };
      const joined = op('Concat', [slice(headSums(triangle), 0, sub(n, c(1)), 3), headSums(main)], { axis: int(3) }); // [k, n, 1, T]
      rows = op('Reshape', [joined, op('Concat', [i64([0, 1]), vec(n), vec(T)], { axis: int(0) })]); // [k, 1, n, T]
      verticalParts.push(rowSums(rows, n));
    } else {
      // In the compute dtype: an fp32 copy of the [heads, n, T] probabilities was the largest buffer of
      // the layer (1.5 GB per pass at T = 100K), and each new buffer costs host time (see rowSums).
      const causal = op('GreaterOrEqual', [op('Reshape', [rangeF(0, T), i64([1, -1])]), firstCol]);
      rows = op('Softmax', [op('Where', [causal, op('MatMul', [part(lastQ), part(keysRevT)]), scalar(-65504)])], { axis: int(-1) });
      verticalParts.push(rowSums(rows, n));
    }
    const flat = op('Reshape', [op('Pad', [rows, pads]), i64([0, 0, -1])]);
    const skewed = op('Reshape', [slice(flat, skewStart, skewEnd, 2), skewShape]);
    slashParts.push(rowSums(slice(skewed, 0, T, 3), n));
    if (p.syncPasses && k1 < KV) wait = passBarrier(ops, slashParts[slashParts.length - 1]!);
  }
  wait = undefined;
  const joinParts = (parts: string[]): string => (parts.length === 1 ? parts[0]! : op('Concat', parts, { axis: int(0) }));
  const vertical = op('Gather', [joinParts(verticalParts), reversed], { axis: int(1) });
  const slash = joinParts(slashParts);
  const sel = select({ vertical, slash, total: T, rows: n, heads: Hs });

  // 3. Relative tiles: covered r in [-(t-1), T-1] when a kept offset lies in [r, r+t-1].
  const slash32 = to32(sel.slash);
  const keptIndex = sel.slashValid ? op('Where', [sel.slashValid, slash32, T32]) : slash32;
  const zerosT1 = op('Expand', [f32c(0), shape(Hs, add(T, c(1)))]);
  const kept = slice(op('ScatterElements', [zerosT1, keptIndex, op('Cast', [op('GreaterOrEqual', [keptIndex, c32(0)])], { to: int(1) })], { axis: int(1) }), 0, T, 1);
  const prefix = op('Concat', [op('Expand', [f32c(0), i64([Hs, 1])]), op('CumSum', [kept, c(1)])], { axis: int(1) });
  const rel = rangeF(1 - t, T); // float32 [T + t - 1]
  const TF = onGpu(T);
  const clampT = (x: string): string => to32(op('Min', [op('Max', [x, f32c(0)]), TF]));
  const count = sub(op('Gather', [prefix, clampT(op('Add', [rel, f32c(t)]))], { axis: int(1) }), op('Gather', [prefix, clampT(rel)], { axis: int(1) }));
  const covered = op('Greater', [count, f32c(0.5)]);
  const coveredF = op('Cast', [covered], { to: int(1) });
  const rank = sub(to32(op('CumSum', [coveredF, c(1)])), c32(1));
  const coveredCount = sum(coveredF, [1]);
  const coveredMax = op('ReduceMax', [coveredCount, i64([0])], { keepdims: int(1) });
  // The list's length is a shape (int64, read on the host); the padding's r is 2^30, whose key
  // tb - r is negative for every block, so it is masked.
  const rMax = op('Cast', [coveredMax], { to: int(7) });
  const relList = op('ScatterElements', [
    op('Expand', [f32c(2 ** 30), shape(Hs, add(rMax, c(1)))]),
    op('Where', [covered, rank, to32(coveredMax)]),
    op('Expand', [op('Reshape', [rel, i64([1, -1])]), op('Shape', [coveredF])]),
  ], { axis: int(1) });
  const relKept = to32(slice(relList, 0, rMax, 1));

  // 4. Query blocks at absolute positions: the chunk padded to rows t*b0 .. t*(b0+nb)-1.
  const b0 = op('Div', [P, c(t)]);
  const fused = p.formulation === 'fused';
  // Fused: query blocks per pass (static: they become the kernel's heads, at most 1024) and passes
  // (enough for the longest prefill chunk); a shorter chunk is padded to one pass of blocks.
  const perPass = Math.max(1, Math.min(Math.floor(p.rowsPerPass / t), Math.floor(1024 / Hs)));
  const passes = p.passes ?? Math.ceil((Math.ceil((ctx.prefillChunk ?? DEFAULT_PREFILL_CHUNK) / t) + 1) / perPass);
  const realBlocks = sub(add(op('Div', [sub(T, c(1)), c(t)]), c(1)), b0);
  const blocks = fused ? op('Max', [realBlocks, c(perPass)]) : realBlocks;
  const front = sub(P, mul(b0, c(t)));
  const back = sub(sub(mul(blocks, c(t)), S), front);
  const qPadded = op('Pad', [q, op('Concat', [i64([0]), vec(front), i64([0, 0]), vec(back), i64([0])], { axis: int(0) })]);
  const qBlocks = kvScope
    ? op('Transpose', [op('Reshape', [qPadded, i64([KV, G, -1, t, d])])], { perm: ints([0, 2, 1, 3, 4]) })
    : op('Reshape', [qPadded, i64([H, -1, 1, t, d])]);
  // Block starts in float32, made on the GPU (see rangeF).
  const firstStart = mul(b0, c(t));
  const blockStart = rangeF(firstStart, add(firstStart, mul(blocks, c(t))), t); // [nb]
  // Row positions in fp32 (exact below 2^24), so the one comparison over [heads, blocks, t, keys] runs
  // in a dtype WebGPU kernels take; key indices are int32.
  const rowPos = op('Reshape', [op('Add', [op('Reshape', [blockStart, i64([-1, 1])]), rangeF(0, t)]), i64([1, -1, 1, t, 1])]);
  const flatKeys = op('Reshape', [keys, i64([-1, d])]);
  const flatValues = op('Reshape', [values, i64([-1, d])]);
  // Key indices of every (head, block) at once: the slash tiles tb - R, then the columns.
  const start32 = to32(op('Reshape', [blockStart, i64([1, -1, 1])]));
  const slashKeys = sub(start32, op('Reshape', [relKept, i64([Hs, 1, -1])]));
  /** Columns `[Hs, k]` (valid where `valid`) as keys of every block, and where a block attends them. */
  const columnKeys = (columnList: string, valid: string | undefined): { vertKeys: string; vertOk: string } => {
    const vert = op('Reshape', [to32(columnList), i64([Hs, 1, -1])]);
    const vertKeys = add(vert, mul(start32, c32(0)));
    // A column already in a slash tile of the block is dropped (coverage of r = tb - v).
    const relV = op('Reshape', [add(op('Min', [op('Max', [sub(start32, vert), c32(1 - t)]), sub(T32, c32(1))]), c32(t - 1)), i64([Hs, -1])]);
    const dup = op('Reshape', [op('Greater', [op('GatherElements', [coveredF, relV], { axis: int(1) }), f32c(0.5)]), op('Shape', [vertKeys])]);
    const notDup = op('Not', [dup]);
    return { vertKeys, vertOk: valid ? op('And', [notDup, op('Reshape', [valid, i64([Hs, 1, -1])])]) : notDup };
  };
  // Columns no block of the chunk attends (in the slash tiles of every block, or padding) are not
  // gathered with params.compactColumns: the rest move to the front of each head's list (CumSum
  // ranks, ScatterElements), padded to the longest head's count (at least 1) and masked. When the
  // tiles cover nearly every key (a near-dense pattern: many scattered offsets, or a coverage count
  // near T) this halves the gathered keys. Off by default: on the H100 at 64k (RoPE inputs) it made
  // Vertical-Slash 25% / 7% slower at C = 10 / 20 and near-dense FlexPrefill only 6% faster
  // (docs/sparse-attention.md).
  const selected = columnKeys(sel.vertical, sel.verticalValid);
  /** The compacted columns' keys and mask, and each head's column count (float32 [Hs]). */
  const compacted = (): { vertKeys: string; vertOk: string; count: string } => {
    const usefulF = op('ReduceMax', [op('Cast', [selected.vertOk], { to: int(1) }), i64([1])], { keepdims: int(0) }); // [Hs, k]
    const usefulCount = sum(usefulF, [1]); // [Hs]
    // The longest list on the GPU (float) and as a shape on the host (int64), at least 1.
    const colMaxF = op('Max', [op('ReduceMax', [usefulCount, i64([0])], { keepdims: int(1) }), f32c(1)]);
    const colMax = op('Cast', [colMaxF], { to: int(7) });
    const colRank = sub(to32(op('CumSum', [usefulF, c(1)])), c32(1));
    const columnList = to32(slice(op('ScatterElements', [
      op('Expand', [f32c(0), shape(Hs, add(colMax, c(1)))]),
      op('Where', [op('Greater', [usefulF, f32c(0.5)]), colRank, to32(colMaxF)]),
      sel.vertical,
    ], { axis: int(1) }), 0, colMax, 1));
    const columnValid = op('Less', [op('Reshape', [rangeF(0, op('Reshape', [colMax, i64([], [0])])), i64([1, -1])]), op('Reshape', [usefulCount, i64([-1, 1])])]);
    return { ...columnKeys(columnList, columnValid), count: usefulCount };
  };
  const columnCount = (): string =>
    sel.verticalValid ? sum(op('Cast', [sel.verticalValid], { to: int(1) }), [1]) : op('Expand', [op('Cast', [op('Shape', [sel.vertical], { start: int(1), end: int(2) })], { to: int(1) }), i64([Hs])]);
  const { vertKeys, vertOk, count: columnsPerHead } = p.compactColumns ? compacted() : { ...selected, count: columnCount() };
  // Dropped columns become key -1, so one range test masks them and the slash keys outside [0, T).
  const blockKeys = op('Concat', [slashKeys, op('Where', [vertOk, vertKeys, c32(-1)])], { axis: int(2) });
  const ok = op('And', [op('GreaterOrEqual', [blockKeys, c32(0)]), op('Less', [blockKeys, T32])]);
  const kvBase = once(`kvBase|${Hs}|${kvScope}`, () => g.int32(Array.from({ length: Hs }, (_, h) => (kvScope ? h : Math.floor(h / G))), [Hs, 1, 1]));
  const index = add(mul(kvBase, T32), op('Where', [ok, blockKeys, c32(0)]));
  // Masked keys get position 3e38: causal and validity in one comparison.
  const keyPos = op('Where', [ok, op('Cast', [blockKeys], { to: int(1) }), f32c(3e38)]);
  if (ctx.report) {
    // Kept causal pairs of the chunk's rows (the measured effective sparsity): a key at position p in
    // query block b is attended by the block's real rows max(p, tb, P) .. min(tb + t, T) - 1; masked
    // keys sit at 3e38 and count nothing. In fp32 over [Hs, blocks, M], times the heads a selection serves.
    const blockF = op('Reshape', [blockStart, i64([1, -1, 1])]);
    const firstRow = op('Max', [blockF, onGpu(P)]);
    const endRow = op('Min', [op('Add', [blockF, f32c(t)]), onGpu(T)]);
    const rowsPerKey = op('Relu', [op('Sub', [endRow, op('Max', [keyPos, firstRow])])]);
    ctx.report('kept_pairs', op('Mul', [op('ReduceSum', [rowsPerKey], { keepdims: int(0) }), f32c(Gs)]));
  }
  const attended = fused ? fusedAttention() : matmulAttention(); // [Hs, nb, Gs, t, d]
  // [Hs, nb, Gs, t, d] -> [H, rows, d] -> the chunk's rows -> [1, S, H * d].
  const headMajor = Gs > 1 ? op('Transpose', [attended], { perm: ints([0, 2, 1, 3, 4]) }) : attended;
  const rows = slice(op('Reshape', [headMajor, i64([H, -1, d])]), front, add(front, S), 1);
  return op('Reshape', [op('Transpose', [rows], { perm: ints([1, 0, 2]) }), i64([1, -1, H * d])]);

  /** Passes of perPass query blocks, each one MultiHeadAttention over (query block, selecting head) pseudo-heads. */
  function fusedAttention(): string {
    // Pseudo-heads (query block, selecting head), block-major; rows (query head of the group, row).
    const PH = perPass * Hs;
    const rowCount = Gs * t;
    const posF = op('Transpose', [keyPos], { perm: ints([1, 0, 2]) }); // [nb, Hs, M]
    const idxT = op('Transpose', [asF(index)], { perm: ints([1, 0, 2]) }); // float32: sliced per pass
    const rowPosF = op('Reshape', [rowPos, i64([-1, 1, 1, t, 1])]); // [nb, 1, 1, t, 1]
    const zeros = op('Expand', [scalar(0), i64([1, 1, Gs, 1, 1])]);
    const bnsh = i64([1, PH, -1, d]);
    // Executed work: every pass attends perPass blocks x Gs x t rows of each selecting head to M keys.
    const width = op('Cast', [op('Shape', [index], { start: int(2), end: int(3) })], { to: int(1) });
    ctx.report?.('gathered_pairs', op('Reshape', [op('Mul', [width, f32c(passes * perPass * t * Gs * Hs)]), i64([], [0])]));
    return blockPasses(ops, blocks, c(perPass), passes, 1, (start, end) => {
      const idx = to32(slice(idxT, start, end, 0)); // [per, Hs, M]
      const k = op('Reshape', [op('Gather', [flatKeys, idx], { axis: int(0) }), bnsh]);
      const v = op('Reshape', [op('Gather', [flatValues, idx], { axis: int(0) }), bnsh]);
      // [Hs, per, Gs, t, d] -> [Gs, t, per, Hs, d] -> [1, rows, PH * d] (the scale is folded into q).
      const qPass = op('Reshape', [op('Transpose', [slice(qBlocks, start, end, 1)], { perm: ints([2, 3, 1, 0, 4]) }), i64([1, rowCount, PH * d])]);
      const keep = op('LessOrEqual', [op('Reshape', [slice(posF, start, end, 0), i64([0, 0, 1, 1, -1])]), slice(rowPosF, start, end, 0)]); // [per, Hs, 1, t, M]
      const bias = op('Reshape', [op('Where', [keep, zeros, scalar(-65504)]), i64([1, PH, rowCount, -1])]);
      const [out] = g.node('MultiHeadAttention', [qPass, k, v, '', '', bias], { num_heads: int(PH), scale: float(1) }, { domain: 'com.microsoft', outputs: 3, name: `mha_vs_${ctx.layer}` });
      // [1, rows, PH * d] -> [Gs, t, per, Hs, d] -> [Hs, per, Gs, t, d].
      return op('Transpose', [op('Reshape', [out!, i64([Gs, t, perPass, Hs, d])])], { perm: ints([3, 2, 0, 1, 4]) });
    }, p.syncPasses);
  }

  /** Passes of `per` selecting heads, each MatMul / Softmax / MatMul over all query blocks. */
  function matmulAttention(): string {
    const verticalCount = columnsPerHead;
    const outputs: string[] = [];
    const gathered: string[] = [];
    for (let s0 = 0; s0 < Hs; s0 += per) {
      const s1 = Math.min(Hs, s0 + per);
      let idx = index;
      let pos = keyPos;
      if (s0 !== 0 || s1 !== Hs) {
        // A pass pads its ragged lists to its own longest head (valid entries come first in both).
        const longest = (counts: string): string => op('Cast', [op('ReduceMax', [slice(counts, s0, s1, 0), i64([0])], { keepdims: int(1) })], { to: int(7) });
        const slashWidth = longest(coveredCount);
        // At least one slot, as the compacted list has (no zero-sized tensors on WebGPU).
        const columnWidth = op('Max', [longest(verticalCount), i64([1])]);
        const axes = i64([0, 2]);
        const head = (v: number): string => vec(after(v) as string);
        const slashEnd = op('Concat', [wait ? head(s1) : i64([s1]), slashWidth], { axis: int(0) });
        const columnStart = op('Concat', [wait ? head(s0) : i64([s0]), rMax], { axis: int(0) });
        const columnEnd = op('Concat', [wait ? head(s1) : i64([s1]), add(rMax, columnWidth)], { axis: int(0) });
        const slashStart = wait ? op('Concat', [head(s0), i64([0])], { axis: int(0) }) : i64([s0, 0]);
        const pick = (x: string): string =>
          op('Concat', [op('Slice', [x, slashStart, slashEnd, axes]), op('Slice', [x, columnStart, columnEnd, axes])], { axis: int(2) });
        idx = to32(pick(asF(index)));
        pos = pick(keyPos);
      }
      const k = op('Reshape', [op('Transpose', [op('Gather', [flatKeys, idx], { axis: int(0) })], { perm: ints([0, 1, 3, 2]) }), i64([0, 0, 1, d, -1])]);
      const v = op('Reshape', [op('Gather', [flatValues, idx], { axis: int(0) }), i64([0, 0, 1, -1, d])]);
      const mask = op('LessOrEqual', [op('Reshape', [pos, i64([0, 0, 1, 1, -1])]), rowPos]);
      const scores = op('MatMul', [s0 === 0 && s1 === Hs ? qBlocks : slice(qBlocks, after(s0), after(s1), 0), k]);
      const attn = op('Softmax', [op('Where', [mask, scores, scalar(-65504)])], { axis: int(-1) });
      outputs.push(op('MatMul', [attn, v]));
      // Executed work: the pass's heads x all query blocks' rows x its key slots.
      gathered.push(op('Mul', [op('ReduceProd', [op('Cast', [op('Shape', [idx], { start: int(1), end: int(3) })], { to: int(1) })], { keepdims: int(0) }), f32c((s1 - s0) * t * Gs)]));
      if (p.syncPasses && s1 < Hs) wait = passBarrier(ops, outputs[outputs.length - 1]!);
    }
    ctx.report?.('gathered_pairs', gathered.length === 1 ? gathered[0]! : op('Sum', gathered));
    return outputs.length === 1 ? outputs[0]! : op('Concat', outputs, { axis: int(0) });
  }
}
