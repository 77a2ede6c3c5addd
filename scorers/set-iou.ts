// `set-iou`: the paper's metric for variable tracking, common words and story filtering. The target
// is a set; the answer is a list; score = |pred ∩ gold| / |pred ∪ gold| after normalisation, with
// precision, recall and F1 reported beside it.
import type { ScoreResult, Scorer, ScorerInput } from './types.js';
import { isNoneAnswer, normalizeAnswer, NONE } from './text/normalize.js';
import { extractAnswer, listItems } from './text/extract.js';
import { f1, noAnswerResult, quote, ratio, untaggedFlag, untaggedNote } from './result.js';

/** Metadata fields the set scorers read. */
export interface SetMetadata {
  /** Words dropped from the start of each item, case-insensitively (e.g. `VAR`, `Chapter`). */
  itemPrefixes?: string[];
}

const prefixCache = new Map<string, RegExp>();
function prefixPattern(prefixes: readonly string[]): RegExp | null {
  if (prefixes.length === 0) return null;
  const cacheKey = prefixes.join('\u0000');
  let re = prefixCache.get(cacheKey);
  if (!re) {
    const alt = prefixes.map((p) => p.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
    // The prefix or its plural ("Chapters 2, 6"), then a space, colon or #.
    re = new RegExp(`^(?:${alt})s?(?=[\\s:#])[\\s:#]*`);
    prefixCache.set(cacheKey, re);
  }
  return re;
}

function prefixesOf(metadata: Record<string, unknown> | undefined): string[] {
  const p = metadata?.['itemPrefixes'];
  return Array.isArray(p) ? p.filter((x): x is string => typeof x === 'string') : [];
}

const JOINERS = new Set(['and', '&']);

/**
 * The normalised set of items in an answer. Items are read by {@link listItems} (line breaks,
 * commas and semicolons; numbering, bullets, list brackets and a leading `and` removed), normalised
 * ({@link normalizeAnswer}) and stripped of the given prefixes or their plurals (`VAR`, `Chapters`);
 * when every gold item is a single word, items are also split on whitespace (so `ABCDE FGHIJ` is two
 * items), dropping the joiners `and` / `&` and bare prefix words. When a gold item is `none`, the
 * phrasings of {@link NONE_PHRASES} read as `none`.
 * @example answerSet('1. VAR ABC\n2. VAR DEF', ['abc', 'def'], ['VAR']) // Set { 'abc', 'def' }
 */
export function answerSet(text: string, gold: readonly string[], prefixes: readonly string[] = []): Set<string> {
  const prefix = prefixPattern(prefixes);
  const prefixWords = new Set(prefixes.flatMap((p) => [p.toLowerCase(), `${p.toLowerCase()}s`]));
  const singleWords = gold.length > 0 && gold.every((g) => !/\s/.test(g.trim()));
  const goldIsNone = gold.some((g) => normalizeAnswer(g) === NONE);
  const out = new Set<string>();
  for (const raw of listItems(text)) {
    let item = normalizeAnswer(raw);
    if (goldIsNone && isNoneAnswer(item)) {
      out.add(NONE);
      continue;
    }
    if (prefix) item = item.replace(prefix, '');
    if (!item) continue;
    if (!singleWords || !item.includes(' ')) {
      out.add(item);
      continue;
    }
    for (const token of item.split(' ')) {
      let t = normalizeAnswer(token);
      if (prefixWords.has(t) || JOINERS.has(t)) continue;
      if (prefix) t = t.replace(prefix, '');
      if (t) out.add(t);
    }
  }
  return out;
}

/** The gold set, normalised the same way as answers. */
export function goldSet(gold: readonly string[], prefixes: readonly string[] = []): Set<string> {
  const prefix = prefixPattern(prefixes);
  const out = new Set<string>();
  for (const g of gold) {
    let item = normalizeAnswer(g);
    if (prefix) item = item.replace(prefix, '');
    if (item) out.add(item);
  }
  return out;
}

/** Precision, recall, F1 and IoU of two sets (IoU of two empty sets is 1). */
export function setOverlap(pred: ReadonlySet<string>, gold: ReadonlySet<string>): { iou: number; precision: number; recall: number; f1: number; intersection: number } {
  let intersection = 0;
  for (const item of pred) if (gold.has(item)) intersection++;
  const union = pred.size + gold.size - intersection;
  const precision = ratio(intersection, pred.size, gold.size === 0 ? 1 : 0);
  const recall = ratio(intersection, gold.size, 1);
  return { iou: ratio(intersection, union, 1), precision, recall, f1: f1(precision, recall), intersection };
}

function describe(pred: ReadonlySet<string>, gold: ReadonlySet<string>): string {
  const missing = [...gold].filter((g) => !pred.has(g));
  const extra = [...pred].filter((p) => !gold.has(p));
  const parts: string[] = [];
  if (missing.length) parts.push(`missing ${missing.slice(0, 3).map(quote).join(', ')}${missing.length > 3 ? ` (+${missing.length - 3})` : ''}`);
  if (extra.length) parts.push(`extra ${extra.slice(0, 3).map(quote).join(', ')}${extra.length > 3 ? ` (+${extra.length - 3})` : ''}`);
  return parts.join('; ');
}

/**
 * Intersection over union of the answer set and the target set. Metrics: `precision`, `recall`,
 * `f1` (precision-aware: listing every candidate lowers precision and IoU).
 * @example setIou({ output: '<answer>b, a, c</answer>', expected: ['a', 'b'] }).score // 0.666...
 */
export const setIou: Scorer = (input: ScorerInput): ScoreResult => {
  const { text, source } = extractAnswer(input.output);
  const prefixes = prefixesOf(input.metadata);
  const gold = goldSet(input.expected, prefixes);
  const pred = text ? answerSet(text, input.expected, prefixes) : new Set<string>();
  if (pred.size === 0) return noAnswerResult('set-iou', { precision: 0, recall: 0, f1: 0 });
  const o = setOverlap(pred, gold);
  const detail = describe(pred, gold);
  return {
    name: 'set-iou',
    score: o.iou,
    pass: o.iou === 1,
    reason: `${o.intersection} of ${gold.size} gold items found, ${pred.size} given${detail ? `; ${detail}` : ''}${untaggedNote(source)}`,
    metrics: { precision: o.precision, recall: o.recall, f1: o.f1 },
    ...untaggedFlag(source),
  };
};
