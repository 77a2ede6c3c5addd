// qa/synthetic: the paper's QA shape ("Document i:" blocks, one question about one document) over
// documents the package generates, so QA runs with no downloads. Open questions are scored with
// token F1, multiple-choice ones (four options, the wrong ones other values of the same fact; founders
// share the workshop's family name) with the letter set; the answer-absent variant asks for a fact the document omits.
import type { TaskDefinition } from '../core/task.js';
import { finishSample } from '../core/finish.js';
import { resolveDepths, depthSchema, type DepthParam } from '../core/depth.js';
import { assembleDocuments } from '../qa/documents.js';
import { qaFrame, type QuestionKind } from '../qa/prompt.js';
import { FACT_QUESTIONS, WORKSHOP_FACTS, WorkshopFactory, workshopDocument, type Workshop, type WorkshopFact } from '../qa/synthetic.js';

export interface SyntheticQaParams {
  questionKind: QuestionKind;
  facts: WorkshopFact[];
  absent: number;
  colour: number;
  depth: DepthParam;
}

const LETTERS = 'ABCD';

export const qaSynthetic: TaskDefinition<SyntheticQaParams> = {
  id: 'qa/synthetic',
  version: 2,
  category: 'question-answering',
  scope: 'low',
  dispersion: 'low',
  description:
    'Synthetic QA: generated histories of fictional workshops as "Document i:" blocks; one open or multiple-choice question about one of them (founding year, founder, town, product, workforce, emblem). Offline stand-in for the paper\'s QA tasks.',
  params: {
    questionKind: { schema: { enum: ['open', 'choice'] }, default: 'open', description: 'Open questions (short answer, token F1) or multiple choice (four options, letters).' },
    facts: {
      schema: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...WORKSHOP_FACTS] } },
      default: [...WORKSHOP_FACTS],
      description: 'Facts a question may ask about, drawn uniformly.',
    },
    absent: {
      schema: { type: 'number', minimum: 0, maximum: 1 },
      default: 0,
      description: 'Probability that the gold document omits the fact asked (gold "none"; open questions only); when above 0 the prompt says to answer "none".',
    },
    colour: { schema: { type: 'integer', minimum: 0, maximum: 20 }, default: 8, description: 'Colour sentences per document besides its six facts (document length).', moves: 'dispersion' },
    depth: { schema: depthSchema, default: 'random', description: "Position of the gold document: a number in [0,1], a list (sample i uses entry i mod length), or 'random'." },
  },
  scorer: 'token-f1',
  maxOutputTokens: 384,
  check(p) {
    if (p.absent > 0 && p.questionKind === 'choice') return { path: '/absent', message: 'applies to open questions only (questionKind "open")' };
    return null;
  },
  build(ctx) {
    const { params: p, rng } = ctx;
    const factory = new WorkshopFactory(rng.fork('workshops'));
    const docRng = rng.fork('documents');
    const gold = factory.next();
    const fact = rng.pick(p.facts);
    const absent = p.questionKind === 'open' && p.absent > 0 && rng.chance(p.absent);
    const distractors: Workshop[] = [];
    const nextDistractor = (): string => {
      const w = factory.next();
      distractors.push(w);
      return workshopDocument(w, docRng, { colour: p.colour });
    };
    let question = FACT_QUESTIONS[fact](gold.name);
    let target = [absent ? 'none' : gold[fact]];
    let options: string[] | undefined;
    if (p.questionKind === 'choice') {
      // Wrong options: other values of the same fact (founders keep the family name, so it is no clue).
      const wrong = new Set<string>();
      const pool = Array.from({ length: 12 }, () => factory.randomValue(fact, gold));
      for (const value of pool) if (value !== gold[fact] && wrong.size < 3) wrong.add(value);
      for (let i = 0; wrong.size < 3 && i < 100; i++) {
        const value = factory.randomValue(fact, gold);
        if (value !== gold[fact]) wrong.add(value);
      }
      options = rng.shuffle([gold[fact], ...wrong]);
      const letter = LETTERS[options.indexOf(gold[fact])] as string;
      question = `${question}\n${options.map((o, i) => `${LETTERS[i]}. ${o}`).join('\n')}`;
      target = [letter];
    }
    const [depth] = resolveDepths(p.depth, 1, ctx.index, rng);
    const prompt = assembleDocuments({
      taskId: qaSynthetic.id,
      tokenizer: ctx.tokenizer,
      chatTemplate: ctx.chatTemplate,
      target: ctx.length,
      gold: workshopDocument(gold, docRng, { colour: p.colour, ...(absent ? { omit: fact } : {}) }),
      nextDistractor,
      depth: depth as number,
      frame: qaFrame(question, p.questionKind, p.absent > 0),
    });
    return finishSample(qaSynthetic, ctx, prompt, target, {
      scorer: p.questionKind === 'choice' ? 'choice-set' : 'token-f1',
      extra: {
        question,
        questionKind: p.questionKind,
        fact,
        entity: gold.name,
        unanswerable: absent || undefined,
        options,
        choiceLetters: p.questionKind === 'choice' ? LETTERS : undefined,
        goldDocument: prompt.goldNumber,
        documents: prompt.documents,
        truncatedWords: prompt.truncatedWords,
      },
    });
  },
};
