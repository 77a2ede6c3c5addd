// Answer normalisation shared by the default scorers, stated once so that docs, tests and scorers
// agree: Unicode compatibility forms folded (NFKC) and invisible format characters removed,
// lowercase, whitespace collapsed, surrounding quotes and markdown emphasis removed, trailing
// periods removed, one leading article dropped. "No answer" phrasings in a prediction count as
// the canonical `none` when the gold answer is `none`.

/** The canonical answer of answer-absent questions (target `['none']`). */
export const NONE = 'none';

/**
 * Phrasings a prediction may use for the answer `none` (compared after {@link normalizeAnswer}).
 * Answer-absent questions have target `['none']`; any of these in the answer counts as that
 * answer. Gold answers are never mapped: a gold answer "nothing" is only matched by "nothing".
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

// Whitespace: JavaScript's \s plus U+0085 (next line) and U+001C-U+001F (the separators Python also
// counts as whitespace).
/* eslint-disable no-control-regex */
const WHITESPACE = /[\s\x85\x1c-\x1f]+/g;
const NEEDS_COLLAPSE = /[\s\x85\x1c-\x1f]{2}|[^\S ]|[\x85\x1c-\x1f]/;
/* eslint-enable no-control-regex */
const FORMAT_CHARS = /\p{Cf}/gu;
const NEEDS_FOLD = /[^\x20-\x7e\n\t]/;
const WRAPPER_CHARS = new Set(['*', '_', '"', "'", '`', '“', '”', '‘', '’']);
const TRAILING_PERIODS = /[.\s]+$/;
const LEADING_ARTICLE = /^(?:the|a|an) /;
const WRAPPERS = /^(?:\*\*|__|["'`“”‘’])+|(?:\*\*|__|["'`“”‘’])+$/g;

/**
 * Folds Unicode look-alike forms as a reader would: NFKC (fullwidth `ＡＢ１` is `AB1`, the long s
 * is `s`, the ligature `ﬁ` is `fi`) and removes invisible format characters (category Cf: zero-width
 * spaces and joiners, U+FEFF, soft hyphens, direction marks). Letters of other scripts that merely
 * look alike (Cyrillic `А` for Latin `A`) stay different, as they are different text.
 * @example foldUnicode('１２\u200b3') // '123'
 */
export function foldUnicode(text: string): string {
  if (!NEEDS_FOLD.test(text)) return text;
  return text.normalize('NFKC').replace(FORMAT_CHARS, '');
}

/**
 * Normalises one answer: {@link foldUnicode}, lowercase, whitespace (Unicode's, U+0085 and
 * U+001C-U+001F included) collapsed to single spaces and trimmed, surrounding quotes / backticks /
 * `**` and `__` emphasis removed, trailing periods removed, one leading article (`the`, `a`, `an`)
 * dropped.
 * @example normalizeAnswer('  The  Golden Key. ') // 'golden key'
 */
export function normalizeAnswer(text: string): string {
  let s = foldUnicode(text).toLowerCase();
  if (NEEDS_COLLAPSE.test(s)) s = s.replace(WHITESPACE, ' ');
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
 * Normalises a predicted answer and maps every "no answer" phrasing to `none`. Use on predictions
 * only, and only where the gold answer is `none` ({@link answersMatch} does both).
 * @example canonicalAnswer('No answer.') // 'none'
 */
export function canonicalAnswer(text: string): string {
  const n = normalizeAnswer(text);
  return NONE_SET.has(n) ? NONE : n;
}

/**
 * True when a prediction matches a gold answer after {@link normalizeAnswer}; when the gold answer
 * is `none`, any of {@link NONE_PHRASES} matches it.
 * @example answersMatch('Nothing.', 'none') // true
 * @example answersMatch('none', 'nothing') // false: a gold "nothing" is an answer, not an absence
 */
export function answersMatch(prediction: string, gold: string): boolean {
  const p = normalizeAnswer(prediction);
  const g = normalizeAnswer(gold);
  return p === g || (g === NONE && NONE_SET.has(p));
}
