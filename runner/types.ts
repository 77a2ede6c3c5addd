// The backend contract: one request in, one prediction out. Nothing here assumes HTTP, so the
// OpenAI-compatible client, the embedded engine and the test backends all fit it.
import type { Sample } from '../generators/core/sample.js';
import type { AttentionSetting, Prediction } from '../schemas/prediction.js';

// The prediction record and its attention settings are file formats: they live with the schemas.
export type { AttentionSetting, Prediction };

/** What a backend is asked to do for one sample. */
export interface BackendRequest {
  sample: Sample;
  maxOutputTokens: number;
  attention?: AttentionSetting;
  signal?: AbortSignal;
}

/** A model behind any transport. */
export interface Backend {
  /** Backend kind, e.g. `openai`, `engine`, `oracle`, `replay`. */
  readonly name: string;
  /** Model name recorded in predictions. */
  readonly model: string;
  /** How many requests the runner may keep in flight at once (default 1). */
  readonly concurrency?: number;
  generate(request: BackendRequest): Promise<Omit<Prediction, 'id'>>;
  close?(): Promise<void>;
}
