// Exact-length story prompts. The story grows chapter by chapter until the token budget is nearly
// full; the task then picks its questions and edits the world (removing purchases), which fixes
// the text around the context; the remaining gap is closed exactly with short colour sentences
// (no names, no items) placed inside random chapters, where token counts are additive, never in a
// chapter that already has the same sentence. One exact count of the whole prompt confirms the
// length; a mismatch is corrected by swapping colour sentences, never by cutting the story.
import type { Tokenizer } from '../tokenizers/types.js';
import type { Random } from '../core/random.js';
import type { NeedlePlacement } from '../core/sample.js';
import { fillExact, promptFrame, type ExactPrompt, type FillerSource } from '../core/assemble.js';
import { LengthError } from '../core/task.js';
import { ATMOSPHERE, type Slot } from './templates.js';
import { chapterText, sentenceOffset, type Chapter, type StoryWorld } from './world.js';
import { atLeastOneToken } from '../tokenizers/validate.js';

/** A fact the task points at: one sentence of a chapter, or (`chapter`) the whole chapter. */
export interface NeedleRef {
  chapter: number;
  slot: Slot | 'chapter';
}

/** What the task decides once the chapters are known. */
export interface StoryFrame {
  before: string;
  after: string;
  needles: NeedleRef[];
}

export interface StoryPromptSpec {
  taskId: string;
  tokenizer: Tokenizer;
  chatTemplate: boolean;
  target: number;
  world: StoryWorld;
  /** Places the closing sentences. */
  rng: Random;
  /** The text around the context with placeholders at least as long as the real ones. */
  sizing: { before: string; after: string };
  /** Chapters the task needs at least. */
  minChapters: number;
  /** Picks questions and edits the world; called once, after the chapters are generated. */
  finalize(world: StoryWorld): StoryFrame;
}

export interface StoryPrompt extends ExactPrompt {
  chapters: number;
  /** Colour sentences added to close the length. */
  closingSentences: number;
}

/** Tokens kept free while sizing: the real frame and closing need a little room. */
const RESERVE = 24;
const SEPARATOR = '\n\n';
const MAX_CORRECTIONS = 8;

/** Colour sentences dealt from a shuffled deck, so consecutive draws rarely repeat one. */
function atmosphere(rng: Random): FillerSource {
  let deck: string[] = [];
  return {
    next: () => {
      if (deck.length === 0) deck = rng.shuffle(ATMOSPHERE);
      return deck.pop() as string;
    },
    shortUnits: ATMOSPHERE,
  };
}

/**
 * Builds a story prompt of exactly `spec.target` tokens.
 * @throws LengthError when the length cannot hold the frame and `minChapters` chapters.
 * @example
 * const prompt = assembleStory({ taskId: 'story/retrieval', tokenizer, chatTemplate: true, target: 8192,
 *   world, rng, sizing, minChapters: 16, finalize: (w) => ({ before, after, needles: [] }) });
 */
export function assembleStory(spec: StoryPromptSpec): StoryPrompt {
  const { tokenizer, target, world } = spec;
  const countUnit = (body: string): number => tokenizer.count(` ${body}`);
  // Cost of a chapter followed by the separator (the separator merges with its last period, so
  // it is counted inside the unit); cached by sentence-array identity, which edits replace.
  const costs = new Map<Chapter, { sentences: unknown; tokens: number }>();
  const costOf = (chapter: Chapter): number => {
    const hit = costs.get(chapter);
    if (hit && hit.sentences === chapter.sentences) return hit.tokens;
    const tokens = tokenizer.count(chapterText(chapter) + SEPARATOR);
    costs.set(chapter, { sentences: chapter.sentences, tokens });
    return tokens;
  };

  const sizingFrame = promptFrame(tokenizer, spec.chatTemplate, undefined, spec.sizing.before, spec.sizing.after);
  const sizingBudget = target - sizingFrame.overhead - RESERVE;
  let total = 0;
  for (;;) {
    const chapter = world.next();
    const cost = atLeastOneToken(costOf(chapter), chapterText(chapter), spec.taskId);
    if (total + cost > sizingBudget) {
      world.dropLast();
      if (world.chapters.length < spec.minChapters) {
        const perChapter = Math.ceil((total + cost) / (world.chapters.length + 1));
        throw new LengthError(spec.taskId, target, sizingFrame.overhead + RESERVE + spec.minChapters * perChapter);
      }
      break;
    }
    total += cost;
  }

  const frame = spec.finalize(world);
  const { head, tail, special, overhead } = promptFrame(tokenizer, spec.chatTemplate, undefined, frame.before, frame.after);
  const budget = target - overhead;
  const tailTokens = tokenizer.count(tail);
  // The last chapter has no separator after it: its end merges with the tail instead.
  const contextTokens = (): number => {
    let sum = 0;
    const chapters = world.chapters;
    for (let i = 0; i < chapters.length - 1; i++) sum += costOf(chapters[i] as Chapter);
    const last = chapters[chapters.length - 1] as Chapter;
    return sum + tokenizer.count(chapterText(last) + tail) - tailTokens;
  };
  let used = contextTokens();
  // Edits shortened the story: grow it again with whole chapters while they fit.
  for (;;) {
    const chapter = world.next();
    const cost = atLeastOneToken(costOf(chapter), chapterText(chapter), spec.taskId);
    if (used + cost > budget - RESERVE) {
      world.dropLast();
      break;
    }
    used = contextTokens();
  }
  const referenced = new Set(frame.needles.map((n) => n.chapter));
  while (used > budget - 8) {
    const last = world.chapters[world.chapters.length - 1];
    if (!last || referenced.has(last.number) || world.chapters.length <= spec.minChapters) {
      throw new Error(`${spec.taskId}: the question text outgrew its sizing estimate (${used} > ${budget}); please report this.`);
    }
    world.dropLast();
    used = contextTokens();
  }

  // Close the gap with colour sentences placed after the event sentence of random chapters.
  const source = atmosphere(spec.rng);
  const inserted: { chapter: Chapter; sentence: { slot: Slot; text: string } }[] = [];
  const insert = (bodies: readonly string[]): void => {
    for (const body of bodies) {
      // A chapter that does not already tell this sentence; there is always one, since a gap
      // needs far fewer copies of one sentence than the story has chapters.
      const free = world.chapters.filter((c) => !c.sentences.some((s) => s.text === body));
      if (free.length === 0) throw new Error(`${spec.taskId}: every chapter already tells "${body}"; please report this.`);
      const chapter = free[spec.rng.int(0, free.length - 1)] as Chapter;
      const at = chapter.sentences.findIndex((s) => s.slot === 'event') + 1;
      const sentence = { slot: 'atmosphere' as const, text: body };
      chapter.sentences = [...chapter.sentences.slice(0, at), sentence, ...chapter.sentences.slice(at)];
      inserted.push({ chapter, sentence });
    }
  };
  const close = (gap: number): void => {
    const units = fillExact(gap, source, countUnit);
    if (units === null) throw new LengthError(spec.taskId, target, target + 1);
    insert(units.map((u) => u.body));
  };
  close(budget - used);

  for (let attempt = 0; ; attempt++) {
    const chapters = world.chapters;
    let context = '';
    const starts = new Array<number>(chapters.length);
    for (let i = 0; i < chapters.length; i++) {
      if (i > 0) context += SEPARATOR;
      starts[i] = context.length;
      context += chapterText(chapters[i] as Chapter);
    }
    const rendered = head + context + tail;
    // Marks: [start, end] per needle, then the context bounds.
    const marks: number[] = [];
    const spans: { text: string; start: number }[] = [];
    for (const ref of frame.needles) {
      const chapter = chapters[ref.chapter - 1] as Chapter;
      const chapterStart = starts[ref.chapter - 1] as number;
      let start: number;
      let text: string;
      if (ref.slot === 'chapter') {
        start = chapterStart;
        text = chapterText(chapter);
      } else {
        const index = chapter.sentences.findIndex((s) => s.slot === ref.slot);
        if (index < 0) throw new Error(`${spec.taskId}: chapter ${ref.chapter} has no ${ref.slot} sentence.`);
        start = chapterStart + sentenceOffset(chapter, index);
        text = (chapter.sentences[index] as { text: string }).text;
      }
      spans.push({ text, start });
      // A sentence inside a chapter starts with the space before it (a token boundary).
      const tokenStart = ref.slot === 'chapter' || start === chapterStart + `Chapter ${chapter.number}:\n`.length ? start : start - 1;
      marks.push(head.length + tokenStart, head.length + start + text.length);
    }
    marks.push(head.length, head.length + context.length);
    const { count, offsets } = tokenizer.countWithOffsets(rendered, marks);
    const tokens = count + special;
    const delta = target - tokens;
    if (delta === 0) {
      const contextFirst = offsets[marks.length - 2] as number;
      const span = Math.max(1, (offsets[marks.length - 1] as number) - contextFirst);
      const needles: NeedlePlacement[] = spans.map((s, i) => {
        const startTok = offsets[2 * i] as number;
        const endTok = offsets[2 * i + 1] as number;
        return {
          text: s.text,
          tokenOffset: startTok + special,
          tokenCount: Math.max(1, endTok - startTok),
          depth: Math.round(((startTok - contextFirst) / span) * 1e4) / 1e4,
          charOffset: frame.before.length + s.start,
        };
      });
      return {
        input: frame.before + context + frame.after,
        rendered,
        tokens,
        needles,
        fillerUnits: inserted.length,
        contextStart: frame.before.length,
        contextEnd: frame.before.length + context.length,
        chapters: chapters.length,
        closingSentences: inserted.length,
      };
    }
    if (attempt >= MAX_CORRECTIONS) {
      throw new Error(`${spec.taskId}: could not reach exactly ${target} tokens (off by ${delta} after ${attempt} corrections).`);
    }
    // Take closing sentences back until the gap is comfortably positive, then close it again.
    let gap = delta;
    while (gap < RESERVE && inserted.length > 0) {
      const { chapter, sentence } = inserted.pop() as (typeof inserted)[number];
      chapter.sentences = chapter.sentences.filter((s) => s !== sentence);
      gap += countUnit(sentence.text);
    }
    if (gap < 0) throw new LengthError(spec.taskId, target, target - delta);
    close(gap);
  }
}
