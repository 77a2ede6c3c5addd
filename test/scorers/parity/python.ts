// The slice of Python that the reference implementations use, for the parity suite's
// re-implementations of them: `re` (search, match, finditer, findall, sub, split over the pattern
// syntax those files use) and str (strip, split, lower, upper, int) with CPython 3.11's semantics,
// and round() computed exactly. Written independently of scorers/compat/python.ts (tables instead
// of Unicode property escapes, exact integer arithmetic instead of toFixed), so the suite checks
// the package rather than repeating it. The tables were printed by CPython 3.11.7 (Unicode 14).

/** re flag values, as Python numbers them. */
export const IGNORECASE = 2;
export const MULTILINE = 8;
export const DOTALL = 16;

// str.isspace() is true exactly for these code points.
const WHITESPACE = [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000];
// The zero of every run of ten decimal digits (category Nd); re's \d matches exactly these runs.
const DIGIT_ZEROS = [
  0x30, 0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66, 0xde6, 0xe50, 0xed0, 0xf20, 0x1040, 0x1090, 0x17e0, 0x1810,
  0x1946, 0x19d0, 0x1a80, 0x1a90, 0x1b50, 0x1bb0, 0x1c40, 0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0, 0xff10, 0x104a0, 0x10d30,
  0x11066, 0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650, 0x116c0, 0x11730, 0x118e0, 0x11950, 0x11c50, 0x11d50, 0x11da0, 0x16a60,
  0x16ac0, 0x16b50, 0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0,
];
// Under re.IGNORECASE an ASCII letter matches these characters (CPython's fullmatch over all of Unicode).
const CASE_EQUIVALENTS: Record<string, string> = { i: 'iIİı', k: 'kKK', s: 'sSſ' };

const hex = (c: number): string => `\\u{${c.toString(16)}}`;
const SPACE_BODY = WHITESPACE.map(hex).join('');
const DIGIT_BODY = DIGIT_ZEROS.map((z) => `${hex(z)}-${hex(z + 9)}`).join('');
// re's \w: str.isalnum() or '_'; over Unicode 14 that is exactly categories L and N plus '_'.
const WORD_BODY = '\\p{L}\\p{N}_';
const WORD = `[${WORD_BODY}]`;

function equivalents(letter: string): string {
  const lower = letter.toLowerCase();
  return CASE_EQUIVALENTS[lower] ?? `${lower}${lower.toUpperCase()}`;
}

// Translates the Python pattern syntax the references use into a JavaScript `u` pattern that
// matches the same strings. Anything outside that syntax throws, so a new construct is noticed.
function translate(pattern: string, flags: number): string {
  const ignoreCase = (flags & IGNORECASE) !== 0;
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\') {
      const e = pattern[++i] as string;
      if (e === 's') out += `[${SPACE_BODY}]`;
      else if (e === 'd') out += `[${DIGIT_BODY}]`;
      else if (e === 'w') out += WORD;
      else if (e === 'b') out += `(?:(?<=${WORD})(?!${WORD})|(?<!${WORD})(?=${WORD}))`;
      else if ('.()[]{}*+?|^$\\/'.includes(e)) out += `\\${e}`;
      else if (e === '-') out += '-';
      else throw new Error(`python.ts: unsupported escape \\${e} in ${pattern}`);
    } else if (c === '[') {
      let body = '';
      let j = i + 1;
      if (pattern[j] === '^') body += pattern[j++];
      for (; pattern[j] !== ']'; j++) {
        const d = pattern[j] as string;
        if (d === undefined) throw new Error(`python.ts: unterminated class in ${pattern}`);
        if (d === '\\') {
          const e = pattern[++j] as string;
          if (e === 's') body += SPACE_BODY;
          else if (e === 'd') body += DIGIT_BODY;
          else if (e === 'w') body += WORD_BODY;
          else body += `\\${e}`;
        } else if (/[A-Za-z]/.test(d) && ignoreCase) {
          throw new Error(`python.ts: letters in a class under IGNORECASE are not modelled (${pattern})`);
        } else {
          body += d === '[' || d === '/' ? `\\${d}` : d;
        }
      }
      out += `[${body}]`;
      i = j;
    } else if (c === '.') {
      out += flags & DOTALL ? '[\\s\\S]' : '[^\\n]';
    } else if (c === '^') {
      out += flags & MULTILINE ? '(?:(?<![\\s\\S])|(?<=\\n))' : '(?<![\\s\\S])';
    } else if (c === '$') {
      // Python's $ matches before a final newline too; under MULTILINE before every newline.
      out += flags & MULTILINE ? '(?=\\n|(?![\\s\\S]))' : '(?=\\n?(?![\\s\\S]))';
    } else if (/[A-Za-z]/.test(c) && ignoreCase) {
      out += `[${equivalents(c)}]`;
    } else if (/\p{L}/u.test(c) && ignoreCase) {
      throw new Error(`python.ts: non-ASCII letters under IGNORECASE are not modelled (${pattern})`);
    } else {
      out += c;
    }
  }
  return out;
}

const compiled = new Map<string, RegExp>();
function regex(pattern: string, flags: number, mode: '' | 'g' | 'y'): RegExp {
  const key = `${flags}/${mode}/${pattern}`;
  let re = compiled.get(key);
  if (!re) compiled.set(key, (re = new RegExp(translate(pattern, flags), `u${mode}`)));
  re.lastIndex = 0;
  return re;
}

/** A match: group(0) and the numbered groups (undefined when a group did not take part). */
export type Match = RegExpExecArray;

/** re.search: the first match anywhere, or null. */
export function search(pattern: string, text: string, flags = 0): Match | null {
  return regex(pattern, flags, '').exec(text);
}

/** re.match: a match starting at position 0, or null. */
export function match(pattern: string, text: string, flags = 0): Match | null {
  return regex(pattern, flags, 'y').exec(text);
}

/** re.finditer: every non-overlapping match, left to right. */
export function finditer(pattern: string, text: string, flags = 0): Match[] {
  return [...text.matchAll(regex(pattern, flags, 'g'))];
}

/** re.findall for a pattern with one group: that group of every match. */
export function findall(pattern: string, text: string, flags = 0): string[] {
  return finditer(pattern, text, flags).map((m) => (m[1] ?? '') as string);
}

/** re.sub with a literal replacement. */
export function sub(pattern: string, replacement: string, text: string, flags = 0): string {
  return text.replace(regex(pattern, flags, 'g'), () => replacement);
}

/** re.split for a pattern without groups. */
export function split(pattern: string, text: string, flags = 0): string[] {
  return text.split(regex(pattern, flags, 'g'));
}

const SPACE_SET = new Set(WHITESPACE);

/** str.strip() */
export function strip(text: string): string {
  const chars = [...text];
  let a = 0;
  let b = chars.length;
  while (a < b && SPACE_SET.has((chars[a] as string).codePointAt(0) as number)) a++;
  while (b > a && SPACE_SET.has((chars[b - 1] as string).codePointAt(0) as number)) b--;
  return chars.slice(a, b).join('');
}

/** str.split() with no separator. */
export function splitWhitespace(text: string): string[] {
  const out: string[] = [];
  let word = '';
  for (const ch of text) {
    if (SPACE_SET.has(ch.codePointAt(0) as number)) {
      if (word) out.push(word);
      word = '';
    } else {
      word += ch;
    }
  }
  if (word) out.push(word);
  return out;
}

/** str.lower() (JavaScript's full case mapping equals CPython's for every character of Unicode 14). */
export const lower = (text: string): string => text.toLowerCase();
/** str.upper() */
export const upper = (text: string): string => text.toUpperCase();

/**
 * int() of a string of decimal digits of any script, exactly (as a bigint).
 * @throws Error (Python's ValueError) for anything else.
 */
export function int(text: string): bigint {
  let value = 0n;
  let digits = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    const zero = DIGIT_ZEROS.find((z) => cp >= z && cp <= z + 9);
    if (zero === undefined) throw new Error(`ValueError: invalid literal for int(): ${JSON.stringify(text)}`);
    value = value * 10n + BigInt(cp - zero);
    digits++;
  }
  if (digits === 0) throw new Error('ValueError: invalid literal for int(): empty');
  return value;
}

/** round(x, ndigits) for a float: exact decimal value of x, ties to even. */
export function round(x: number, ndigits: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const exponentBits = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = exponentBits === 0 ? fraction : fraction | (1n << 52n);
  const exponent = exponentBits === 0 ? -1074 : exponentBits - 1075;
  // |x| * 10^n = mantissa * 10^n * 2^exponent, as the fraction num / den.
  let num = mantissa * 10n ** BigInt(ndigits);
  let den = 1n;
  if (exponent >= 0) num <<= BigInt(exponent);
  else den <<= BigInt(-exponent);
  let q = num / den;
  const twice = 2n * (num % den);
  if (twice > den || (twice === den && q % 2n === 1n)) q += 1n;
  const digits = q.toString().padStart(ndigits + 1, '0');
  const text = ndigits > 0 ? `${digits.slice(0, -ndigits)}.${digits.slice(-ndigits)}` : digits;
  return (x < 0 ? -1 : 1) * Number(text);
}
