// `longweave score`: scores predictions against samples and writes results.jsonl and summary.json.
// Everything is read and checked before anything is written: a bad line in any input (or, with
// --strict, an unmatched id) leaves the output folder untouched.
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { CliError } from './errors.js';
import { writeFileAtomic } from '../runner/files/write-atomic.js';
import { SchemaError, assertValid } from '../schemas/index.js';
import { InputFileError } from '../scorers/io/errors.js';
import { readSamples } from '../scorers/io/samples.js';
import { readPredictions, type LoadedPrediction } from '../scorers/io/predictions.js';
import { matchPredictions } from '../scorers/match.js';
import { scoreSample } from '../scorers/score-sample.js';
import { isScorerName, SCORER_NAMES } from '../scorers/registry.js';
import { summarize, toResultRecord, type GroupSummary, type ResultRecord, type ScoreSummary } from '../scorers/summarize.js';
import { packageVersion } from '../generators/version.js';

interface ScoreArgs {
  samples: string[];
  predictions: string[];
  out: string;
  json: boolean;
  compat?: 'paper-reference';
  strict: boolean;
}

/** summary.json as written. */
export interface SummaryFile extends Omit<ScoreSummary, 'totals'> {
  longweave: string;
  config: { compat: 'none' | 'paper-reference'; ci: string };
  inputs: { samples: InputFile[]; predictions: InputFile[] };
  unmatched: { predictionsWithoutSample: string[]; samplesWithoutPrediction: string[] };
  totals: ScoreSummary['totals'] & { predictionsWithoutSample: number };
}

interface InputFile {
  path: string;
  sha256: string;
  lines: number;
}

const CI_DESCRIPTION = '95%: Wilson score interval when every score is 0 or 1, Student t interval of the mean otherwise (clipped to [0, 1])';

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function pct(value: number | null): string {
  return value === null ? '-' : (value * 100).toFixed(1);
}

/**
 * The terminal table: one row per group, scores x100.
 * @example formatTable(summary.groups)
 */
export function formatTable(groups: readonly GroupSummary[]): string {
  const withMethod = groups.some((g) => g.method !== undefined || g.compression !== undefined);
  const header = ['task', 'length', ...(withMethod ? ['method', 'C'] : []), 'scorer', 'n', 'mean', '95% CI', 'pass%', 'no-ans%', 'trunc%'];
  const rows = groups.map((g) => [
    g.task,
    String(g.length),
    ...(withMethod ? [g.method ?? 'dense', g.compression !== undefined ? String(g.compression) : '1'] : []),
    g.scorer,
    g.excluded ? `${g.n} (+${g.excluded} excl.)` : String(g.n),
    pct(g.mean),
    g.ci ? `${pct(g.ci.low)}-${pct(g.ci.high)}` : '-',
    pct(g.passRate),
    pct(g.noAnswerRate),
    pct(g.truncatedRate),
  ]);
  const numeric = new Set(['length', 'C', 'n', 'mean', '95% CI', 'pass%', 'no-ans%', 'trunc%']);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (numeric.has(header[i] as string) ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function listIds(ids: readonly string[]): string {
  const shown = ids.slice(0, 10).map((id) => JSON.stringify(id)).join(', ');
  return ids.length > 10 ? `${shown}, ... (${ids.length - 10} more in summary.json)` : shown;
}

/**
 * Sample files from the --samples arguments: a folder stands for every `samples.jsonl` under it
 * (a dataset written by `longweave generate`), sorted by path.
 * @throws CliError for a folder with no samples.jsonl.
 */
export function expandSampleFiles(paths: readonly string[]): string[] {
  return paths.flatMap((path) => {
    let isDir = false;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      return [path]; // the reader reports the missing file
    }
    if (!isDir) return [path];
    const found = (readdirSync(path, { recursive: true }) as string[]).filter((f) => f === 'samples.jsonl' || f.endsWith('/samples.jsonl')).sort().map((f) => join(path, f));
    if (found.length === 0) throw new CliError(`${path}: folder holds no samples.jsonl`);
    return found;
  });
}

/**
 * Scores predictions against samples; returns the results and the summary without writing.
 * @throws CliError for invalid input (file, line and field named).
 */
export async function scoreFiles(args: Omit<ScoreArgs, 'json' | 'out'>): Promise<{ results: ResultRecord[]; summary: SummaryFile }> {
  try {
    args = { ...args, samples: expandSampleFiles(args.samples) };
    const samples = await readSamples(args.samples);
    const predictions: LoadedPrediction[] = [];
    const seen = new Map<string, string>();
    for (const file of args.predictions) {
      for (const p of await readPredictions(file)) {
        const previous = seen.get(p.prediction.id);
        if (previous !== undefined) throw new InputFileError(file, p.line, p.idSource, `repeats id ${JSON.stringify(p.prediction.id)} first used at ${previous}`);
        seen.set(p.prediction.id, `${file}:${p.line}`);
        predictions.push(p);
      }
    }
    for (const { sample, file, line } of samples) {
      if (!isScorerName(sample.metadata.scorer)) {
        throw new InputFileError(file, line, '/metadata/scorer', `names unknown scorer ${JSON.stringify(sample.metadata.scorer)}; known scorers are ${SCORER_NAMES.join(', ')}`);
      }
    }
    const matched = matchPredictions(
      samples.map((s) => s.sample),
      predictions,
    );
    if (args.strict && (matched.predictionsWithoutSample.length || matched.samplesWithoutPrediction.length)) {
      throw new CliError(
        `--strict: ${matched.predictionsWithoutSample.length} predictions without a sample [${listIds(matched.predictionsWithoutSample)}], ` +
          `${matched.samplesWithoutPrediction.length} samples without a prediction [${listIds(matched.samplesWithoutPrediction)}]`,
      );
    }
    const options = args.compat ? { compat: args.compat } : {};
    const results = matched.pairs.map(({ sample, prediction }) =>
      toResultRecord(sample, scoreSample(sample, prediction.prediction, options), {
        ...(prediction.prediction.model !== undefined ? { model: prediction.prediction.model } : {}),
        ...(prediction.prediction.attention ? { attention: prediction.prediction.attention } : {}),
      }),
    );
    const summary = summarize(
      results,
      samples.map(({ sample }) => ({ id: sample.id, task: sample.task, length: sample.metadata.targetLength })),
    );
    const countLines = (file: string, n: number): Promise<InputFile> => sha256(file).then((h) => ({ path: file, sha256: h, lines: n }));
    const file: SummaryFile = {
      longweave: packageVersion(),
      config: { compat: args.compat ?? 'none', ci: CI_DESCRIPTION },
      inputs: {
        samples: await Promise.all(args.samples.map((f) => countLines(f, samples.filter((s) => s.file === f).length))),
        predictions: await Promise.all(args.predictions.map((f) => countLines(f, predictions.filter((p) => p.file === f).length))),
      },
      groups: summary.groups,
      missing: summary.missing,
      unmatched: { predictionsWithoutSample: matched.predictionsWithoutSample, samplesWithoutPrediction: matched.samplesWithoutPrediction },
      totals: { ...summary.totals, predictionsWithoutSample: matched.predictionsWithoutSample.length },
    };
    results.forEach((r, i) => assertValid('result', r, `results.jsonl:${i + 1}`));
    assertValid('summary', file, 'summary.json');
    return { results, summary: file };
  } catch (error) {
    if (error instanceof InputFileError || error instanceof SchemaError) throw new CliError(error.message);
    throw error;
  }
}

export const scoreCommand: CommandModule<object, ScoreArgs> = {
  command: 'score',
  describe: 'Score predictions against samples: writes results.jsonl and summary.json, prints a table',
  builder: (y) =>
    y
      .option('samples', { type: 'string', array: true, demandOption: true, description: 'samples.jsonl file(s), or dataset folder(s) (every samples.jsonl inside)' })
      .option('predictions', { type: 'string', array: true, demandOption: true, description: "predictions.jsonl file(s): ours, RULER's (index/pred) or lm-eval's (doc_id/resps)" })
      .option('out', { type: 'string', demandOption: true, description: 'Output folder for results.jsonl and summary.json' })
      .option('json', { type: 'boolean', default: false, description: 'Print summary.json to stdout instead of the table' })
      .option('compat', { choices: ['paper-reference'] as const, description: "Reproduce the paper's reference scoring, quirks included" })
      .option('strict', { type: 'boolean', default: false, description: 'Fail (write nothing) when a prediction has no sample or a sample has no prediction' })
      .example('$0 score --samples data/niah/samples.jsonl --predictions runs/a/predictions.jsonl --out runs/a', '') as never,
  handler: async (args) => {
    const { results, summary } = await scoreFiles(args);
    writeFileAtomic(join(args.out, 'results.jsonl'), results.map((r) => JSON.stringify(r)).join('\n') + (results.length ? '\n' : ''));
    writeFileAtomic(join(args.out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    const { predictionsWithoutSample, samplesWithoutPrediction } = summary.unmatched;
    if (predictionsWithoutSample.length) process.stderr.write(`warning: ${predictionsWithoutSample.length} predictions have no sample: ${listIds(predictionsWithoutSample)}\n`);
    if (samplesWithoutPrediction.length) process.stderr.write(`warning: ${samplesWithoutPrediction.length} samples have no prediction: ${listIds(samplesWithoutPrediction)}\n`);
    process.stderr.write(`scored ${results.length} predictions; wrote ${join(args.out, 'results.jsonl')} and ${join(args.out, 'summary.json')}\n`);
    process.stdout.write(args.json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatTable(summary.groups)}\n`);
  },
};
