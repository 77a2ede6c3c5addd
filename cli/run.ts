// `longweave run`: run a recipe's grid (or one cell given by flags) into a run directory, or
// resume one; then write summary.json and report.html and print the summary table.
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { DEVICE_CHOICES, type DeviceRequest } from '../runner/engine/runtime/profile.js';
import { SchemaError } from '../schemas/index.js';
import { BACKEND_NAMES } from '../runner/backends/registry.js';
import { parseShard, type Shard } from '../runner/grid.js';
import { flagForPath, flagsToRecipe } from '../runner/recipe/flags.js';
import { loadRecipeFile, resolveRecipe } from '../runner/recipe/load.js';
import type { ResolvedRecipe, RunRecipe } from '../runner/recipe/types.js';
import { buildReport } from '../runner/report/build.js';
import { terminalReport } from '../runner/report/tables.js';
import { terminalProgress } from '../runner/progress.js';
import { resumeRun, runGrid, type FailedSample, type RunOutcome } from '../runner/run.js';
import { BackendFailure } from '../runner/backends/entry.js';
import { DiskFullError } from '../runner/files/disk-full.js';
import { CliError } from './errors.js';
import { numberFlag } from './numbers.js';
import { DECODE_METHOD_IDS, PREFILL_METHOD_IDS } from '../runner/engine/sparse/registry.js';
import { parseCompressionList } from '../runner/engine/sparse/budget.js';

interface RunArgs {
  recipe?: string;
  resume?: string;
  out?: string;
  shard?: string;
  backend?: string;
  'base-url'?: string[];
  model?: string;
  samples?: string[];
  endpoint?: 'chat' | 'completions';
  'api-key-env'?: string;
  concurrency?: number;
  'timeout-ms'?: number;
  retries?: number;
  'max-output-tokens'?: number;
  limit?: number;
  'corrupt-rate'?: number;
  predictions?: string;
  device?: DeviceRequest;
  attention?: string;
  'decode-attention'?: string;
  compression?: string;
  gpus?: string;
  workers?: number;
  json: boolean;
  report: boolean;
  'failed-as-zero': boolean;
  progress: boolean;
}

/**
 * A schema error as one line listing every issue: recipe paths for a recipe file, the flags the
 * user typed for a one-cell run.
 */
function recipeError(error: SchemaError, flagRecipe: RunRecipe | undefined): CliError {
  if (flagRecipe) {
    const issues = error.issues.map((i) => {
      const flag = flagForPath(i.path, flagRecipe);
      return flag ? `${flag}: ${i.message}` : `${i.path || '/'} ${i.message} [${i.rule}]`;
    });
    return new CliError(issues.join('; '));
  }
  const issues = error.issues.map((i) => (i.path === '' && (i.rule === 'file' || i.rule === 'json') ? i.message : `${i.path || '/'} ${i.message} [${i.rule}]`)).join('; ');
  return new CliError(`${error.where}: ${issues}`);
}

/** Errors that stop a run half way, as what to do next. */
export function stoppedError(error: unknown, dir: string): unknown {
  const resume = `\`longweave run --resume ${dir}\``;
  if (error instanceof DiskFullError) return new CliError(`disk full at ${error.file}; free space and continue with ${resume} (everything answered so far is kept)`);
  if (error instanceof BackendFailure && error.fatal) return new CliError(`${error.message}\nThe run stopped; nothing was recorded for the samples in flight. Fix this and continue with ${resume}.`);
  return error;
}

function compressionList(text: string): number[] {
  try {
    return parseCompressionList(text);
  } catch (error) {
    throw new CliError(`--compression: ${(error as Error).message}`);
  }
}

async function resolveFromArgs(args: RunArgs, flagRecipe: { recipe?: RunRecipe }): Promise<ResolvedRecipe> {
  if (args.recipe !== undefined) {
    if (args.model !== undefined || args.samples !== undefined) {
      throw new CliError('Give a recipe file or the single-cell flags (--backend, --model, --samples), not both.');
    }
    const resolved = await loadRecipeFile(args.recipe);
    // With a recipe, --backend only states what the recipe must use (`run sweep.json --backend engine --gpus all`).
    const other = args.backend === undefined ? undefined : resolved.models.find((m) => m.backend !== args.backend);
    if (other) throw new CliError(`--backend ${args.backend}: the recipe's model ${other.name} uses backend ${other.backend}; with a recipe, --backend must match every model's.`);
    return resolved;
  }
  const missing = (['backend', 'model', 'samples'] as const).filter((k) => args[k] === undefined);
  if (missing.length > 0) {
    throw new CliError(`Give a recipe file, --resume RUN_DIR, or a single cell with --backend, --model and --samples (missing: ${missing.map((m) => `--${m}`).join(', ')}).`);
  }
  const recipe = flagsToRecipe({
    backend: args.backend as string,
    model: args.model as string,
    samples: args.samples as string[],
    ...(args['base-url'] ? { baseUrl: args['base-url'] } : {}),
    ...(args.endpoint ? { endpoint: args.endpoint } : {}),
    ...(args['api-key-env'] ? { apiKeyEnv: args['api-key-env'] } : {}),
    ...(args.concurrency !== undefined ? { concurrency: args.concurrency } : {}),
    ...(args['timeout-ms'] !== undefined ? { timeoutMs: args['timeout-ms'] } : {}),
    ...(args.retries !== undefined ? { retries: args.retries } : {}),
    ...(args['max-output-tokens'] !== undefined ? { maxOutputTokens: args['max-output-tokens'] } : {}),
    ...(args.limit !== undefined ? { limit: args.limit } : {}),
    ...(args['corrupt-rate'] !== undefined ? { corruptRate: args['corrupt-rate'] } : {}),
    ...(args.predictions !== undefined ? { predictions: args.predictions } : {}),
    ...(args.device !== undefined ? { device: args.device } : {}),
    ...(args.attention !== undefined ? { attention: args.attention } : {}),
    ...(args['decode-attention'] !== undefined ? { decodeAttention: args['decode-attention'] } : {}),
    ...(args.compression !== undefined ? { compression: compressionList(args.compression) } : {}),
  });
  flagRecipe.recipe = recipe;
  return resolveRecipe(recipe, { baseDir: process.cwd(), where: 'flags' });
}

/**
 * The failed samples of a run, as what to do: those a later attempt may answer (asked again by
 * --resume) apart from those that would fail the same way (HTTP 400, a prompt over the context).
 */
export function describeFailures(failed: readonly FailedSample[], dir: string): string[] {
  const list = (items: readonly FailedSample[]): string => {
    const shown = items.slice(0, 5).map((f) => `${f.id} (${f.model}, ${f.method} C=${f.compression}): ${f.error}`);
    return `${shown.join(' | ')}${items.length > 5 ? ` | ... (${items.length - 5} more in summary.json)` : ''}`;
  };
  const plural = (n: number): string => `${n} sample${n === 1 ? '' : 's'}`;
  const again = failed.filter((f) => f.retryable);
  const never = failed.filter((f) => !f.retryable);
  const lines: string[] = [];
  if (again.length > 0) lines.push(`${plural(again.length)} failed after the retry budget: ${list(again)}; ask again with \`longweave run --resume ${dir}\``);
  if (never.length > 0) lines.push(`${plural(never.length)} failed for a reason asking again can't fix: ${list(never)}; fix the cause (request, model or samples) and rerun`);
  lines.push(`failed samples are left out of the means (n counts answered samples only); \`longweave report ${dir} --failed-as-zero\` scores them 0`);
  return lines;
}

function describeOutcome(dir: string, outcome: RunOutcome): string {
  const parts = [`${outcome.answered} answered`, `${outcome.failed.length} failed`];
  if (outcome.alreadyDone) parts.push(`${outcome.alreadyDone} done before`);
  if (outcome.rescored) parts.push(`${outcome.rescored} scored from stored predictions`);
  return `${dir}: ${parts.join(', ')}`;
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run [recipe]',
  describe: 'Run models on datasets (a recipe grid, or one cell from flags) into a resumable run directory',
  builder: (y) =>
    y
      .positional('recipe', { type: 'string', description: 'Run recipe (JSON, schemas/run-recipe.schema.json)' })
      .option('resume', { type: 'string', description: 'Continue the run in this directory' })
      .option('out', { type: 'string', description: 'Run directory (default: runs/<recipe name>)' })
      .option('shard', { type: 'string', description: 'Run shard i/n of the grid (0-based), e.g. 0/4' })
      .option('backend', { choices: BACKEND_NAMES, description: 'Single cell: backend' })
      .option('base-url', { type: 'string', array: true, description: 'Single cell (openai): server base URL(s), e.g. http://localhost:8000/v1' })
      .option('model', { type: 'string', description: 'Single cell: model name (sent to the server), or the checkpoint folder (engine)' })
      .option('device', { choices: DEVICE_CHOICES, description: 'Single cell (engine): where the engine runs (default auto: CUDA where usable, else WebGPU, else the CPU)' })
      .option('attention', { choices: PREFILL_METHOD_IDS, description: 'Single cell: prefill attention method (default dense); dense runs beside it' })
      .option('decode-attention', { choices: DECODE_METHOD_IDS, description: 'Single cell: decode attention method (default dense)' })
      .option('compression', { type: 'string', description: 'Single cell: compression ratios C = 1/(1-sparsity) to sweep, e.g. 1.5,2,5,10,20' })
      .option('samples', { type: 'string', array: true, description: 'Single cell: samples.jsonl file(s)' })
      .option('endpoint', { choices: ['chat', 'completions'] as const, description: 'Single cell (openai): endpoint (default chat)' })
      .option('api-key-env', { type: 'string', description: 'Single cell (openai): environment variable holding the API key' })
      .option('concurrency', { type: 'string', coerce: numberFlag('concurrency', { integer: true, min: 1 }), description: 'Single cell: requests in flight' })
      .option('timeout-ms', { type: 'string', coerce: numberFlag('timeout-ms', { integer: true, min: 1 }), description: 'Single cell (openai): per-request timeout' })
      .option('retries', { type: 'string', coerce: numberFlag('retries', { integer: true, min: 0 }), description: 'Single cell (openai): retries per request' })
      .option('max-output-tokens', { type: 'string', coerce: numberFlag('max-output-tokens', { integer: true, min: 1 }), description: "Single cell (openai): override the samples' output budget" })
      .option('limit', { type: 'string', coerce: numberFlag('limit', { integer: true, min: 1 }), description: 'Single cell: first N samples of each file' })
      .option('corrupt-rate', { type: 'string', coerce: numberFlag('corrupt-rate', { min: 0, max: 1 }), description: 'Single cell (oracle): share of answers corrupted' })
      .option('predictions', { type: 'string', description: 'Single cell (replay): predictions file to answer from' })
      .option('gpus', { type: 'string', description: 'Run on worker processes, one per GPU, each pinned to its GPU: all, a count (2: the first two) or indices (0,1; one index alone: 3,); see docs/multi-gpu.md' })
      .option('workers', { type: 'string', coerce: numberFlag('workers', { integer: true, min: 1 }), description: 'Number of worker processes (default: one per GPU); several may share a GPU, or run on the CPU without --gpus' })
      .option('json', { type: 'boolean', default: false, description: 'Print summary.json to stdout instead of the table' })
      .option('report', { type: 'boolean', default: true, description: 'Write summary.json and report.html at the end (--no-report to skip)' })
      .option('failed-as-zero', { type: 'boolean', default: false, description: 'In the report, score failed requests 0 instead of leaving them out of the means' })
      .option('progress', { type: 'boolean', default: true, description: 'Progress on stderr (--no-progress to hide)' })
      .example('$0 run recipes/sweep.json --shard 0/2', 'Run half of a grid')
      .example('$0 run --backend openai --base-url http://localhost:8000/v1 --model Qwen/Qwen3-8B --samples data/quick/ruler.niah/4k/samples.jsonl --out runs/q', 'One cell (a file written by `longweave generate --suite quick --out data/quick`)')
      .example('$0 run --resume runs/q', 'Continue an interrupted run')
      .example('$0 run engine-sweep.json --backend engine --gpus all', 'A recipe of engine models, one worker per GPU of this host') as never,
  handler: async (args) => {
    const controller = new AbortController();
    let interrupts = 0;
    const onSignal = (): void => {
      interrupts++;
      if (interrupts > 1) process.exit(130);
      process.stderr.write('\nlongweave: stopping (requests in flight are dropped and asked again on --resume); press Ctrl-C again to quit at once\n');
      controller.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const log = (message: string): void => void process.stderr.write(`longweave: ${message}\n`);
    let dir: string | undefined;
    let outcome: RunOutcome;
    const flagRecipe: { recipe?: RunRecipe } = {};
    try {
      const progress = args.progress ? terminalProgress() : undefined;
      const pool = args.gpus !== undefined || args.workers !== undefined ? { ...(args.gpus !== undefined ? { gpus: args.gpus } : {}), ...(args.workers !== undefined ? { workers: args.workers } : {}) } : undefined;
      const common = { signal: controller.signal, log, ...(progress ? { progress } : {}), ...(pool ? { pool } : {}) };
      if (args.resume !== undefined) {
        if (args.recipe !== undefined || args.shard !== undefined) throw new CliError('--resume takes the recipe and shard from the run directory; give neither.');
        dir = args.resume;
        outcome = await resumeRun({ dir, ...common });
      } else {
        const resolved = await resolveFromArgs(args, flagRecipe);
        let shard: Shard | undefined;
        try {
          shard = args.shard !== undefined ? parseShard(args.shard) : undefined;
        } catch (error) {
          throw new CliError((error as Error).message);
        }
        dir = args.out ?? join('runs', shard ? `${resolved.recipe.name}-${shard.index}of${shard.count}` : resolved.recipe.name);
        outcome = await runGrid(resolved, { dir, ...common, ...(shard ? { shard } : {}) });
      }
    } catch (error) {
      if (error instanceof SchemaError) throw recipeError(error, flagRecipe.recipe);
      throw dir === undefined ? error : stoppedError(error, dir);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    log(describeOutcome(dir, outcome));
    if (outcome.interrupted) {
      process.exitCode = 130;
      log(`interrupted; continue with: longweave run --resume ${dir}`);
      return;
    }
    if (args.report) {
      const report = await buildReport([dir], args['failed-as-zero'] ? { failedAsZero: true } : {});
      for (const warning of report.summary.warnings) log(`warning: ${warning}`);
      log(`wrote ${report.summaryPath}${report.reportPath ? ` and ${report.reportPath}` : ''}`);
      process.stdout.write(args.json ? `${JSON.stringify(report.summary, null, 2)}\n` : terminalReport(report.summary));
    }
    if (outcome.failed.length > 0) {
      process.exitCode = 3;
      for (const line of describeFailures(outcome.failed, dir)) log(line);
    }
  },
};
