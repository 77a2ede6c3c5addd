// Which questions of a source a dataset asks, and in which order. A question is kept only if its
// gold document and the prompt around it fit the shortest length (`fitLength`), so that every
// length asks the same questions: sample i asks the i-th kept question at every length. The order
// is a shuffle seeded by the file's hash and `questionSeed`, independent of length and suite seed.
import { Random } from '../core/random.js';
import { promptFrame } from '../core/assemble.js';
import type { Tokenizer } from '../tokenizers/types.js';
import type { QaSource, SourceQuestion } from './source.js';
import { qaFrame, type QuestionKind } from './prompt.js';

/** Which questions of a source a task considers. */
export type QuestionFilter = 'answerable' | 'unanswerable' | 'all';

export interface EligibleOptions {
  taskId: string;
  tokenizer: Tokenizer;
  chatTemplate: boolean;
  kind: QuestionKind;
  fitLength: number;
  questionSeed: number;
  /** Which questions to consider: answerable ones, unanswerable ones (SQuAD v2), or all. */
  questions: QuestionFilter;
  absent: boolean;
}

/** Room left in `fitLength` for the truncated distractor that closes the length. */
const FIT_MARGIN = 48;
const cache = new WeakMap<QaSource, Map<string, SourceQuestion[]>>();

/**
 * The kept questions of a source, in sample order.
 * @example eligibleQuestions(source, { taskId: 'qa/squad', tokenizer, chatTemplate: true, kind: 'open', fitLength: 8192, questionSeed: 0, questions: 'answerable', absent: false })[0]
 */
export function eligibleQuestions(source: QaSource, o: EligibleOptions): SourceQuestion[] {
  let bySettings = cache.get(source);
  if (!bySettings) {
    bySettings = new Map();
    cache.set(source, bySettings);
  }
  const key = [o.taskId, o.tokenizer.id, o.chatTemplate, o.kind, o.fitLength, o.questionSeed, o.absent, o.questions].join('\u0000');
  const hit = bySettings.get(key);
  if (hit) return hit;
  const empty = qaFrame('', o.kind, o.absent)(99999);
  const overhead = promptFrame(o.tokenizer, o.chatTemplate, undefined, empty.before, empty.after).overhead;
  const contextTokens = new Map<number, number>();
  const kept = source.questions.filter((q) => {
    if (o.questions !== 'all' && q.unanswerable !== (o.questions === 'unanswerable')) return false;
    let doc = contextTokens.get(q.context);
    if (doc === undefined) {
      doc = o.tokenizer.count(`Document 1:\n${source.contexts[q.context]}\n\n`);
      contextTokens.set(q.context, doc);
    }
    // The question appears twice (before and after the context).
    return overhead + 2 * o.tokenizer.count(q.question) + doc + FIT_MARGIN <= o.fitLength;
  });
  const ordered = new Random(`${o.taskId}:${source.sha256}:${o.questionSeed}`).shuffle(kept);
  bySettings.set(key, ordered);
  return ordered;
}
