// The narrative world: a protagonist travelling from chapter to chapter. Each chapter has a
// location, a reason, an event, one character met, a conversation, exactly one purchase of an item
// never seen before in the story, and sometimes the sale of an item bought earlier. The world state
// is exact: which item was bought and sold in which chapter, who was met where, and the inventory
// after any chapter, so every question has one true answer that the text states.
//
// Chapters are made one at a time (the story grows until the length is reached); edits made
// afterwards (a purchase removed, with any later sale of that item) keep the state consistent, and
// no sentence outside the purchase refers to it, so removing one leaves nothing that presupposes it.
// A character met in an earlier chapter is greeted as an acquaintance, not a stranger; no sentence
// repeats within a chapter; cross-mentions name a place or person other than the chapter's own.
import type { Random } from '../core/random.js';
import { fillTemplate, type TemplateVars } from './fill.js';
import {
  ARRIVAL, CONCLUSION, CONVERSATION, CROSS_MENTION, ENCOUNTER, EVENT, FAREWELL, GREETING, PURCHASE, REASON, SALE,
  type EventTemplate, type MeetingTemplate, type Slot,
} from './templates.js';
import { EVENTS, ITEM_ADJECTIVES, ITEM_COMBINATIONS, ITEM_MATERIALS, ITEM_OBJECTS, characterPool, locationPool, type StoryEvent } from './pools.js';

/** One sentence of a chapter, tagged with its slot. */
export interface Sentence {
  slot: Slot;
  text: string;
}

/** A chapter: its facts and its sentences (the text is `Chapter N:\n` + sentences joined by spaces). */
export interface Chapter {
  /** 1-based chapter number. */
  number: number;
  location: string;
  character: string;
  event: string;
  /** The item bought in this chapter; null when the purchase was removed. */
  bought: string | null;
  /** The item sold in this chapter, if any. */
  sold: string | null;
  sentences: Sentence[];
}

export interface WorldOptions {
  protagonist: string;
  /** Distinct characters and locations the story draws from; 0 = faker's whole pools. */
  cast: number;
  /** Conversation sentences per chapter. */
  conversation: number;
  /** Probability that a chapter also sells an older item. */
  sellRate: number;
  /** Probability that a conversation sentence names another place or person of the story. */
  crossMentions: number;
}

/** Event sentences that fit each event, computed once. */
const EVENT_TEMPLATES = new Map<StoryEvent, readonly string[]>(
  EVENTS.map((event) => [
    event,
    EVENT.filter((t: EventTemplate) => !t.needs || t.needs.some((kind) => event.kinds.includes(kind))).map((t) => t.template),
  ]),
);

function meetingTemplates(list: readonly MeetingTemplate[], known: boolean): readonly string[] {
  return list.filter((t) => t.meeting === undefined || t.meeting === (known ? 'again' : 'first')).map((t) => t.template);
}

const ENCOUNTER_FIRST = meetingTemplates(ENCOUNTER, false);
const ENCOUNTER_AGAIN = meetingTemplates(ENCOUNTER, true);
const GREETING_FIRST = meetingTemplates(GREETING, false);
const GREETING_AGAIN = meetingTemplates(GREETING, true);

/** The text of a chapter. */
export function chapterText(chapter: Chapter): string {
  let text = `Chapter ${chapter.number}:\n`;
  const sentences = chapter.sentences;
  for (let i = 0; i < sentences.length; i++) text += (i === 0 ? '' : ' ') + (sentences[i] as Sentence).text;
  return text;
}

/** Character offset of sentence `index` inside the chapter's text. */
export function sentenceOffset(chapter: Chapter, index: number): number {
  let offset = `Chapter ${chapter.number}:\n`.length;
  for (let i = 0; i < index; i++) offset += (chapter.sentences[i] as Sentence).text.length + 1;
  return offset;
}

/** Generates chapters one at a time and keeps the world state. */
export class StoryWorld {
  readonly chapters: Chapter[] = [];
  private readonly characters: readonly string[];
  private readonly locations: readonly string[];
  private readonly itemsSeen = new Set<string>();
  /** Items owned now, in no particular order. */
  private readonly inventory: string[] = [];
  /** Chapter number where each sold item was sold. */
  private readonly soldIn = new Map<string, number>();
  private readonly usedPairs = new Set<string>();
  /** Chapters in which each character has been met so far. */
  private readonly meetings = new Map<string, number>();

  constructor(
    private readonly rng: Random,
    readonly options: WorldOptions,
  ) {
    const castOf = (pool: readonly string[]): readonly string[] => {
      const others = pool.filter((name) => name !== options.protagonist);
      return options.cast > 0 ? rng.sample(others, Math.min(options.cast, others.length)) : others;
    };
    this.characters = castOf(characterPool());
    this.locations = castOf(locationPool());
  }

  /** Items owned after the last generated chapter. */
  get owned(): readonly string[] {
    return this.inventory;
  }

  private uniqueItem(): string {
    if (this.itemsSeen.size >= ITEM_COMBINATIONS) throw new Error(`The story has used all ${ITEM_COMBINATIONS} distinct items.`);
    for (;;) {
      const item = `${this.rng.pick(ITEM_ADJECTIVES)} ${this.rng.pick(ITEM_MATERIALS)} ${this.rng.pick(ITEM_OBJECTS)}`;
      if (!this.itemsSeen.has(item)) {
        this.itemsSeen.add(item);
        return item;
      }
    }
  }

  private place(): { location: string; character: string } {
    const previous = this.chapters[this.chapters.length - 1];
    let location = this.rng.pick(this.locations);
    let character = this.rng.pick(this.characters);
    // Prefer a (location, character) pair not seen yet and never the previous chapter's location.
    for (let attempt = 0; attempt < 50; attempt++) {
      const fresh = !this.usedPairs.has(`${location}\u0000${character}`);
      if (fresh && location !== previous?.location) break;
      location = this.rng.pick(this.locations);
      character = this.rng.pick(this.characters);
    }
    if (location === previous?.location && this.locations.length > 1) {
      while (location === previous.location) location = this.rng.pick(this.locations);
    }
    this.usedPairs.add(`${location}\u0000${character}`);
    return { location, character };
  }

  /** Generates the next chapter and appends it. */
  next(): Chapter {
    const o = this.options;
    const rng = this.rng;
    const { location, character } = this.place();
    const event = rng.pick(EVENTS);
    const known = (this.meetings.get(character) ?? 0) > 0;
    const vars: TemplateVars = { p: o.protagonist, location, character, event: event.text };
    const sentences: Sentence[] = [];
    const say = (slot: Slot, templates: readonly string[], extra: Partial<TemplateVars> = {}): void => {
      sentences.push({ slot, text: fillTemplate(rng.pick(templates), { ...vars, ...extra }) });
    };
    say('arrival', ARRIVAL);
    say('reason', REASON);
    say('event', EVENT_TEMPLATES.get(event) as readonly string[]);
    say('encounter', known ? ENCOUNTER_AGAIN : ENCOUNTER_FIRST);
    say('greeting', known ? GREETING_AGAIN : GREETING_FIRST);
    const lines = rng.sample(CONVERSATION, Math.min(o.conversation, CONVERSATION.length));
    // Cross-mention templates are drawn without replacement, so none repeats within the chapter.
    let crossLeft: readonly string[] = CROSS_MENTION;
    for (const line of lines) {
      if (o.crossMentions > 0 && crossLeft.length > 0 && rng.chance(o.crossMentions)) {
        const template = rng.pick(crossLeft);
        crossLeft = crossLeft.filter((t) => t !== template);
        const otherLocation = this.pickOther(this.locations, location);
        const otherCharacter = this.pickOther(this.characters, character);
        sentences.push({ slot: 'conversation', text: fillTemplate(template, { ...vars, otherLocation, otherCharacter }) });
      } else {
        sentences.push({ slot: 'conversation', text: fillTemplate(line, vars) });
      }
    }
    const bought = this.uniqueItem();
    say('purchase', PURCHASE, { item: bought });
    let sold: string | null = null;
    if (this.inventory.length > 0 && rng.chance(o.sellRate)) {
      const at = rng.int(0, this.inventory.length - 1);
      sold = this.inventory[at] as string;
      this.inventory[at] = this.inventory[this.inventory.length - 1] as string;
      this.inventory.pop();
      this.soldIn.set(sold, this.chapters.length + 1);
      say('sale', SALE, { item: sold });
    }
    this.inventory.push(bought);
    say('farewell', FAREWELL);
    say('conclusion', CONCLUSION);
    this.meetings.set(character, (this.meetings.get(character) ?? 0) + 1);
    const chapter: Chapter = { number: this.chapters.length + 1, location, character, event: event.text, bought, sold, sentences };
    this.chapters.push(chapter);
    return chapter;
  }

  /** Undoes the last generated chapter (it did not fit the length). */
  dropLast(): void {
    const chapter = this.chapters.pop();
    if (!chapter) return;
    const met = (this.meetings.get(chapter.character) ?? 1) - 1;
    if (met > 0) this.meetings.set(chapter.character, met);
    else this.meetings.delete(chapter.character);
    if (chapter.bought !== null) {
      const at = this.inventory.indexOf(chapter.bought);
      if (at >= 0) this.inventory.splice(at, 1);
    }
    if (chapter.sold !== null) {
      this.inventory.push(chapter.sold);
      this.soldIn.delete(chapter.sold);
    }
  }

  /**
   * A name of the pool other than `not`. The tasks reject cross-mentions with a cast of one, so
   * there always is one.
   * @throws Error when the pool has no other name.
   */
  private pickOther(pool: readonly string[], not: string): string {
    if (pool.length < 2) throw new Error(`No place or person other than ${not} to mention: cross-mentions need a cast of at least 2.`);
    for (;;) {
      const name = this.rng.pick(pool);
      if (name !== not) return name;
    }
  }

  /**
   * Removes the purchase of chapter `number` and any later sale of that item, so the story stays
   * consistent (the item was never owned). Returns the chapters whose text changed.
   * @throws RangeError for a chapter that does not exist or has no purchase.
   */
  removePurchase(number: number): Chapter[] {
    const chapter = this.chapters[number - 1];
    if (!chapter || chapter.bought === null) throw new RangeError(`Chapter ${number} has no purchase to remove.`);
    const item = chapter.bought;
    chapter.bought = null;
    chapter.sentences = chapter.sentences.filter((s) => s.slot !== 'purchase');
    const changed = [chapter];
    const soldAt = this.soldIn.get(item);
    if (soldAt !== undefined) {
      const seller = this.chapters[soldAt - 1] as Chapter;
      seller.sold = null;
      seller.sentences = seller.sentences.filter((s) => s.slot !== 'sale');
      this.soldIn.delete(item);
      changed.push(seller);
    } else {
      const at = this.inventory.indexOf(item);
      if (at >= 0) this.inventory.splice(at, 1);
    }
    return changed;
  }

  /**
   * The items owned at the end of chapter `number`, replayed from the chapters.
   * @example world.inventoryAfter(3) // ['ornate jade ring', ...]
   */
  inventoryAfter(number: number): string[] {
    const owned = new Set<string>();
    for (const chapter of this.chapters.slice(0, number)) {
      if (chapter.sold !== null) owned.delete(chapter.sold);
      if (chapter.bought !== null) owned.add(chapter.bought);
    }
    return [...owned];
  }

  /** Items acquired in order of acquisition, with their chapter numbers. */
  acquisitions(): { chapter: number; item: string }[] {
    return this.chapters.filter((c) => c.bought !== null).map((c) => ({ chapter: c.number, item: c.bought as string }));
  }
}
