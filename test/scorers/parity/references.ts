// A sample and an output as the reference implementations see them: the example fields each
// reference's generator stores, built from our sample, then that reference's evaluation. Which
// reference applies follows docs/scorers.md: the paper's tasks in the paper's format ->
// sparse-frontier; other token-f1 / choice-set samples -> the paper's QA evaluation; contains-all /
// contains-any -> RULER; anything else has no reference.
import type { Sample } from '../../../generators/core/sample.js';
import * as sf from './sparse-frontier.js';
import * as ruler from './ruler.js';

/** The reference that scores a sample, and that reference's outcome for one output. */
export interface ReferenceScore {
  reference: 'sparse-frontier' | 'ruler' | 'none';
  /** The reference's evaluation (e.g. `sparse-frontier ruler/niah`, `ruler string_match_all`). */
  metric: string;
  outcome?: sf.Outcome;
}

const PAPER_FORMAT_SCORER: Record<string, string> = {
  'ruler/niah': 'numbered',
  'ruler/vt': 'set-iou',
  'ruler/cwe': 'set-iou',
  'story/retrieval': 'numbered',
  'story/multihop': 'exact',
  'story/filtering': 'set-iou',
  'qa/squad': 'token-f1',
  'qa/quality': 'choice-set',
  'qa/toefl': 'choice-set',
};

const one = (evaluation: sf.Evaluation): sf.Outcome => evaluation.outcomes[0] as sf.Outcome;

/**
 * The reference's outcome for one output of a sample.
 * @example referenceScore(sample, '<answer>ABCDE FGHIJ</answer>') // { reference: 'sparse-frontier', metric: 'sparse-frontier ruler/vt', outcome: { score: 1 } }
 */
export function referenceScore(sample: Sample, pred: string): ReferenceScore {
  const { task, target } = sample;
  const scorer = sample.metadata.scorer;
  if (PAPER_FORMAT_SCORER[task] === scorer) {
    const metric = `sparse-frontier ${task}`;
    switch (task) {
      case 'ruler/niah': {
        const keys = sample.metadata['keys'] as string[];
        return { reference: 'sparse-frontier', metric, outcome: one(sf.niahEvaluate([{ pred, answers: target.map((v, i) => [keys[i] as string, v]) }])) };
      }
      case 'ruler/vt':
        return { reference: 'sparse-frontier', metric, outcome: one(sf.vtEvaluate([{ pred, gold_answer: target.join(' ') }])) };
      case 'ruler/cwe':
        return { reference: 'sparse-frontier', metric, outcome: one(sf.cweEvaluate([{ pred, common_words: target.map((w) => w.toLowerCase()) }])) };
      case 'story/retrieval':
        return { reference: 'sparse-frontier', metric, outcome: one(sf.retrievalEvaluate([{ pred, gold_answer: target.map((a, i) => `${i + 1}. ${a}`).join('\n') }])) };
      case 'story/multihop':
        return { reference: 'sparse-frontier', metric, outcome: one(sf.multihopEvaluate([{ pred, gold_answer: target[0] as string }])) };
      case 'story/filtering': {
        const none = target.length === 1 && target[0] === 'none';
        return { reference: 'sparse-frontier', metric, outcome: one(sf.filteringEvaluate([{ pred, gold_answer: none ? '' : target.join(', ') }])) };
      }
      default:
        break;
    }
  }
  if (scorer === 'token-f1') return { reference: 'sparse-frontier', metric: 'sparse-frontier qa (open)', outcome: one(sf.qaEvaluate([{ pred, gold_answer: target, is_mcq: false }])) };
  if (scorer === 'choice-set') return { reference: 'sparse-frontier', metric: 'sparse-frontier qa (choice)', outcome: one(sf.qaEvaluate([{ pred, gold_answer: target.join(''), is_mcq: true }])) };
  if (scorer === 'contains-all') return { reference: 'ruler', metric: 'ruler string_match_all', outcome: { score: ruler.stringMatchAllPerSample(ruler.postprocessPred(pred), target) } };
  if (scorer === 'contains-any') return { reference: 'ruler', metric: 'ruler string_match_part', outcome: { score: ruler.stringMatchPartPerSample(ruler.postprocessPred(pred), target) } };
  return { reference: 'none', metric: `none (${scorer})` };
}
