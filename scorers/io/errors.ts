// The error every reader throws for bad input: it names the file, the line and the field.

/** Bad content in an input file. `line` is 1-based; `field` is a JSON path such as `/output`. */
export class InputFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly field: string | undefined,
    readonly problem: string,
  ) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${field !== undefined ? `field "${field}" ` : ''}${problem}`);
    this.name = 'InputFileError';
  }
}
