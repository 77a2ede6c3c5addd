// qa/squad: the paper's SQuAD task over the user's SQuAD v2.0 file. One question about one
// document, the file's other paragraphs as distractors; SQuAD's token F1. Unanswerable questions
// are dropped as in the paper, or kept as the answer-absent variant (gold "none").
import type { TaskDefinition } from '../core/task.js';
import { SOURCE_HELP } from '../qa/source.js';
import { SOURCE_QA_PARAMS, buildSourceSample, sourceInputs, type SourceQaParams } from '../qa/source-task.js';

export interface SquadParams extends SourceQaParams {
  unanswerable: 'drop' | 'keep' | 'only';
}

export const qaSquad: TaskDefinition<SquadParams> = {
  id: 'qa/squad',
  version: 1,
  category: 'question-answering',
  scope: 'low',
  dispersion: 'low',
  description:
    'SQuAD QA: "Document i:" blocks from the user\'s SQuAD v2.0 file (--source qa/squad=PATH), one question about one of them, a short answer; token-set F1 against every gold answer.' + ` The file: ${SOURCE_HELP['qa/squad']?.help}.`,
  params: {
    unanswerable: {
      schema: { enum: ['drop', 'keep', 'only'] },
      default: 'drop',
      description: 'SQuAD v2 unanswerable questions: dropped (the paper), kept among the others, or only those (answer-absent variant, gold "none"); when kept the prompt says to answer "none".',
    },
    ...SOURCE_QA_PARAMS,
  },
  scorer: 'token-f1',
  maxOutputTokens: 384,
  inputs: sourceInputs('qa/squad'),
  build(ctx) {
    const mode = ctx.params.unanswerable;
    return buildSourceSample(qaSquad, ctx, {
      kind: 'open',
      questions: mode === 'drop' ? 'answerable' : mode === 'only' ? 'unanswerable' : 'all',
      absent: mode !== 'drop',
    });
  },
};
