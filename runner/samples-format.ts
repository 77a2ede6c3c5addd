// Recognising what a samples file is when it is not JSON Lines of samples: empty, prefixed with a
// byte-order mark, one JSON array, or RULER's own data format. Each gets a message that says what
// was found and what to do, instead of "has no readable first sample".
import { closeSync, openSync, readSync } from 'node:fs';

/** How much of the file's start is read to tell its format. */
const SNIFF_BYTES = 1 << 16;

function readStart(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const read = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/**
 * What is wrong with a samples file's format as a whole, judged from its start, or undefined when
 * it looks like JSON Lines (each line is then checked on its own). The message continues the file
 * name: `${path} ${problem}`.
 * @throws the file system's error when the file cannot be read.
 * @example samplesFormatProblem('empty.jsonl') // 'is empty: it holds no samples (write samples with `longweave generate`)'
 */
export function samplesFormatProblem(path: string): string | undefined {
  const start = readStart(path);
  if (start.length >= 3 && start[0] === 0xef && start[1] === 0xbb && start[2] === 0xbf) {
    return 'starts with a UTF-8 byte-order mark (EF BB BF), which JSON Lines does not allow: remove those 3 bytes (e.g. `sed -i \'1s/^\\xEF\\xBB\\xBF//\' FILE`)';
  }
  const text = start.toString('utf8');
  const trimmed = text.trimStart();
  if (trimmed === '') return 'is empty: it holds no samples (write samples with `longweave generate`)';
  if (trimmed.startsWith('[')) {
    return 'holds one JSON array, not JSON Lines (one sample object per line): convert it with `jq -c \'.[]\' FILE > samples.jsonl`';
  }
  const newline = trimmed.indexOf('\n');
  const firstLine = (newline === -1 ? trimmed : trimmed.slice(0, newline)).trim();
  let first: unknown;
  try {
    first = JSON.parse(firstLine);
  } catch {
    return undefined; // the line-by-line check names the line and the JSON error
  }
  if (first && typeof first === 'object' && !Array.isArray(first)) {
    const record = first as Record<string, unknown>;
    if (!('id' in record) && 'index' in record && 'input' in record && 'outputs' in record) {
      return "is in RULER's data format (index, input, outputs), not longweave samples: generate RULER's tasks as samples with `longweave generate --suite ruler` (RULER's own predictions files are read by `longweave score`)";
    }
  }
  return undefined;
}
