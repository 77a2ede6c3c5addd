// What a backend registers: how to check its options before a run starts (no request is sent
// for a recipe with a bad URL or a missing key) and how to create it.
import type { ValidationIssue } from '../../schemas/index.js';
import type { ModelSpec } from '../recipe/types.js';
import type { Backend } from '../types.js';

/** What backends may read while being checked or created. */
export interface BackendContext {
  /** Directory relative paths in options are resolved against. */
  baseDir: string;
  /** Environment (API keys). */
  env: Record<string, string | undefined>;
}

/** One registry entry. */
export interface BackendEntry {
  description: string;
  /** Whether the backend can run sparse attention settings (HTTP servers run what they run). */
  supportsAttention: boolean;
  /** Checks beyond the schema; issue paths are relative to the model's `options`. */
  check(options: Record<string, unknown>, context: BackendContext): Promise<ValidationIssue[]> | ValidationIssue[];
  create(model: ModelSpec, context: BackendContext): Promise<Backend>;
}

/** A request that failed for good: after the retry budget, or for a reason retrying can't fix. */
export class BackendFailure extends Error {
  constructor(
    message: string,
    /** Requests sent, retries included. */
    readonly attempts: number,
  ) {
    super(message);
    this.name = 'BackendFailure';
  }
}
