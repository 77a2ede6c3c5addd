// The report's tables as plain data (headers and cells), rendered as text for the terminal and
// as HTML for report.html from the same definitions.
import type { RunSummary } from '../analysis/summary.js';

/** A table: headers, rows of cell texts, and which columns are numeric (right-aligned). */
export interface Table {
  title: string;
  headers: string[];
  rows: string[][];
  numeric: boolean[];
  note?: string;
  /** Columns of long text that wrap instead of widening the table (error messages). */
  wrap?: boolean[];
  /** Rows that need the reader's attention (a failed request, a prompt-token mismatch). */
  highlight?: boolean[];
}

const x100 = (v: number | null | undefined, digits = 1): string => (v === null || v === undefined ? '-' : (v * 100).toFixed(digits));
const num = (v: number | null | undefined, digits = 0): string => (v === null || v === undefined ? '-' : v.toFixed(digits));
/** Costs span FLOPs (1e15) to milliseconds: 3 significant digits, exponents for large values. */
export const formatCost = (v: number): string => (Math.abs(v) >= 1e5 ? v.toExponential(2) : Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));

/** Per-cell figures. */
export function cellTable(summary: RunSummary): Table {
  return {
    title: 'Cells',
    headers: ['model', 'task', 'length', 'method', 'C', 'eff. C', 'n', 'score', '95% CI', 'fail', 'no-answer %', 'trunc %', 'latency ms', 'prompt tok', 'out tok', 'Δ prompt tok'],
    numeric: [false, false, true, false, true, true, true, true, false, true, true, true, true, true, true, true],
    rows: summary.cells.map((c) => [
      c.model,
      c.task,
      String(c.length),
      `${c.prefill}/${c.decode}`,
      String(c.compression),
      c.meanSparsity === null || c.compression === 1 ? '-' : (1 / (1 - c.meanSparsity)).toFixed(2),
      String(c.n),
      x100(c.mean),
      c.ci ? `${x100(c.ci.low)}-${x100(c.ci.high)}` : '-',
      String(c.failures),
      x100(c.noAnswerRate),
      x100(c.truncationRate),
      num(c.meanLatencyMs),
      num(c.meanPromptTokens),
      num(c.meanCompletionTokens, 1),
      num(c.promptTokenDelta, 1),
    ]),
    highlight: summary.cells.map((c) => c.failures > 0 || (c.promptTokenDelta !== null && c.promptTokenDelta !== 0)),
    note:
      "Scores x100. eff. C: 1 / (1 - mean effective sparsity) the engine recorded (measured for Vertical-Slash and FlexPrefill, whose kept pairs depend on the input). CI: Wilson for 0/1 scores, Student t otherwise. Δ prompt tok: server prompt_tokens minus the sample's own count. " +
      (summary.config.failed === 'scored-zero' ? 'Failed requests are scored 0 and counted in n.' : 'fail: requests that failed for good, left out of n and the mean.') +
      ' Highlighted: rows with failures or a prompt-token difference.',
  };
}

/** Largest compression ratio indistinguishable from dense. */
export function denseTable(summary: RunSummary): Table {
  return {
    title: 'Largest compression ratio indistinguishable from dense',
    headers: ['model', 'task', 'method', 'length', 'max C', 'tests (C: dense-sparse x100, p)'],
    numeric: [false, false, false, true, true, false],
    rows: summary.dense.map((d) => [
      d.model,
      d.task,
      d.method,
      String(d.length),
      d.maxCompression === null ? 'none' : String(d.maxCompression),
      d.tests.map((t) => `${t.compression}: ${(t.meanDifference * 100).toFixed(1)}, p=${t.pValue.toPrecision(2)}${t.indistinguishable ? '' : '*'}`).join('; '),
    ]),
    note: `${summary.config.pairedTest}; alpha = ${summary.config.alpha}. * = significantly worse than dense.`,
  };
}

/** Milliseconds with 3 significant digits (a tiny model's step is 0.1 ms, a 7B prefill at 128k 100,000). */
const msText = (v: number | null): string => (v === null ? '-' : Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));
const speedupText = (v: number | null): string => (v === null ? '-' : `${v.toFixed(2)}x`);

/** Measured speed beside the score: each cell's prefill and decode-step times against dense on the same device. */
export function speedTable(summary: RunSummary): Table {
  return {
    title: 'Speed against dense (same device)',
    headers: ['model', 'task', 'length', 'method', 'C', 'eff. C', 'score', 'device', 'timed', 'prefill ms', 'prefill speedup', 'step ms', 'step speedup', 'ms/token', 'token speedup', 'note'],
    numeric: [false, false, true, false, true, true, true, false, true, true, true, true, true, true, true, false],
    rows: summary.speed.map((s) => [
      s.model,
      s.task,
      String(s.length),
      `${s.prefill}/${s.decode}`,
      String(s.compression),
      s.effectiveCompression === null ? '-' : s.effectiveCompression.toFixed(2),
      x100(s.score),
      s.device === null ? '-' : `${s.device}${s.generation === 'one-run' ? ' (one-run)' : ''}`,
      String(s.timed),
      msText(s.prefillMs),
      speedupText(s.prefillSpeedup),
      msText(s.decodeStepMs),
      speedupText(s.decodeSpeedup),
      msText(s.msPerToken),
      speedupText(s.tokenSpeedup),
      s.notes.join('; '),
    ]),
    note:
      `Scores x100; a speedup above 1x is faster than dense. '-': not measured, or no dense cell to compare with; the note says why (another device or generation form, ` +
      `no device recorded by an older run, too little spread in output lengths to split a one-run time). ${summary.config.speed} Servers (the openai backend) record no such times and have no rows.`,
  };
}

/** Prompt token counts of the server against the samples'. */
export function tokenTable(summary: RunSummary): Table {
  return {
    title: 'Prompt tokens: server against sample',
    headers: ['model', 'n', 'exact %', 'mean Δ', 'min Δ', 'max Δ'],
    numeric: [false, true, true, true, true, true],
    rows: summary.tokenCheck.map((t) => [t.model, String(t.n), x100(t.exactShare), t.meanDelta.toFixed(1), String(t.minDelta), String(t.maxDelta)]),
    highlight: summary.tokenCheck.map((t) => t.exactShare < 1),
    note: 'A wrong tokenizer or chat template shows up as a non-zero difference (highlighted): the prompts are then not the lengths they say.',
  };
}

/** Accuracy against cost. */
export function costTable(summary: RunSummary): Table {
  return {
    title: 'Accuracy against cost (isoFLOPS)',
    headers: ['task', 'length', 'figure', 'model', 'method', 'C', 'cost', 'score', 'frontier', 'source'],
    numeric: [false, true, false, false, false, true, true, true, false, false],
    rows: summary.cost.flatMap((t) =>
      t.points.map((p) => [t.task, String(t.length), t.metric, p.model, p.method, String(p.compression), formatCost(p.cost), x100(p.accuracy), p.frontier ? 'yes' : '', p.source]),
    ),
    note: 'Cost per sample: measured work reported by the backend, or the cost model given the model config. Frontier: no cheaper cell is as accurate.',
  };
}

/** Scaling-law fits. */
export function scalingTable(summary: RunSummary): Table {
  const f = (v: number | null | undefined): string => (v === null || v === undefined || Number.isNaN(v) ? '-' : v.toFixed(3));
  return {
    title: 'Scaling law: logit(acc) = α ln N + β ln L + γ ln C + δ_task',
    headers: ['phase', 'method', 'points', 'α (N)', 'β (L)', 'γ (C)', 'R² logit', 'R² acc', 'held-out L: R², ρ', 'held-out N: R², ρ', 'held-out C: R², ρ'],
    numeric: [false, false, true, true, true, true, true, true, false, false, false],
    rows: summary.scalingLaw.map((s) => {
      const held = (axis: string): string => {
        const v = s.validations.find((x) => x.axis === axis);
        if (!v) return '-';
        return 'reason' in v ? `n/a (${v.reason})` : `${f(v.r2)}, ${f(v.spearman)}`;
      };
      return [
        s.phase,
        s.method,
        String(s.fit?.points ?? 0),
        f(s.fit?.alpha),
        f(s.fit?.beta),
        f(s.fit?.gamma),
        f(s.fit?.r2),
        f(s.fit?.r2Accuracy),
        s.error ? `error: ${s.error}` : held('length'),
        s.error ? '' : held('parameters'),
        s.error ? '' : held('compression'),
      ];
    }),
    note: summary.config.scalingLaw,
  };
}

/** Requests that failed for good. */
export function failureTable(summary: RunSummary, limit = 50): Table {
  return {
    title: `Failed requests (${summary.failures.length})`,
    headers: ['model', 'task', 'length', 'method', 'C', 'id', 'error'],
    numeric: [false, false, true, false, true, false, false],
    rows: summary.failures.slice(0, limit).map((f) => [f.model, f.task, String(f.length), f.method, String(f.compression), f.id, f.error]),
    wrap: [false, false, false, false, false, false, true],
    ...(summary.failures.length > limit ? { note: `First ${limit} of ${summary.failures.length}; all are in summary.json.` } : {}),
  };
}

/**
 * Renders a table as aligned text.
 * @example renderText({ title: 'T', headers: ['a'], rows: [['1']], numeric: [true] })
 */
export function renderText(table: Table): string {
  if (table.rows.length === 0) return '';
  const widths = table.headers.map((h, i) => Math.max(h.length, ...table.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (table.numeric[i] ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [table.title, line(table.headers), widths.map((w) => '-'.repeat(w)).join('  '), ...table.rows.map(line), ...(table.note ? [table.note] : [])].join('\n') + '\n';
}

/** The tables the terminal shows at the end of a run. */
export function terminalReport(summary: RunSummary): string {
  return [cellTable(summary), denseTable(summary), speedTable(summary), tokenTable(summary), failureTable(summary, 20)]
    .map(renderText)
    .filter((t) => t !== '')
    .join('\n');
}
