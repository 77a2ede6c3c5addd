// qa/toefl: the paper's TOEFL-QA task over the user's JSON Lines file ({context, questions[], answer[]}).
// Multiple choice with one or more right options, answered with letters; the question text carries
// its options, as in the file.
import type { TaskDefinition } from '../core/task.js';
import { SOURCE_HELP } from '../qa/source.js';
import { SOURCE_QA_PARAMS, buildSourceSample, sourceInputs, type SourceQaParams } from '../qa/source-task.js';

export const qaToefl: TaskDefinition<SourceQaParams> = {
  id: 'qa/toefl',
  version: 1,
  category: 'question-answering',
  scope: 'low',
  dispersion: 'low',
  description:
    'TOEFL-QA multiple choice: "Document i:" blocks from the user\'s file (--source qa/toefl=PATH), one question with lettered options about one of them; the letter set must match.' + ` The file: ${SOURCE_HELP['qa/toefl']?.help}.`,
  params: { ...SOURCE_QA_PARAMS },
  scorer: 'choice-set',
  maxOutputTokens: 384,
  inputs: sourceInputs('qa/toefl'),
  build(ctx) {
    return buildSourceSample(qaToefl, ctx, { kind: 'choice', questions: 'all', absent: false });
  },
};
