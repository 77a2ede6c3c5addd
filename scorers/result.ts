// Small constructors for ScoreResult so every scorer reports the same shape.
import type { ScoreResult } from './types.js';
import type { AnswerSource } from './text/extract.js';

/** A result with no extractable answer: score 0, flagged `noAnswer`. */
export function noAnswerResult(name: string, metrics?: Record<string, number>): ScoreResult {
  return { name, score: 0, pass: false, reason: 'no answer found in the output', noAnswer: true, ...(metrics ? { metrics } : {}) };
}

/** Quotes a value for a reason string, shortened to 60 characters. */
export function quote(value: string): string {
  const s = value.length > 60 ? `${value.slice(0, 57)}...` : value;
  return JSON.stringify(s);
}

/** Ratio with 0/0 = `whenEmpty`. */
export function ratio(numerator: number, denominator: number, whenEmpty = 1): number {
  return denominator === 0 ? whenEmpty : numerator / denominator;
}

/** Harmonic mean of precision and recall (0 when both are 0). */
export function f1(precision: number, recall: number): number {
  return precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
}

/**
 * `{ noAnswer: true }` when the answer was read from the whole output because it has no `<answer>`
 * block: the output still scores, but holds no answer in the form the prompt asks for.
 */
export function untaggedFlag(source: AnswerSource): { noAnswer?: true } {
  return source === 'whole-output' ? { noAnswer: true } : {};
}

/** The reason's note for an answer read from a whole output with no `<answer>` block. */
export function untaggedNote(source: AnswerSource): string {
  return source === 'whole-output' ? ' (no <answer> block: the whole output was read)' : '';
}
