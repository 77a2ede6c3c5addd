// Answer normalisation shared by every scorer, stated once so that docs, tests and scorers agree:
// lowercase, collapse whitespace, strip surrounding quotes and markdown emphasis, strip trailing
// periods, drop one leading article. "No answer" phrasings collapse to the canonical `none`.

/** The canonical answer of answer-absent questions (target `['none']`). */
export const NONE = 'none';

/**
 * Phrasings accepted as the answer `none` (compared after {@link normalizeAnswer}). Answer-absent
 * questions have target `['none']`; any of these in the answer counts as that answer.
 */
export const NONE_PHRASES: readonly string[] = [
  'none',
  'no answer',
  'not found',
  'not present',
  'not mentioned',
  'not available',
  'not given',
  'not stated',
  'not in the text',
  'not in the context',
  'not in the document',
  'no such key',
  'no value',
  'no values',
  'n/a',
  'null',
  'nothing',
];
const NONE_SET = new Set(NONE_PHRASES);

const WHITESPACE = /\s+/g;
const MULTI_SPACE = /\s\s|[^\S ]/;
const WRAPPER_CHARS = new Set(['*', '_', '"', "'", '`', '“', '”', '‘', '’']);
const TRAILING_PERIODS = /[.\s]+$/;
const LEADING_ARTICLE = /^(?:the|a|an) /;
const WRAPPERS = /^(?:\*\*|__|["'`“”‘’])+|(?:\*\*|__|["'`“”‘’])+$/g;

/**
 * Normalises one answer: lowercase, whitespace collapsed to single spaces and trimmed, surrounding
 * quotes / backticks / `**` emphasis removed, trailing periods removed, one leading article
 * (`the`, `a`, `an`) dropped.
 * @example normalizeAnswer('  The  Golden Key. ') // 'golden key'
 */
export function normalizeAnswer(text: string): string {
  let s = text.toLowerCase();
  if (MULTI_SPACE.test(s)) s = s.replace(WHITESPACE, ' ');
  s = s.trim();
  // Wrappers and trailing periods can nest ("**Paris.**"), so peel until stable (at most a few
  // rounds); most answers have neither and skip the loop.
  for (let i = 0; i < 4 && s.length > 0 && (WRAPPER_CHARS.has(s[0] as string) || WRAPPER_CHARS.has(s[s.length - 1] as string) || s.endsWith('.')); i++) {
    const next = s.replace(WRAPPERS, '').replace(TRAILING_PERIODS, '').trim();
    if (next === s) break;
    s = next;
  }
  return s.startsWith('the ') || s.startsWith('a ') || s.startsWith('an ') ? s.replace(LEADING_ARTICLE, '') : s;
}

/**
 * True when a normalised answer is one of {@link NONE_PHRASES}.
 * @example isNoneAnswer(normalizeAnswer('Not found.')) // true
 */
export function isNoneAnswer(normalized: string): boolean {
  return NONE_SET.has(normalized);
}

/**
 * Normalises and maps every "no answer" phrasing to `none`.
 * @example canonicalAnswer('No answer.') // 'none'
 */
export function canonicalAnswer(text: string): string {
  const n = normalizeAnswer(text);
  return NONE_SET.has(n) ? NONE : n;
}
