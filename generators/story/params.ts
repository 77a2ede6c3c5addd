// Parameters shared by the story tasks, and the prompt's introduction (the paper's wording).
import type { ParamSpec } from '../core/task.js';
import type { WorldOptions } from './world.js';

export interface StoryWorldParams {
  conversation: number;
  cast: number;
  crossMentions: number;
  sellRate: number;
  protagonist: string;
}

/** The shared parameter specs, ready to spread into a task's `params`. */
export const STORY_WORLD_PARAMS: Record<keyof StoryWorldParams, ParamSpec> = {
  conversation: {
    schema: { type: 'integer', minimum: 0, maximum: 24 },
    default: 3,
    description: 'Conversation sentences per chapter (chapter size). More means fewer, longer chapters with the facts further apart.',
    moves: 'dispersion',
  },
  cast: {
    schema: { type: 'integer', minimum: 0, maximum: 100000 },
    default: 64,
    description: "Distinct characters and distinct locations the story draws from (the paper: 49 and 64). Fewer means names recur across chapters, so distractor chapters look more alike; 0 uses faker's whole pools (~3,000 names, ~10,000 places), so names rarely repeat.",
    moves: 'dispersion',
  },
  crossMentions: {
    schema: { type: 'number', minimum: 0, maximum: 1 },
    default: 0,
    description:
      'Probability that a conversation sentence names another place or person of the story (never the chapter\'s own), a distractor for location and character questions (0 in the paper). Needs a cast of at least 2.',
    moves: 'dispersion',
  },
  sellRate: {
    schema: { type: 'number', minimum: 0, maximum: 1 },
    default: 0.5,
    description: 'Probability that a chapter also sells an item bought earlier (0.5 in the paper).',
  },
  protagonist: {
    schema: { type: 'string', pattern: '^[A-Z][A-Za-z]{1,20}$' },
    default: 'Arion',
    description: "The protagonist's name (the paper's: Arion).",
  },
};

/**
 * The rules between world parameters that their schemas can't express, for a task's `check`.
 * @example checkStoryWorld({ ...params, cast: 1, crossMentions: 0.5 }) // { path: '/crossMentions', ... }
 */
export function checkStoryWorld(p: StoryWorldParams): { path: string; message: string } | null {
  if (p.crossMentions > 0 && p.cast === 1) {
    return { path: '/crossMentions', message: 'needs a cast of at least 2 (cast 1 has no other place or person to mention); use cast >= 2 or 0 (the whole pools), or crossMentions 0' };
  }
  return null;
}

/** World options from a task's parameters. */
export function worldOptions(p: StoryWorldParams): WorldOptions {
  return { protagonist: p.protagonist, cast: p.cast, conversation: p.conversation, sellRate: p.sellRate, crossMentions: p.crossMentions };
}

/** The paper's introduction to the story tasks. */
export const STORY_INTRO =
  'You are given a narrative composed of multiple chapters. Throughout these chapters, the protagonist travels between different locations, ' +
  'meets various characters, and engages in trading activities. All items mentioned in the narrative are unique, and their ownership can change ' +
  'through trades. Your task is to carefully read the narrative and answer the questions based on the provided information.';

/** The longest item name the pools can make, for sizing question text. */
export const LONGEST_ITEM = 'ceremonial porcelain candlestick';
