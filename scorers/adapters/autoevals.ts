// autoevals / Braintrust: scorers there are `(args: { output, expected?, ...extra }) => Score`
// with Score `{ name, score, metadata? }`. Ours already return `{ name, score }`; this wraps a
// longweave scorer in that calling convention, with pass, reason and metrics in `metadata`.
import { scoreSample, type ScoreOptions } from '../score-sample.js';
import type { ScorerName } from '../registry.js';

/** autoevals' Score, the fields we fill. */
export interface AutoevalsScore {
  name: string;
  score: number;
  metadata: { pass: boolean; reason: string; noAnswer: boolean; truncated: boolean; metrics: Record<string, number> };
}

/** Arguments in autoevals' convention; `target` (a list) wins over `expected` (one answer). */
export interface AutoevalsArgs {
  output: string;
  expected?: string;
  target?: string[];
  metadata?: Record<string, unknown>;
  finishReason?: string;
}

/**
 * An autoevals-style scorer for a longweave scorer (or the one named in `metadata.scorer`).
 * @throws Error when neither `target` nor `expected` is given, or no scorer is named.
 * @example await Eval('x', { data, task, scores: [autoevalsScorer('exact')] }) // Braintrust
 * @example autoevalsScorer('exact')({ output: '<answer>Paris</answer>', expected: 'paris' }).score // 1
 */
export function autoevalsScorer(scorer?: ScorerName, options: ScoreOptions = {}): (args: AutoevalsArgs) => AutoevalsScore {
  return (args) => {
    const name = scorer ?? args.metadata?.['scorer'];
    if (typeof name !== 'string') throw new Error('autoevals scorer: name a longweave scorer, or pass metadata.scorer');
    const target = args.target ?? (args.expected !== undefined ? [args.expected] : undefined);
    if (!target) throw new Error(`autoevals scorer ${name}: pass "target" (a list) or "expected"`);
    const r = scoreSample(
      { id: '', task: typeof args.metadata?.['task'] === 'string' ? args.metadata['task'] : '', target, metadata: { ...args.metadata, scorer: name } },
      { output: args.output, ...(args.finishReason !== undefined ? { finishReason: args.finishReason } : {}) },
      options,
    );
    return { name: `longweave/${r.name}`, score: r.score, metadata: { pass: r.pass, reason: r.reason, noAnswer: r.noAnswer === true, truncated: r.truncated, metrics: r.metrics ?? {} } };
  };
}
