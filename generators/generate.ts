// Generation in process: one sample at a time, each from its own derived seed.
import { Random } from './core/random.js';
import { deriveSampleSeed, sampleId } from './core/seed.js';
import { formatIdentity, promptFormat } from './core/prompt-format.js';
import type { Sample } from './core/sample.js';
import { getTask } from './tasks/index.js';
import { resolveParams } from './params.js';
import { loadTokenizer, type Tokenizer } from './tokenizers/index.js';

export interface GenerateSampleOptions {
  task: string;
  /** Task parameters; defaults fill the rest. */
  params?: Record<string, unknown>;
  /** Exact prompt length in tokens. */
  length: number;
  /** Sample index within (task, params, length). */
  index: number;
  /** Suite seed. */
  seed?: number | string;
  /** Tokenizer instance or name (default qwen3). */
  tokenizer?: Tokenizer | string;
  /** Apply the tokenizer's chat template before counting (default: when it has one). */
  chatTemplate?: boolean;
  /** QA source files by task id. */
  sources?: Record<string, string>;
}

function tokenizerOf(value: Tokenizer | string | undefined): Tokenizer {
  return typeof value === 'object' ? value : loadTokenizer(value);
}

/**
 * Generates one sample. Pure given its inputs: the same options give the same sample anywhere. Its
 * seed and id depend on the tokenizer, chat template and template kwargs too, so one id never
 * names two different prompts.
 * @throws ParamError for bad parameters, LengthError when the length can't hold the task.
 * @example const sample = generateSample({ task: 'ruler/niah', length: 4096, index: 0, seed: 7 });
 */
export function generateSample(options: GenerateSampleOptions): Sample {
  const task = getTask(options.task);
  const params = resolveParams(task, options.params);
  const tokenizer = tokenizerOf(options.tokenizer);
  const chatTemplate = options.chatTemplate ?? tokenizer.chatTemplate !== undefined;
  const inputs = task.inputs?.(options.sources);
  const seed = deriveSampleSeed({
    suiteSeed: options.seed ?? 0,
    taskId: task.id,
    taskVersion: task.version,
    params,
    length: options.length,
    index: options.index,
    format: formatIdentity(promptFormat(tokenizer, chatTemplate)),
    ...(inputs ? { inputs } : {}),
  });
  const body = task.build({
    params,
    length: options.length,
    rng: new Random(seed),
    tokenizer,
    chatTemplate,
    seed,
    index: options.index,
    ...(options.sources ? { sources: options.sources } : {}),
  });
  return { id: sampleId(task.id, options.length, options.index, seed), ...body };
}

export interface GenerateOptions extends Omit<GenerateSampleOptions, 'index' | 'length'> {
  lengths: number[];
  samples: number;
}

/**
 * Generates samples lazily, length by length, one at a time.
 * @example for (const s of generate({ task: 'ruler/niah', lengths: [4096], samples: 3, seed: 7 })) console.log(s.id);
 */
export function* generate(options: GenerateOptions): Generator<Sample> {
  const tokenizer = tokenizerOf(options.tokenizer);
  for (const length of options.lengths) {
    for (let index = 0; index < options.samples; index++) {
      yield generateSample({ ...options, tokenizer, length, index });
    }
  }
}
