// Checks of a tokenizer.json before it is used: the fields the tokenizer library and our counter
// read are present and of the right shape, and the loaded tokenizer gives every piece of text at
// least one token. A broken file (an empty vocabulary, a missing model) otherwise surfaces as a
// library error naming no file, or as a generator that never reaches its length.

/** A tokenizer file that can't be used, with the file and the field named. */
export class TokenizerFileError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    problem: string,
  ) {
    super(`Tokenizer ${file}: ${field} ${problem}`);
    this.name = 'TokenizerFileError';
  }
}

const MODEL_TYPES = ['BPE', 'WordPiece', 'WordLevel', 'Unigram'] as const;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const typeName = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value);

/**
 * Checks the shape of a parsed tokenizer.json: a `model` of a known type with a non-empty
 * vocabulary (and BPE merges as pairs), well-formed added tokens, and pipeline parts that are
 * objects or null.
 * @throws TokenizerFileError naming the file and the field.
 * @example checkTokenizerJson(JSON.parse(readFileSync(file, 'utf8')), file)
 */
export function checkTokenizerJson(json: unknown, file: string): void {
  const fail = (field: string, problem: string): never => {
    throw new TokenizerFileError(file, field, problem);
  };
  if (!isObject(json)) fail('the file', `must hold a JSON object, got ${typeName(json)}`);
  const root = json as Record<string, unknown>;
  const model = root['model'];
  if (!isObject(model)) fail('"model"', model === undefined ? 'is missing: not a Hugging Face tokenizer.json' : `must be an object, got ${typeName(model)}`);
  const type = (model as Record<string, unknown>)['type'];
  if (!(MODEL_TYPES as readonly unknown[]).includes(type)) fail('"model.type"', `must be one of ${MODEL_TYPES.join(', ')}, got ${JSON.stringify(type)}`);
  const vocab = (model as Record<string, unknown>)['vocab'];
  if (type === 'Unigram') {
    if (!Array.isArray(vocab) || vocab.length === 0) fail('"model.vocab"', `must be a non-empty list of [piece, score] pairs, got ${Array.isArray(vocab) ? 'an empty list' : typeName(vocab)}`);
    (vocab as unknown[]).forEach((entry, i) => {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'number') fail(`"model.vocab[${i}]"`, 'must be a [piece, score] pair');
    });
  } else {
    if (!isObject(vocab) || Object.keys(vocab).length === 0) fail('"model.vocab"', `must be a non-empty object of token -> id, got ${isObject(vocab) ? 'an empty object' : typeName(vocab)}`);
    for (const [token, id] of Object.entries(vocab as Record<string, unknown>)) {
      if (!Number.isInteger(id) || (id as number) < 0) fail(`"model.vocab[${JSON.stringify(token)}]"`, `must be a non-negative integer id, got ${JSON.stringify(id)}`);
    }
  }
  if (type === 'BPE') {
    const merges = (model as Record<string, unknown>)['merges'];
    if (!Array.isArray(merges)) fail('"model.merges"', `must be a list, got ${typeName(merges)}`);
    (merges as unknown[]).forEach((merge, i) => {
      const pair = typeof merge === 'string' ? merge.split(' ') : merge;
      if (!Array.isArray(pair) || pair.length !== 2 || pair.some((p) => typeof p !== 'string' || p === '')) fail(`"model.merges[${i}]"`, `must be two tokens ("a b" or ["a", "b"]), got ${JSON.stringify(merge)}`);
    });
  }
  const added = root['added_tokens'];
  if (added !== undefined && added !== null) {
    if (!Array.isArray(added)) fail('"added_tokens"', `must be a list, got ${typeName(added)}`);
    (added as unknown[]).forEach((token, i) => {
      if (!isObject(token) || typeof token['content'] !== 'string' || token['content'] === '' || !Number.isInteger(token['id'])) fail(`"added_tokens[${i}]"`, 'must have a non-empty "content" and an integer "id"');
    });
  }
  for (const part of ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder']) {
    const value = root[part];
    if (value !== undefined && value !== null && !(isObject(value) && typeof value['type'] === 'string')) fail(`"${part}"`, `must be null or an object with a "type", got ${typeName(value)}`);
  }
}

/**
 * Text that exercises a tokenizer the way generated prompts do: words, numbers, punctuation,
 * spacing, line breaks and non-ASCII letters.
 */
const PROBES = ['The', ' value', ' for key 7f3a-91bc is: 42.', '\n\n', 'Chapter 12: Zoë met Łukasz at the café, then left.', ' ', '.'];

/**
 * Checks that a loaded tokenizer gives every probe text at least one token (a tokenizer that
 * counts text as 0 tokens can never fill a prompt to its length) and that encoding works at all.
 * @throws TokenizerFileError naming the file and the text that failed.
 */
export function checkTokenizerCounts(count: (text: string) => number, file: string): void {
  for (const probe of PROBES) {
    let tokens: number;
    try {
      tokens = count(probe);
    } catch (error) {
      throw new TokenizerFileError(file, 'the tokenizer', `fails to encode ${JSON.stringify(probe)}: ${(error as Error).message}`);
    }
    if (!(tokens >= 1)) throw new TokenizerFileError(file, 'the tokenizer', `encodes ${JSON.stringify(probe)} as ${tokens} tokens; every text needs at least one (is the vocabulary complete?)`);
  }
}

/**
 * A token count that loops grow by, checked to be at least 1: every loop that adds text until a
 * token budget is reached ends only if each piece of text costs something.
 * @throws Error naming the task and the text the tokenizer counted as no tokens.
 * @example while (used < budget) used += atLeastOneToken(tokenizer.count(unit), unit, 'ruler/niah');
 */
export function atLeastOneToken(tokens: number, text: string, taskId: string): number {
  if (tokens >= 1) return tokens;
  throw new Error(`${taskId}: the tokenizer counts ${JSON.stringify(text.slice(0, 60))} as ${tokens} tokens, so no prompt can reach its length; check the tokenizer file (is its vocabulary complete?)`);
}
