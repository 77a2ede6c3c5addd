// Answer extraction: reasoning removal, the `<answer>` block, numbered lines and list items.
// Everything here is a pure string function; scorers compose them.

const THINK_BLOCK = /<think>[\s\S]*?<\/think>/gi;
const THINK_OPEN = /<think>/i;
const THINK_CLOSE = /<\/think>/gi;

/**
 * Removes reasoning: every `<think>...</think>` block; an unterminated `<think>` (output cut while
 * thinking) removes everything after it; a stray `</think>` with no opening tag (templates that
 * open the block in the prompt) removes everything before it.
 * @example stripReasoning('<think>hmm</think>Paris') // 'Paris'
 */
export function stripReasoning(output: string): string {
  if (!/think>/i.test(output)) return output;
  let s = output;
  // A close tag before any open tag: the block was opened by the chat template.
  const firstOpen = s.search(THINK_OPEN);
  THINK_CLOSE.lastIndex = 0;
  const firstClose = s.search(THINK_CLOSE);
  if (firstClose >= 0 && (firstOpen < 0 || firstClose < firstOpen)) s = s.slice(firstClose + '</think>'.length);
  s = s.replace(THINK_BLOCK, '');
  const open = s.search(THINK_OPEN);
  if (open >= 0) s = s.slice(0, open);
  return s;
}

/** Where an answer came from. */
export type AnswerSource = 'tag' | 'unterminated-tag' | 'whole-output';

export interface ExtractedAnswer {
  text: string;
  source: AnswerSource;
}

const ANSWER_OPEN = /<answer>/gi;
const ANSWER_CLOSE = /<\/answer>/i;

/**
 * The text of the answer: the last `<answer>...</answer>` block with content; when the last
 * `<answer>` is never closed (output cut by the token limit), the text after it; with no tag at
 * all, the whole output. Always trimmed.
 * @example extractAnswer('<explanation>x</explanation><answer> 42 </answer>') // { text: '42', source: 'tag' }
 */
export function extractAnswer(output: string): ExtractedAnswer {
  if (!/<answer>/i.test(output)) return { text: output.trim(), source: 'whole-output' };
  const opens: number[] = [];
  ANSWER_OPEN.lastIndex = 0;
  for (let m = ANSWER_OPEN.exec(output); m; m = ANSWER_OPEN.exec(output)) opens.push(m.index + m[0].length);
  // Walk from the last opening tag back to the first, taking the first block that has content.
  for (let i = opens.length - 1; i >= 0; i--) {
    const start = opens[i] as number;
    const rest = output.slice(start);
    const close = rest.search(ANSWER_CLOSE);
    if (close < 0) {
      const text = rest.trim();
      if (text) return { text, source: 'unterminated-tag' };
      continue;
    }
    const text = rest.slice(0, close).trim();
    if (text) return { text, source: 'tag' };
  }
  return { text: '', source: 'tag' };
}

/**
 * The content of the first `<answer>...</answer>` block as Python's
 * `re.search(r'<answer>(.*?)</answer>', text, re.DOTALL | flags)` finds it, or null.
 * Used by the paper-reference compatibility scorers.
 */
export function firstAnswerBlock(output: string, ignoreCase = true): string | null {
  const m = (ignoreCase ? /<answer>([\s\S]*?)<\/answer>/i : /<answer>([\s\S]*?)<\/answer>/).exec(output);
  return m ? (m[1] as string) : null;
}

const NUMBERED_LINE = /^\s*(?:[-*•]\s*)?(?:\*\*)?(\d{1,4})(?:\*\*)?\s*[.):](?:\*\*)?\s*(.*)$/;

/**
 * Numbered lines (`1. x`, `2) y`, `3: z`, `- 4. w`) as a map from number to text; the first line
 * with a number wins. Lines without a number are ignored.
 * @example numberedItems('1. a\n2. b') // Map { 1 => 'a', 2 => 'b' }
 */
export function numberedItems(text: string): Map<number, string> {
  const items = new Map<number, string>();
  for (const line of text.split('\n')) {
    const m = NUMBERED_LINE.exec(line);
    if (!m) continue;
    const index = Number(m[1]);
    if (!items.has(index)) items.set(index, (m[2] as string).trim());
  }
  return items;
}

const BULLET = /^\s*(?:[-*•]|\d{1,4}\s*[.):])\s*/;

/**
 * List items of an answer: split on newlines, commas and semicolons, numbering and bullets
 * removed, empty items dropped.
 * @example listItems('1. apple\n2. pear, plum') // ['apple', 'pear', 'plum']
 */
export function listItems(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const body = line.replace(BULLET, '');
    for (const part of body.split(/[,;]/)) {
      const item = part.trim();
      if (item) out.push(item);
    }
  }
  return out;
}
