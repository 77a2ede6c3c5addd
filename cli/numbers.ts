// Numeric flags read from their text, so a bad value is reported as given (`--samples abc`, not
// "got NaN") with the rule it breaks. Used as yargs `coerce` functions on string options.
import { CliError } from './errors.js';

/** What a numeric flag accepts. */
export interface NumberRule {
  integer?: boolean;
  /** Smallest allowed value (inclusive). */
  min?: number;
  /** Values must be greater than this. */
  above?: number;
  /** Values must be less than this. */
  below?: number;
  /** Largest allowed value (inclusive). */
  max?: number;
}

function describe(rule: NumberRule): string {
  const kind = rule.integer ? 'an integer' : 'a number';
  if (rule.integer && rule.min === 1 && rule.max === undefined) return 'a positive integer';
  if (rule.integer && rule.min === 0 && rule.max === undefined) return 'a non-negative integer';
  const bounds = [
    rule.min !== undefined ? `>= ${rule.min}` : rule.above !== undefined ? `> ${rule.above}` : '',
    rule.max !== undefined ? `<= ${rule.max}` : rule.below !== undefined ? `< ${rule.below}` : '',
  ].filter(Boolean);
  return bounds.length > 0 ? `${kind} ${bounds.join(' and ')}` : kind;
}

/**
 * Parses a numeric flag's text.
 * @throws CliError naming the flag, the rule and the value given.
 * @example parseNumberFlag('samples', '20', { integer: true, min: 1 }) // 20
 * @example parseNumberFlag('samples', 'abc', { integer: true, min: 1 }) // throws: --samples must be a positive integer, got "abc".
 */
export function parseNumberFlag(flag: string, text: unknown, rule: NumberRule): number {
  const raw = Array.isArray(text) ? text[text.length - 1] : text;
  const trimmed = String(raw).trim();
  const value = trimmed === '' ? Number.NaN : Number(trimmed);
  const ok =
    Number.isFinite(value) &&
    (!rule.integer || Number.isInteger(value)) &&
    (rule.min === undefined || value >= rule.min) &&
    (rule.above === undefined || value > rule.above) &&
    (rule.below === undefined || value < rule.below) &&
    (rule.max === undefined || value <= rule.max);
  if (!ok) throw new CliError(`--${flag} must be ${describe(rule)}, got ${JSON.stringify(String(raw))}.`);
  return value;
}

/**
 * A yargs `coerce` function for a numeric flag declared as a string option.
 * @example .option('samples', { type: 'string', coerce: numberFlag('samples', { integer: true, min: 1 }) })
 */
export function numberFlag(flag: string, rule: NumberRule): (text: unknown) => number {
  return (text) => parseNumberFlag(flag, text, rule);
}
