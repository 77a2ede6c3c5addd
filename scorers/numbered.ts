// `numbered`: the paper's NIAH and story-retrieval metric. target[i] is the gold answer of question
// i + 1; the answer is a numbered list, one line per question. Score = fraction of lines right.
import type { ScoreResult, Scorer, ScorerInput } from './types.js';
import { isNoneAnswer, normalizeAnswer, NONE } from './text/normalize.js';
import { extractAnswer, numberedItems, splitLines } from './text/extract.js';
import { noAnswerResult, quote, ratio, untaggedFlag, untaggedNote } from './result.js';

/** Metadata fields the numbered scorer reads. */
export interface NumberedMetadata {
  /** Line format, e.g. `The answer for {key} is {value}.` */
  answerTemplate?: string;
  /** The key of each target item (aligned with `target`), used to fill the template. */
  keys?: string[];
}

/**
 * Fills an answer template.
 * @example fillTemplate('The answer for {key} is {value}.', 'k1', 'v1') // 'The answer for k1 is v1.'
 */
export function fillTemplate(template: string, key: string, value: string): string {
  return template.replaceAll('{key}', key).replaceAll('{value}', value);
}

const ESCAPE = /[.*+?^${}()|[\]\\]/g;
const templateCache = new Map<string, RegExp | null>();

// The template as a pattern capturing key and value; whitespace in its literal text may be
// preceded by a colon ("is: v", as the needles themselves are written) and the final period is
// optional. Null when the template lacks {value}.
function templatePattern(template: string): RegExp | null {
  let cached = templateCache.get(template);
  if (cached !== undefined) return cached;
  if (!template.includes('{value}')) {
    cached = null;
  } else {
    let source = '';
    for (const part of template.trim().split(/(\{key\}|\{value\})/)) {
      if (part === '{key}') source += '(?<key>.+?)';
      else if (part === '{value}') source += '(?<value>.+?)';
      else source += part.replace(ESCAPE, '\\$&').replace(/\s+/g, ':?\\s+');
    }
    source = source.replace(/\\\.$/, '');
    cached = new RegExp(`^${source}\\.?$`, 'i');
  }
  templateCache.set(template, cached);
  return cached;
}

function metadataOf(metadata: Record<string, unknown> | undefined): NumberedMetadata {
  const template = metadata?.['answerTemplate'];
  const keys = metadata?.['keys'];
  return {
    ...(typeof template === 'string' ? { answerTemplate: template } : {}),
    ...(Array.isArray(keys) ? { keys: keys as string[] } : {}),
  };
}

/**
 * True when one predicted line answers a question whose gold value is `gold`: equal after
 * normalisation to the bare value or to the filled template, or matching the template with the
 * right key and the right value (a colon after "is" allowed).
 * @example itemMatches('The answer for k is: V.', 'v', 'k', 'The answer for {key} is {value}.') // true
 */
export function itemMatches(pred: string, gold: string, key?: string, template?: string): boolean {
  const filled = template !== undefined && key !== undefined ? normalizeAnswer(fillTemplate(template, key, gold)) : undefined;
  return matchesPrepared(pred, { gold: normalizeAnswer(gold), filled, key, template });
}

interface PreparedItem {
  gold: string;
  filled: string | undefined;
  key: string | undefined;
  template: string | undefined;
}

// A value equals the gold value after normalisation; a gold `none` also accepts the none phrases.
function valueMatches(value: string, gold: string): boolean {
  const v = normalizeAnswer(value);
  return v === gold || (gold === NONE && isNoneAnswer(v));
}

function matchesPrepared(pred: string, item: PreparedItem): boolean {
  if (valueMatches(pred, item.gold) || normalizeAnswer(pred) === item.filled) return true;
  if (item.template === undefined || item.key === undefined) return false;
  const m = templatePattern(item.template)?.exec(pred.trim());
  if (!m?.groups) return false;
  const keyOk = m.groups['key'] === undefined || normalizeAnswer(m.groups['key']) === normalizeAnswer(item.key);
  return keyOk && valueMatches(m.groups['value'] ?? '', item.gold);
}

// Normalised gold values and filled templates depend only on the sample: computed once per target
// array (scoring many predictions of one sample, or re-scoring, reuses them).
const prepared = new WeakMap<readonly string[], { template: string | undefined; keys: readonly string[] | undefined; items: PreparedItem[] }>();
function prepare(expected: readonly string[], answerTemplate: string | undefined, keys: readonly string[] | undefined): PreparedItem[] {
  const hit = prepared.get(expected);
  if (hit && hit.template === answerTemplate && hit.keys === keys) return hit.items;
  const items = expected.map((gold, i) => {
    const rawKey: unknown = keys?.[i];
    const key = typeof rawKey === 'string' ? rawKey : undefined;
    const filled = answerTemplate !== undefined && key !== undefined ? normalizeAnswer(fillTemplate(answerTemplate, key, gold)) : undefined;
    return { gold: normalizeAnswer(gold), filled, key, template: answerTemplate };
  });
  prepared.set(expected, { template: answerTemplate, keys, items });
  return items;
}

/**
 * Scores a numbered-list answer. Lines are read from the `<answer>` block (the whole output when
 * there is none, flagged `noAnswer`); `1.`, `1)`, `1:`, `1 -` numbering is accepted (not `3.5` or
 * `3:30`) and the first line with a number wins. When no line is numbered, non-empty lines are
 * taken in order. Any line break counts (`\n`, `\r\n`, `\r`, U+2028, ...).
 * @example
 * numbered({ output: '<answer>\n1. paris\n2. rome\n</answer>', expected: ['Paris', 'Oslo'] }).score // 0.5
 */
export const numbered: Scorer = (input: ScorerInput): ScoreResult => {
  const { output, expected } = input;
  const { text, source } = extractAnswer(output);
  if (!text) return noAnswerResult('numbered', { answered: 0 });
  let items = numberedItems(text);
  if (items.size === 0) {
    const lines = splitLines(text).map((l) => l.trim()).filter(Boolean);
    items = new Map(lines.map((line, i) => [i + 1, line]));
  }
  const { answerTemplate, keys } = metadataOf(input.metadata);
  const golds = prepare(expected, answerTemplate, keys);
  let correct = 0;
  let firstWrong = '';
  for (let i = 0; i < expected.length; i++) {
    const gold = expected[i] as string;
    const pred = items.get(i + 1);
    if (pred !== undefined && matchesPrepared(pred, golds[i] as PreparedItem)) correct++;
    else if (!firstWrong) firstWrong = `item ${i + 1}: expected ${quote(gold)}, got ${pred === undefined ? 'nothing' : quote(pred)}`;
  }
  const score = ratio(correct, expected.length, 0);
  let answered = 0;
  for (let i = 1; i <= expected.length; i++) if (items.has(i)) answered++;
  return {
    name: 'numbered',
    score,
    pass: score === 1,
    reason: `${correct}/${expected.length} items right${firstWrong ? `; first wrong ${firstWrong}` : ''}${untaggedNote(source)}`,
    metrics: { answered: ratio(answered, expected.length) },
    ...untaggedFlag(source),
  };
};
