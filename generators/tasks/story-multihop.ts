// story/multihop: the paper's story multi-hop task. "What was the last item the protagonist acquired
// before acquiring X?": the model must find X's purchase, then the purchase before it. Parameters
// lengthen the chain (`hops`), push its links apart with chapters that buy nothing (`gap`) and place
// it (`depth`); in the answer-absent variant the chain runs past the first acquisition of the story
// ("none"): every chapter before the asked item's buys nothing except the chain's own links, and
// `depth` places the asked item anywhere in the story, so its position gives nothing away.
import type { TaskDefinition } from '../core/task.js';
import { paperPrompt } from '../core/prompt.js';
import { finishSample } from '../core/finish.js';
import { resolveDepths, depthSchema, type DepthParam } from '../core/depth.js';
import type { Tokenizer } from '../tokenizers/types.js';
import { StoryWorld, chapterText, type Chapter } from '../story/world.js';
import { assembleStory, type NeedleRef } from '../story/assemble.js';
import { LONGEST_ITEM, STORY_INTRO, STORY_WORLD_PARAMS, checkStoryWorld, worldOptions, type StoryWorldParams } from '../story/params.js';

export interface StoryMultihopParams extends StoryWorldParams {
  hops: number;
  gap: number;
  depth: DepthParam;
  absent: boolean;
}

const ORDINAL = ['', 'last', 'second-to-last', 'third-to-last', 'fourth-to-last', 'fifth-to-last', 'sixth-to-last', 'seventh-to-last', 'eighth-to-last'];

function question(item: string, hops: number): string {
  if (hops === 1) return `What was the last item that the protagonist acquired before acquiring ${item}?`;
  return (
    `Counting back through the protagonist's acquisitions, what was the ${ORDINAL[hops]} item they acquired before acquiring ${item}? ` +
    `(That is, step back ${hops} times, each time to the item acquired immediately before.)`
  );
}

function promptParts(item: string, hops: number, absent: boolean): { before: string; after: string } {
  return paperPrompt({
    intro: STORY_INTRO,
    question: question(item, hops),
    answerFormat:
      'the item name only, exactly as written in the text, without articles' +
      (absent ? '. If the protagonist acquired no such earlier item, answer "none"' : ''),
  });
}

/** The chain's chapters for a named item in chapter `target`, oldest first. */
function chainLinks(target: number, p: StoryMultihopParams): number[] {
  // Answer-absent: one link fewer than the hops, so the last step back finds nothing.
  const count = p.absent ? p.hops : p.hops + 1;
  const links: number[] = [];
  for (let c = target; c >= 1 && links.length < count; c -= p.gap + 1) links.unshift(c);
  return links;
}

/** Chapters that lose their purchase for a chain ending in `target`: between links, and answer-absent every earlier one. */
function emptiedChapters(target: number, links: readonly number[], p: StoryMultihopParams): number[] {
  const linkSet = new Set(links);
  const out: number[] = [];
  for (let c = p.absent ? 1 : (links[0] as number); c < target; c++) if (!linkSet.has(c)) out.push(c);
  return out;
}

/**
 * The named item's chapter for a depth. Emptying chapters shortens the story, which then grows again
 * by whole chapters at its end, so the chapter is chosen by where its purchase will lie in the
 * finished story: the first chapter (from `first`) whose preceding text, purchases and sales removed,
 * reaches `depth` of the story's length (which the growth restores).
 */
function chapterAtDepth(world: StoryWorld, tokenizer: Tokenizer, depth: number, first: number, p: StoryMultihopParams): number {
  const chapters = world.chapters;
  const cost = chapters.map((c) => tokenizer.count(`${chapterText(c)}\n\n`));
  const total = cost.reduce((a, b) => a + b, 0);
  const sentenceCost = (c: Chapter, slot: 'purchase' | 'sale'): number => {
    const sentence = c.sentences.find((x) => x.slot === slot);
    return sentence ? tokenizer.count(` ${sentence.text}`) : 0;
  };
  const soldAt = new Map<string, number>();
  for (const c of chapters) if (c.sold !== null) soldAt.set(c.sold, c.number);
  const before = (target: number): number => {
    let tokens = 0;
    for (let i = 0; i < target - 1; i++) tokens += cost[i] as number;
    for (const c of emptiedChapters(target, chainLinks(target, p), p)) {
      const chapter = chapters[c - 1] as Chapter;
      tokens -= sentenceCost(chapter, 'purchase');
      const sale = soldAt.get(chapter.bought as string);
      if (sale !== undefined && sale < target) tokens -= sentenceCost(chapters[sale - 1] as Chapter, 'sale');
    }
    return tokens;
  };
  // Start from the chapter count's proportion (an underestimate) and step forward.
  let target = first + Math.round(depth * (chapters.length - first));
  while (target < chapters.length && before(target + 1) <= depth * total) target++;
  return target;
}

export const storyMultihop: TaskDefinition<StoryMultihopParams> = {
  id: 'story/multihop',
  version: 2,
  category: 'multi-hop',
  scope: 'low',
  dispersion: 'high',
  description:
    'Story multi-hop: in a generated narrative, name the last item the protagonist acquired before acquiring a given item. ' +
    "Defaults are the paper's: one hop between neighbouring chapters, at a random place in the story.",
  params: {
    hops: { schema: { type: 'integer', minimum: 1, maximum: 8 }, default: 1, description: 'Acquisitions to step back from the named item (1 = the item acquired just before it).', moves: 'dispersion' },
    gap: {
      schema: { type: 'integer', minimum: 0, maximum: 64 },
      default: 0,
      description: 'Chapters without any purchase between consecutive links of the chain, so the hops are further apart (0 in the paper: purchases in consecutive chapters).',
      moves: 'dispersion',
    },
    depth: { schema: depthSchema, default: 'random', description: "Where the named item's chapter lies in the story: a number in [0,1], a list (sample i uses entry i mod length), or 'random'." },
    absent: {
      schema: { type: 'boolean' },
      default: false,
      description:
        'Answer-absent variant: the chain runs past the first acquisition of the story (no chapter before the named item buys anything but the chain\'s own links), so the gold answer is "none"; the prompt then says to answer "none". `depth` still places the named item.',
    },
    ...STORY_WORLD_PARAMS,
  },
  scorer: 'exact',
  maxOutputTokens: 384,
  check: checkStoryWorld,
  build(ctx) {
    const { params: p, rng } = ctx;
    const world = new StoryWorld(rng.fork('world'), worldOptions(p));
    const span = p.hops * (p.gap + 1);
    let chain: Chapter[] = [];
    let asked = '';
    let answer = 'none';
    const prompt = assembleStory({
      taskId: storyMultihop.id,
      tokenizer: ctx.tokenizer,
      chatTemplate: ctx.chatTemplate,
      target: ctx.length,
      world,
      rng: rng.fork('closing'),
      sizing: promptParts(LONGEST_ITEM, p.hops, p.absent),
      minChapters: span + 1,
      finalize(w) {
        // The named item's chapter: at the requested depth of the story, among the chapters that
        // leave room for the chain (answer-absent: room for its hops - 1 earlier links only).
        const first = p.absent ? 1 + (p.hops - 1) * (p.gap + 1) : span + 1;
        const [depth] = resolveDepths(p.depth, 1, ctx.index, rng);
        const target = chapterAtDepth(w, ctx.tokenizer, depth as number, first, p);
        const links = chainLinks(target, p);
        for (const c of emptiedChapters(target, links, p)) w.removePurchase(c);
        chain = links.map((c) => w.chapters[c - 1] as Chapter);
        asked = (w.chapters[target - 1] as Chapter).bought as string;
        answer = p.absent ? 'none' : ((chain[0] as Chapter).bought as string);
        const needles: NeedleRef[] = chain.map((c) => ({ chapter: c.number, slot: 'purchase' }));
        return { ...promptParts(asked, p.hops, p.absent), needles };
      },
    });
    return finishSample(storyMultihop, ctx, prompt, [answer], {
      extra: {
        askedItem: asked,
        chain: chain.map((c) => ({ chapter: c.number, item: c.bought })),
        chapters: prompt.chapters,
        closingSentences: prompt.closingSentences,
      },
    });
  },
};
