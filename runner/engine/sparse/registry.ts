// The sparse attention methods as one typed map (vitest's ReportersMap shape): the registry, the
// union of valid ids and their documentation at once. Each entry says its phase, its default
// options, how a compression ratio becomes its knobs, the sparsity that budget gives, its plain
// TypeScript reference and its cost model. The engine's graph builders, the CLI (`--attention`,
// `--decode-attention`, `--compression`) and reports read budgets and costs from here.
import {
  aShapeBudget, blockSparseBudget, budgetDensity, checkCompression, flexPrefillBudget, questBudget, snapKvBudget, streamingLlmBudget, verticalSlashBudget,
  type AShapeBudget, type BlockSparseBudget, type FlexPrefillBudget, type QuestBudget, type SnapKvBudget, type StreamingLlmBudget, type VerticalSlashBudget,
} from './budget.js';
import {
  blockSparseSelectionFlops, decodeTraffic, flexPrefillSelectionFlops, prefillCost, questSelectionValues, snapKvSelectionFlops, verticalSlashSelectionFlops,
  type CostShape, type DecodeTraffic, type PrefillCost,
} from './cost.js';
import { aShapeBlockSparsity, aShapeSparsity, blockSparseSparsity, questReadTokens, questSparsity, snapKvSparsity, streamingLlmSparsity } from './sparsity.js';
import type { DecodeInput, PrefillInput } from './tensor.js';
import { aShapeAttention, aShapeBlockAttention } from './reference/a-shape.js';
import { BLOCK_SPARSE_DEFAULTS, blockSparseAttention, type BlockSparseParams, type BlockSparseSelection } from './reference/block-sparse.js';
import { FLEXPREFILL_DEFAULTS, flexPrefillAttention, type FlexPrefillParams, type FlexPrefillSelection } from './reference/flexprefill.js';
import { QUEST_DEFAULTS, questAttention, type QuestParams, type QuestSelection } from './reference/quest.js';
import type { DecodeResult, PrefillResult } from './reference/result.js';
import { adaSnapKvSelect, SNAPKV_DEFAULTS, snapKvDecode, snapKvSelect, type SnapKvParams, type SnapKvSelection } from './reference/snapkv.js';
import { streamingLlmAttention } from './reference/streaming-llm.js';
import { VERTICAL_SLASH_DEFAULTS, verticalSlashAttention, type VerticalSlashParams, type VerticalSlashSelection } from './reference/vertical-slash.js';

/** Run-level options of a cost query. */
export interface CostOptions {
  batch?: number;
  /** Bytes per cached / weight value for decode traffic (2 for fp16). */
  bytesPerValue?: number;
}

interface MethodBase<P, B> {
  readonly id: string;
  readonly description: string;
  /** One of the paper's six methods (A-shape and StreamingLLM are extra). */
  readonly paper: boolean;
  readonly defaults: P;
  /** The knobs for compression C at sequence (prompt) length L. */
  budgetFor(compression: number, length: number, params?: Partial<P>): B;
  /**
   * Effective sparsity of a budget at length L: exact for the data-independent methods; the
   * target 1 - 1/C for Vertical-Slash and FlexPrefill, whose sparsity depends on the input (their
   * references measure it).
   */
  expectedSparsity(budget: B, length: number, compression: number): number;
}

/** A prefill method. `cost` gives `prefillFlops`, `attentionFlops`, `selectionFlops`, `density`. */
export interface PrefillMethod<P, B, S> extends MethodBase<P, B> {
  readonly phase: 'prefill';
  reference(input: PrefillInput, budget: B, params?: Partial<P>): PrefillResult<S>;
  cost(shape: CostShape, length: number, budget: B, compression: number, params?: Partial<P>, options?: CostOptions): PrefillCost;
}

/** What a decode reference needs: the step, and for eviction methods the prefill that preceded it. */
export interface DecodeCase {
  /** The step: the newest token's query and the cache `[kvHeads, L, d]` including its key. */
  step: DecodeInput;
  /** The prompt's queries, keys and values (SnapKV and Ada-SnapKV select from them). */
  prefill?: PrefillInput;
}

/** A decode method. `cost` gives traffic in values (x bytesPerValue for bytes). */
export interface DecodeMethod<P, B, S> extends MethodBase<P, B> {
  readonly phase: 'decode';
  reference(input: DecodeCase, budget: B, params?: Partial<P>): DecodeResult<S>;
  cost(shape: CostShape, length: number, budget: B, compression: number, params?: Partial<P>, options?: CostOptions): DecodeTraffic & { prefillSelectionFlops: number };
}

const target = (_b: unknown, _l: number, compression: number): number => 1 - budgetDensity(compression);
const batchOf = (o?: CostOptions): number => o?.batch ?? 1;

export const verticalSlash: PrefillMethod<VerticalSlashParams, VerticalSlashBudget, VerticalSlashSelection> = {
  id: 'vertical-slash',
  phase: 'prefill',
  paper: true,
  description: 'MInference Vertical-Slash: last-query softmax picks top columns (first 4 forced) and diagonals (nearest 64 forced), computed as 64x64 tiles plus columns.',
  defaults: VERTICAL_SLASH_DEFAULTS,
  budgetFor: (c, l, p) => {
    const o = { ...VERTICAL_SLASH_DEFAULTS, ...p };
    return verticalSlashBudget(c, l, { vertical: o.forcedVertical, slash: o.forcedSlash });
  },
  expectedSparsity: target,
  reference: verticalSlashAttention,
  cost: (shape, l, b, c, p, o) => {
    const q = { ...VERTICAL_SLASH_DEFAULTS, ...p }.lastQueries;
    return prefillCost(shape, l, 1 - target(b, l, c), verticalSlashSelectionFlops(shape, l, { lastQueries: q, ...b }, batchOf(o)), batchOf(o));
  },
};

export const blockSparse: PrefillMethod<BlockSparseParams & { blockSize: number }, BlockSparseBudget, BlockSparseSelection> = {
  id: 'block-sparse',
  phase: 'prefill',
  paper: true,
  description: 'MInference Block-Sparse: mean-pooled 16-token (or 64) blocks, top-k key blocks per query block; sink, diagonal and the block below forced.',
  defaults: { ...BLOCK_SPARSE_DEFAULTS, blockSize: 16 },
  budgetFor: (c, l, p) => blockSparseBudget(c, l, p?.blockSize ?? 16),
  expectedSparsity: (b, l) => blockSparseSparsity(l, b.blockSize, b.topBlocks),
  reference: (input, budget, p) => blockSparseAttention(input, budget, p),
  cost: (shape, l, b, _c, _p, o) => prefillCost(shape, l, 1 - blockSparseSparsity(l, b.blockSize, b.topBlocks), blockSparseSelectionFlops(shape, l, b, batchOf(o)), batchOf(o)),
};

export const flexPrefill: PrefillMethod<FlexPrefillParams, FlexPrefillBudget, FlexPrefillSelection> = {
  id: 'flexprefill',
  phase: 'prefill',
  paper: true,
  description: 'FlexPrefill: per-head vertical and slash budgets, the smallest k whose sorted cumulative score exceeds alpha, floored at min_budget.',
  defaults: FLEXPREFILL_DEFAULTS,
  budgetFor: (c, l) => flexPrefillBudget(c, l),
  expectedSparsity: target,
  reference: flexPrefillAttention,
  cost: (shape, l, b, c, p, o) => {
    const q = { ...FLEXPREFILL_DEFAULTS, ...p }.lastQueries;
    // Planning estimate: heads at the floor; a measured run passes its own counts to flexPrefillSelectionFlops.
    const k = Math.min(l, b.minBudget);
    return prefillCost(shape, l, 1 - target(b, l, c), flexPrefillSelectionFlops(shape, l, { lastQueries: q, verticalCount: k, slashCount: k }, batchOf(o)), batchOf(o));
  },
};

export const aShape: PrefillMethod<{ sink: number; granularity?: 'token' | 'block' }, AShapeBudget, AShapeBudget> = {
  id: 'a-shape',
  phase: 'prefill',
  paper: false,
  description: "A-shape: sink tokens plus a local window (static; no selection cost). granularity 'block' keeps whole 64-token blocks (the SparseAttention kernel's form; more pairs than the budget's).",
  defaults: { sink: 64 },
  budgetFor: (c, l, p) => aShapeBudget(c, l, p?.sink ?? 64),
  expectedSparsity: (b, l) => aShapeSparsity(l, b.sink, b.window),
  reference: (input, budget, p) => (p?.granularity === 'block' ? aShapeBlockAttention(input, budget, 64) : aShapeAttention(input, budget)),
  cost: (shape, l, b, _c, p, o) => prefillCost(shape, l, 1 - (p?.granularity === 'block' ? aShapeBlockSparsity(l, b.sink, b.window, 64) : aShapeSparsity(l, b.sink, b.window)), 0, batchOf(o)),
};

export const quest: DecodeMethod<QuestParams & { pageSize: number }, QuestBudget, QuestSelection> = {
  id: 'quest',
  phase: 'decode',
  paper: true,
  description: 'Quest: 16-token pages with min/max key bounds; top pages by upper-bound score (summed over a KV group) plus the current page; full cache kept.',
  defaults: { ...QUEST_DEFAULTS, pageSize: 16 },
  budgetFor: (c, l, p) => questBudget(c, l, p?.pageSize ?? 16),
  expectedSparsity: (b, l) => questSparsity(l, b.pageSize, b.pageBudget),
  reference: (input, budget, p) => questAttention(input.step, budget, p),
  cost: (shape, l, b, _c, _p, o) => ({
    ...decodeTraffic(shape, l, questReadTokens(l, b.pageSize, b.pageBudget) / l, questSelectionValues(shape, l, b.pageSize, batchOf(o)), batchOf(o)),
    prefillSelectionFlops: 0,
  }),
};

function needPrefill(input: DecodeCase, id: string): PrefillInput {
  if (!input.prefill) throw new Error(`${id} selects from the prefill: pass { prefill, step } to its reference.`);
  return input.prefill;
}

/** SnapKV and Ada-SnapKV share budgets, sparsity and traffic; they differ in how tokens are selected. */
function snapKvMethod(
  id: 'snapkv' | 'ada-snapkv',
  description: string,
  select: typeof snapKvSelect,
  adaptive: boolean,
): DecodeMethod<SnapKvParams, SnapKvBudget, SnapKvSelection> {
  return {
    id,
    phase: 'decode',
    paper: true,
    description,
    defaults: SNAPKV_DEFAULTS,
    budgetFor: (c, l, p) => {
      const o = { ...SNAPKV_DEFAULTS, ...p };
      return snapKvBudget(c, l, o.prefix + o.recent);
    },
    expectedSparsity: (b, l) => snapKvSparsity(l, b.capacity),
    reference: (input, budget, p) => {
      const prefill = needPrefill(input, id);
      return snapKvDecode(input.step, select(prefill, budget, p), prefill.key.length);
    },
    cost: (shape, l, b, _c, p, o) => ({
      ...decodeTraffic(shape, l, Math.min(b.capacity, l) / l, 0, batchOf(o)),
      prefillSelectionFlops: snapKvSelectionFlops(shape, l, { ...SNAPKV_DEFAULTS, ...p }, adaptive, batchOf(o)),
    }),
  };
}

export const snapKv = snapKvMethod(
  'snapkv',
  'SnapKV: after prefill, last-256-query scores pooled (kernel 21), first 4 and last 128 forced, top tokens per KV head kept, the rest evicted.',
  snapKvSelect,
  false,
);

export const adaSnapKv = snapKvMethod(
  'ada-snapkv',
  'Ada-SnapKV: SnapKV with max-aggregated scores and one budget shared by the KV heads, each keeping at least 20% of the per-head budget.',
  adaSnapKvSelect,
  true,
);

export const streamingLlm: DecodeMethod<{ sinks: number }, StreamingLlmBudget, StreamingLlmBudget> = {
  id: 'streaming-llm',
  phase: 'decode',
  paper: false,
  description: 'StreamingLLM: the first 4 tokens (sinks) plus the most recent ones.',
  defaults: { sinks: 4 },
  budgetFor: (c, l, p) => streamingLlmBudget(c, l, p?.sinks ?? 4),
  expectedSparsity: (b, l) => streamingLlmSparsity(l, b.sinks, b.recent),
  reference: (input, budget) => streamingLlmAttention(input.step, budget),
  cost: (shape, l, b, _c, _p, o) => ({ ...decodeTraffic(shape, l, Math.min(l, b.sinks + b.recent) / l, 0, batchOf(o)), prefillSelectionFlops: 0 }),
};

/** Every sparse attention method by id. */
export const SPARSE_METHODS = {
  'vertical-slash': verticalSlash,
  'block-sparse': blockSparse,
  flexprefill: flexPrefill,
  'a-shape': aShape,
  quest,
  snapkv: snapKv,
  'ada-snapkv': adaSnapKv,
  'streaming-llm': streamingLlm,
} as const;

export type SparseMethodId = keyof typeof SPARSE_METHODS;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the union of the entries' own types
export type AnySparseMethod = PrefillMethod<any, any, any> | DecodeMethod<any, any, any>;

/** Ids of the prefill methods (for `--attention`), `dense` first. */
export const PREFILL_METHOD_IDS = ['dense', ...Object.values(SPARSE_METHODS).filter((m) => m.phase === 'prefill').map((m) => m.id)];
/** Ids of the decode methods (for `--decode-attention`), `dense` first. */
export const DECODE_METHOD_IDS = ['dense', ...Object.values(SPARSE_METHODS).filter((m) => m.phase === 'decode').map((m) => m.id)];

/**
 * Looks up a sparse method, checking its phase.
 * @throws Error naming the allowed ids of that phase.
 * @example sparseMethod('quest', 'decode').budgetFor(10, 32768)
 */
export function sparseMethod(id: string, phase?: 'prefill' | 'decode'): AnySparseMethod {
  const method = (SPARSE_METHODS as Record<string, AnySparseMethod>)[id];
  if (!method || (phase && method.phase !== phase)) {
    const allowed = phase === 'decode' ? DECODE_METHOD_IDS : phase === 'prefill' ? PREFILL_METHOD_IDS : ['dense', ...Object.keys(SPARSE_METHODS)];
    throw new Error(`Unknown ${phase ?? 'attention'} method "${id}"; allowed: ${allowed.join(', ')}.`);
  }
  return method;
}

/** A resolved phase of an attention setting. */
export interface ResolvedPhase {
  method: string;
  budget: Record<string, number>;
  /** Effective sparsity of the budget (the target for data-dependent methods). */
  sparsity: number;
}

/**
 * Checks an attention setting (the runner's AttentionSetting) and turns it into budgets for a
 * prompt of `length` tokens: what a backend needs and what a prediction records.
 * @throws Error naming the bad field: unknown ids, a method in the wrong phase, C < 1, or C > 1 with both phases dense.
 * @example resolveAttention({ prefill: 'dense', decode: 'quest', compression: 10 }, 32768).decode?.budget // { pageSize: 16, pageBudget: 205 }
 */
export function resolveAttention(setting: { prefill: string; decode: string; compression: number; params?: Record<string, unknown> }, length: number): { prefill?: ResolvedPhase; decode?: ResolvedPhase } {
  checkCompression(setting.compression);
  if (setting.prefill === 'dense' && setting.decode === 'dense' && setting.compression !== 1) {
    throw new Error(`compression ${setting.compression} needs a sparse prefill (--attention) or decode (--decode-attention) method; both are dense.`);
  }
  const out: { prefill?: ResolvedPhase; decode?: ResolvedPhase } = {};
  for (const phase of ['prefill', 'decode'] as const) {
    const id = setting[phase];
    if (id === 'dense') continue;
    const method = sparseMethod(id, phase);
    const budget = method.budgetFor(setting.compression, length, setting.params) as Record<string, number>;
    out[phase] = { method: id, budget, sparsity: method.expectedSparsity(budget, length, setting.compression) };
  }
  return out;
}
