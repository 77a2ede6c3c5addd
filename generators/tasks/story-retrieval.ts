// story/retrieval: the paper's story retrieval task. A generated narrative of chapters; questions
// ask, for given chapters, which location the protagonist visited, which character they met, or
// which item they acquired; answered as a numbered list. Answer-absent questions (`absent`) ask
// for the item of a chapter whose purchase was removed, where the right answer is "none".
// The character question asks for the *named* character by default, which rules out the unnamed
// people a chapter mentions (children, priests, a fiddler); the templates also keep the protagonist
// from dealing with any, so the paper's own wording (`characterQuestion: 'paper'`) is unambiguous too.
import type { TaskDefinition } from '../core/task.js';
import { paperPrompt } from '../core/prompt.js';
import { finishSample } from '../core/finish.js';
import { StoryWorld, type Chapter } from '../story/world.js';
import { assembleStory, type NeedleRef } from '../story/assemble.js';
import { STORY_INTRO, STORY_WORLD_PARAMS, checkStoryWorld, worldOptions, type StoryWorldParams } from '../story/params.js';

export type StoryQuestionKind = 'location' | 'character' | 'item';

export interface StoryRetrievalParams extends StoryWorldParams {
  questions: number;
  kinds: StoryQuestionKind[];
  absent: number;
  characterQuestion: 'named' | 'paper';
}

function questionText(kind: StoryQuestionKind, chapter: number, wording: StoryRetrievalParams['characterQuestion']): string {
  if (kind === 'location') return `In Chapter ${chapter}, which specific location did the protagonist visit?`;
  if (kind === 'item') return `In Chapter ${chapter}, which specific item was acquired by the protagonist?`;
  return `In Chapter ${chapter}, which ${wording === 'named' ? 'named ' : ''}character did the protagonist interact with?`;
}

const FACT_SLOT = { location: 'arrival', character: 'encounter', item: 'purchase' } as const;

function answerOf(chapter: Chapter, kind: StoryQuestionKind): string {
  if (kind === 'location') return chapter.location;
  if (kind === 'character') return chapter.character;
  return chapter.bought ?? 'none';
}

function promptParts(list: string, absent: boolean): { before: string; after: string } {
  return paperPrompt({
    intro: STORY_INTRO,
    question: list,
    answerFormat:
      'a numbered list with one line per question, in question order ("1. <answer>", "2. <answer>", ...). Give only the location, ' +
      'character or item exactly as named in the text, without articles' +
      (absent ? '. If a chapter has no such thing (for example, no item was acquired in it), answer "none" for that question' : ''),
  });
}

export const storyRetrieval: TaskDefinition<StoryRetrievalParams> = {
  id: 'story/retrieval',
  version: 2,
  category: 'retrieval',
  scope: 'low',
  dispersion: 'low',
  description:
    'Story retrieval: a generated narrative; for given chapters, name the location visited, the character met or the item acquired. ' +
    "Defaults are the paper's: 16 questions of random kinds about distinct chapters, numbered answers.",
  params: {
    questions: { schema: { type: 'integer', minimum: 1, maximum: 256 }, default: 16, description: 'Questions per sample, each about a distinct chapter.', moves: 'scope' },
    kinds: {
      schema: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: ['location', 'character', 'item'] } },
      default: ['location', 'character', 'item'],
      description: 'Question kinds to draw from, uniformly per question.',
    },
    absent: {
      schema: { type: 'integer', minimum: 0, maximum: 256 },
      default: 0,
      description: 'How many of the questions ask for the item of a chapter whose purchase was removed (gold answer "none"); the prompt then says to answer "none".',
    },
    characterQuestion: {
      schema: { enum: ['named', 'paper'] },
      default: 'named',
      description:
        "Wording of character questions: 'named' asks which named character the protagonist interacted with, ruling out the unnamed people a chapter mentions; 'paper' keeps the paper's \"which character did the protagonist interact with?\" (also unambiguous: the protagonist deals with no unnamed person).",
    },
    ...STORY_WORLD_PARAMS,
  },
  scorer: 'numbered',
  maxOutputTokens: (p) => 256 + 16 * p.questions,
  check(p) {
    if (p.absent > p.questions) return { path: '/absent', message: `must be at most questions (${p.questions})` };
    return checkStoryWorld(p);
  },
  build(ctx) {
    const { params: p, rng } = ctx;
    const world = new StoryWorld(rng.fork('world'), worldOptions(p));
    const sizingList = Array.from({ length: p.questions }, (_, i) => `${i + 1}. ${questionText('character', 99999, 'named')}`).join('\n');
    let asked: { chapter: number; kind: StoryQuestionKind; question: string; answer: string }[] = [];
    const prompt = assembleStory({
          taskId: storyRetrieval.id,
          tokenizer: ctx.tokenizer,
          chatTemplate: ctx.chatTemplate,
          target: ctx.length,
          world,
          rng: rng.fork('closing'),
          sizing: promptParts(sizingList, p.absent > 0),
          minChapters: p.questions,
          finalize(w) {
            const chosen = rng.sample(w.chapters, p.questions);
            // The last `absent` questions' chapters lose their purchase; questions keep a random order.
            const absentAt = new Set(rng.sample(chosen.map((_, i) => i), p.absent));
            for (const i of absentAt) w.removePurchase((chosen[i] as Chapter).number);
            asked = chosen.map((chapter, i) => {
              const kind: StoryQuestionKind = absentAt.has(i) ? 'item' : rng.pick(p.kinds);
              return { chapter: chapter.number, kind, question: questionText(kind, chapter.number, p.characterQuestion), answer: '' };
            });
            const needles: NeedleRef[] = asked.map((q, i) => ({ chapter: q.chapter, slot: absentAt.has(i) ? 'chapter' : FACT_SLOT[q.kind] }));
            const list = asked.map((q, i) => `${i + 1}. ${q.question}`).join('\n');
            return { ...promptParts(list, p.absent > 0), needles };
          },
    });
    for (const q of asked) q.answer = answerOf(world.chapters[q.chapter - 1] as Chapter, q.kind);
    return finishSample(storyRetrieval, ctx, prompt, asked.map((q) => q.answer), {
      extra: {
        questions: asked.map(({ chapter, kind, question }) => ({ chapter, kind, question })),
        chapters: prompt.chapters,
        closingSentences: prompt.closingSentences,
      },
    });
  },
};
