// Reading a story prompt back from its text alone, as a careful reader would: its chapters, the
// items in order of first mention, and which template each sentence was filled from (with the
// names, places, events and items it was filled with). Tests check the text, not the generator's
// own bookkeeping.
import type { Sample } from '../../generators/core/sample.js';
import { ITEM_ADJECTIVES, ITEM_MATERIALS, ITEM_OBJECTS } from '../../generators/story/pools.js';

const ITEM_SOURCE = `(?:${ITEM_ADJECTIVES.join('|')}) (?:${ITEM_MATERIALS.join('|')}) (?:${ITEM_OBJECTS.join('|')})`;
export const ITEM = new RegExp(`\\b${ITEM_SOURCE}\\b`, 'g');

/** Chapters of a prompt's context: number -> text (heading included). */
export function chaptersOf(s: Sample): Map<number, string> {
  const context = s.input.slice(s.input.indexOf('<context>\n') + 10, s.input.indexOf('\n</context>'));
  const out = new Map<number, string>();
  for (const block of context.split('\n\n')) {
    const m = /^Chapter (\d+):\n/.exec(block);
    if (!m) throw new Error(`block does not start with a chapter heading: ${block.slice(0, 40)}`);
    out.set(Number(m[1]), block);
  }
  return out;
}

/** Items in order of acquisition (first mentions) and the chapter of each. */
export function acquisitions(chapters: Map<number, string>): { item: string; chapter: number }[] {
  const seen = new Set<string>();
  const out: { item: string; chapter: number }[] = [];
  for (const [n, text] of chapters) {
    for (const m of text.matchAll(ITEM)) {
      if (!seen.has(m[0])) {
        seen.add(m[0]);
        out.push({ item: m[0], chapter: n });
      }
    }
  }
  return out;
}

/** The sentences of a chapter's body (a quoted reply after a closing quote counts as its own). */
export function sentencesOf(chapter: string): string[] {
  return chapter.slice(chapter.indexOf('\n') + 1).split(/(?<=[.?!]"?) (?=["A-Z])/);
}

/** One template sentence found in a text, with what filled its placeholders. */
export interface TemplateMatch {
  template: string;
  /** Placeholder name -> the text that filled it, in order of appearance. */
  fills: [string, string][];
}

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A matcher for filled copies of `template` (names and places as capitalised words). */
export function templateMatcher(template: string, protagonist: string): (text: string) => TemplateMatch[] {
  const slots: string[] = [];
  let source = '';
  for (const part of template.split(/(\{[a-z_]+\})/)) {
    if (!part) continue;
    const slot = /^\{([a-z_]+)\}$/.exec(part)?.[1];
    if (slot === undefined) {
      source += escapeRegex(part);
      continue;
    }
    if (slot === 'p') {
      source += escapeRegex(protagonist);
      continue;
    }
    slots.push(slot);
    if (slot === 'character' || slot === 'other_character') source += '([A-Z][a-z]+)';
    else if (slot === 'location' || slot === 'other_location') source += '([A-Z][a-z]+(?: [A-Z][a-z]+)?)';
    else if (slot === 'event') source += "([a-z][a-z' ]*?)";
    else if (slot === 'a_item') source += `(an? ${ITEM_SOURCE})`;
    else if (slot === 'the_item') source += `(the ${ITEM_SOURCE})`;
    else if (slot === 'the_item_cap') source += `(The ${ITEM_SOURCE})`;
    else throw new Error(`unknown placeholder {${slot}} in ${template}`);
  }
  // Templates that start with a placeholder are capitalised when filled.
  const regex = new RegExp(`(?<![A-Za-z])${source}`, 'g');
  return (text) => [...text.matchAll(regex)].map((m) => ({ template, fills: slots.map((slot, i) => [slot, m[i + 1] as string] as [string, string]) }));
}

/** Matches of any template of a list, in text order. */
export function matchAll(templates: readonly string[], protagonist: string): (text: string) => TemplateMatch[] {
  const matchers = templates.map((t) => templateMatcher(t, protagonist));
  return (text) => matchers.flatMap((m) => m(text));
}

/** The value that filled placeholder `slot` in a match. */
export function fill(match: TemplateMatch, slot: string): string | undefined {
  return match.fills.find(([name]) => name === slot)?.[1];
}
