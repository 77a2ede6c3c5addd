// The scorer registry: one literal map that is the lookup table, the type of valid names and the
// list the docs describe. Samples name their scorer in `metadata.scorer`.
import type { Scorer } from './types.js';
import { numbered } from './numbered.js';
import { setIou } from './set-iou.js';
import { exact } from './exact.js';
import { tokenF1 } from './token-f1.js';
import { choiceSet } from './choice-set.js';
import { containsAllF1, containsAllFraction, containsAny, containsAnyPrecise } from './contains.js';

/**
 * Every scorer by name.
 * @example scorers['set-iou']({ output: '<answer>a, b</answer>', expected: ['a', 'b'] }).score // 1
 */
export const scorers = {
  /** Numbered list, item i against target[i]; fraction right. NIAH, story retrieval. */
  numbered,
  /** Intersection over union of answer and target sets. VT, CWE, story filtering. */
  'set-iou': setIou,
  /** One answer, exact after normalisation. Story multi-hop. */
  exact,
  /** SQuAD token-set F1, maximum over gold answers. */
  'token-f1': tokenF1,
  /** Multiple-choice letter set equality. */
  'choice-set': choiceSet,
  /** RULER string_match_all: fraction of references found (substring, case-insensitive). */
  'contains-all': containsAllFraction,
  /** RULER string_match_part: 1 if any reference is found. */
  'contains-any': containsAny,
  /** Precision-aware contains-all: F1 of references found and candidates that are references. */
  'contains-all-f1': containsAllF1,
  /** Precision-aware contains-any: precision of the candidates when a reference is found. */
  'contains-any-precise': containsAnyPrecise,
} satisfies Record<string, Scorer>;

export type ScorerName = keyof typeof scorers;

/** All scorer names. */
export const SCORER_NAMES = Object.keys(scorers) as ScorerName[];

/** True when `name` is a registered scorer. */
export function isScorerName(name: string): name is ScorerName {
  return Object.hasOwn(scorers, name);
}

/**
 * Looks a scorer up by name.
 * @throws Error naming the known scorers.
 */
export function getScorer(name: string): Scorer {
  if (!isScorerName(name)) throw new Error(`Unknown scorer "${name}": known scorers are ${SCORER_NAMES.join(', ')}.`);
  return scorers[name];
}
