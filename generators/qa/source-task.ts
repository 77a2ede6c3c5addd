// Building one sample of a QA task that reads the user's source file (qa/squad, qa/quality,
// qa/toefl): the i-th kept question, its document among the file's other documents as distractors,
// fitted to the exact length.
import type { BuildContext, ParamSpec, TaskDefinition } from '../core/task.js';
import type { Sample } from '../core/sample.js';
import { finishSample } from '../core/finish.js';
import { resolveDepths, depthSchema, type DepthParam } from '../core/depth.js';
import { ParamError } from '../params.js';
import { assembleDocuments } from './documents.js';
import { eligibleQuestions, type QuestionFilter } from './eligible.js';
import { loadSource, SourceError } from './source.js';
import { qaFrame, type QuestionKind } from './prompt.js';

export interface SourceQaParams {
  fitLength: number;
  depth: DepthParam;
  questionSeed: number;
}

/** Parameters every source QA task has. */
export const SOURCE_QA_PARAMS: Record<keyof SourceQaParams, ParamSpec> = {
  fitLength: {
    schema: { type: 'integer', minimum: 256 },
    default: 8192,
    description:
      'Questions are kept only if their gold document and prompt fit this many tokens, so every length asks the same questions (the paper: 8192). Set it to the shortest length you generate; it must not exceed any of them.',
  },
  depth: { schema: depthSchema, default: 'random', description: "Position of the gold document among the documents: a number in [0,1], a list (sample i uses entry i mod length), or 'random' (the paper shuffles)." },
  questionSeed: { schema: { type: 'integer', minimum: 0 }, default: 0, description: 'Seed of the question order (sample i asks the i-th kept question at every length).' },
};

/**
 * A source task's `inputs`: the source file's sha256, so a sample's seed and id differ between two
 * source files.
 * @throws SourceError for a missing or malformed source.
 * @example sourceInputs('qa/squad')({ 'qa/squad': 'dev-v2.0.json' }) // { source: '…64 hex…' }
 */
export function sourceInputs(taskId: string): (sources: Record<string, string> | undefined) => Record<string, string> {
  return (sources) => ({ source: loadSource(taskId, sources).sha256 });
}

export interface SourceSampleOptions {
  kind: QuestionKind;
  questions: QuestionFilter;
  absent: boolean;
}

/**
 * One sample of a source QA task.
 * @throws SourceError for a missing or malformed source, or too few kept questions; ParamError
 * when fitLength exceeds the length; LengthError when the gold document does not fit.
 */
export function buildSourceSample<P extends SourceQaParams>(task: TaskDefinition<P>, ctx: BuildContext<P>, options: SourceSampleOptions): Omit<Sample, 'id'> {
  const { params: p, rng } = ctx;
  const source = loadSource(task.id, ctx.sources);
  if (p.fitLength > ctx.length) {
    throw new ParamError(task.id, '/fitLength', `must be at most the length being generated (${ctx.length}), got ${p.fitLength}: it is the shortest length, which every kept question must fit.`);
  }
  const kept = eligibleQuestions(source, {
    taskId: task.id,
    tokenizer: ctx.tokenizer,
    chatTemplate: ctx.chatTemplate,
    kind: options.kind,
    fitLength: p.fitLength,
    questionSeed: p.questionSeed,
    questions: options.questions,
    absent: options.absent,
  });
  const q = kept[ctx.index];
  if (!q) {
    throw new SourceError(
      `${task.id}: sample ${ctx.index} asks question ${ctx.index + 1}, but only ${kept.length} of the ${source.questions.length} questions in ${source.path} ` +
        `fit fitLength=${p.fitLength} tokens with the settings given. Generate at most ${kept.length} samples, or raise fitLength.`,
    );
  }
  const others = rng.shuffle(source.contexts.map((_, i) => i).filter((i) => i !== q.context && source.contexts[i] !== source.contexts[q.context]));
  let next = 0;
  const [depth] = resolveDepths(p.depth, 1, ctx.index, rng);
  const prompt = assembleDocuments({
    taskId: task.id,
    tokenizer: ctx.tokenizer,
    chatTemplate: ctx.chatTemplate,
    target: ctx.length,
    gold: source.contexts[q.context] as string,
    nextDistractor: () => source.contexts[others[next++ % others.length] as number] as string,
    depth: depth as number,
    frame: qaFrame(q.question, options.kind, options.absent),
  });
  return finishSample(task, ctx, prompt, q.answers, {
    scorer: options.kind === 'choice' ? 'choice-set' : 'token-f1',
    extra: {
      question: q.question,
      questionKind: options.kind,
      unanswerable: q.unanswerable || undefined,
      goldDocument: prompt.goldNumber,
      documents: prompt.documents,
      truncatedWords: prompt.truncatedWords,
      distractorRepeats: prompt.documents - 1 > others.length || undefined,
      source: { path: source.path, sha256: source.sha256, questions: source.questions.length, kept: kept.length },
      ...(options.kind === 'choice' ? { choiceLetters: 'ABCDEFGH'.slice(0, Math.max(4, maxLetter(q.question))) } : {}),
    },
  });
}

/** Number of option letters a question lists ("A." .. "D." => 4). */
function maxLetter(question: string): number {
  let max = 0;
  for (const m of question.matchAll(/(?:^|\s)([A-H])[.)]/g)) max = Math.max(max, (m[1] as string).charCodeAt(0) - 64);
  return max;
}
