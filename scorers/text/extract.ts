// Answer extraction for the default scorers: reasoning removal, the `<answer>` block, lines,
// numbered lines and list items. Everything here is a pure string function; scorers compose them.
import { foldUnicode } from './normalize.js';

const THINK_TAG = /<(\/?)think>/gi;

/**
 * Removes reasoning. Every `<think>...</think>` block is removed (a `<think>` inside a block is
 * part of it); a `</think>` with no open block (chat templates that open the block in the prompt,
 * or a doubled `</think>`) removes everything before it; a `<think>` that is never closed removes
 * the rest of the output only when nothing but whitespace precedes it (output cut while thinking),
 * and is literal text anywhere else (an answer that mentions the tag).
 * @example stripReasoning('<think>hmm</think>Paris') // 'Paris'
 * @example stripReasoning('a</think>b</think>Paris') // 'Paris'
 * @example stripReasoning('<answer>use <think> tags</answer>') // unchanged
 */
export function stripReasoning(output: string): string {
  if (!/think>/i.test(output)) return output;
  let visible = '';
  let inBlock = false;
  let openAt = 0;
  let last = 0;
  for (const m of output.matchAll(THINK_TAG)) {
    const closing = m[1] === '/';
    if (!inBlock) {
      if (closing) {
        visible = '';
      } else {
        visible += output.slice(last, m.index);
        inBlock = true;
        openAt = m.index;
      }
    } else if (closing) {
      inBlock = false;
    }
    last = m.index + m[0].length;
  }
  if (!inBlock) return visible + output.slice(last);
  return visible.trim() === '' ? '' : visible + output.slice(openAt);
}

/** Where an answer came from: a closed `<answer>` block, one cut by the token limit, or no tag at all. */
export type AnswerSource = 'tag' | 'unterminated-tag' | 'whole-output';

export interface ExtractedAnswer {
  /** The answer text, trimmed and with Unicode look-alike forms folded ({@link foldUnicode}). */
  text: string;
  source: AnswerSource;
}

const ANSWER_OPEN = /<answer>/gi;
const ANSWER_CLOSE = /<\/answer>/i;

/**
 * The text of the answer: the last `<answer>...</answer>` block with content; when the last
 * `<answer>` is never closed (output cut by the token limit), the text after it; with no tag at
 * all, the whole output (`source: 'whole-output'`, which the scorers report as no answer in the
 * requested form while still scoring the text). Trimmed and folded with {@link foldUnicode}.
 * @example extractAnswer('<explanation>x</explanation><answer> 42 </answer>') // { text: '42', source: 'tag' }
 */
export function extractAnswer(output: string): ExtractedAnswer {
  if (!/<answer>/i.test(output)) return { text: foldUnicode(output).trim(), source: 'whole-output' };
  const opens: number[] = [];
  ANSWER_OPEN.lastIndex = 0;
  for (let m = ANSWER_OPEN.exec(output); m; m = ANSWER_OPEN.exec(output)) opens.push(m.index + m[0].length);
  // Walk from the last opening tag back to the first, taking the first block that has content.
  for (let i = opens.length - 1; i >= 0; i--) {
    const start = opens[i] as number;
    const rest = output.slice(start);
    const close = rest.search(ANSWER_CLOSE);
    const text = foldUnicode(close < 0 ? rest : rest.slice(0, close)).trim();
    if (text) return { text, source: close < 0 ? 'unterminated-tag' : 'tag' };
  }
  return { text: '', source: 'tag' };
}

/** Line breaks: `\r\n`, `\n`, `\r`, vertical tab, form feed, U+0085, U+2028 and U+2029. */
export const LINE_BREAK = /\r\n|[\n\r\v\f\x85\u2028\u2029]/;

/**
 * Splits text into lines at any line break ({@link LINE_BREAK}).
 * @example splitLines('a\r\nb\rc') // ['a', 'b', 'c']
 */
export function splitLines(text: string): string[] {
  return text.split(LINE_BREAK);
}

// A numbered line: optional bullet and bold, 1-4 digits, then `.`, `)` or `:` not followed by a
// digit (so `3.5 kg` and `3:30` are not item 3), or a dash followed by a space (`1 - x`).
const NUMBERED_LINE = /^\s*(?:[-*•]\s*)?(?:\*\*)?(\d{1,4})(?:\*\*)?\s*(?:[.):](?!\d)|-(?=\s))(?:\*\*)?\s*(.*)$/;

/**
 * Numbered lines (`1. x`, `2) y`, `3: z`, `- 4. w`, `5 - v`) as a map from number to text; the first
 * line with a number wins. Lines without a number are ignored.
 * @example numberedItems('1. a\r\n2. b') // Map { 1 => 'a', 2 => 'b' }
 */
export function numberedItems(text: string): Map<number, string> {
  const items = new Map<number, string>();
  for (const line of splitLines(text)) {
    const m = NUMBERED_LINE.exec(line);
    if (!m) continue;
    const index = Number(m[1]);
    if (!items.has(index)) items.set(index, (m[2] as string).trim());
  }
  return items;
}

// Numbering or a bullet at a line start: `1.`, `1)`, `1:` (not before a digit), `1 -`, `-`, `*`, `•`.
const BULLET = /^\s*(?:[-*•]|\d{1,4}\s*(?:[.):](?!\d)|-(?=\s)))\s*/;
const OPENERS = '([{';
const CLOSERS = ')]}';

// True when the bracket opening `s` closes at its last character (`(a)`, not `(a) and (b)`).
function enclosed(s: string, kind: number): boolean {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === OPENERS[kind]) depth++;
    else if (s[i] === CLOSERS[kind] && --depth === 0) return i === s.length - 1;
  }
  return false;
}

// Brackets at an item's edges that belong to the list, not the item: `[2`, `15]`, `('A'`, `(B)`.
function trimListBrackets(item: string): string {
  let s = item;
  for (let round = 0; round < 3 && s.length > 0; round++) {
    const first = OPENERS.indexOf(s[0] as string);
    const last = CLOSERS.indexOf(s[s.length - 1] as string);
    if (first >= 0 && first === last && enclosed(s, first)) s = s.slice(1, -1).trim();
    else if (first >= 0 && !s.includes(CLOSERS[first] as string)) s = s.slice(1).trim();
    else if (last >= 0 && !s.includes(OPENERS[last] as string)) s = s.slice(0, -1).trim();
    else break;
  }
  return s;
}

const LEADING_JOINER = /^(?:and|&)\s+/i;

/**
 * List items of an answer: split at line breaks, commas and semicolons; numbering and bullets
 * removed; brackets that enclose the list or an item removed (`[2, 6]`, `['A', 'B']`); a leading
 * `and` / `&` removed (`2, 6, and 15`); empty items dropped.
 * @example listItems('1. apple\n2. pear, and plum') // ['apple', 'pear', 'plum']
 * @example listItems("['A', 'B']") // ["'A'", "'B'"]
 */
export function listItems(text: string): string[] {
  const out: string[] = [];
  for (const line of splitLines(text)) {
    const body = line.replace(BULLET, '');
    for (const part of body.split(/[,;]/)) {
      const item = trimListBrackets(part.trim()).replace(LEADING_JOINER, '').trim();
      if (item) out.push(item);
    }
  }
  return out;
}
