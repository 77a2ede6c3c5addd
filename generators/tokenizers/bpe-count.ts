// Token counts of single pre-tokenized pieces under a byte-level BPE model, without building ids.
// @huggingface/tokenizers' BPE keys every candidate pair with JSON.stringify and allocates queue
// nodes; pieces are short (a word with its leading space), so a plain lowest-rank-first merge loop
// over an array is several times faster. Merge order (lowest rank, leftmost on ties) follows the
// reference implementation; tests compare counts with the full encode.

/** GPT-2's reversible byte -> printable character table used by byte-level BPE. */
function byteToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const table = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    if (printable.includes(b)) table[b] = String.fromCharCode(b);
    else table[b] = String.fromCharCode(256 + extra++);
  }
  return table;
}

const BYTE_CHARS = byteToUnicode();
const encoder = new TextEncoder();

export interface BpeModelJson {
  type?: string;
  vocab?: Record<string, number>;
  merges?: (string | [string, string])[];
  ignore_merges?: boolean;
  byte_fallback?: boolean;
  end_of_word_suffix?: string | null;
  continuing_subword_suffix?: string | null;
  dropout?: number | null;
}

/**
 * A piece counter for a byte-level BPE model, or null when the model has features this counter
 * does not reproduce (byte fallback, word suffixes, dropout).
 */
export function byteLevelBpeCounter(model: BpeModelJson): ((piece: string) => number) | null {
  if (model.type !== 'BPE' || !model.vocab || !model.merges) return null;
  if (model.byte_fallback || model.end_of_word_suffix || model.continuing_subword_suffix || model.dropout) return null;
  const ranks = new Map<string, number>();
  model.merges.forEach((merge, rank) => {
    const [a, b] = Array.isArray(merge) ? merge : (merge.split(' ', 2) as [string, string]);
    const key = `${a}\u0000${b}`;
    if (!ranks.has(key)) ranks.set(key, rank);
  });
  const vocab = model.vocab;
  const ignoreMerges = model.ignore_merges === true;
  return (piece: string): number => {
    let mapped = '';
    for (const byte of encoder.encode(piece)) mapped += BYTE_CHARS[byte];
    if (ignoreMerges && Object.hasOwn(vocab, mapped)) return 1;
    const symbols = Array.from(mapped);
    while (symbols.length > 1) {
      let best = Infinity;
      let at = -1;
      for (let i = 0; i < symbols.length - 1; i++) {
        const rank = ranks.get(`${symbols[i]}\u0000${symbols[i + 1]}`);
        if (rank !== undefined && rank < best) {
          best = rank;
          at = i;
        }
      }
      if (at < 0) break;
      symbols.splice(at, 2, (symbols[at] as string) + (symbols[at + 1] as string));
    }
    return symbols.length;
  };
}
