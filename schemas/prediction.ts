// The prediction record (one line of predictions.jsonl, schemas/prediction.schema.json) as a
// TypeScript type. It lives beside its schema so that scorers, which read predictions, and the
// runner, which writes them, share it without either importing the other.

/** Attention settings of a prediction: method ids, compression ratio and parameters. */
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
  /** On a failed line: whether asking again (`--resume`) may help. */
  retryable?: boolean;
  backend?: string;
  model?: string;
  /** The embedded engine's runtime that ran the request (`auto` resolved). */
  device?: 'cpu' | 'webgpu' | 'cuda';
  /** How the engine ran the generation: timed per prefill and decode step, or as one session run. */
  generation?: 'stepwise' | 'one-run';
  attention?: AttentionSetting & {
    /** Effective sparsity as the paper defines it, measured on this sample. */
    sparsity?: number;
    /**
     * Work actually executed, e.g. attention FLOPs or KV bytes read, and measured milliseconds:
     * `generationMs`; stepwise generation adds `prefillMs`, `decodeStepMs` (median step) and `compressMs`.
     */
    executed?: Record<string, number>;
  };
}
