// Parity with the reference implementations: on an adversarial corpus over real samples of every
// task (both prompt formats, answer-absent and multi-value variants; ./corpus.ts), the package's
// scorers agree with re-implementations of RULER's and sparse-frontier's code (./ruler.ts,
// ./sparse-frontier.ts) prediction by prediction and in aggregate. The one deliberate difference,
// reasoning removal before the default contains-all / contains-any, has its own test here.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Sample } from '../../../generators/core/sample.js';
import { getTask, TASK_IDS } from '../../../generators/tasks/index.js';
import { scoreSample } from '../../../scorers/score-sample.js';
import { stripReasoning } from '../../../scorers/text/extract.js';
import { summarize, toResultRecord } from '../../../scorers/summarize.js';
import { adversarialOutputs, corpusSamples, type CorpusGroup } from './corpus.js';
import { referenceScore } from './references.js';
import * as sf from './sparse-frontier.js';
import * as ruler from './ruler.js';
import * as py from './python.js';
import { PER_SAMPLE } from './parity-settings.js';

const compat = { compat: 'paper-reference' } as const;

let corpus: { group: CorpusGroup; sample: Sample; outputs: string[] }[] = [];
beforeAll(() => {
  corpus = corpusSamples().flatMap((group) => group.samples.map((sample) => ({ group, sample, outputs: adversarialOutputs(sample, PER_SAMPLE) })));
}, 60_000);

interface Disagreement {
  group: string;
  id: string;
  output: string;
  package: unknown;
  reference: unknown;
}

describe('parity with RULER and sparse-frontier', () => {
  it('covers every task, both prompt formats, and at least 300 predictions per reference metric', () => {
    const labels = new Set(corpus.map((c) => c.group.label));
    for (const task of TASK_IDS) {
      const formats = ((getTask(task).params as Record<string, { schema: { enum?: unknown[] } } | undefined>)['format']?.schema.enum as string[] | undefined) ?? [''];
      for (const format of formats) expect([...labels].some((l) => l.startsWith(`${task}${format ? ` ${format}` : ''}`)), `${task} ${format}`).toBe(true);
    }
    const perMetric = new Map<string, number>();
    for (const { sample, outputs } of corpus) {
      const { metric } = referenceScore(sample, '');
      perMetric.set(metric, (perMetric.get(metric) ?? 0) + outputs.length);
    }
    expect(Object.fromEntries([...perMetric].filter(([metric, n]) => n < 300 && !metric.startsWith('none')))).toEqual({});
    expect([...perMetric.keys()].sort()).toEqual([
      'none (set-iou)',
      'ruler string_match_all',
      'ruler string_match_part',
      'sparse-frontier qa (choice)',
      'sparse-frontier qa (open)',
      'sparse-frontier ruler/cwe',
      'sparse-frontier ruler/niah',
      'sparse-frontier ruler/vt',
      'sparse-frontier story/filtering',
      'sparse-frontier story/multihop',
      'sparse-frontier story/retrieval',
    ]);
  });

  it('--compat paper-reference gives the reference score (or exclusion) for every prediction', () => {
    const disagreements: Disagreement[] = [];
    let compared = 0;
    for (const { group, sample, outputs } of corpus) {
      for (const output of outputs) {
        const ref = referenceScore(sample, output);
        const got = scoreSample(sample, { output }, compat);
        const mine = got.excluded ? { reference: got.reference, excluded: true } : { reference: got.reference, score: got.score };
        const theirs = !ref.outcome ? { reference: 'none' } : 'excluded' in ref.outcome ? { reference: ref.reference, excluded: true } : { reference: ref.reference, score: ref.outcome.score };
        if (!ref.outcome) {
          if (got.reference !== 'none') disagreements.push({ group: group.label, id: sample.id, output, package: mine, reference: theirs });
          continue;
        }
        compared++;
        if (JSON.stringify(mine) !== JSON.stringify(theirs)) disagreements.push({ group: group.label, id: sample.id, output, package: mine, reference: theirs });
      }
    }
    expect(disagreements.slice(0, 5)).toEqual([]);
    expect(disagreements.length).toBe(0);
    expect(compared).toBeGreaterThan(5000);
  });

  it('the compat means of summarize() equal the reference evaluate() means, per group', () => {
    const byGroup = new Map<string, { sample: Sample; output: string }[]>();
    for (const { group, sample, outputs } of corpus) for (const output of outputs) byGroup.set(group.label, [...(byGroup.get(group.label) ?? []), { sample, output }]);
    const mismatched: string[] = [];
    for (const [label, rows] of byGroup) {
      const results = rows.map(({ sample, output }) => toResultRecord(sample, scoreSample(sample, { output }, compat)));
      const [summary] = summarize(results, []).groups;
      const first = rows[0]?.sample as Sample;
      const { metric } = referenceScore(first, '');
      let reference: number;
      if (metric.startsWith('ruler')) {
        const preds = rows.map((r) => ruler.postprocessPred(r.output));
        const refs = rows.map((r) => r.sample.target);
        reference = metric.endsWith('all') ? ruler.stringMatchAll(preds, refs) : ruler.stringMatchPart(preds, refs);
        // RULER reports the mean x100, rounded to 2 decimals.
        if (py.round((summary?.mean ?? 0) * 100, 2) !== reference) mismatched.push(`${label}: ${summary?.mean} vs ${reference}`);
        continue;
      }
      if (metric.startsWith('none')) continue;
      const outcomes = rows.map((r) => referenceScore(r.sample, r.output).outcome as sf.Outcome);
      const kept = outcomes.flatMap((o) => ('score' in o ? [o.score] : []));
      reference = kept.length ? kept.reduce((a, b) => a + b, 0) / kept.length : 0;
      if (Math.abs((summary?.mean ?? 0) - reference) > 1e-12 || summary?.excluded !== outcomes.length - kept.length) mismatched.push(`${label}: ${summary?.mean} (${summary?.excluded} excluded) vs ${reference} (${outcomes.length - kept.length})`);
    }
    expect(mismatched).toEqual([]);
  });

  it("default contains-all / contains-any equal RULER's on outputs without <think>; with one, RULER's on the output with reasoning removed", () => {
    const disagreements: Disagreement[] = [];
    let withThink = 0;
    let differsFromRawRuler = 0;
    for (const { group, sample, outputs } of corpus) {
      if (sample.metadata.scorer !== 'contains-all' && sample.metadata.scorer !== 'contains-any') continue;
      for (const output of outputs) {
        const got = scoreSample(sample, { output }).score;
        const thinks = /think>/i.test(output);
        const expected = referenceScore(sample, thinks ? stripReasoning(output) : output).outcome as { score: number };
        if (thinks) {
          withThink++;
          if ((referenceScore(sample, output).outcome as { score: number }).score !== got) differsFromRawRuler++;
        }
        if (got !== expected.score) disagreements.push({ group: group.label, id: sample.id, output, package: got, reference: expected.score });
      }
    }
    expect(disagreements).toEqual([]);
    // The corpus does exercise the difference: reasoning that names values RULER would count.
    expect(withThink).toBeGreaterThan(50);
    expect(differsFromRawRuler).toBeGreaterThan(0);
  });
});
