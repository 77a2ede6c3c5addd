// `longweave demo`: the whole pipeline on embedded defaults, ending in a real result. Generates the
// `tiny-demo` suite (datasets/tiny-demo.json) under the builtin model's own tokenizer, runs the
// builtin reference model (builtin:tiny, models/tiny/MODEL_CARD.md) through the embedded engine on
// the CPU densely and with one prefill and one decode sparse method at several compression ratios,
// writes summary.json and report.html, and prints the summary table and where the report is.
// Runs resume: a second `longweave demo` into the same folder reuses the dataset and the answers;
// other settings into the same folder need --force (which replaces the earlier demo) or another --out.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { parseLengths } from '../generators/core/length.js';
import { loadSuite, type SuiteTaskEntry } from '../generators/suite.js';
import { loadTokenizer } from '../generators/tokenizers/index.js';
import { resolveRecipe } from '../runner/recipe/load.js';
import type { RunRecipe } from '../runner/recipe/types.js';
import { buildReport } from '../runner/report/build.js';
import { terminalReport } from '../runner/report/tables.js';
import { terminalProgress } from '../runner/progress.js';
import { runGrid } from '../runner/run.js';
import { readRunState } from '../runner/run-dir.js';
import { parseCompressionList } from '../runner/engine/sparse/budget.js';
import { DECODE_METHOD_IDS, PREFILL_METHOD_IDS } from '../runner/engine/sparse/registry.js';
import { openCheckpoint } from '../runner/engine/checkpoint/checkpoint.js';
import { parameterCount } from '../runner/engine/checkpoint/config.js';
import { SchemaError } from '../schemas/index.js';
import { checkOutput, planJobs, writeDataset, type Manifest } from './dataset.js';
import { CliError } from './errors.js';
import { DEVICE_CHOICES, type DeviceRequest } from '../runner/engine/runtime/profile.js';
import { createProgress } from './progress.js';
import { numberFlag } from './numbers.js';

interface DemoArgs {
  out: string;
  suite: string;
  model: string;
  lengths?: string;
  samples?: number;
  seed?: string;
  task?: string[];
  attention: string;
  'decode-attention': string;
  compression: string;
  /** Where the engine runs (default auto). */
  device?: DeviceRequest;
  progress: boolean;
  json: boolean;
  force?: boolean;
}

/** What the demo ran: its folders and the run's report. */
export interface DemoResult {
  data: string;
  run: string;
  summaryPath: string;
  reportPath: string | undefined;
}

/** Generates the demo's dataset into `dir` unless a dataset with the same plan is there already. */
async function ensureDataset(dir: string, args: DemoArgs, quiet: boolean): Promise<void> {
  const suite = loadSuite(args.suite);
  const entries: SuiteTaskEntry[] = args.task && args.task.length > 0 ? suite.tasks.filter((t) => args.task!.includes(t.task)) : suite.tasks;
  if (entries.length === 0) throw new CliError(`--task ${args.task?.join(', ')}: none of the suite's tasks (${suite.tasks.map((t) => t.task).join(', ')}).`);
  let lengths: number[];
  try {
    lengths = parseLengths(args.lengths ?? suite.lengths ?? ['1k']);
  } catch (error) {
    throw new CliError(`--lengths: ${(error as Error).message}`);
  }
  const samples = args.samples ?? suite.samples ?? 3;
  const seed = args.seed ?? suite.seed ?? 0;
  const tokenizer = loadTokenizer(suite.tokenizer ?? 'builtin:tiny');
  const plan = { suite: suite.name, seed, tokenizer, chatTemplate: tokenizer.chatTemplate !== undefined, jobs: planJobs(entries, lengths, samples) };
  const manifestFile = join(dir, 'manifest.json');
  if (existsSync(manifestFile)) {
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
    const same = manifest.suite === plan.suite && String(manifest.seed) === String(seed) && manifest.tokenizer === tokenizer.id
      && manifest.files.length === plan.jobs.length && plan.jobs.every((j) => manifest.files.some((f) => f.task === j.task && f.length === j.length && f.samples === j.samples && f.name === j.name));
    if (same) return;
    throw new CliError(`${dir} holds another demo dataset (${manifest.suite}, seed ${manifest.seed}, other tasks, lengths or samples); pass --force to replace the demo in ${dirname(dir)}, or use another --out.`);
  }
  checkOutput(dir, plan, false);
  const started = performance.now();
  const manifest = await writeDataset(dir, plan, createProgress(quiet));
  const count = manifest.files.reduce((n, f) => n + f.samples, 0);
  if (!quiet) process.stderr.write(`longweave demo: wrote ${count} samples in ${manifest.files.length} files to ${dir} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
}

/**
 * Removes an earlier demo's dataset and run (--force). Only folders a demo wrote are removed: a
 * dataset of the demo's suite and a run named `demo`; anything else in the way is refused.
 * @throws CliError naming a folder that does not look like a demo's.
 */
function clearDemo(data: string, runDir: string): void {
  const isDemoData = (): boolean => {
    try {
      return typeof (JSON.parse(readFileSync(join(data, 'manifest.json'), 'utf8')) as Manifest).suite === 'string';
    } catch {
      return false;
    }
  };
  const isDemoRun = (): boolean => {
    try {
      return readRunState(runDir).recipe.name === 'demo';
    } catch {
      return false;
    }
  };
  if (existsSync(data) && !isDemoData()) throw new CliError(`--force: ${data} is not a dataset written by longweave; not removing it (use another --out).`);
  if (existsSync(runDir) && !isDemoRun()) throw new CliError(`--force: ${runDir} is not a demo run; not removing it (use another --out).`);
  rmSync(data, { recursive: true, force: true });
  rmSync(runDir, { recursive: true, force: true });
}

/**
 * Runs the demo pipeline: dataset, run, report.
 * @example await runDemo({ out: 'runs/demo', suite: 'tiny-demo', model: 'builtin:tiny', attention: 'a-shape', 'decode-attention': 'snapkv', compression: '2,5,10', progress: false, json: false })
 */
export async function runDemo(args: DemoArgs): Promise<DemoResult> {
  const out = resolve(args.out);
  const data = join(out, 'data');
  const runDir = join(out, 'run');
  const log = (message: string): void => void process.stderr.write(`longweave demo: ${message}\n`);
  let compression: number[];
  try {
    compression = parseCompressionList(args.compression);
  } catch (error) {
    throw new CliError(`--compression: ${(error as Error).message}`);
  }
  if (!(PREFILL_METHOD_IDS as readonly string[]).includes(args.attention)) throw new CliError(`--attention must be one of ${PREFILL_METHOD_IDS.join(', ')}.`);
  if (!(DECODE_METHOD_IDS as readonly string[]).includes(args['decode-attention'])) throw new CliError(`--decode-attention must be one of ${DECODE_METHOD_IDS.join(', ')}.`);
  let ckpt;
  try {
    ckpt = openCheckpoint(args.model);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  if (args.force) clearDemo(data, runDir);
  await ensureDataset(data, args, !args.progress);
  const sparse = compression.filter((c) => c > 1);
  const attention: NonNullable<RunRecipe['attention']> = [{ prefill: 'dense', decode: 'dense' }];
  if (sparse.length > 0) {
    if (args.attention !== 'dense') attention.push({ prefill: args.attention, decode: 'dense', compression: sparse });
    if (args['decode-attention'] !== 'dense') attention.push({ prefill: 'dense', decode: args['decode-attention'], compression: sparse });
  }
  const name = args.model.startsWith('builtin:') ? args.model.slice('builtin:'.length) : 'model';
  const recipe: RunRecipe = {
    name: 'demo',
    description: `longweave demo: ${args.model} through the engine on the CPU, dense and sparse`,
    data,
    models: [{ name, backend: 'engine', parameters: parameterCount(ckpt.spec), options: { path: args.model.startsWith('builtin:') ? args.model : ckpt.dir, device: args.device ?? 'auto' } }],
    attention,
  };
  let resolved;
  try {
    resolved = await resolveRecipe(recipe, { baseDir: out, where: 'demo' });
  } catch (error) {
    if (error instanceof SchemaError) throw new CliError(`${error.where}: ${error.issues.map((i) => `${i.path || '/'} ${i.message}`).join('; ')}`);
    throw error;
  }
  const outcome = await runGrid(resolved, { dir: runDir, log, ...(args.progress ? { progress: terminalProgress() } : {}) });
  log(`${runDir}: ${outcome.answered} answered${outcome.alreadyDone ? `, ${outcome.alreadyDone} done before` : ''}`);
  if (outcome.failed.length > 0) {
    const shown = outcome.failed.slice(0, 3).map((f) => `${f.id} (${f.method} C=${f.compression}): ${f.error}`);
    throw new CliError(`${outcome.failed.length} samples failed: ${shown.join(' | ')}`);
  }
  const report = await buildReport([runDir]);
  for (const warning of report.summary.warnings) log(`warning: ${warning}`);
  if (args.json) process.stdout.write(`${JSON.stringify(report.summary, null, 2)}\n`);
  else process.stdout.write(terminalReport(report.summary));
  return { data, run: runDir, summaryPath: report.summaryPath, reportPath: report.reportPath };
}

export const demoCommand: CommandModule<object, DemoArgs> = {
  command: 'demo',
  describe: 'The whole pipeline on embedded defaults: generate a small suite, run the builtin model densely and sparse on the CPU, write the report',
  builder: (y) =>
    y
      .option('out', { type: 'string', default: 'runs/demo', describe: 'Output folder: data/ (the dataset), run/ (the run, summary.json, report.html)' })
      .option('suite', { type: 'string', default: 'tiny-demo', describe: 'Suite to generate (a shipped name or a .json path)' })
      .option('model', { type: 'string', default: 'builtin:tiny', describe: 'Engine checkpoint: builtin:tiny or a checkpoint folder' })
      .option('lengths', { type: 'string', describe: "Lengths (default: the suite's, 1k,2k)" })
      .option('samples', { type: 'string', coerce: numberFlag('samples', { integer: true, min: 1 }), describe: "Samples per task and length (default: the suite's, 3)" })
      .option('seed', { type: 'string', describe: "Suite seed (default: the suite's, 7)" })
      .option('task', { type: 'string', array: true, describe: "Only these of the suite's tasks" })
      .option('attention', { type: 'string', default: 'a-shape', describe: `Prefill sparse method run beside dense (${PREFILL_METHOD_IDS.join(', ')}; dense: none)` })
      .option('decode-attention', { type: 'string', default: 'snapkv', describe: `Decode sparse method run beside dense (${DECODE_METHOD_IDS.join(', ')}; dense: none)` })
      .option('compression', { type: 'string', default: '2,5,10', describe: 'Compression ratios of the sparse methods' })
      .option('device', { choices: DEVICE_CHOICES, default: 'auto' as const, describe: 'Where the engine runs: auto (CUDA where usable, else WebGPU, else the CPU), cpu, webgpu or cuda' })
      .option('progress', { type: 'boolean', default: true, describe: 'Progress on stderr (--no-progress to hide)' })
      .option('json', { type: 'boolean', default: false, describe: 'Print summary.json instead of the table' })
      .option('force', { type: 'boolean', default: false, describe: "Replace an earlier demo's dataset and run in --out (by default a second demo with the same settings reuses them)" })
      .example('$0 demo', 'about 100 s on a 2-core CPU; then open runs/demo/run/report.html') as Argv<DemoArgs>,
  handler: async (args) => {
    const started = performance.now();
    const result = await runDemo(args);
    const seconds = ((performance.now() - started) / 1000).toFixed(0);
    process.stderr.write(`longweave demo: done in ${seconds} s; report: ${result.reportPath ?? result.summaryPath}\n`);
  },
};
