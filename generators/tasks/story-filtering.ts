// story/filtering: the paper's story filtering task. The purchase is removed from a few chapters
// (and, unlike the reference implementation, any later sale of the removed item too, so the story
// stays consistent); the model must list every chapter in which the protagonist bought nothing.
// With `chapters: 0` no chapter qualifies and the gold answer is "none".
import type { TaskDefinition } from '../core/task.js';
import { paperPrompt } from '../core/prompt.js';
import { finishSample } from '../core/finish.js';
import { StoryWorld } from '../story/world.js';
import { assembleStory, type NeedleRef } from '../story/assemble.js';
import { STORY_INTRO, STORY_WORLD_PARAMS, checkStoryWorld, worldOptions, type StoryWorldParams } from '../story/params.js';

export interface StoryFilteringParams extends StoryWorldParams {
  chapters: number;
  announceCount: boolean;
}

function promptParts(count: number, announce: boolean): { before: string; after: string } {
  const note = announce ? `\nNote: There are exactly ${count} chapters without any purchases.` : '';
  return paperPrompt({
    intro: STORY_INTRO,
    question: `Identify all chapters where the protagonist did not buy any item.${note}`,
    answerFormat: 'the chapter numbers only, separated by commas (for example: 3, 8, 15)' + (count === 0 || !announce ? '. If the protagonist bought an item in every chapter, answer "none"' : ''),
  });
}

export const storyFiltering: TaskDefinition<StoryFilteringParams> = {
  id: 'story/filtering',
  version: 2,
  category: 'aggregation',
  scope: 'high',
  dispersion: 'low',
  description:
    'Story filtering: in a generated narrative where every chapter has a purchase except a few, list the chapters without one. ' +
    "Defaults are the paper's: 3 such chapters, their number announced.",
  params: {
    chapters: { schema: { type: 'integer', minimum: 0, maximum: 256 }, default: 3, description: 'Chapters whose purchase is removed (the answer set). 0 is the answer-absent variant (gold "none").', moves: 'scope' },
    announceCount: { schema: { type: 'boolean' }, default: true, description: 'State how many such chapters there are, as the paper does.' },
    ...STORY_WORLD_PARAMS,
  },
  scorer: 'set-iou',
  maxOutputTokens: (p) => 384 + 8 * p.chapters,
  check: checkStoryWorld,
  build(ctx) {
    const { params: p, rng } = ctx;
    const world = new StoryWorld(rng.fork('world'), worldOptions(p));
    let removed: number[] = [];
    const prompt = assembleStory({
      taskId: storyFiltering.id,
      tokenizer: ctx.tokenizer,
      chatTemplate: ctx.chatTemplate,
      target: ctx.length,
      world,
      rng: rng.fork('closing'),
      sizing: promptParts(99999, p.announceCount),
      minChapters: Math.max(2, p.chapters + 1),
      finalize(w) {
        removed = rng.sample(w.chapters.map((c) => c.number), p.chapters).sort((a, b) => a - b);
        for (const c of removed) w.removePurchase(c);
        const needles: NeedleRef[] = removed.map((c) => ({ chapter: c, slot: 'chapter' }));
        return { ...promptParts(p.chapters, p.announceCount), needles };
      },
    });
    return finishSample(storyFiltering, ctx, prompt, removed.length > 0 ? removed.map(String) : ['none'], {
      extra: { itemPrefixes: ['Chapter'], listStyle: 'comma', chapters: prompt.chapters, closingSentences: prompt.closingSentences },
    });
  },
};
