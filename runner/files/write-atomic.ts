// File output that never leaves a half-written file: write to a temporary sibling, fsync, rename.
// Shared by the CLI (datasets, score) and the runner (run.json, results.jsonl, reports).
import { closeSync, fsyncSync, openSync, renameSync, writeSync, rmSync, mkdirSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { withDiskFull } from './disk-full.js';

/**
 * Writes `content` to `path` atomically (temporary file + rename): readers see the old file or
 * the new one, never a part.
 * @throws DiskFullError when the disk is full (the old file, if any, is left as it was).
 * @example writeFileAtomic('runs/a/summary.json', JSON.stringify(summary));
 */
export function writeFileAtomic(path: string, content: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    withDiskFull(path, () => {
      const fd = openSync(tmp, 'w');
      try {
        writeSync(fd, typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    });
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}
