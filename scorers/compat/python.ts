// Python's string semantics, for the compatibility scorers that must agree with Python reference
// code on every input, not only on the text models usually produce. Python and JavaScript differ
// in what a regular expression's \s, \d, \w, \b and `.` match, in what str.strip() removes, in
// which characters re.IGNORECASE folds together, and in how round() breaks ties. Each helper here
// does what CPython 3.11 does (checked code point by code point against it: Unicode 14 there;
// characters assigned since follow Node's Unicode tables).

// Python's whitespace (str.isspace, str.strip(), str.split(), re's \s in str patterns): JavaScript's
// \s plus U+001C-U+001F and U+0085, without U+FEFF.
const SPACE_CLASS_BODY = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

/** Regex source (for `u`-flag patterns) of one character Python's `\s` matches. */
export const PY_SPACE = `[${SPACE_CLASS_BODY}]`;
/** The body of {@link PY_SPACE}, to combine with other characters in one class. */
export const PY_SPACE_CHARS = SPACE_CLASS_BODY;
/** Regex source of Python's `\d` in str patterns: any Unicode decimal digit (category Nd). */
export const PY_DIGIT = '\\p{Nd}';
/** The body of {@link PY_WORD}, to combine with other characters in one class. */
export const PY_WORD_CHARS = '\\p{L}\\p{N}_';
/** Regex source of Python's `\w` in str patterns: letters, numbers (categories L and N) and `_`. */
export const PY_WORD = `[${PY_WORD_CHARS}]`;
/** Regex source of Python's `.` without DOTALL: anything but `\n` (JavaScript's also stops at `\r`, U+2028, U+2029). */
export const PY_DOT = '[^\\n]';
/** Regex source of Python's `\b`: a boundary between a {@link PY_WORD} character and anything else. */
export const PY_BOUNDARY = `(?:(?<=${PY_WORD})(?!${PY_WORD})|(?<!${PY_WORD})(?=${PY_WORD}))`;
/** Regex source of Python's `$` under re.MULTILINE: before a `\n` or at the very end (never before `\r`). */
export const PY_LINE_END = '(?:(?=\\n)|(?![\\s\\S]))';

const SPACE_CODES = new Set<number>([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007,
  0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

/**
 * True when Python's `str.isspace()` holds for the character with this UTF-16 code unit (every
 * Python whitespace character is a single code unit).
 * @example isPySpace(0x85) // true (JavaScript's \s says false)
 */
export function isPySpace(code: number): boolean {
  return SPACE_CODES.has(code);
}

/**
 * Python's `str.strip()` with no argument.
 * @example pyStrip('\x1c a \ufeff') // 'a \ufeff'
 */
export function pyStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && SPACE_CODES.has(text.charCodeAt(start))) start++;
  while (end > start && SPACE_CODES.has(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

const SPACE_RUN = new RegExp(`${PY_SPACE}+`, 'gu');

/**
 * Python's `str.split()` with no argument: runs of whitespace separate, empty strings dropped.
 * @example pySplit(' a\x85b  c ') // ['a', 'b', 'c']
 */
export function pySplit(text: string): string[] {
  return text.split(SPACE_RUN).filter((part) => part !== '');
}

/**
 * Python's `re.sub(r'\s+', ' ', text)`.
 * @example pyCollapseSpace('a \u2028 b') // 'a b'
 */
export function pyCollapseSpace(text: string): string {
  return text.replace(SPACE_RUN, ' ');
}

// re.IGNORECASE (str patterns, no LOCALE): a character matches the literal c when its simple
// lowercase mapping is c's lowercase or one of the few characters sre declares equivalent to it.
// For ASCII letters that adds U+0130 and U+0131 to i, U+212A (Kelvin) to k and U+017F (long s) to s.
const IGNORECASE_EXTRA: Record<string, string> = { i: '\u0130\u0131', k: '\u212a', s: '\u017f' };
const REGEX_SPECIAL = /[.*+?^${}()|[\]\\/]/g;

/**
 * Regex source that matches an ASCII literal as Python's `re.IGNORECASE` does (use with the `u` flag).
 * @throws Error for a non-ASCII letter, whose Python case folding this helper does not model.
 * @example new RegExp(pyIgnoreCase('answer'), 'u').test('ANſWER') // true
 */
export function pyIgnoreCase(literal: string): string {
  let source = '';
  for (const ch of literal) {
    const lower = ch.toLowerCase();
    if (lower >= 'a' && lower <= 'z' && lower.length === 1) source += `[${lower}${lower.toUpperCase()}${IGNORECASE_EXTRA[lower] ?? ''}]`;
    else if (/[\p{L}]/u.test(ch)) throw new Error(`pyIgnoreCase models ASCII letters only, got ${JSON.stringify(ch)}.`);
    else source += ch.replace(REGEX_SPECIAL, '\\$&');
  }
  return source;
}

const DIGIT = /\p{Nd}/u;

// Unicode encodes decimal digits in runs of ten, 0 to 9, some runs adjacent (the mathematical
// digits U+1D7CE-U+1D7FF are five): a digit's value is its distance from the run's start, mod 10.
function digitValue(codePoint: number): number {
  if (codePoint >= 0x30 && codePoint <= 0x39) return codePoint - 0x30;
  let start = codePoint;
  while (DIGIT.test(String.fromCodePoint(start - 1))) start--;
  return (codePoint - start) % 10;
}

/**
 * Python's `int()` of a string of decimal digits (any script: `int('١٢')` is 12), as a canonical
 * decimal string so that numbers of any size compare exactly.
 * @throws Error when the text is not one or more Unicode decimal digits.
 * @example pyIntString('００７') // '7'
 */
export function pyIntString(digits: string): string {
  let out = '';
  for (const ch of digits) {
    const code = ch.codePointAt(0) as number;
    if (!DIGIT.test(ch)) throw new Error(`pyIntString expects decimal digits, got ${JSON.stringify(digits)}.`);
    out += String(digitValue(code));
  }
  if (out === '') throw new Error('pyIntString expects decimal digits, got an empty string.');
  return out.replace(/^0+(?=\d)/, '');
}

/**
 * Python's `round(x, ndigits)` for a float: the decimal nearest to x's exact binary value, ties to
 * even (`round(0.125, 2)` is 0.12, where `toFixed` gives 0.13).
 * @example pyRound(0.125, 2) // 0.12
 * @example pyRound(2.675, 2) // 2.67 (2.675 is stored as 2.67499999...)
 */
export function pyRound(x: number, ndigits: number): number {
  if (!Number.isFinite(x) || Math.abs(x) >= 1e21) return x;
  // x * 10^n ends in exactly .5 only when x * 2^(n+1) is an odd integer (x is then q / 2^(n+1)).
  const scaled = x * 2 ** (ndigits + 1);
  if (Number.isInteger(scaled) && Math.abs(scaled % 2) === 1) {
    const down = Number((x - 0.5 * 10 ** -ndigits).toFixed(ndigits));
    const up = Number((x + 0.5 * 10 ** -ndigits).toFixed(ndigits));
    const lastDigit = (v: number): number => Number(Math.abs(v).toFixed(ndigits).slice(-1));
    return lastDigit(down) % 2 === 0 ? down : up;
  }
  return Number(x.toFixed(ndigits));
}
