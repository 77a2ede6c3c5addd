// inspect_ai: a dataset in inspect's JSON Lines sample format (`input`, `target`, `id`,
// `metadata`), precomputed score rows in inspect's Score shape (`value`, `answer`,
// `explanation`, `metadata`) keyed by sample id, and `precomputed_scores.py`, a scorer
// `precomputed_scores(path)` that loads the rows and returns each sample's Score, so results
// scored by longweave appear in inspect's logs and metrics.
import type { Sample } from '../../generators/core/sample.js';
import type { ResultRecord } from '../summarize.js';

/** One precomputed score row: inspect_ai's Score fields plus the sample id. */
export interface InspectScoreRow {
  id: string;
  value: number;
  answer: string;
  explanation: string;
  metadata: { scorer: string; scorerVersion: number; pass: boolean; noAnswer: boolean; truncated: boolean; scores: Record<string, number> };
}

/**
 * A result as an inspect_ai Score row. `answer` is the extracted answer when known, else empty.
 * @example toInspectScoreRow(result).value // 0.75
 */
export function toInspectScoreRow(result: ResultRecord, answer = ''): InspectScoreRow {
  return {
    id: result.id,
    value: result.score,
    answer,
    explanation: result.reason,
    metadata: { scorer: result.scorer, scorerVersion: result.scorerVersion, pass: result.pass, noAnswer: result.noAnswer, truncated: result.truncated, scores: result.scores },
  };
}

const SCORER_PY = `"""Precomputed longweave scores as an inspect_ai scorer (written by longweave)."""
import json
from pathlib import Path

from inspect_ai.scorer import Score, Target, mean, scorer, stderr
from inspect_ai.solver import TaskState


@scorer(metrics=[mean(), stderr()])
def precomputed_scores(path: str = "scores.jsonl"):
    """Returns each sample's Score from longweave's rows (id, value, answer, explanation, metadata)."""
    rows = {}
    with Path(path).open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                rows[str(row["id"])] = row

    async def score(state: TaskState, target: Target) -> Score:
        row = rows.get(str(state.sample_id))
        if row is None:
            raise ValueError(f"no longweave score for sample {state.sample_id!r} in {path}")
        return Score(value=row["value"], answer=row["answer"], explanation=row["explanation"], metadata=row["metadata"])

    return score
`;

/**
 * Files for inspect_ai: `dataset.jsonl` (for `json_dataset`), `scores.jsonl` when results are
 * given, and `precomputed_scores.py`.
 * @example inspectExport(samples, results)['scores.jsonl']
 */
export function inspectExport(samples: readonly Sample[], results: readonly ResultRecord[] = []): Record<string, string> {
  const lines = (rows: readonly unknown[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');
  const files: Record<string, string> = {
    'dataset.jsonl': lines(samples.map((s) => ({ id: s.id, input: s.input, target: s.target, metadata: { task: s.task, ...s.metadata } }))),
    'precomputed_scores.py': SCORER_PY,
  };
  if (results.length) files['scores.jsonl'] = lines(results.map((r) => toInspectScoreRow(r)));
  return files;
}
