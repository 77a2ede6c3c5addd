// Lengths on the command line and in recipes: `4k`, `128k`, `1m`, or plain integers. k and m are
// binary (1k = 1024 tokens), as in RULER and the paper's 16K..128K grid (131072 = 128k).

/** The largest length accepted (16M tokens). */
export const MAX_LENGTH = 16 * 1024 * 1024;

/**
 * Parse one length.
 * @throws Error naming the bad value and the accepted forms.
 * @example parseLength('128k') // 131072
 * @example parseLength('1m') // 1048576
 * @example parseLength('5000') // 5000
 */
export function parseLength(value: string | number): number {
  const text = String(value).trim().toLowerCase();
  const match = /^(\d+(?:\.\d+)?)([km]?)$/.exec(text);
  if (!match) {
    throw new Error(`Invalid length "${value}": use a positive integer or a number followed by k or m (4k = 4096, 1m = 1048576).`);
  }
  const scale = match[2] === 'k' ? 1024 : match[2] === 'm' ? 1024 * 1024 : 1;
  const tokens = Number(match[1]) * scale;
  if (!Number.isInteger(tokens) || tokens <= 0) {
    throw new Error(`Invalid length "${value}": it must be a whole, positive number of tokens.`);
  }
  if (tokens > MAX_LENGTH) {
    throw new Error(`Invalid length "${value}": at most ${MAX_LENGTH} tokens (16m) are supported.`);
  }
  return tokens;
}

/** Parse a comma-separated list of lengths, e.g. `4k,32k,128k`. */
export function parseLengths(value: string | readonly (string | number)[]): number[] {
  const items = typeof value === 'string' ? value.split(',') : value;
  const lengths = items.map((item) => parseLength(item));
  if (lengths.length === 0) throw new Error('At least one length is required.');
  return lengths;
}

/** The short form of a length: 131072 -> "128k", 5000 -> "5000". */
export function formatLength(tokens: number): string {
  if (tokens % (1024 * 1024) === 0) return `${tokens / (1024 * 1024)}m`;
  if (tokens % 1024 === 0) return `${tokens / 1024}k`;
  return String(tokens);
}
