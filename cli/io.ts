// File output that never leaves a half-written file: write to a temporary sibling, fsync, rename.
import { closeSync, fsyncSync, openSync, renameSync, writeSync, rmSync, mkdirSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

/** Writes `content` to `path` atomically (temporary file + rename). */
export function writeFileAtomic(path: string, content: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}
