// Lines of a file with their byte ranges: the coordinator reads each dataset once and hands
// workers (file, start, end) instead of the samples themselves, so a queue of many long prompts
// costs a few numbers per sample and a worker reads exactly its sample's line.
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';

/** One line and where its bytes are. */
export interface IndexedLine {
  /** The line without its newline (and a trailing CR). */
  text: string;
  /** Byte offset of the line's first byte. */
  start: number;
  /** Byte offset just past the line's last byte (newline and CR excluded). */
  end: number;
  /** 1-based line number. */
  line: number;
}

/**
 * Yields every line of a file with its byte range, streaming, as readLines splits them.
 * @example for await (const { text, start, end } of readIndexedLines('samples.jsonl')) console.log(start, end);
 */
export async function* readIndexedLines(file: string): AsyncGenerator<IndexedLine> {
  let pending: Buffer[] = [];
  let pendingStart = 0;
  let offset = 0; // file offset of the current chunk's first byte
  let line = 0;
  const emit = (bytes: Buffer, start: number): IndexedLine => {
    const length = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
    line++;
    return { text: bytes.toString('utf8', 0, length), start, end: start + length, line };
  };
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let from = 0;
    let newline = chunk.indexOf(0x0a, from);
    while (newline !== -1) {
      if (pending.length > 0) {
        pending.push(chunk.subarray(from, newline));
        const bytes = Buffer.concat(pending);
        pending = [];
        yield emit(bytes, pendingStart);
      } else {
        yield emit(chunk.subarray(from, newline), offset + from);
      }
      from = newline + 1;
      newline = chunk.indexOf(0x0a, from);
    }
    if (from < chunk.length) {
      if (pending.length === 0) pendingStart = offset + from;
      pending.push(chunk.subarray(from));
    }
    offset += chunk.length;
  }
  if (pending.length > 0) yield emit(Buffer.concat(pending), pendingStart);
}

/**
 * Reads the bytes [start, end) of a file as UTF-8.
 * @throws Error when the file is shorter than `end` (it changed since it was indexed).
 * @example readRange('samples.jsonl', 0, 120)
 */
export function readRange(file: string, start: number, end: number): string {
  const buffer = Buffer.alloc(end - start);
  const fd = openSync(file, 'r');
  try {
    let done = 0;
    while (done < buffer.length) {
      const read = readSync(fd, buffer, done, buffer.length - done, start + done);
      if (read === 0) throw new Error(`${file} is shorter than when the run indexed it (wanted bytes ${start}..${end}); was it changed during the run?`);
      done += read;
    }
  } finally {
    closeSync(fd);
  }
  return buffer.toString('utf8');
}
