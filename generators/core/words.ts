// Word pools for list tasks: faker's English nouns, adjectives and verbs, lower-case letters only,
// de-duplicated and sorted so the pool is identical on every machine.
import { en } from '@faker-js/faker';

let cached: string[] | null = null;

/** ~2,900 distinct plain English words (a-z only). */
export function englishWords(): string[] {
  if (cached) return cached;
  const word = en.word as { noun?: string[]; adjective?: string[]; verb?: string[] } | undefined;
  const all = [...(word?.noun ?? []), ...(word?.adjective ?? []), ...(word?.verb ?? [])];
  cached = [...new Set(all.map((w) => w.toLowerCase()).filter((w) => /^[a-z]{3,}$/.test(w)))].sort();
  return cached;
}

let extended: string[] | null = null;

/**
 * ~15,000 distinct lower-case words: the core pool first, then every other word found in faker's
 * English data (places, animals, products, names...). For list tasks at long lengths.
 */
export function extendedWords(): string[] {
  if (extended) return extended;
  const found = new Set<string>();
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) {
        if (typeof item === 'string') {
          for (const w of item.toLowerCase().split(/[\s-]+/)) if (/^[a-z]{3,}$/.test(w)) found.add(w);
        } else walk(item);
      }
    } else if (value && typeof value === 'object') {
      for (const v of Object.values(value)) walk(v);
    }
  };
  walk(en);
  const core = englishWords();
  const coreSet = new Set(core);
  extended = [...core, ...[...found].filter((w) => !coreSet.has(w)).sort()];
  return extended;
}
