// What a prompt's length was counted under, beyond the task itself: the tokenizer (by name and by
// the hash of the file that defines it), and when a chat template was applied, the template's hash
// and the kwargs it was rendered with. The same task text counts differently under each, so every
// sample and manifest records them, and each sample's seed (hence its id) depends on them.
import type { Tokenizer } from '../tokenizers/types.js';

/** The rendering a prompt's token count holds for. */
export interface PromptFormat {
  /** Tokenizer id: a preset name, `builtin:<name>`, an OpenAI encoding or `hf:<path>`. */
  tokenizer: string;
  /** sha256 of the tokenizer's defining file (tokenizer.json), independent of where it lies. */
  tokenizerSha256: string;
  /** Whether the chat template was applied before counting. */
  chatTemplate: boolean;
  /** sha256 of the chat template's source; only when `chatTemplate`. */
  chatTemplateSha256?: string;
  /** The template kwargs the prompt was rendered with ({} for none); only when `chatTemplate`. */
  templateKwargs?: Record<string, unknown>;
}

/**
 * The prompt format of a tokenizer with or without its chat template.
 * @throws Error when `chatTemplate` is asked of a tokenizer that has none.
 * @example promptFormat(loadTokenizer('qwen3'), true).chatTemplateSha256 // '…64 hex…'
 */
export function promptFormat(tokenizer: Tokenizer, chatTemplate: boolean): PromptFormat {
  if (!chatTemplate) return { tokenizer: tokenizer.id, tokenizerSha256: tokenizer.sha256, chatTemplate: false };
  const template = tokenizer.chatTemplate;
  if (!template) throw new Error(`Tokenizer ${tokenizer.id} has no chat template; generate without one (--no-chat-template).`);
  return {
    tokenizer: tokenizer.id,
    tokenizerSha256: tokenizer.sha256,
    chatTemplate: true,
    chatTemplateSha256: template.sha256,
    templateKwargs: { ...template.kwargs },
  };
}

/**
 * The part of a prompt format that decides the prompt's tokens, for seeds: the tokenizer's name is
 * left out (the same file under two names, a preset and its path, counts alike).
 * @example formatIdentity(promptFormat(tok, false)) // { tokenizerSha256: '…', chatTemplateSha256: null, templateKwargs: null }
 */
export function formatIdentity(format: PromptFormat): Record<string, unknown> {
  return {
    tokenizerSha256: format.tokenizerSha256,
    chatTemplateSha256: format.chatTemplateSha256 ?? null,
    templateKwargs: format.templateKwargs ?? null,
  };
}
