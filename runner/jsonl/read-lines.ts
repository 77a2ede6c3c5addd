// Streaming JSON Lines reading: one parsed record at a time with its line number, so files of any
// size are read in constant memory and every error names the file and the line.
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { readLines } from '../../scorers/io/read-lines.js';

export { readLines };

/** A record and where it came from. */
export interface JsonlRecord<T = unknown> {
  value: T;
  /** 1-based line number. */
  line: number;
}

/** Thrown for a line that is not valid JSON; names the file and line. */
export class JsonlError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'JsonlError';
  }
}

/**
 * Yields the JSON value of every non-blank line of a file, streaming.
 * @param options.missingOk yield nothing (instead of throwing) when the file does not exist.
 * @throws JsonlError for a line that does not parse, or a missing file.
 * @example for await (const { value, line } of readJsonl('data/x/samples.jsonl')) console.log(line, value);
 */
export async function* readJsonl<T = unknown>(file: string, options: { missingOk?: boolean } = {}): AsyncGenerator<JsonlRecord<T>> {
  if (!existsSync(file)) {
    if (options.missingOk) return;
    throw new JsonlError(file, 0, 'file not found');
  }
  let line = 0;
  for await (const text of readLines(file)) {
    line++;
    if (text.trim() === '') continue;
    let value: T;
    try {
      value = JSON.parse(text) as T;
    } catch (error) {
      throw new JsonlError(file, line, `invalid JSON (${(error as Error).message})`);
    }
    yield { value, line };
  }
}

/**
 * Whether a file's last byte is a newline (an empty file counts as ending in one). A JSONL file
 * without one ends in a line torn by a crash mid-write, or was cut short by a copy.
 * @example endsWithNewline('runs/x/predictions.jsonl') // false after a SIGKILL mid-line
 */
export function endsWithNewline(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return true;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    closeSync(fd);
  }
}
