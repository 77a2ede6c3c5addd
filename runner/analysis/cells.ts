// Per-cell figures: mean score with its 95% interval, n, failure, no-answer and truncation rates,
// latency, tokens (and the server's prompt count against the sample's own), sparsity and executed
// work. Intervals are the scorers' (Wilson for 0/1 scores, Student t otherwise), so `longweave
// score` and a run agree on the same results.
import { confidenceInterval, mean, type ConfidenceInterval } from '../../scorers/index.js';
import type { Row } from './rows.js';

/** What names a cell: model x task x length x attention setting (prefill, decode, compression ratio). */
export type CellKey = Pick<Row, 'model' | 'task' | 'length' | 'prefill' | 'decode' | 'compression'>;

/** One cell's figures. */
export interface CellSummary extends CellKey {
  /** Samples in the mean (scored, not excluded; failed ones too when scored 0). */
  n: number;
  /** Requests that failed for good (not in the mean, unless failed requests are scored 0). */
  failures: number;
  mean: number | null;
  ci: ConfidenceInterval | null;
  passRate: number | null;
  noAnswerRate: number | null;
  truncationRate: number | null;
  meanLatencyMs: number | null;
  meanPromptTokens: number | null;
  meanCompletionTokens: number | null;
  meanInputTokens: number | null;
  /** Mean of (server prompt_tokens - sample inputTokens) where both are known. */
  promptTokenDelta: number | null;
  meanSparsity: number | null;
  /** Mean executed work per sample, by figure name (e.g. attentionFlops, kvBytesRead). */
  executed: Record<string, number>;
}

function meanOf(values: (number | undefined)[]): number | null {
  const known = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return known.length ? mean(known) : null;
}

/** The cell a row belongs to, as a sortable key. */
export function cellOf(row: CellKey): string {
  return JSON.stringify([row.model, row.task, row.length, row.prefill, row.decode, row.compression]);
}

/** How cells are summarised. */
export interface CellOptions {
  /** Count failed requests in the means as score 0 (default: left out; `failures` counts them either way). */
  failedAsZero?: boolean;
}

/**
 * Summarises rows per cell, sorted by model, task, length, method and compression ratio.
 * @example summarizeCells(rows)[0] // { model: 'm', task: 'ruler/niah', length: 4096, n: 50, mean: 0.94, ci: {...}, ... }
 */
export function summarizeCells(rows: readonly Row[], options: CellOptions = {}): CellSummary[] {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const key = cellOf(row);
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(row);
  }
  const out: CellSummary[] = [];
  for (const list of groups.values()) {
    const first = list[0] as Row;
    const answered = list.filter((r) => !r.failed);
    const inMean = options.failedAsZero ? list.filter((r) => r.failed || (!r.excluded && r.score !== undefined)) : answered.filter((r) => !r.excluded && r.score !== undefined);
    const scores = inMean.map((r) => (r.failed ? 0 : (r.score as number)));
    const rate = (pred: (r: Row) => boolean, pool: readonly Row[]): number | null => (pool.length ? pool.filter(pred).length / pool.length : null);
    const executedNames = new Set<string>();
    for (const r of answered) for (const name of Object.keys(r.executed ?? {})) executedNames.add(name);
    const executed: Record<string, number> = {};
    for (const name of [...executedNames].sort()) {
      const value = meanOf(answered.map((r) => r.executed?.[name]));
      if (value !== null) executed[name] = value;
    }
    out.push({
      model: first.model,
      task: first.task,
      length: first.length,
      prefill: first.prefill,
      decode: first.decode,
      compression: first.compression,
      n: scores.length,
      failures: list.length - answered.length,
      mean: scores.length ? mean(scores) : null,
      ci: confidenceInterval(scores),
      passRate: rate((r) => r.pass, inMean),
      noAnswerRate: rate((r) => r.noAnswer, answered),
      truncationRate: rate((r) => r.truncated, answered),
      meanLatencyMs: meanOf(answered.map((r) => r.latencyMs)),
      meanPromptTokens: meanOf(answered.map((r) => r.promptTokens)),
      meanCompletionTokens: meanOf(answered.map((r) => r.completionTokens)),
      meanInputTokens: meanOf(list.map((r) => r.inputTokens)),
      promptTokenDelta: meanOf(answered.map((r) => (r.promptTokens !== undefined && r.inputTokens !== undefined ? r.promptTokens - r.inputTokens : undefined))),
      meanSparsity: meanOf(answered.map((r) => r.sparsity)),
      executed,
    });
  }
  return out.sort(
    (a, b) =>
      a.model.localeCompare(b.model) ||
      a.task.localeCompare(b.task) ||
      a.length - b.length ||
      `${a.prefill}/${a.decode}`.localeCompare(`${b.prefill}/${b.decode}`) ||
      a.compression - b.compression,
  );
}
