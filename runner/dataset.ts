// Streaming a dataset's samples: one validated sample at a time, so a run's memory does not grow
// with the number or the size of the samples.
import { closeSync, openSync, readSync } from 'node:fs';
import type { Sample } from '../generators/core/sample.js';
import { assertValid } from '../schemas/index.js';
import { readJsonl } from './jsonl/read-lines.js';

/** Which samples of a file to run: `count` of them from position `offset` (0-based). */
export interface SampleSelection {
  offset: number;
  count: number;
}

/** A sample with its place in the file. */
export interface StreamedSample {
  sample: Sample;
  /** 1-based line number, for error messages. */
  line: number;
  /** 0-based position among the file's samples. */
  position: number;
}

/**
 * Yields the selected samples of a samples.jsonl file, each validated against the sample schema.
 * @throws JsonlError or SchemaError naming the file and line.
 * @example for await (const { sample } of streamSamples('data/x/samples.jsonl', { offset: 0, count: 10 })) console.log(sample.id);
 */
export async function* streamSamples(file: string, selection: SampleSelection = { offset: 0, count: Infinity }): AsyncGenerator<StreamedSample> {
  let position = -1;
  const end = selection.offset + selection.count;
  for await (const { value, line } of readJsonl(file)) {
    position++;
    if (position < selection.offset) continue;
    if (position >= end) return;
    yield { sample: assertValid<Sample>('sample', value, `${file}:${line}`), line, position };
  }
}

/**
 * Counts the lines of a file by scanning for newline bytes (no parsing; a last line without a
 * newline counts, blank lines count too): the number of samples, for progress totals.
 * @example countLines('data/x/samples.jsonl') // 100
 */
export function countLines(file: string): number {
  const fd = openSync(file, 'r');
  const buffer = Buffer.alloc(1 << 20);
  let count = 0;
  let last = 0x0a;
  try {
    for (;;) {
      const read = readSync(fd, buffer, 0, buffer.length, null);
      if (read === 0) break;
      const view = buffer.subarray(0, read);
      for (let at = view.indexOf(0x0a); at !== -1; at = view.indexOf(0x0a, at + 1)) count++;
      last = view[read - 1] as number;
    }
  } finally {
    closeSync(fd);
  }
  return count + (last === 0x0a ? 0 : 1);
}
