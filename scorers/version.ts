// The scorers' version, recorded in every result and summary. Bumped whenever any scorer (default
// or compatibility) can give another score, pass, no-answer or exclusion for some input, so
// results scored by different versions are never compared silently: `longweave report` refuses to
// merge them and `longweave run --resume` re-scores older results from their stored predictions.
// test/scorers/version.test.ts pins a fingerprint of every scorer's output on a fixed corpus to
// this number.

/**
 * The scorers' version (1: results written before versions were recorded).
 * @example SCORER_VERSION // 2
 */
export const SCORER_VERSION = 2;
