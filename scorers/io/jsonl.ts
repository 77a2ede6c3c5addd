// JSON Lines reading shared by every reader of the package (samples, predictions, results): one
// object a line, blank lines skipped, errors naming the file and line. Streams line by line, so
// files of long prompts never need to fit in one string.
import { readLines } from './read-lines.js';
import { InputFileError } from './errors.js';

/** One parsed line. */
export interface JsonlLine {
  /** 1-based line number in the file. */
  line: number;
  value: unknown;
}

/**
 * Parses one line of JSON Lines; the value must be an object.
 * @throws InputFileError naming file and line for bad JSON or a non-object.
 * @example parseJsonlLine('{"id":"a"}', 'x.jsonl', 1) // { id: 'a' }
 */
export function parseJsonlLine(text: string, file: string, line: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputFileError(file, line, undefined, `is not valid JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputFileError(file, line, undefined, `must be a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`);
  }
  return value as Record<string, unknown>;
}

/**
 * Parses JSON Lines text (blank lines skipped).
 * @throws InputFileError naming file and line.
 * @example parseJsonl('{"a":1}\n\n{"a":2}\n', 'x.jsonl') // [{ line: 1, value: { a: 1 } }, { line: 3, value: { a: 2 } }]
 */
export function parseJsonl(text: string, file: string): JsonlLine[] {
  const out: JsonlLine[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).replace(/\r$/, '');
    if (raw.trim() === '') continue;
    out.push({ line: i + 1, value: parseJsonlLine(raw, file, i + 1) });
  }
  return out;
}

/**
 * Reads a JSON Lines file line by line (blank lines skipped).
 * @throws InputFileError naming file and line; the file system's error when it cannot be read.
 * @example for await (const { line, value } of readJsonl('samples.jsonl')) console.log(line, value)
 */
export async function* readJsonl(file: string): AsyncGenerator<JsonlLine> {
  let line = 0;
  try {
    for await (const raw of readLines(file)) {
      line++;
      if (raw.trim() === '') continue;
      yield { line, value: parseJsonlLine(raw, file, line) };
    }
  } catch (error) {
    if (error instanceof InputFileError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputFileError(file, undefined, undefined, code === 'ENOENT' ? 'does not exist' : `cannot be read (${(error as Error).message})`);
  }
}

/** Reads a whole JSON Lines file into memory. */
export async function readJsonlAll(file: string): Promise<JsonlLine[]> {
  const out: JsonlLine[] = [];
  for await (const line of readJsonl(file)) out.push(line);
  return out;
}
