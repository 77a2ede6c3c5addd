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
/** Token ids must stay below this for the numeric pair keys (2^18 = 262,144). */
const ID_SPACE = 262_144;

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
  const vocab = new Map<string, number>(Object.entries(model.vocab));
  if (vocab.size >= ID_SPACE) return null;
  // Pair (left id, right id) -> rank * ID_SPACE + merged id: numeric keys, no string building
  // in the merge loop.
  const pairs = new Map<number, number>();
  model.merges.forEach((merge, rank) => {
    const [a, b] = Array.isArray(merge) ? merge : (merge.split(' ', 2) as [string, string]);
    const left = vocab.get(a);
    const right = vocab.get(b);
    const merged = vocab.get(a + b);
    if (left === undefined || right === undefined || merged === undefined) return;
    const key = left * ID_SPACE + right;
    if (!pairs.has(key)) pairs.set(key, rank * ID_SPACE + merged);
  });
  const byteIds = BYTE_CHARS.map((c) => vocab.get(c));
  if (byteIds.some((id) => id === undefined)) return null;
  const ignoreMerges = model.ignore_merges === true;
  return (piece: string): number => {
    const bytes = encoder.encode(piece);
    if (ignoreMerges) {
      let mapped = '';
      for (const byte of bytes) mapped += BYTE_CHARS[byte];
      if (vocab.has(mapped)) return 1;
    }
    const ids: number[] = [];
    for (const byte of bytes) ids.push(byteIds[byte] as number);
    while (ids.length > 1) {
      let best = Infinity;
      let at = -1;
      for (let i = 0; i < ids.length - 1; i++) {
        const entry = pairs.get((ids[i] as number) * ID_SPACE + (ids[i + 1] as number));
        if (entry !== undefined && entry < best) {
          best = entry;
          at = i;
        }
      }
      if (at < 0) break;
      ids.splice(at, 2, best % ID_SPACE);
    }
    return ids.length;
  };
}
