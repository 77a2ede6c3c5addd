// Speed against dense: per cell, the measured prefill time and time per decode step of the engine
// (executed.prefillMs, decodeStepMs, generationMs in its predictions), and each one's speedup over
// the dense cell of the same model, task and length that ran on the same device in the same
// generation form, so a reader sees what a compression ratio buys next to what it costs in score.
// Servers record no such times; their cells have no entry.
//
// Estimation, medians throughout (a warm-up or a pause moves a mean, not a median):
// - stepwise generation times the prefill and each decode step apart: the cell's prefill is the
//   median over samples of prefillMs (plus compressMs, the cache step between prefill and decoding,
//   so that it is the time until decoding starts, as one-run's fit measures it); its decode step is
//   the median over samples of each generation's median step (decodeStepMs; predictions written
//   before that was recorded give their mean step, the decode part of generationMs per step).
// - one-run generation times only the whole generation, but the engine backend runs one extra
//   one-token generation of the first prompt of each cell and records its time as that
//   prediction's prefillMs: the cell's prefill is the median of those (one per cell, or one per
//   worker), and each sample's step is (generationMs - prefill) / steps, steps = completionTokens
//   - 1; the cell's step is the median over samples with at least one step.
// - one-run predictions without such a prefill (written before it was recorded): the samples of a cell share a prompt
//   length, so generationMs = prefill + steps x step, steps = completionTokens - 1 (the first token
//   comes out of the prefill): a line fitted through the samples (Theil-Sen, the median-based line,
//   theil-sen.ts) gives the prefill as its intercept and the step as its slope. That needs at least
//   2 distinct step counts among the samples, the shortest and longest outputs at least
//   MIN_STEP_SPAN steps apart (the slope's error is the timing noise over that span: over 2 steps,
//   a 1% jitter of a 250-token generation is already the size of a step); otherwise only the time
//   per generated token is given.
import { cellOf, type CellKey, type CellSummary } from './cells.js';
import type { GenerationForm } from '../engine/runtime/profile.js';
import { median } from './median.js';
import type { Row } from './rows.js';
import { theilSen } from './theil-sen.js';

/** Where a cell's prefill and decode-step times come from. */
export type SpeedEstimate = 'median' | 'prefill-run' | 'line-fit' | 'per-token';

/** The fewest distinct decode-step counts a one-run cell needs for the line fit. */
export const MIN_STEP_COUNTS = 2;

/** The fewest decode steps between a one-run cell's shortest and longest outputs for the line fit. */
export const MIN_STEP_SPAN = 8;

/** One cell's measured speed and its speedups over dense. */
export interface CellSpeed extends CellKey {
  /** Mean score of the cell (as in `cells`), so speed and accuracy are read together. */
  score: number | null;
  /** 1 / (1 - mean effective sparsity) the engine recorded; null for dense or when none was recorded. */
  effectiveCompression: number | null;
  /** The device of the timed samples; null when they record none or several (see `notes`). */
  device: string | null;
  /** How they were generated; null when in several forms. */
  generation: GenerationForm | null;
  /** Answered samples with a recorded generation time. */
  timed: number;
  /** `median` (stepwise), `prefill-run` (one-run with a one-token generation's prefill), `line-fit` (older one-run records with spread in output lengths), `per-token` (neither figure). */
  estimate: SpeedEstimate | null;
  /** Time until decoding starts, ms. */
  prefillMs: number | null;
  /** Time per decode step, ms. */
  decodeStepMs: number | null;
  /** Median over samples of generationMs / completionTokens. */
  msPerToken: number | null;
  /** Dense cell's figure over this cell's (above 1: faster than dense). */
  prefillSpeedup: number | null;
  decodeSpeedup: number | null;
  tokenSpeedup: number | null;
  /** Why a figure or a speedup is missing. */
  notes: string[];
}

const isDense = (c: { prefill: string; decode: string; compression: number }): boolean => c.prefill === 'dense' && c.decode === 'dense';
const finite = (v: number | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** The generation form of a row: recorded, or read from its timings (records written before the form was recorded: only stepwise ones had prefillMs). */
function formOf(row: Row): GenerationForm {
  return row.generation ?? (row.executed?.['prefillMs'] !== undefined ? 'stepwise' : 'one-run');
}

/** A stepwise sample's decode step: its median step, or for older predictions the mean step. */
function stepOf(row: Row): number | undefined {
  const e = row.executed ?? {};
  if (finite(e['decodeStepMs'])) return e['decodeStepMs'];
  const steps = (row.completionTokens ?? 0) - 1;
  if (steps < 1 || !finite(e['generationMs']) || !finite(e['prefillMs'])) return undefined;
  return (e['generationMs'] - e['prefillMs'] - (e['compressMs'] ?? 0)) / steps;
}

type Figures = Pick<CellSpeed, 'estimate' | 'prefillMs' | 'decodeStepMs' | 'msPerToken'>;

function stepwiseFigures(rows: readonly Row[], notes: string[]): Figures {
  // The time until decoding starts: the prefill and the cache step after it, if any.
  const prefills = rows.filter((r) => finite(r.executed?.['prefillMs'])).map((r) => (r.executed!['prefillMs'] as number) + (r.executed!['compressMs'] ?? 0));
  const steps = rows.map(stepOf).filter(finite);
  if (steps.length === 0) notes.push('no sample decoded past its first token');
  return {
    estimate: 'median',
    prefillMs: prefills.length ? median(prefills) : null,
    decodeStepMs: steps.length ? median(steps) : null,
    msPerToken: null,
  };
}

function oneRunFigures(rows: readonly Row[], notes: string[]): Figures {
  const prefills = rows.map((r) => r.executed?.['prefillMs']).filter(finite);
  if (prefills.length) {
    const prefill = median(prefills);
    const perStep = rows
      .filter((r) => (r.completionTokens ?? 0) >= 2)
      .map((r) => ((r.executed!['generationMs'] as number) - prefill) / ((r.completionTokens as number) - 1));
    const step = perStep.length ? median(perStep) : null;
    if (step === null) notes.push('one-run, every output 1 token: no decode step');
    else if (step <= 0) notes.push(`one-run decode step not positive (${step.toPrecision(3)} ms: generations faster than their measured prefill)`);
    return { estimate: 'prefill-run', prefillMs: prefill, decodeStepMs: step !== null && step > 0 ? step : null, msPerToken: null };
  }
  const points = rows.filter((r) => (r.completionTokens ?? 0) >= 1);
  const steps = points.map((r) => (r.completionTokens as number) - 1);
  const times = points.map((r) => r.executed!['generationMs'] as number);
  const distinct = new Set(steps).size;
  if (distinct < MIN_STEP_COUNTS) {
    notes.push(points.length ? `one-run, every output ${steps[0]! + 1} token${steps[0] === 0 ? '' : 's'}: no prefill/step split` : 'no output lengths recorded');
    return { estimate: 'per-token', prefillMs: null, decodeStepMs: null, msPerToken: null };
  }
  const span = Math.max(...steps) - Math.min(...steps);
  if (span < MIN_STEP_SPAN) {
    notes.push(`one-run outputs ${Math.min(...steps) + 1}-${Math.max(...steps) + 1} tokens: under ${MIN_STEP_SPAN} steps apart, too close for a prefill/step split`);
    return { estimate: 'per-token', prefillMs: null, decodeStepMs: null, msPerToken: null };
  }
  const line = theilSen(steps, times);
  if (line.intercept <= 0 || line.slope <= 0) {
    // Times that vary more than the output lengths explain.
    notes.push(`one-run fit not positive (prefill ${line.intercept.toPrecision(3)} ms, step ${line.slope.toPrecision(3)} ms over ${distinct} output lengths)`);
    return { estimate: 'per-token', prefillMs: null, decodeStepMs: null, msPerToken: null };
  }
  return { estimate: 'line-fit', prefillMs: line.intercept, decodeStepMs: line.slope, msPerToken: null };
}

/** The speed of one cell's rows, before comparison with dense; undefined when no row is timed. */
function measure(rows: readonly Row[]): Omit<CellSpeed, 'score' | 'effectiveCompression' | 'prefillSpeedup' | 'decodeSpeedup' | 'tokenSpeedup'> | undefined {
  const timed = rows.filter((r) => !r.failed && finite(r.executed?.['generationMs']));
  if (timed.length === 0) return undefined;
  const first = timed[0] as Row;
  const base = { model: first.model, task: first.task, length: first.length, prefill: first.prefill, decode: first.decode, compression: first.compression, timed: timed.length };
  const notes: string[] = [];
  const devices = [...new Set(timed.map((r) => r.device ?? 'unrecorded'))].sort();
  const forms = [...new Set(timed.map(formOf))].sort();
  const none = { estimate: null, prefillMs: null, decodeStepMs: null, msPerToken: null };
  if (devices.length > 1) {
    notes.push(`ran on several devices (${devices.join(', ')})`);
    return { ...base, device: null, generation: forms.length === 1 ? (forms[0] as GenerationForm) : null, ...none, notes };
  }
  if (forms.length > 1) {
    notes.push('ran stepwise and one-run');
    return { ...base, device: first.device ?? null, generation: null, ...none, notes };
  }
  const generation = forms[0] as GenerationForm;
  // Predictions written before devices were recorded can't be matched with a dense cell's.
  if (first.device === undefined) notes.push('no device recorded');
  const figures = generation === 'stepwise' ? stepwiseFigures(timed, notes) : oneRunFigures(timed, notes);
  const perToken = timed.filter((r) => (r.completionTokens ?? 0) >= 1).map((r) => (r.executed!['generationMs'] as number) / (r.completionTokens as number));
  return { ...base, device: first.device ?? null, generation, ...figures, msPerToken: perToken.length ? median(perToken) : null, notes };
}

const ratio = (dense: number | null, cell: number | null): number | null => (dense !== null && cell !== null && cell > 0 ? dense / cell : null);

/**
 * Per cell with engine timings: prefill time, decode-step time and time per generated token (see the
 * module comment for how each is estimated), and their speedups over the dense cell of the same
 * model, task and length on the same device and in the same generation form. A cell whose dense
 * counterpart is missing or ran elsewhere gets no speedup and a note saying why. Sorted as `cells`.
 * @example cellSpeeds(input.rows, summarizeCells(input.rows)).find((s) => s.compression === 10)?.prefillSpeedup // 2.4
 */
export function cellSpeeds(rows: readonly Row[], cells: readonly CellSummary[]): CellSpeed[] {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const key = cellOf(row);
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(row);
  }
  const measured = new Map<string, NonNullable<ReturnType<typeof measure>>>();
  for (const [key, list] of groups) {
    const m = measure(list);
    if (m) measured.set(key, m);
  }
  const out: CellSpeed[] = [];
  for (const cell of cells) {
    const m = measured.get(cellOf(cell));
    if (!m) continue;
    const dense = isDense(cell) ? m : measured.get(cellOf({ ...cell, prefill: 'dense', decode: 'dense', compression: 1 }));
    const notes = [...m.notes];
    let comparable = false;
    if (m.device !== null && m.generation !== null) {
      if (!dense) notes.push('no timed dense cell');
      else if (dense.device === null || dense.generation === null) notes.push('dense: no single device and form');
      else if (dense.device !== m.device) notes.push(`dense ran on ${dense.device}`);
      else if (dense.generation !== m.generation) notes.push(`dense ran ${dense.generation}`);
      else comparable = true;
    }
    if (comparable && !isDense(cell) && (m.prefillMs !== null || m.decodeStepMs !== null) && dense!.prefillMs === null && dense!.decodeStepMs === null) {
      notes.push('dense: no prefill/step split');
    }
    out.push({
      model: m.model,
      task: m.task,
      length: m.length,
      prefill: m.prefill,
      decode: m.decode,
      compression: m.compression,
      score: cell.mean,
      effectiveCompression: cell.meanSparsity === null || isDense(cell) ? null : 1 / (1 - cell.meanSparsity),
      device: m.device,
      generation: m.generation,
      timed: m.timed,
      estimate: m.estimate,
      prefillMs: m.prefillMs,
      decodeStepMs: m.decodeStepMs,
      msPerToken: m.msPerToken,
      prefillSpeedup: comparable ? ratio(dense!.prefillMs, m.prefillMs) : null,
      decodeSpeedup: comparable ? ratio(dense!.decodeStepMs, m.decodeStepMs) : null,
      tokenSpeedup: comparable ? ratio(dense!.msPerToken, m.msPerToken) : null,
      notes,
    });
  }
  return out;
}
