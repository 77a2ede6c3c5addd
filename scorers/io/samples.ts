// Reading samples.jsonl for scoring: every line validated against schemas/sample.schema.json,
// ids unique across all files given. Prompts can be dropped after validation to save memory.
import type { Sample } from '../../generators/core/sample.js';
import { assertValid } from '../../schemas/index.js';
import { InputFileError } from './errors.js';
import { readJsonl } from './jsonl.js';

/** A sample as read, with where it came from. `input` and `messages` are empty when dropped. */
export interface LoadedSample {
  sample: Sample;
  file: string;
  line: number;
}

/** Reading options. */
export interface ReadSamplesOptions {
  /** Keep `input` and `messages` (default false: scoring does not need the prompt). */
  keepInput?: boolean;
}

/**
 * Reads and validates one or more samples.jsonl files, in order.
 * @throws SchemaError (file, line, JSON path, rule) for an invalid sample; InputFileError for bad
 * JSON, a missing file, or an id already used (naming both places).
 * @example const samples = await readSamples(['data/niah/samples.jsonl'])
 */
export async function readSamples(files: readonly string[], options: ReadSamplesOptions = {}): Promise<LoadedSample[]> {
  const out: LoadedSample[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    for await (const { line, value } of readJsonl(file)) {
      const sample = assertValid<Sample>('sample', value, `${file}:${line}`);
      const previous = seen.get(sample.id);
      if (previous !== undefined) throw new InputFileError(file, line, 'id', `repeats id ${JSON.stringify(sample.id)} first used at ${previous}`);
      seen.set(sample.id, `${file}:${line}`);
      if (!options.keepInput) {
        sample.input = '';
        sample.messages = [];
      }
      out.push({ sample, file, line });
    }
  }
  return out;
}
