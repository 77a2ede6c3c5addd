// Exact-length document prompts for the QA tasks: "Document i:" blocks, one of them the gold
// document, the others distractors, and the question naming the gold document's number. Whole
// distractors fill the budget; the last block is a distractor cut after a word so that the whole
// prompt is exactly the target length (the reference implementation also ends its packing with a
// truncated document). Word-level cuts keep counts additive, and every step is confirmed by an
// exact count of the whole prompt.
import type { Tokenizer } from '../tokenizers/types.js';
import type { NeedlePlacement } from '../core/sample.js';
import { promptFrame, type ExactPrompt } from '../core/assemble.js';
import { LengthError } from '../core/task.js';
import { atLeastOneToken } from '../tokenizers/validate.js';

/** The text around the context once the gold document's number is known. */
export type DocumentFrame = (goldNumber: number) => { before: string; after: string };

export interface DocumentsSpec {
  taskId: string;
  tokenizer: Tokenizer;
  chatTemplate: boolean;
  target: number;
  gold: string;
  /** Distractor documents, endless (sources cycle); never the gold document. */
  nextDistractor: () => string;
  /** Relative position of the gold document among the whole documents, 0..1. */
  depth: number;
  frame: DocumentFrame;
}

export interface DocumentsPrompt extends ExactPrompt {
  /** 1-based number of the gold document. */
  goldNumber: number;
  /** Documents in the prompt, the truncated one included. */
  documents: number;
  /** Words kept of the last, truncated document (0 when none). */
  truncatedWords: number;
}

const SEPARATOR = '\n\n';
const RESERVE = 32;
const MAX_STEPS = 80;
/** Smallest gap left for a new truncated document: its header, separator and a few words. */
const MIN_CUT = 16;

const header = (n: number): string => `Document ${n}:\n`;

/**
 * Builds a document prompt of exactly `spec.target` tokens.
 * @throws LengthError when the frame and the gold document alone do not fit.
 * @example
 * const p = assembleDocuments({ taskId: 'qa/synthetic', tokenizer, chatTemplate: true, target: 8192, gold,
 *   nextDistractor, depth: 0.5, frame: (k) => paperPrompt({ intro, question: `Question about document ${k}: ...`, answerFormat }) });
 */
export function assembleDocuments(spec: DocumentsSpec): DocumentsPrompt {
  const { tokenizer, target } = spec;
  const sizing = promptFrame(tokenizer, spec.chatTemplate, undefined, spec.frame(99999).before, spec.frame(99999).after);
  const goldCost = tokenizer.count(header(999) + spec.gold + SEPARATOR);
  const budget = target - sizing.overhead - RESERVE;
  if (goldCost > budget) throw new LengthError(spec.taskId, target, sizing.overhead + RESERVE + goldCost);

  // Whole distractors while they fit; the next one becomes the truncated candidate.
  const docs: string[] = [];
  let used = goldCost;
  let candidate = spec.nextDistractor();
  for (;;) {
    const cost = atLeastOneToken(tokenizer.count(header(999) + candidate + SEPARATOR), candidate, spec.taskId);
    if (used + cost > budget) break;
    docs.push(candidate);
    used += cost;
    candidate = spec.nextDistractor();
  }
  let goldIndex = Math.round(Math.min(1, Math.max(0, spec.depth)) * docs.length);
  docs.splice(goldIndex, 0, spec.gold);

  const frames = new Map<number, ReturnType<typeof promptFrame> & { before: string; after: string }>();
  const frameOf = (goldNumber: number): ReturnType<typeof promptFrame> & { before: string; after: string } => {
    let f = frames.get(goldNumber);
    if (!f) {
      const text = spec.frame(goldNumber);
      f = { ...promptFrame(tokenizer, spec.chatTemplate, undefined, text.before, text.after), ...text };
      frames.set(goldNumber, f);
    }
    return f;
  };
  // The prompt with the candidate cut after `keep` words (0: no truncated document).
  const render = (words: readonly string[], keep: number, partial = '') => {
    const frame = frameOf(goldIndex + 1);
    let context = '';
    let goldStart = 0;
    for (let i = 0; i < docs.length; i++) {
      if (i > 0) context += SEPARATOR;
      if (i === goldIndex) goldStart = context.length;
      context += header(i + 1) + (docs[i] as string);
    }
    if (keep > 0 || partial) context += SEPARATOR + header(docs.length + 1) + words.slice(0, keep).join(' ') + (partial && keep > 0 ? ' ' : '') + partial;
    return { frame, context, goldStart, rendered: frame.head + context + frame.tail };
  };
  const countOf = (words: readonly string[], keep: number, partial = ''): number => {
    const { rendered, frame } = render(words, keep, partial);
    return tokenizer.count(rendered) + frame.special;
  };
  const wordsOf = (text: string): string[] => text.split(/\s+/).filter(Boolean);

  let words = wordsOf(candidate);
  let misses = 0;
  for (let step = 0; ; step++) {
    if (step >= MAX_STEPS) throw new Error(`${spec.taskId}: could not reach exactly ${target} tokens with whole words.`);
    const without = countOf(words, 0);
    const pullBack = (): boolean => {
      let last = docs.length - 1;
      if (last === goldIndex) last--;
      if (last < 0) return false;
      words = wordsOf(docs[last] as string);
      docs.splice(last, 1);
      if (last < goldIndex) goldIndex--;
      return true;
    };
    if (without > target) {
      // Even without a truncated document the prompt is too long: cut the last whole distractor instead.
      if (!pullBack()) throw new LengthError(spec.taskId, target, without + RESERVE);
      continue;
    }
    let keep = 0;
    if (without < target) {
      const whole = countOf(words, words.length);
      if (whole < target) {
        // The candidate is too short for the gap: keep it whole and cut the next one, or, when what
        // would be left is too small for another document, cut a different (longer) distractor.
        if (target - whole >= MIN_CUT) docs.push(words.join(' '));
        words = wordsOf(spec.nextDistractor());
        continue;
      }
      // Counts grow with the words kept: bisect for an exact cut.
      let lo = 1;
      let hi = words.length;
      keep = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const c = countOf(words, mid);
        if (c === target) {
          keep = mid;
          break;
        }
        if (c < target) lo = mid + 1;
        else hi = mid - 1;
      }
      // Counts near a cut can wobble by a token (a final period merges with the next newline):
      // look around where the bisection stopped.
      for (let m = Math.max(1, hi - 3); keep < 0 && m <= Math.min(words.length, lo + 3); m++) if (countOf(words, m) === target) keep = m;
      // The target falls inside a multi-token word: cut that word itself after some characters.
      let partial = '';
      for (let k = 1; keep < 0 && hi >= 0 && hi < words.length && k < (words[hi] as string).length; k++) {
        const piece = (words[hi] as string).slice(0, k);
        if (countOf(words, hi, piece) === target) {
          keep = hi;
          partial = piece;
        }
      }
      if (keep >= 0 && partial) words = [...words.slice(0, keep), partial];
      if (keep >= 0 && partial) keep += 1;
      if (keep < 0) {
        // The target falls inside a multi-token word: cut a different distractor, or swap the last
        // whole distractor for another one, which shifts the gap.
        misses++;
        if (misses > 40) throw new Error(`${spec.taskId}: could not reach exactly ${target} tokens with whole words.`);
        let last = docs.length - 1;
        if (last === goldIndex) last--;
        if (misses % 2 === 0 && last >= 0) docs[last] = spec.nextDistractor();
        else words = wordsOf(spec.nextDistractor());
        continue;
      }
    }
    const { frame, context, goldStart, rendered } = render(words, keep);
    const goldNumber = goldIndex + 1;
    const goldEnd = goldStart + header(goldNumber).length + spec.gold.length;
    const marks = [frame.head.length + goldStart, frame.head.length + goldEnd, frame.head.length, frame.head.length + context.length];
    const { count, offsets } = tokenizer.countWithOffsets(rendered, marks);
    const tokens = count + frame.special;
    if (tokens !== target) throw new Error(`${spec.taskId}: internal count mismatch (${tokens} != ${target}).`);
    const [gStart, gEnd, cStart, cEnd] = offsets as [number, number, number, number];
    const needle: NeedlePlacement = {
      text: header(goldNumber) + spec.gold,
      tokenOffset: gStart + frame.special,
      tokenCount: Math.max(1, gEnd - gStart),
      depth: Math.round(((gStart - cStart) / Math.max(1, cEnd - cStart)) * 1e4) / 1e4,
      charOffset: frame.before.length + goldStart,
    };
    return {
      input: frame.before + context + frame.after,
      rendered,
      tokens,
      needles: [needle],
      fillerUnits: docs.length - 1 + (keep > 0 ? 1 : 0),
      contextStart: frame.before.length,
      contextEnd: frame.before.length + context.length,
      goldNumber,
      documents: docs.length + (keep > 0 ? 1 : 0),
      truncatedWords: keep,
    };
  }
}
