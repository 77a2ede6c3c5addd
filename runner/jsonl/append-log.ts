// An append-only JSON Lines file that survives crashes of the writing process. Each record is
// one `write(2)` of one complete line, so a killed process leaves at most one torn line at the
// end; `repairTail` finds and cuts it before anything else is appended.
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { withDiskFull } from '../files/disk-full.js';

/** What {@link repairTail} found at the end of a file. */
export interface TailRepair {
  /** Bytes removed from the end (0 when the file ended with a newline or was empty). */
  discardedBytes: number;
  /** The discarded fragment (at most 200 characters), for the log. */
  fragment: string;
}

/**
 * Truncates a file after its last newline, discarding a torn last line left by a crash.
 * A missing file is left alone.
 * @example repairTail('runs/a/predictions.jsonl') // { discardedBytes: 0, fragment: '' }
 */
export function repairTail(path: string): TailRepair {
  if (!existsSync(path)) return { discardedBytes: 0, fragment: '' };
  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return { discardedBytes: 0, fragment: '' };
    const chunk = Buffer.alloc(64 * 1024);
    let end = size;
    // Walk backwards chunk by chunk to the last newline.
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const length = end - start;
      readSync(fd, chunk, 0, length, start);
      const at = chunk.subarray(0, length).lastIndexOf(0x0a);
      if (at >= 0) {
        const keep = start + at + 1;
        return cut(fd, keep, size);
      }
      end = start;
    }
    return cut(fd, 0, size);
  } finally {
    closeSync(fd);
  }
}

function cut(fd: number, keep: number, size: number): TailRepair {
  if (keep === size) return { discardedBytes: 0, fragment: '' };
  const tail = Buffer.alloc(Math.min(size - keep, 200));
  readSync(fd, tail, 0, tail.length, keep);
  ftruncateSync(fd, keep);
  fsyncSync(fd);
  return { discardedBytes: size - keep, fragment: tail.toString('utf8') };
}

/**
 * Appends JSON records to a file, one complete line per `write(2)`.
 * Lines reach the kernel before `append` returns, so they survive a SIGKILL of this process;
 * `fsyncEveryMs` also bounds what a power loss can take.
 * @example
 * const log = new AppendLog('runs/a/predictions.jsonl');
 * log.append({ id: 'x', output: '...' });
 * log.close();
 */
export class AppendLog {
  private fd: number;
  private lastSync = Date.now();
  /** The write error that stopped this log, if any. */
  private broken: Error | undefined;

  constructor(
    readonly path: string,
    private readonly fsyncEveryMs = 1000,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    repairTail(path);
    this.fd = openSync(path, 'a');
  }

  /**
   * Writes one record as one line.
   * @throws DiskFullError when the disk is full (a part of the line may be on disk: the next
   *   opener cuts it, as after a crash).
   */
  append(record: unknown): void {
    if (this.broken) throw this.broken;
    const line = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
    let offset = 0;
    try {
      withDiskFull(this.path, () => {
        // writeSync on a regular file writes everything in one call in practice; loop for safety.
        while (offset < line.length) offset += writeSync(this.fd, line, offset, line.length - offset);
        const now = Date.now();
        if (now - this.lastSync >= this.fsyncEveryMs) {
          fsyncSync(this.fd);
          this.lastSync = now;
        }
      });
    } catch (error) {
      // Take back a partly written line (truncating needs no space), and write nothing more: a
      // later line must never continue a torn one.
      if (offset > 0 && offset < line.length) {
        try {
          ftruncateSync(this.fd, fstatSync(this.fd).size - offset);
        } catch {
          // the next opener's repairTail cuts it
        }
      }
      this.broken = error as Error;
      throw error;
    }
  }

  /**
   * Flushes to disk and closes the file (closed even when the flush fails).
   * @throws DiskFullError when the flush finds the disk full.
   */
  close(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    try {
      withDiskFull(this.path, () => fsyncSync(fd));
    } finally {
      closeSync(fd);
    }
  }
}
