// Errors the CLI reports as one line with a non-zero exit code.

/** A user-facing error: bad flags, bad files, refused overwrites. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
