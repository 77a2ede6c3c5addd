// `longweave generate`: a suite or single tasks, at one or more lengths, written as JSONL files
// plus a manifest.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { parseLength, parseLengths } from '../generators/core/length.js';
import { loadSuite, suiteNames, type SuiteTaskEntry } from '../generators/suite.js';
import { DEFAULT_TOKENIZER, loadTokenizer, tokenizerNames, type Tokenizer } from '../generators/tokenizers/index.js';
import { DiskFullError } from '../runner/files/disk-full.js';
import { CliError } from './errors.js';
import { checkOutput, checkSources, planJobs, writeDataset } from './dataset.js';
import { createProgress } from './progress.js';
import { numberFlag } from './numbers.js';

interface GenerateArgs {
  suite: string | undefined;
  task: string[] | undefined;
  params: string | undefined;
  lengths: string | undefined;
  samples: number | undefined;
  seed: string | undefined;
  tokenizer: string | undefined;
  'chat-template': boolean | undefined;
  'template-kwargs': string | undefined;
  source: string[] | undefined;
  out: string;
  force: boolean;
  json: boolean;
  quiet: boolean;
}

function parseJsonFlag(flag: string, value: string | undefined): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed = JSON.parse(value) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new CliError(`--${flag} must be a JSON object, e.g. '{"keys": 8}' (${(error as Error).message}).`);
  }
}

/** `n thing` or `n things`. */
function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function lengthsFlag(text: string): number[] {
  try {
    return parseLengths(text);
  } catch (error) {
    throw new CliError(`--lengths: ${(error as Error).message}`);
  }
}

/** A suite's lengths, each error naming its place in the suite file. */
function suiteLengths(values: readonly (string | number)[], suite: string): number[] {
  return values.map((value, i) => {
    try {
      return parseLength(value);
    } catch (error) {
      throw new CliError(`${suite}: /lengths/${i} ${(error as Error).message}`);
    }
  });
}

function parseSources(values: string[] | undefined): Record<string, string> | undefined {
  if (!values || values.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf('=');
    if (at <= 0) throw new CliError(`--source ${value}: use TASK=PATH, e.g. qa/squad=train-v2.0.json.`);
    out[value.slice(0, at)] = value.slice(at + 1);
  }
  return out;
}

export const generateCommand: CommandModule<object, GenerateArgs> = {
  command: 'generate',
  describe: 'Generate a dataset: exact-length samples for a suite or single tasks',
  builder: (y) =>
    y
      .option('suite', { type: 'string', describe: `Suite recipe: a shipped name (${suiteNames().join(', ')}) or a path to a .json recipe` })
      .option('task', { type: 'string', array: true, describe: 'Task id (repeatable), instead of a suite; see `longweave tasks`' })
      .option('params', { type: 'string', describe: 'JSON object of parameters for the --task tasks, e.g. \'{"keys":8}\'' })
      .option('lengths', { type: 'string', describe: 'Comma-separated lengths in tokens: 4k,32k,128k,1m or integers (k = 1024)' })
      .option('samples', { type: 'string', coerce: numberFlag('samples', { integer: true, min: 1 }), describe: 'Samples per task and length (default: the suite\'s, else 10)' })
      .option('seed', { type: 'string', describe: 'Suite seed (default: the suite\'s, else 0)' })
      .option('tokenizer', { type: 'string', describe: `Tokenizer: ${tokenizerNames().join(', ')}, or a path to tokenizer.json / a model folder (default ${DEFAULT_TOKENIZER})` })
      .option('chat-template', {
        type: 'boolean',
        describe:
          "Count the prompt under the tokenizer's chat template (default: when it has one). --no-chat-template counts the raw prompt as a " +
          'completions endpoint sees it, with the special tokens the tokenizer adds: a Llama tokenizer adds <|begin_of_text|>, so N tokens ' +
          'there are N-1 tokens of text',
      })
      .option('template-kwargs', {
        type: 'string',
        describe:
          'JSON object of chat-template variables, as vLLM\'s chat_template_kwargs, e.g. \'{"enable_thinking":false}\'; recorded in the ' +
          'manifest and every sample, and part of every sample\'s seed and id',
      })
      .option('source', { type: 'string', array: true, describe: 'Source file for a task that reads one: TASK=PATH (repeatable)' })
      .option('out', { type: 'string', demandOption: true, describe: 'Output folder' })
      .option('force', { type: 'boolean', default: false, describe: 'Overwrite an existing dataset in --out' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the manifest as JSON on stdout' })
      .option('quiet', { type: 'boolean', default: false, describe: 'No progress on stderr' })
      .example('$0 generate --suite quick --out data/quick', 'the small suite at its own lengths')
      .example('$0 generate --task ruler/niah --lengths 4k,32k,128k --samples 50 --seed 7 --out data/niah', 'one task at three lengths'),
  handler: async (args) => {
    if (!args.suite && (!args.task || args.task.length === 0)) {
      throw new CliError('Name a --suite or at least one --task (see `longweave tasks`).');
    }
    if (args.suite && args.task && args.task.length > 0) throw new CliError('Use either --suite or --task, not both.');
    const suite = args.suite ? loadSuite(args.suite) : undefined;
    const params = parseJsonFlag('params', args.params);
    const entries: SuiteTaskEntry[] = suite?.tasks ?? (args.task ?? []).map((task) => ({ task, ...(params ? { params } : {}) }));
    const lengths = args.lengths !== undefined ? lengthsFlag(args.lengths) : suite?.lengths ? suiteLengths(suite.lengths, args.suite as string) : [4096];
    const samples = args.samples ?? suite?.samples ?? 10;
    const seed = args.seed ?? suite?.seed ?? 0;
    const templateVariables = parseJsonFlag('template-kwargs', args['template-kwargs']) ?? suite?.templateKwargs;
    const tokenizerName = args.tokenizer ?? suite?.tokenizer ?? DEFAULT_TOKENIZER;
    let tokenizer: Tokenizer;
    try {
      tokenizer = loadTokenizer(tokenizerName, templateVariables ? { templateVariables } : {});
    } catch (error) {
      // The loader's message names the tokenizer or its file; a suite's names where it came from.
      throw new CliError(args.tokenizer === undefined && suite?.tokenizer !== undefined ? `${args.suite}: /tokenizer ${(error as Error).message}` : (error as Error).message);
    }
    const chatTemplate = args['chat-template'] ?? suite?.chatTemplate ?? tokenizer.chatTemplate !== undefined;
    if (chatTemplate && !tokenizer.chatTemplate) throw new CliError(`Tokenizer ${tokenizer.id} has no chat template; use --no-chat-template.`);
    if (!chatTemplate && templateVariables && Object.keys(templateVariables).length > 0) {
      throw new CliError('--template-kwargs (or the suite\'s templateKwargs) only applies under a chat template, and this run counts the raw prompt; drop the kwargs or --no-chat-template.');
    }
    const sources = { ...(suite?.sources ?? {}), ...(parseSources(args.source) ?? {}) };
    const plan = {
      suite: suite?.name ?? 'custom',
      seed,
      tokenizer,
      chatTemplate,
      jobs: planJobs(entries, lengths, samples),
      ...(Object.keys(sources).length > 0 ? { sources } : {}),
    };
    checkSources(plan.jobs, plan.sources);
    const existed = existsSync(args.out);
    checkOutput(args.out, plan, args.force);
    const progress = createProgress(args.quiet);
    const started = performance.now();
    // Ctrl-C stops between samples and removes the staging folder; a second one quits at once.
    const controller = new AbortController();
    const onSignal = (): void => {
      if (controller.signal.aborted) process.exit(130);
      controller.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    let manifest;
    try {
      manifest = await writeDataset(args.out, plan, progress, controller.signal);
    } catch (error) {
      // A folder this command created and left empty (a length too short, an interruption) goes too.
      if (!existed && existsSync(args.out) && readdirSync(args.out).length === 0) rmSync(args.out, { recursive: true, force: true });
      if (error instanceof DiskFullError) throw new CliError(`disk full at ${error.file}; free space and run the same command again (nothing was written to ${args.out})`);
      throw error;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    const seconds = (performance.now() - started) / 1000;
    const count = manifest.files.reduce((sum, f) => sum + f.samples, 0);
    if (!args.quiet) process.stderr.write(`Wrote ${plural(count, 'sample')} in ${plural(manifest.files.length, 'file')} to ${args.out} (${seconds.toFixed(1)} s).\n`);
    if (args.json) process.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
  },
};
