// The sample: what a generator produces and what every later stage (backends, scorers, reports)
// reads. Its JSON form is one line of samples.jsonl (schemas/sample.schema.json).

/** A chat message, in the OpenAI shape every backend understands. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Where one inserted fact (needle) landed in the final prompt. */
export interface NeedlePlacement {
  /** The needle's text as inserted. */
  text: string;
  /** Token offset of the needle's first token in the final (templated) prompt. */
  tokenOffset: number;
  /** Number of tokens the needle occupies. */
  tokenCount: number;
  /** Relative depth of the needle inside the context, 0 = start, 1 = end. */
  depth: number;
  /** Character offset of the needle inside `input`. */
  charOffset: number;
}

/** Metadata every sample carries; tasks add their own fields. */
export interface SampleMetadata {
  /** Hex seed the sample was generated from. */
  seed: string;
  /** Tokenizer id used for counting. */
  tokenizer: string;
  /** sha256 of the tokenizer's defining file (absent in samples written before it was recorded). */
  tokenizerSha256?: string;
  /** sha256 of the chat template's source, when chatTemplate (absent in older samples). */
  chatTemplateSha256?: string;
  /** Chat-template kwargs the prompt was rendered with ({} for none), when chatTemplate (absent in older samples). */
  templateKwargs?: Record<string, unknown>;
  /** Exact number of tokens of the prompt as the model sees it (templated when chatTemplate). */
  inputTokens: number;
  /** The requested length; always equals inputTokens. */
  targetLength: number;
  /** Whether the tokenizer's chat template was applied before counting. */
  chatTemplate: boolean;
  /** Sample index within its task and length. */
  index: number;
  /** The task's parameters after defaults were applied. */
  params: Record<string, unknown>;
  /** Where the needles landed (retrieval-style tasks). */
  needles?: NeedlePlacement[];
  /** Category and the paper's axes. */
  category: TaskCategory;
  scope: AxisLevel;
  dispersion: AxisLevel;
  /** Name of the scorer that scores this sample. */
  scorer: string;
  /** Maximum output tokens a backend should allow for this task. */
  maxOutputTokens: number;
  [extra: string]: unknown;
}

export type TaskCategory = 'retrieval' | 'multi-hop' | 'aggregation' | 'question-answering';
export type AxisLevel = 'low' | 'high';

/** One line of samples.jsonl. */
export interface Sample {
  id: string;
  task: string;
  taskVersion: number;
  /** Full prompt text (the user message content). */
  input: string;
  /** Gold answers; their meaning depends on the task's scorer. */
  target: string[];
  /** Chat form of the prompt. */
  messages: ChatMessage[];
  /** Text the answer is expected to start with, for completion endpoints. */
  answerPrefix?: string;
  metadata: SampleMetadata;
}
