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

/** A model's context window, when its backend can tell it before any request. */
export interface ModelContext {
  /** Prompt plus output tokens the model serves. */
  tokens: number;
  /** Tokenizer id of the model, as samples record theirs (`metadata.tokenizer`). */
  tokenizer?: string;
  /** Where the number comes from, for messages (e.g. `max_position_embeddings of config.json`). */
  source: string;
}

/** One registry entry. */
export interface BackendEntry {
  description: string;
  /** Whether the backend can run sparse attention settings (HTTP servers run what they run). */
  supportsAttention: boolean;
  /** Checks beyond the schema; issue paths are relative to the model's `options`. */
  check(options: Record<string, unknown>, context: BackendContext): Promise<ValidationIssue[]> | ValidationIssue[];
  create(model: ModelSpec, context: BackendContext): Promise<Backend>;
  /** The model's context window, when known without a request (prompts that can't fit are refused up front). */
  contextOf?(model: ModelSpec, context: BackendContext): Promise<ModelContext | undefined>;
}

/** How a failure bears on the rest of the run. */
export interface FailureKind {
  /** Asking again later may succeed (timeouts, 5xx, resets); default true. */
  retryable?: boolean;
  /**
   * No request of this model can succeed (a rejected API key): the run stops at once instead of
   * failing every sample, and nothing is recorded for the sample. Default false.
   */
  fatal?: boolean;
}

/** A request that failed for good: after the retry budget, or for a reason retrying can't fix. */
export class BackendFailure extends Error {
  readonly retryable: boolean;
  readonly fatal: boolean;

  constructor(
    message: string,
    /** Requests sent, retries included. */
    readonly attempts: number,
    kind: FailureKind = {},
  ) {
    super(message);
    this.name = 'BackendFailure';
    this.retryable = kind.retryable ?? true;
    this.fatal = kind.fatal ?? false;
  }
}
