// The command registry: one entry per `longweave <command>`, each defined in its own file and
// loaded only when invoked. `longweave --version` and `longweave --help` load none of them (the
// engine's onnxruntime, the tokenizers and vega take seconds to import); the usage and summary
// here are what the top-level help lists, and a test keeps them equal to the modules' own.
import type { CommandModule } from 'yargs';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyCommand = CommandModule<any, any>;

/** One command: its usage line, its summary, and how to load its module. */
export interface CommandEntry {
  usage: string;
  describe: string;
  load: () => Promise<AnyCommand>;
}

/** Every command, in the order `longweave --help` lists them. */
export const COMMANDS: Record<string, CommandEntry> = {
  generate: {
    usage: 'generate',
    describe: 'Generate a dataset: exact-length samples for a suite or single tasks',
    load: async () => (await import('./generate.js')).generateCommand,
  },
  tasks: {
    usage: 'tasks',
    describe: 'List every task with its category, scope/dispersion placement, parameters and defaults',
    load: async () => (await import('./tasks.js')).tasksCommand,
  },
  validate: {
    usage: 'validate <files..>',
    describe: 'Check files the package reads or writes against their schemas (globs allowed)',
    load: async () => (await import('./validate.js')).validateCommand,
  },
  score: {
    usage: 'score',
    describe: 'Score predictions against samples: writes results.jsonl and summary.json, prints a table',
    load: async () => (await import('./score.js')).scoreCommand,
  },
  run: {
    usage: 'run [recipe]',
    describe: 'Run models on datasets (a recipe grid, or one cell from flags) into a resumable run directory',
    load: async () => (await import('./run.js')).runCommand,
  },
  report: {
    usage: 'report <dirs..>',
    describe: 'Rebuild or merge run reports: writes summary.json and report.html, prints the summary table',
    load: async () => (await import('./report.js')).reportCommand,
  },
  engine: {
    usage: 'engine <command>',
    describe: 'The embedded engine: checkpoint info, quick generation, attention benchmarks, the graph cache, and its runtimes (doctor, install cuda)',
    load: async () => (await import('./engine.js')).engineCommand,
  },
  show: {
    usage: 'show <file>',
    describe: 'Print one sample readably: the prompt with its needles highlighted, the targets and the metadata',
    load: async () => (await import('./show.js')).showCommand,
  },
  demo: {
    usage: 'demo',
    describe: 'The whole pipeline on embedded defaults: generate a small suite, run the builtin model densely and sparse on the CPU, write the report',
    load: async () => (await import('./demo.js')).demoCommand,
  },
};

/**
 * The commands to register for an argument list: the invoked one loaded in full, the others as
 * usage and summary only (enough for the help listing and "did you mean").
 * @example await commandsFor(['run', 'sweep.json']) // run's module, and stubs for the rest
 */
export async function commandsFor(args: readonly string[]): Promise<AnyCommand[]> {
  const invoked = args.find((a) => !a.startsWith('-'));
  return Promise.all(
    Object.entries(COMMANDS).map(async ([name, entry]) =>
      name === invoked ? entry.load() : ({ command: entry.usage, describe: entry.describe, handler: () => undefined } satisfies AnyCommand),
    ),
  );
}
