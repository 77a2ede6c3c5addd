// The one tokenizer interface the package counts with. Counting is the hot path of exact-length
// generation, so every implementation offers an exact, cached `count`.

/** A chat template and the variables it is rendered with. */
export interface ChatTemplateSpec {
  /** Jinja source (from tokenizer_config.json, or the preset's own). */
  template: string;
  /** sha256 (hex) of `template`'s UTF-8 bytes: which template rendered a prompt. */
  sha256: string;
  /** Variables such as bos_token / eos_token, plus the caller's kwargs (e.g. enable_thinking). */
  variables: Record<string, unknown>;
  /** The caller's kwargs alone (vLLM's chat_template_kwargs), a subset of `variables`; {} when none. */
  kwargs: Record<string, unknown>;
}

export interface Tokenizer {
  /** Stable id recorded in every sample: a preset name, `hf:<path>` or an OpenAI encoding. */
  readonly id: string;
  /**
   * sha256 (hex) of what defines the tokenizer: the bytes of its tokenizer.json, or for an OpenAI
   * encoding the ranks js-tiktoken ships. Two tokenizers with the same hash count alike, whatever
   * their ids (a preset and the same file by path).
   */
  readonly sha256: string;
  /**
   * Exact number of tokens of `text`, with no special tokens added by a post-processor.
   * Equal to `encode(text).length`, but much faster on long text (see fast-counter.ts).
   */
  count(text: string): number;
  /**
   * The exact count plus the token offset at each character position. Positions must lie on
   * pre-tokenizer piece boundaries (the start of a word with its leading space, say); a position
   * inside a piece gets the offset of the next piece.
   */
  countWithOffsets(text: string, charPositions: readonly number[]): { count: number; offsets: number[] };
  /** Token ids of `text`, no special tokens added. */
  encode(text: string): number[];
  /** Text of token ids. */
  decode(ids: readonly number[]): string;
  /** Tokens the post-processor adds to a raw (not chat-templated) prompt, e.g. Llama's BOS. */
  readonly addedSpecialTokens: number;
  /** The chat template shipped with the tokenizer, if any. */
  readonly chatTemplate?: ChatTemplateSpec;
  /** Whether `count` uses the fast, piece-cached path (false: every count is a full encode). */
  readonly fastCount: boolean;
}
