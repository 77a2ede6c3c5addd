// OpenAI's encodings (o200k_base for GPT-4o and later, cl100k_base for GPT-4 / 3.5), from the
// ranks shipped inside js-tiktoken, with the same fast exact counter as the BPE tokenizers.
import { createHash } from 'node:crypto';
import { Tiktoken } from 'js-tiktoken/lite';
import o200k from 'js-tiktoken/ranks/o200k_base';
import cl100k from 'js-tiktoken/ranks/cl100k_base';
import { SplitCounter } from './fast-counter.js';
import type { Tokenizer } from './types.js';

export const TIKTOKEN_ENCODINGS = { o200k: o200k, cl100k: cl100k } as const;
export type TiktokenEncodingName = keyof typeof TIKTOKEN_ENCODINGS;

/**
 * An OpenAI encoding by short name.
 * @example loadTiktoken('o200k').count('Hello world') // 2
 */
export function loadTiktoken(name: TiktokenEncodingName): Tokenizer {
  const ranks = TIKTOKEN_ENCODINGS[name];
  const tiktoken = new Tiktoken(ranks);
  const encode = (text: string): number[] => tiktoken.encode(text, 'all');
  const counter = new SplitCounter({
    specialTokens: Object.keys(ranks.special_tokens),
    pieceRegex: new RegExp(ranks.pat_str, 'gu'),
    countPiece: (piece) => tiktoken.encode(piece, [], []).length,
  });
  // The ranks are a module, not a file: hash their content (pattern, special tokens, ranks).
  const sha256 = createHash('sha256').update(JSON.stringify([ranks.pat_str, ranks.special_tokens, ranks.bpe_ranks])).digest('hex');
  return {
    id: name,
    sha256,
    count: (text) => counter.count(text),
    countWithOffsets: (text, positions) => counter.countWithOffsets(text, positions),
    encode,
    decode: (ids) => tiktoken.decode([...ids]),
    addedSpecialTokens: 0,
    fastCount: true,
  };
}
