// Hugging Face tokenizer.json files, through @huggingface/tokenizers, with the fast exact counter
// whenever the pipeline is the byte-level-BPE shape that makes counting split-additive.
import { createHash } from 'node:crypto';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { SplitCounter } from './fast-counter.js';
import { byteLevelBpeCounter, type BpeModelJson } from './bpe-count.js';
import type { ChatTemplateSpec, Tokenizer } from './types.js';
import { checkTokenizerCounts, checkTokenizerJson, TokenizerFileError } from './validate.js';

interface AddedTokenJson {
  content: string;
  lstrip?: boolean;
  rstrip?: boolean;
  normalized?: boolean;
  special?: boolean;
}

interface TokenizerJson {
  model?: BpeModelJson;
  normalizer?: { type?: string } | null;
  pre_tokenizer?: {
    type?: string;
    pretokenizers?: { type?: string; behavior?: string; invert?: boolean; use_regex?: boolean; add_prefix_space?: boolean }[];
    use_regex?: boolean;
    add_prefix_space?: boolean;
  } | null;
  added_tokens?: AddedTokenJson[];
}

type TokenizerConfig = Record<string, unknown>;

/** Options for loading a Hugging Face tokenizer. */
export interface HfTokenizerOptions {
  /** Id to record in samples (defaults to `hf:<path>`). */
  id?: string;
  /** Extra variables for the chat template (e.g. `{ enable_thinking: false }`). */
  templateVariables?: Record<string, unknown>;
  /** A chat template to use instead of tokenizer_config.json's (a preset's own, say). */
  chatTemplate?: string;
}

/** sha256 (hex) of a string's UTF-8 bytes or of raw bytes. */
function sha256Of(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function tokenString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}

/** Finds the piece regex inside the library's pre-tokenizer, when the shape allows fast counting. */
function fastPieceRegex(json: TokenizerJson, hf: HfTokenizer): RegExp | null {
  if (json.model?.type !== 'BPE') return null;
  const normalizer = json.normalizer ?? null;
  if (normalizer !== null && normalizer.type !== 'NFC') return null;
  const added = json.added_tokens ?? [];
  if (added.some((t) => t.lstrip || t.rstrip || (t.normalized && normalizer !== null))) return null;
  const pre = json.pre_tokenizer;
  // The library keeps the compiled pattern on its pre-tokenizer objects; reuse it so the regex
  // translation (e.g. of `(?i:...)`) is exactly the one encode() uses.
  const preObj = (hf as unknown as { pre_tokenizer: unknown }).pre_tokenizer as
    | { pattern?: RegExp; tokenizers?: { pattern?: RegExp }[] }
    | null;
  if (pre?.type === 'Sequence' && pre.pretokenizers?.length === 2) {
    const [split, byteLevel] = pre.pretokenizers;
    if (
      split?.type === 'Split' &&
      split.behavior === 'Isolated' &&
      !split.invert &&
      byteLevel?.type === 'ByteLevel' &&
      !byteLevel.use_regex &&
      !byteLevel.add_prefix_space
    ) {
      const pattern = preObj?.tokenizers?.[0]?.pattern;
      return pattern instanceof RegExp ? pattern : null;
    }
    return null;
  }
  if (pre?.type === 'ByteLevel' && pre.use_regex !== false && !pre.add_prefix_space) {
    const pattern = preObj?.pattern;
    return pattern instanceof RegExp ? pattern : null;
  }
  return null;
}

/** Resolves a path to a tokenizer.json file (accepts the file or its directory). */
export function resolveTokenizerJson(path: string): string {
  if (!existsSync(path)) throw new Error(`Tokenizer not found: ${path} does not exist.`);
  const file = statSync(path).isDirectory() ? join(path, 'tokenizer.json') : path;
  if (!existsSync(file)) throw new Error(`Tokenizer not found: ${path} has no tokenizer.json.`);
  return file;
}

/**
 * Loads a Hugging Face tokenizer from a `tokenizer.json` (and the `tokenizer_config.json` beside
 * it, for the chat template and special tokens).
 * @throws Error when the file is missing; TokenizerFileError when it is not a usable tokenizer
 *   (the file and field named).
 * @example const tok = loadHfTokenizer('/models/Qwen2.5-7B-Instruct'); tok.count('Hello world') // 2
 */
export function loadHfTokenizer(path: string, options: HfTokenizerOptions = {}): Tokenizer {
  const file = resolveTokenizerJson(path);
  const bytes = readFileSync(file);
  let json: TokenizerJson;
  try {
    json = JSON.parse(bytes.toString('utf8')) as TokenizerJson;
  } catch (error) {
    throw new Error(`Tokenizer ${file} is not valid JSON: ${(error as Error).message}`);
  }
  checkTokenizerJson(json, file);
  const configFile = join(dirname(file), 'tokenizer_config.json');
  let config: TokenizerConfig = {};
  if (existsSync(configFile)) {
    try {
      config = JSON.parse(readFileSync(configFile, 'utf8')) as TokenizerConfig;
    } catch (error) {
      throw new Error(`Tokenizer config ${configFile} is not valid JSON: ${(error as Error).message}`);
    }
  }
  let hf: HfTokenizer;
  try {
    hf = new HfTokenizer(json, config);
  } catch (error) {
    throw new TokenizerFileError(file, 'the file', `cannot be loaded: ${(error as Error).message}`);
  }
  const encode = (text: string): number[] => hf.encode(text, { add_special_tokens: false }).ids;
  checkTokenizerCounts((text) => encode(text).length, file);
  const addedSpecialTokens = hf.encode('a', { add_special_tokens: true }).ids.length - encode('a').length;

  const regex = fastPieceRegex(json, hf);
  const counter = regex
    ? new SplitCounter({
        specialTokens: (json.added_tokens ?? []).map((t) => t.content),
        pieceRegex: regex,
        normalize: json.normalizer?.type === 'NFC' ? 'NFC' : undefined,
        countPiece: byteLevelBpeCounter(json.model as BpeModelJson) ?? ((piece) => encode(piece).length),
      })
    : null;

  let chatTemplate: ChatTemplateSpec | undefined;
  const rawTemplate = config['chat_template'];
  const templateSource = options.chatTemplate ?? (typeof rawTemplate === 'string'
    ? rawTemplate
    : Array.isArray(rawTemplate)
      ? (rawTemplate as { name?: string; template?: string }[]).find((t) => t.name === 'default')?.template
      : undefined);
  if (templateSource) {
    const kwargs = { ...(options.templateVariables ?? {}) };
    const variables: Record<string, unknown> = { ...kwargs };
    for (const key of ['bos_token', 'eos_token', 'pad_token', 'unk_token']) {
      const value = tokenString(config[key]);
      if (value !== undefined && !(key in variables)) variables[key] = value;
    }
    chatTemplate = { template: templateSource, sha256: sha256Of(templateSource), variables, kwargs };
  }

  const slowOffsets = (text: string, positions: readonly number[]): { count: number; offsets: number[] } => ({
    count: encode(text).length,
    offsets: positions.map((p) => encode(text.slice(0, p)).length),
  });

  return {
    id: options.id ?? `hf:${file}`,
    sha256: sha256Of(bytes),
    count: counter ? (text) => counter.count(text) : (text) => encode(text).length,
    countWithOffsets: counter ? (text, positions) => counter.countWithOffsets(text, positions) : slowOffsets,
    encode,
    decode: (ids) => hf.decode([...ids]),
    addedSpecialTokens,
    fastCount: counter !== null,
    ...(chatTemplate ? { chatTemplate } : {}),
  };
}
