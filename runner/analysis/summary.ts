// summary.json of a run (or of several merged): cells, the prompt-token check per model, the
// comparisons with dense, cost tables and the scaling-law fits. Deterministic: the same files give
// the same summary, byte for byte.
import { summarizeCells, type CellSummary } from './cells.js';
import { costTables, type CostModel, type CostTable } from './cost.js';
import { compareWithDense, type DenseComparison } from './dense-threshold.js';
import type { AnalysisInput, Row } from './rows.js';
import { cellSpeeds, MIN_STEP_COUNTS, MIN_STEP_SPAN, type CellSpeed } from './speed.js';
import { fitScalingLaw, validateScalingLaw, type ScalingLawFit, type ScalingPoint, type ScalingValidation, type SkippedValidation } from './scaling-law.js';

/** The server's prompt token counts against the samples' own, per model. */
export interface TokenCheck {
  model: string;
  /** Samples where both counts are known. */
  n: number;
  /** Share of samples where they are equal. */
  exactShare: number;
  meanDelta: number;
  minDelta: number;
  maxDelta: number;
}

/** One scaling-law fit: a phase (prefill or decode), a sparse method, dense cells included. */
export interface ScalingLawReport {
  phase: 'prefill' | 'decode';
  method: string;
  fit?: ScalingLawFit;
  error?: string;
  validations: (ScalingValidation | SkippedValidation)[];
}

/** A request that failed for good. */
export interface FailureEntry {
  model: string;
  task: string;
  length: number;
  method: string;
  compression: number;
  id: string;
  error: string;
}

/** summary.json. */
export interface RunSummary {
  format: 'longweave-run-summary/1';
  longweave: string;
  runs: AnalysisInput['runs'];
  /** How every result was scored (merging results scored differently is refused). */
  scoring: AnalysisInput['scoring'];
  /** `failed`: failed requests left out of the means (n shrinks), or scored 0. */
  config: { ci: string; pairedTest: string; alpha: number; scalingLaw: string; speed: string; failed: 'excluded' | 'scored-zero' };
  /** What a reader of the numbers must know: failed requests, prompt-token mismatches, lines read around. */
  warnings: string[];
  totals: { pairs: number; scored: number; failures: number; duplicates: number };
  cells: CellSummary[];
  tokenCheck: TokenCheck[];
  dense: DenseComparison[];
  /** Measured prefill and decode-step times per cell with engine timings, and speedups over dense on the same device. */
  speed: CellSpeed[];
  cost: CostTable[];
  scalingLaw: ScalingLawReport[];
  failures: FailureEntry[];
}

/** Analysis settings. */
export interface SummaryOptions {
  alpha?: number;
  resamples?: number;
  costModel?: CostModel;
  version?: string;
  /** Score failed requests 0 in every mean and comparison (default: leave them out). */
  failedAsZero?: boolean;
}

/**
 * The warnings of a summary: failed requests and what they do to n, prompt token counts that
 * differ from the samples' own (a tokenizer or template other than the samples were made for),
 * and lines read around.
 */
export function summaryWarnings(cells: readonly CellSummary[], tokenCheck: readonly TokenCheck[], notes: readonly string[], failedAsZero: boolean): string[] {
  const warnings = [...notes];
  const failedCells = cells.filter((c) => c.failures > 0);
  const failures = failedCells.reduce((sum, c) => sum + c.failures, 0);
  if (failures > 0) {
    const where = `${failedCells.length} cell${failedCells.length === 1 ? '' : 's'}`;
    warnings.push(
      failedAsZero
        ? `${failures} failed request${failures === 1 ? ' is' : 's are'} scored 0 in the means of ${where} (--failed-as-zero)`
        : `${failures} failed request${failures === 1 ? ' is' : 's are'} left out of the means of ${where}, so their n is smaller (see Failed requests): \`longweave run --resume\` asks again, \`longweave report --failed-as-zero\` scores them 0`,
    );
  }
  for (const t of tokenCheck) {
    if (t.exactShare === 1) continue;
    const mismatched = Math.round(t.n * (1 - t.exactShare));
    warnings.push(
      `model ${t.model}: the server's prompt token counts differ from the samples' own in ${mismatched} of ${t.n} samples (mean ${t.meanDelta >= 0 ? '+' : ''}${t.meanDelta.toFixed(1)} tokens): ` +
        'the model sees another tokenizer or chat template than the samples were generated for, so lengths are not what they say',
    );
  }
  return warnings;
}

function tokenChecks(rows: readonly Row[]): TokenCheck[] {
  const by = new Map<string, number[]>();
  for (const r of rows) {
    if (r.failed || r.promptTokens === undefined || r.inputTokens === undefined) continue;
    let list = by.get(r.model);
    if (!list) by.set(r.model, (list = []));
    list.push(r.promptTokens - r.inputTokens);
  }
  return [...by.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([model, deltas]) => ({
      model,
      n: deltas.length,
      exactShare: deltas.filter((d) => d === 0).length / deltas.length,
      meanDelta: deltas.reduce((s, d) => s + d, 0) / deltas.length,
      minDelta: Math.min(...deltas),
      maxDelta: Math.max(...deltas),
    }));
}

/**
 * Scaling-law fits per phase and sparse method over the cells (dense cells join every fit at
 * C = 1). Model sizes come from the recipes' `parameters`; cells of models without one are left
 * out unless no model has one (then N is constant and gets no term).
 */
export function scalingLawReports(cells: readonly CellSummary[], parameters: Record<string, number | undefined>): ScalingLawReport[] {
  const anySize = Object.values(parameters).some((p) => p !== undefined);
  const toPoint = (c: CellSummary): ScalingPoint | undefined => {
    const size = anySize ? parameters[c.model] : 1;
    if (size === undefined || c.mean === null) return undefined;
    return { task: c.task, parameters: size, length: c.length, compression: c.compression, accuracy: c.mean, n: c.n };
  };
  const dense = cells.filter((c) => c.prefill === 'dense' && c.decode === 'dense');
  const reports: ScalingLawReport[] = [];
  for (const phase of ['prefill', 'decode'] as const) {
    const methods = [...new Set(cells.filter((c) => (phase === 'prefill' ? c.prefill !== 'dense' && c.decode === 'dense' : c.decode !== 'dense' && c.prefill === 'dense')).map((c) => `${c.prefill}/${c.decode}`))].sort();
    for (const method of methods) {
      const points = [...dense, ...cells.filter((c) => `${c.prefill}/${c.decode}` === method)].map(toPoint).filter((p): p is ScalingPoint => p !== undefined);
      const report: ScalingLawReport = { phase, method, validations: [] };
      try {
        report.fit = fitScalingLaw(points);
        report.validations = (['length', 'parameters', 'compression'] as const).map((axis) => validateScalingLaw(points, axis));
      } catch (error) {
        report.error = (error as Error).message;
      }
      reports.push(report);
    }
  }
  return reports;
}

/** How the speed figures are estimated, as summary.json and the report's table note state it. */
export const SPEED_METHOD =
  'prefill: time until decoding starts (the prefill and any cache step after it); step: time per decode step; both measured by the engine, medians over samples. ' +
  'Stepwise generation times them apart (a sample\'s step: the median of its decode steps). ' +
  'One-run generation (CUDA) times only the whole generation; the engine also times one one-token generation of the first prompt of each cell (prefill, recorded as that sample\'s prefillMs), and a sample\'s step is its generation time less that prefill, over its decode steps. ' +
  `One-run records without it: prefill and step are the intercept and slope of the Theil-Sen line of generation time against decode steps over the cell's samples (one prompt length), given ${MIN_STEP_COUNTS} or more distinct output lengths at least ${MIN_STEP_SPAN} steps apart, else only ms/token (median generation time per generated token). ` +
  'Speedup: the dense cell\'s time over this cell\'s, same model, task and length, on the same device and in the same generation form.';

/**
 * Builds summary.json from joined rows.
 * @example const summary = buildSummary(await loadRunDirs(['runs/a']));
 */
export function buildSummary(input: AnalysisInput, options: SummaryOptions = {}): RunSummary {
  const alpha = options.alpha ?? 0.05;
  const failedAsZero = options.failedAsZero === true;
  const cells = summarizeCells(input.rows, { failedAsZero });
  // Comparisons pair scores sample by sample: a failed request pairs as 0 when scored 0.
  const scoredRows = failedAsZero ? input.rows.map((r) => (r.failed ? { ...r, score: 0, pass: false, failed: false } : r)) : input.rows;
  const tokenCheck = tokenChecks(input.rows);
  const parameters: Record<string, number | undefined> = {};
  for (const model of new Set(input.rows.map((r) => r.model))) parameters[model] = input.models[model]?.parameters;
  const failures = input.rows
    .filter((r) => r.failed)
    .map((r) => ({ model: r.model, task: r.task, length: r.length, method: `${r.prefill}/${r.decode}`, compression: r.compression, id: r.id, error: r.error ?? 'unknown' }))
    .sort((a, b) => a.model.localeCompare(b.model) || a.task.localeCompare(b.task) || a.length - b.length || a.id.localeCompare(b.id));
  return {
    format: 'longweave-run-summary/1',
    longweave: options.version ?? 'unknown',
    runs: input.runs,
    scoring: input.scoring,
    config: {
      ci: '95%: Wilson score interval when every score is 0 or 1, Student t interval of the mean otherwise (clipped to [0, 1])',
      pairedTest: `one-sided paired sign-flip permutation test of dense > sparse over the same samples (exact up to 16 non-zero differences, else ${options.resamples ?? 20000} seeded resamples); indistinguishable when p >= alpha, and the largest ratio counts only if every smaller ratio is indistinguishable too`,
      alpha,
      scalingLaw: 'logit(accuracy) = alpha ln N + beta ln L + gamma ln C + delta_task, least squares per phase and method, accuracies clipped by half a sample; validation holds out the largest value of one axis',
      speed: SPEED_METHOD,
      failed: failedAsZero ? 'scored-zero' : 'excluded',
    },
    warnings: summaryWarnings(cells, tokenCheck, input.notes, failedAsZero),
    totals: { pairs: input.rows.length, scored: input.rows.filter((r) => !r.failed).length, failures: failures.length, duplicates: input.duplicates },
    cells,
    tokenCheck,
    dense: compareWithDense(scoredRows, { alpha, ...(options.resamples ? { resamples: options.resamples } : {}) }),
    speed: cellSpeeds(input.rows, cells),
    cost: costTables(cells, input.models, options.costModel),
    scalingLaw: scalingLawReports(cells, parameters),
    failures,
  };
}
