// The re-implementations of the references (./sparse-frontier.ts, ./ruler.ts) and the package's
// --compat paper-reference scorers against outcomes computed by the real reference code in Python
// (python-reference.json, written by check_python_reference.py from the corpus dump: CPython
// 3.11.7, sparse-frontier 31d86c1, RULER c3f5e3b): 350 examples, 35 per metric, chosen first among
// those a JavaScript port is likely to misread (F1 rounding ties, Unicode word boundaries,
// whitespace and control characters, digits of other scripts, letters re.IGNORECASE folds). CI has
// neither the reference code nor its dependencies, so the outcomes are recorded; the full corpus
// (6,240 examples) agreed with Python when they were.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scoreSample } from '../../../scorers/score-sample.js';
import type { ScorableSample } from '../../../scorers/types.js';
import * as sf from './sparse-frontier.js';
import * as ruler from './ruler.js';
import * as py from './python.js';

interface FixtureExample {
  metric: string;
  example: Record<string, unknown> & { pred: string };
  python: { score: number } | { excluded: true } | { score_x100: number };
}

const fixture = JSON.parse(readFileSync(new URL('./python-reference.json', import.meta.url), 'utf8')) as { examples: FixtureExample[] };

// The reference's example as one of our samples (the inverse of dump-corpus.ts's mapping).
function sampleOf(metric: string, ex: FixtureExample['example']): ScorableSample {
  const make = (task: string, scorer: string, target: string[], extra: Record<string, unknown> = {}): ScorableSample => ({ id: 'x', task, target, metadata: { scorer, ...extra } });
  switch (metric) {
    case 'sparse-frontier ruler/niah': {
      const answers = ex['answers'] as [string, string][];
      return make('ruler/niah', 'numbered', answers.map((a) => a[1]), { keys: answers.map((a) => a[0]), answerTemplate: 'The answer for {key} is {value}.' });
    }
    case 'sparse-frontier ruler/vt':
      return make('ruler/vt', 'set-iou', (ex['gold_answer'] as string).split(' '));
    case 'sparse-frontier ruler/cwe':
      return make('ruler/cwe', 'set-iou', ex['common_words'] as string[]);
    case 'sparse-frontier story/retrieval':
      return make('story/retrieval', 'numbered', (ex['gold_answer'] as string).split('\n').map((line) => line.replace(/^\d+\. /, '')));
    case 'sparse-frontier story/multihop':
      return make('story/multihop', 'exact', [ex['gold_answer'] as string]);
    case 'sparse-frontier story/filtering':
      return make('story/filtering', 'set-iou', ex['gold_answer'] === '' ? ['none'] : (ex['gold_answer'] as string).split(', '));
    case 'sparse-frontier qa (open)':
      return make('qa/squad', 'token-f1', ex['gold_answer'] as string[]);
    case 'sparse-frontier qa (choice)':
      return make('qa/quality', 'choice-set', [ex['gold_answer'] as string]);
    case 'ruler string_match_all':
      return make('ruler/niah', 'contains-all', ex['outputs'] as string[]);
    default:
      return make('ruler/niah', 'contains-any', ex['outputs'] as string[]);
  }
}

function reimplementation(metric: string, ex: FixtureExample['example']): FixtureExample['python'] {
  const first = (e: sf.Evaluation): sf.Outcome => e.outcomes[0] as sf.Outcome;
  switch (metric) {
    case 'sparse-frontier ruler/niah':
      return first(sf.niahEvaluate([ex as unknown as sf.NiahExample]));
    case 'sparse-frontier ruler/vt':
      return first(sf.vtEvaluate([ex as unknown as sf.VtExample]));
    case 'sparse-frontier ruler/cwe':
      return first(sf.cweEvaluate([ex as unknown as sf.CweExample]));
    case 'sparse-frontier story/retrieval':
      return first(sf.retrievalEvaluate([ex as unknown as sf.RetrievalExample]));
    case 'sparse-frontier story/multihop':
      return first(sf.multihopEvaluate([ex as unknown as sf.MultihopExample]));
    case 'sparse-frontier story/filtering':
      return first(sf.filteringEvaluate([ex as unknown as sf.FilteringExample]));
    case 'sparse-frontier qa (open)':
    case 'sparse-frontier qa (choice)':
      return first(sf.qaEvaluate([ex as unknown as sf.QaExample]));
    case 'ruler string_match_all':
      return { score_x100: ruler.stringMatchAll([ruler.postprocessPred(ex.pred)], [ex['outputs'] as string[]]) };
    default:
      return { score_x100: ruler.stringMatchPart([ruler.postprocessPred(ex.pred)], [ex['outputs'] as string[]]) };
  }
}

describe('agreement with the reference code run in Python', () => {
  it('holds 350 examples over every reference metric', () => {
    const metrics = new Map<string, number>();
    for (const e of fixture.examples) metrics.set(e.metric, (metrics.get(e.metric) ?? 0) + 1);
    expect(fixture.examples).toHaveLength(350);
    expect([...metrics.values()].every((n) => n === 35)).toBe(true);
    expect(metrics.size).toBe(10);
  });

  it("the suite's re-implementations give Python's outcome for every example", () => {
    const wrong = fixture.examples.filter((e) => JSON.stringify(reimplementation(e.metric, e.example)) !== JSON.stringify(e.python));
    expect(wrong.map((e) => ({ metric: e.metric, pred: e.example.pred, python: e.python, ours: reimplementation(e.metric, e.example) }))).toEqual([]);
  });

  it("the package's --compat paper-reference gives Python's outcome for every example", () => {
    const wrong: unknown[] = [];
    for (const e of fixture.examples) {
      const got = scoreSample(sampleOf(e.metric, e.example), { output: e.example.pred }, { compat: 'paper-reference' });
      const mine = 'score_x100' in e.python ? { score_x100: py.round(got.score * 100, 2) } : got.excluded ? { excluded: true } : { score: got.score };
      if (JSON.stringify(mine) !== JSON.stringify(e.python)) wrong.push({ metric: e.metric, pred: e.example.pred, python: e.python, package: mine });
    }
    expect(wrong).toEqual([]);
  });
});
