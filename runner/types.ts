// The backend contract: one request in, one prediction out. Nothing here assumes HTTP, so the
// OpenAI-compatible client, the embedded engine and the test backends all fit it.
import type { Sample } from '../generators/core/sample.js';

/** Attention settings of an engine run (dense for HTTP backends). */
export interface AttentionSetting {
  /** Prefill method id, e.g. `dense`, `vertical-slash`, `block-sparse`, `flexprefill`, `a-shape`. */
  prefill: string;
  /** Decode method id, e.g. `dense`, `quest`, `snapkv`, `ada-snapkv`, `streaming-llm`. */
  decode: string;
  /** Compression ratio C = 1 / (1 - sparsity); 1 means dense. */
  compression: number;
  /** Method parameters after defaults. */
  params?: Record<string, unknown>;
}

/** One line of predictions.jsonl. */
export interface Prediction {
  id: string;
  output: string;
  reasoning?: string;
  /** `stop`, `length` (cut by the token limit), `error`, ... */
  finishReason?: string;
  usage?: { promptTokens?: number; completionTokens?: number };
  latencyMs?: number;
  error?: string;
  backend?: string;
  model?: string;
  attention?: AttentionSetting & {
    /** Effective sparsity as the paper defines it, measured on this sample. */
    sparsity?: number;
    /** Work actually executed, e.g. attention FLOPs or KV bytes read. */
    executed?: Record<string, number>;
  };
}

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
