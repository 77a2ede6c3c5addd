// A full disk (or an exhausted quota) while writing: one error that names the file and says what
// to do, instead of an uncaught ENOSPC stack trace. What was written before stays valid: appended
// lines are whole or cut on resume, atomic writes leave the previous file in place.

/** Error codes of a write that failed for lack of space. */
const NO_SPACE = new Set(['ENOSPC', 'EDQUOT']);

/** Whether an error is the file system's "no space left" (or "quota exceeded"). */
export function isDiskFull(error: unknown): boolean {
  return NO_SPACE.has((error as NodeJS.ErrnoException | undefined)?.code ?? '');
}

/** A write failed because the disk (or the user's quota) is full. */
export class DiskFullError extends Error {
  constructor(
    /** The file being written. */
    readonly file: string,
    /** What the user should run once space is free (e.g. `longweave run --resume runs/x`). */
    readonly next?: string,
    options?: { cause?: unknown },
  ) {
    super(`disk full at ${file}; free space${next ? ` and ${next}` : ''}`, options);
    this.name = 'DiskFullError';
  }
}

/**
 * Runs a write and turns ENOSPC / EDQUOT into a {@link DiskFullError} naming `file`.
 * @throws DiskFullError when the disk is full; any other error as it was.
 * @example withDiskFull('runs/a/predictions.jsonl', () => writeSync(fd, line));
 */
export function withDiskFull<T>(file: string, write: () => T): T {
  try {
    return write();
  } catch (error) {
    if (isDiskFull(error)) throw new DiskFullError(file, undefined, { cause: error });
    throw error;
  }
}
