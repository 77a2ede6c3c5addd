// Results and their summary: one ScoredRecord per prediction (a line of results.jsonl) and the
// per-group means with 95% intervals (summary.json's groups). Groups are task x length, and
// x attention method x compression ratio when the predictions carry them.
import type { SampleScore } from './score-sample.js';
import type { ReferenceName } from './compat/paper-reference.js';
import { SCORER_VERSION } from './version.js';
import { confidenceInterval, mean, type ConfidenceInterval } from './stats/confidence.js';

/** One line of results.jsonl. */
export interface ResultRecord {
  id: string;
  task: string;
  /** Target length of the sample in tokens (`metadata.targetLength`). */
  length: number;
  scorer: string;
  /** The scorer's main score under its name, plus its further metrics. All in 0..1. */
  scores: Record<string, number>;
  score: number;
  pass: boolean;
  reason: string;
  noAnswer: boolean;
  truncated: boolean;
  /** Left out of means (paper-reference compatibility only). */
  excluded?: boolean;
  /** The scorers' version that produced the score (scorers/version.ts). */
  scorerVersion: number;
  /** Set when scored with `compat: 'paper-reference'`. */
  compat?: 'paper-reference';
  /** Under `compat`: the reference implementation that scored the sample (`none`: the default scorer). */
  reference?: ReferenceName;
  /** Attention method of the prediction, `prefill/decode` (omitted for dense HTTP runs). */
  method?: string;
  /** Compression ratio of the prediction. */
  compression?: number;
  model?: string;
}

/** What summarize needs of each sample, to count samples with no prediction. */
export interface SampleMeta {
  id: string;
  task: string;
  length: number;
}

/** One group's figures. Rates are over all scored samples of the group, excluded ones included. */
export interface GroupSummary {
  task: string;
  length: number;
  method?: string;
  compression?: number;
  scorer: string;
  /** Samples in the mean. */
  n: number;
  /** Samples scored but left out of the mean (paper-reference compatibility). */
  excluded: number;
  /** Mean score, null when n is 0. */
  mean: number | null;
  ci: ConfidenceInterval | null;
  passRate: number | null;
  noAnswerRate: number | null;
  truncatedRate: number | null;
  /** Means of the scorer's further metrics over the same samples. */
  metrics: Record<string, number>;
}

/** Summary of a set of results, before the CLI adds configuration and hashes. */
export interface ScoreSummary {
  groups: GroupSummary[];
  /** Samples with no prediction, per task and length. */
  missing: { task: string; length: number; n: number }[];
  totals: { results: number; inMeans: number; excluded: number; missing: number };
}

/**
 * Builds the result record of one scored prediction.
 * @example toResultRecord({ id: 'a', task: 't/x', metadata: { scorer: 'exact', targetLength: 1024 } }, score)
 */
export function toResultRecord(
  sample: { id: string; task: string; metadata: Record<string, unknown> & { scorer: string } },
  score: SampleScore,
  prediction: { model?: string; attention?: { prefill: string; decode: string; compression: number } } = {},
): ResultRecord {
  const length = sample.metadata['targetLength'];
  const record: ResultRecord = {
    id: sample.id,
    task: sample.task,
    length: typeof length === 'number' ? length : 0,
    scorer: sample.metadata.scorer,
    scores: { [score.name]: score.score, ...score.metrics },
    score: score.score,
    pass: score.pass,
    reason: score.reason,
    noAnswer: score.noAnswer === true,
    truncated: score.truncated,
    scorerVersion: SCORER_VERSION,
  };
  if (score.excluded) record.excluded = true;
  if (score.compat) record.compat = score.compat;
  if (score.reference) record.reference = score.reference;
  if (prediction.attention) {
    record.method = `${prediction.attention.prefill}/${prediction.attention.decode}`;
    record.compression = prediction.attention.compression;
  }
  if (prediction.model !== undefined) record.model = prediction.model;
  return record;
}

function groupKey(r: { task: string; length: number; method?: string; compression?: number }): string {
  return JSON.stringify([r.task, r.length, r.method ?? null, r.compression ?? null]);
}

/**
 * Per-group means, 95% intervals (see stats/confidence.ts), pass, no-answer and truncation
 * rates, and the samples that have no result. Groups are sorted by task, length, method and
 * compression.
 * @example summarize(results, samples).groups[0] // { task: 'ruler/niah', length: 4096, n: 20, mean: 0.95, ... }
 */
export function summarize(results: readonly ResultRecord[], samplesMeta: readonly SampleMeta[]): ScoreSummary {
  const byGroup = new Map<string, ResultRecord[]>();
  for (const r of results) {
    const key = groupKey(r);
    let list = byGroup.get(key);
    if (!list) byGroup.set(key, (list = []));
    list.push(r);
  }
  const groups: GroupSummary[] = [];
  for (const list of byGroup.values()) {
    const first = list[0] as ResultRecord;
    const included = list.filter((r) => !r.excluded);
    const scores = included.map((r) => r.score);
    const metricNames = new Set<string>();
    for (const r of included) for (const name of Object.keys(r.scores)) if (name !== first.scorer) metricNames.add(name);
    const metrics: Record<string, number> = {};
    for (const name of [...metricNames].sort()) {
      const values = included.map((r) => r.scores[name]).filter((v): v is number => typeof v === 'number');
      if (values.length) metrics[name] = mean(values);
    }
    const rate = (pred: (r: ResultRecord) => boolean, pool: readonly ResultRecord[]): number | null => (pool.length ? pool.filter(pred).length / pool.length : null);
    const scorers = [...new Set(list.map((r) => r.scorer))].sort();
    const group: GroupSummary = {
      task: first.task,
      length: first.length,
      scorer: scorers.join('+'),
      n: included.length,
      excluded: list.length - included.length,
      mean: included.length ? mean(scores) : null,
      ci: confidenceInterval(scores),
      passRate: rate((r) => r.pass, included),
      noAnswerRate: rate((r) => r.noAnswer, list),
      truncatedRate: rate((r) => r.truncated, list),
      metrics,
    };
    if (first.method !== undefined) group.method = first.method;
    if (first.compression !== undefined) group.compression = first.compression;
    groups.push(group);
  }
  groups.sort(
    (a, b) =>
      a.task.localeCompare(b.task) ||
      a.length - b.length ||
      (a.method ?? '').localeCompare(b.method ?? '') ||
      (a.compression ?? 0) - (b.compression ?? 0),
  );

  const scoredIds = new Set(results.map((r) => r.id));
  const missingBy = new Map<string, { task: string; length: number; n: number }>();
  for (const s of samplesMeta) {
    if (scoredIds.has(s.id)) continue;
    const key = JSON.stringify([s.task, s.length]);
    const entry = missingBy.get(key) ?? { task: s.task, length: s.length, n: 0 };
    entry.n++;
    missingBy.set(key, entry);
  }
  const missing = [...missingBy.values()].sort((a, b) => a.task.localeCompare(b.task) || a.length - b.length);
  const excluded = results.filter((r) => r.excluded).length;
  return {
    groups,
    missing,
    totals: { results: results.length, inMeans: results.length - excluded, excluded, missing: missing.reduce((s, m) => s + m.n, 0) },
  };
}
