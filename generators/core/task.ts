// The task contract. A task turns (parameters, target length, seeded randomness, tokenizer) into
// one sample whose prompt is exactly the target length. Tasks are registered in
// generators/tasks/index.ts, a typed map that is also the list `longweave tasks` prints.
import type { Random } from './random.js';
import type { Tokenizer } from '../tokenizers/types.js';
import type { AxisLevel, Sample, TaskCategory } from './sample.js';

/** One parameter of a task, as documented by `longweave tasks`. */
export interface ParamSpec {
  /** JSON Schema of the value (validated with ajv). */
  schema: Record<string, unknown>;
  default: unknown;
  description: string;
  /** Which of the paper's axes this parameter moves, if any. */
  moves?: 'scope' | 'dispersion' | 'both';
}

/** Everything a task's builder receives for one sample. */
export interface BuildContext<P> {
  params: P;
  /** Exact token count the final prompt must have. */
  length: number;
  rng: Random;
  tokenizer: Tokenizer;
  /** Apply the tokenizer's chat template before counting. */
  chatTemplate: boolean;
  /** Sample seed (hex) and index, recorded in metadata. */
  seed: string;
  index: number;
  /** User-provided source files (QA tasks), by task id. */
  sources?: Record<string, string>;
}

/** A task definition. `P` is the parameter object after defaults are applied. */
export interface TaskDefinition<P extends object = Record<string, unknown>> {
  id: string;
  /** Bumped whenever the generator emits something different for the same seed. */
  version: number;
  category: TaskCategory;
  scope: AxisLevel;
  dispersion: AxisLevel;
  description: string;
  params: Record<keyof P & string, ParamSpec>;
  /** Scorer name (scorers/index.ts registry). */
  scorer: string;
  maxOutputTokens: number | ((params: P) => number);
  /**
   * Content hashes of the user files the task reads (by role, e.g. `{ source: sha256 }`), which the
   * sample's seed and id depend on; tasks that read nothing leave this out.
   * @throws the task's error for a missing or malformed file.
   */
  inputs?(sources: Record<string, string> | undefined): Record<string, string>;
  /** Cross-parameter rules the JSON schemas can't express; returns the failing path or null. */
  check?(params: P): { path: string; message: string } | null;
  /** Builds one sample. Throws LengthError when the length cannot hold the task's fixed parts. */
  build(ctx: BuildContext<P>): Omit<Sample, 'id'>;
}

/** Thrown when a target length is too short for a task's fixed parts (or, with a message, can't be hit exactly). */
export class LengthError extends Error {
  constructor(
    readonly task: string,
    readonly requested: number,
    readonly minimum: number,
    /** Overrides the default message (e.g. a length the unit boundaries can't hit exactly). */
    message?: string,
  ) {
    super(message ?? `Length ${requested} is too short for ${task}: its fixed parts need at least ${minimum} tokens.`);
    this.name = 'LengthError';
  }
}
