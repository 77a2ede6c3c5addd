// Budgets: how a compression ratio C = 1 / (1 - sparsity) becomes each method's knobs. The values
// follow the paper (arXiv 2504.17768, Appendix A, Table 6 "Pattern parameters for different
// sequence lengths and compression ratios") and its code (github.com/PiotrNawrot/sparse-frontier):
// at the paper's lengths and ratios these functions return the paper's numbers exactly; elsewhere
// they interpolate its table (Vertical-Slash, FlexPrefill) or solve its sparsity formula (the
// rest). C = 1 always means the full budget, which every method turns into dense attention.
import { aShapeSparsity, blockSparseSparsity } from './sparsity.js';

/**
 * Compression ratio of a sparsity: C = 1 / (1 - s).
 * @throws RangeError unless 0 <= s < 1.
 * @example compressionFromSparsity(0.95) // 20
 */
export function compressionFromSparsity(sparsity: number): number {
  if (!(sparsity >= 0 && sparsity < 1)) throw new RangeError(`sparsity is ${sparsity}; a number in [0, 1) is required.`);
  return 1 / (1 - sparsity);
}

/**
 * Sparsity of a compression ratio: s = 1 - 1 / C.
 * @throws RangeError unless C >= 1.
 * @example sparsityFromCompression(5) // 0.8
 */
export function sparsityFromCompression(compression: number): number {
  checkCompression(compression);
  return 1 - 1 / compression;
}

/**
 * Densities (1 / C) of the paper's sweep, as Table 6 computes its budgets from them (four decimals:
 * 1/15 is 0.0667 and 2/15 is 0.1333, which is why 32768 / 15 gives 2185 and not 2184 there).
 * Sparsity 0.3 ... 0.95, C = 1.43 ... 20 (Vertical-Slash, SnapKV, Ada-SnapKV, Quest).
 */
export const PAPER_DENSITIES = [0.05, 0.0667, 0.1, 0.1333, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7] as const;

/** Block-Sparse and FlexPrefill have seven points in Table 6; Block-Sparse's hit these densities. */
export const PAPER_BLOCK_SPARSE_DENSITIES = [0.05, 0.0667, 0.1, 0.1333, 0.2, 0.3333, 0.5] as const;

/** One point of the paper's sweep. */
export interface GridPoint {
  density: number;
  sparsity: number;
  compression: number;
}

const point = (density: number): GridPoint => ({ density, sparsity: 1 - density, compression: 1 / density });

/** The paper's sweep, highest compression first: C = 20, 15, 10, 7.5, 5, 3.33, 2.5, 2, 1.67, 1.43. */
export const PAPER_GRID: readonly GridPoint[] = PAPER_DENSITIES.map(point);

/** Block-Sparse's seven points: C = 20, 15, 10, 7.5, 5, 3, 2. */
export const PAPER_BLOCK_SPARSE_GRID: readonly GridPoint[] = PAPER_BLOCK_SPARSE_DENSITIES.map(point);

/** The sequence lengths of Table 6. */
export const PAPER_LENGTHS = [16384, 32768, 65536, 128000] as const;

/**
 * @throws RangeError naming the value unless it is a finite number >= 1.
 */
export function checkCompression(compression: number): void {
  if (!(Number.isFinite(compression) && compression >= 1)) {
    throw new RangeError(`compression is ${compression}; a compression ratio C >= 1 is required (C = 1 / (1 - sparsity), 1 = dense).`);
  }
}

/**
 * The attention density a method targets at compression C: 1 / C, snapped to the paper's rounded
 * value when C is one of its ratios (so C = 15 gives 0.0667 as in Table 6).
 * @example budgetDensity(7.5) // 0.1333
 */
export function budgetDensity(compression: number): number {
  checkCompression(compression);
  const exact = 1 / compression;
  for (const d of [...PAPER_DENSITIES, ...PAPER_BLOCK_SPARSE_DENSITIES]) if (Math.abs(exact - d) < 5e-4) return d;
  return exact;
}

/**
 * Parses a `--compression` value: one ratio or a comma-separated list (`1.5,2,5,10,20`).
 * @throws RangeError naming the item that is not a ratio >= 1.
 * @example parseCompressionList('1, 2,20') // [1, 2, 20]
 */
export function parseCompressionList(text: string): number[] {
  const items = text.split(',').map((s) => s.trim());
  return items.map((item, index) => {
    const value = item === '' ? Number.NaN : Number(item);
    if (!(Number.isFinite(value) && value >= 1)) {
      throw new RangeError(`compression item ${index + 1} ("${item}") is not a ratio >= 1; write e.g. 1.5,2,5,10,20.`);
    }
    return value;
  });
}

/** A table of knob values: for each length, values at PAPER_DENSITIES-like densities (ascending). */
interface KnobTable {
  densities: readonly number[];
  rows: ReadonlyArray<{ length: number; values: readonly number[] }>;
}

/** Table 6, Vertical & Slash: verticals = slashes, per length, at PAPER_DENSITIES. */
export const VERTICAL_SLASH_TABLE: KnobTable = {
  densities: PAPER_DENSITIES,
  rows: [
    { length: 16384, values: [164, 240, 315, 400, 448, 576, 768, 1024, 1536, 2304] },
    { length: 32768, values: [290, 384, 448, 576, 704, 1024, 1536, 2304, 3584, 4608] },
    { length: 65536, values: [400, 448, 544, 640, 960, 1280, 2304, 4096, 6144, 8192] },
    { length: 128000, values: [480, 768, 1024, 1536, 2048, 3584, 5632, 10240, 13312, 18432] },
  ],
};

/**
 * Table 6, FlexPrefill: (alpha, min_budget) pairs, seven per length (16K-64K). The table does not
 * say which ratios the seven are; the first four equal Vertical-Slash's budgets at C = 20, 15, 10,
 * 7.5 with alpha = 0, and we take the seven to be Block-Sparse's points (C = 20 ... 2).
 */
export const FLEXPREFILL_TABLE = {
  densities: PAPER_BLOCK_SPARSE_DENSITIES,
  rows: [
    { length: 16384, values: [[0, 164], [0, 240], [0, 315], [0, 400], [0.55, 512], [0.71, 512], [0.88, 512]] },
    { length: 32768, values: [[0, 290], [0, 384], [0.45, 512], [0.6, 512], [0.7, 512], [0.8, 512], [0.92, 512]] },
    { length: 65536, values: [[0, 400], [0.45, 512], [0.55, 512], [0.7, 512], [0.77, 512], [0.85, 512], [0.94, 512]] },
  ],
} as const;

/** Piecewise-linear interpolation of y over x (clamped at the ends unless `extrapolate`). */
function interpolate(xs: readonly number[], ys: readonly number[], x: number, extrapolate: boolean): number {
  const n = xs.length;
  if (n === 1) return ys[0]!;
  let i = 0;
  while (i < n - 2 && x > xs[i + 1]!) i++;
  const x0 = xs[i]!;
  const x1 = xs[i + 1]!;
  let t = (x - x0) / (x1 - x0);
  if (!extrapolate) t = Math.min(Math.max(t, 0), 1);
  return ys[i]! + t * (ys[i + 1]! - ys[i]!);
}

/**
 * A knob from a table at any length and density: log-log interpolation along density within a row
 * (above the last density the row runs to L at density 1, below the first it follows the first
 * segment's slope), then log-log along length between rows, proportional to L outside them. At a
 * table point the result is the table's value.
 */
function tableKnob(table: KnobTable, length: number, density: number): number {
  const atRow = (row: { length: number; values: readonly number[] }): number => {
    const xs = row.values.map((_, i) => Math.log(table.densities[i]!));
    const ys = row.values.map((v) => Math.log(v));
    const last = table.densities.length - 1;
    if (density > table.densities[last]!) {
      return Math.exp(interpolate([xs[last]!, 0], [ys[last]!, Math.log(row.length)], Math.log(density), false));
    }
    return Math.exp(interpolate(xs, ys, Math.log(density), true));
  };
  const rows = table.rows;
  const first = rows[0]!;
  const lastRow = rows[rows.length - 1]!;
  if (length <= first.length) return (atRow(first) * length) / first.length;
  if (length >= lastRow.length) return (atRow(lastRow) * length) / lastRow.length;
  const values = rows.map((r) => Math.log(atRow(r)));
  return Math.exp(interpolate(rows.map((r) => Math.log(r.length)), values, Math.log(length), false));
}

const clampInt = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, Math.round(value)));

/** Vertical-Slash knobs: how many vertical columns and slash diagonals each head keeps. */
export interface VerticalSlashBudget {
  verticalCount: number;
  slashCount: number;
}

/**
 * Vertical-Slash: verticals = slashes = Table 6's value for (L, C); at least the forced ones, at
 * most L. C = 1 keeps all L columns and diagonals (dense).
 * @example verticalSlashBudget(5, 16384) // { verticalCount: 448, slashCount: 448 }
 */
export function verticalSlashBudget(compression: number, length: number, forced = { vertical: 4, slash: 64 }): VerticalSlashBudget {
  const density = budgetDensity(compression);
  if (density >= 1) return { verticalCount: length, slashCount: length };
  const k = tableKnob(VERTICAL_SLASH_TABLE, length, density);
  return {
    verticalCount: clampInt(k, Math.min(forced.vertical, length), length),
    slashCount: clampInt(k, Math.min(forced.slash, length), length),
  };
}

/** FlexPrefill knobs: the coverage threshold and the per-head floor of verticals and slashes. */
export interface FlexPrefillBudget {
  alpha: number;
  minBudget: number;
  /**
   * A cap on each head's counts (FlexPrefill's own max_budget; the paper's Table 6 sets none): it
   * bounds the work of a near-dense pattern, such as the coverage count gives on flat attention.
   */
  maxBudget?: number;
}

/**
 * FlexPrefill: Table 6's (alpha, min_budget) for (L, C). Between its rows alpha is interpolated
 * linearly along log density and log length; min_budget follows Vertical-Slash's table while alpha
 * is 0 (C >= 7.5) and is 512 above, scaled by L / 16384 below 16K tokens. C = 1 keeps everything.
 * @example flexPrefillBudget(5, 32768) // { alpha: 0.7, minBudget: 512 }
 */
export function flexPrefillBudget(compression: number, length: number): FlexPrefillBudget {
  const density = budgetDensity(compression);
  if (density >= 1) return { alpha: 1, minBudget: length };
  const { rows, densities } = FLEXPREFILL_TABLE;
  const alphaAt = (row: (typeof rows)[number]): number =>
    interpolate(densities.map(Math.log), row.values.map((v) => v[0]), Math.log(density), false);
  const logLengths = rows.map((r) => Math.log(r.length));
  const alpha = interpolate(logLengths, rows.map(alphaAt), Math.log(length), false);
  const floor = alpha > 0 ? (512 * Math.min(length, 16384)) / 16384 : tableKnob(VERTICAL_SLASH_TABLE, length, density);
  return { alpha: Math.round(alpha * 1e4) / 1e4, minBudget: clampInt(floor, 1, length) };
}

/** Block-Sparse knobs. */
export interface BlockSparseBudget {
  blockSize: number;
  topBlocks: number;
}

/**
 * Block-Sparse: the number of key blocks per query block whose sparsity (the paper's block
 * formula) is closest to 1 - 1/C, at least 3 (sink, diagonal and the block below it). Table 6 uses
 * 16-token blocks: 26, 35, 53, 71, 108, 188, 300 at 16K.
 * @example blockSparseBudget(20, 16384) // { blockSize: 16, topBlocks: 26 }
 */
export function blockSparseBudget(compression: number, length: number, blockSize = 16): BlockSparseBudget {
  const density = budgetDensity(compression);
  const nb = Math.ceil(length / blockSize);
  if (density >= 1) return { blockSize, topBlocks: nb };
  const target = 1 - density;
  let best = Math.min(3, nb);
  let bestDiff = Infinity;
  // Sparsity falls as k grows: binary search for the crossing, then take the closer neighbour.
  let lo = Math.min(3, nb);
  let hi = nb;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (blockSparseSparsity(length, blockSize, mid) > target) lo = mid + 1;
    else hi = mid;
  }
  for (const k of [lo - 1, lo]) {
    if (k < Math.min(3, nb) || k > nb) continue;
    const diff = Math.abs(blockSparseSparsity(length, blockSize, k) - target);
    if (diff < bestDiff) {
      bestDiff = diff;
      best = k;
    }
  }
  return { blockSize, topBlocks: best };
}

/** A-shape knobs: sink tokens and local window (not one of the paper's six; MInference's A-shape). */
export interface AShapeBudget {
  sink: number;
  window: number;
}

/**
 * A-shape: a fixed sink (at most half of a long row's budget, L / 2C, so short prompts can still
 * reach C) and the window whose exact causal sparsity is closest to 1 - 1/C.
 * @example aShapeBudget(1, 1000) // { sink: 64, window: 1000 }
 */
export function aShapeBudget(compression: number, length: number, sink = 64): AShapeBudget {
  const density = budgetDensity(compression);
  if (density >= 1) return { sink: Math.min(sink, length), window: length };
  const s = Math.min(sink, length, Math.max(1, Math.floor((length * density) / 2)));
  const target = 1 - density;
  let lo = 1;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (aShapeSparsity(length, s, mid) > target) lo = mid + 1;
    else hi = mid;
  }
  const candidates = [lo - 1, lo].filter((w) => w >= 1);
  const window = candidates.reduce((a, b) => (Math.abs(aShapeSparsity(length, s, b) - target) < Math.abs(aShapeSparsity(length, s, a) - target) ? b : a));
  return { sink: s, window };
}

/** Quest knobs: page size and how many pages are chosen by score (the current page is extra). */
export interface QuestBudget {
  pageSize: number;
  pageBudget: number;
}

/**
 * Quest: token budget = L / C rounded to whole pages (Table 6: 816, 1088, ... at 16K), read as
 * `pageBudget` pages chosen by score plus the current page. C = 1 reads every page.
 * @example questBudget(20, 16384) // { pageSize: 16, pageBudget: 51 }
 */
export function questBudget(compression: number, length: number, pageSize = 16): QuestBudget {
  const density = budgetDensity(compression);
  const pages = Math.ceil(length / pageSize);
  if (density >= 1) return { pageSize, pageBudget: pages };
  return { pageSize, pageBudget: clampInt((length * density) / pageSize, 1, pages) };
}

/** SnapKV / Ada-SnapKV knobs: tokens kept per KV head (Ada-SnapKV: on average over heads). */
export interface SnapKvBudget {
  capacity: number;
}

/**
 * SnapKV and Ada-SnapKV: token_capacity = floor(L / C) (Table 6: 819, 1092, 1638, ... at 16K), at
 * least the forced prefix and recent tokens plus one (the paper's code asserts that).
 * @example snapKvBudget(20, 16384) // { capacity: 819 }
 */
export function snapKvBudget(compression: number, length: number, forced = 4 + 128): SnapKvBudget {
  const density = budgetDensity(compression);
  if (density >= 1) return { capacity: length };
  return { capacity: Math.min(length, Math.max(forced + 1, Math.floor(length * density + 1e-9))) };
}

/** StreamingLLM knobs. */
export interface StreamingLlmBudget {
  sinks: number;
  recent: number;
}

/**
 * StreamingLLM: `sinks` first tokens plus the most recent floor(L / C) - sinks.
 * @example streamingLlmBudget(10, 1000) // { sinks: 4, recent: 96 }
 */
export function streamingLlmBudget(compression: number, length: number, sinks = 4): StreamingLlmBudget {
  const density = budgetDensity(compression);
  const s = Math.min(sinks, length);
  if (density >= 1) return { sinks: s, recent: length - s };
  return { sinks: s, recent: Math.max(1, Math.floor(length * density + 1e-9) - s) };
}
