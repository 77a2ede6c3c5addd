// `longweave score`: scores predictions against samples and writes results.jsonl and summary.json.
// Everything is read and checked before anything is written: a bad line in any input (or, with
// --strict, an unmatched id) leaves the output folder untouched. A run's own predictions.jsonl
// scores as it is: several models, methods and ratios, and retried failures, each in its place.
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { CliError } from './errors.js';
import { writeFileAtomic } from '../runner/files/write-atomic.js';
import { SchemaError, assertValid } from '../schemas/index.js';
import { InputFileError } from '../scorers/io/errors.js';
import { readJsonl } from '../scorers/io/jsonl.js';
import { readSamples } from '../scorers/io/samples.js';
import { normalizePrediction, type LoadedPrediction } from '../scorers/io/predictions.js';
import { matchPredictions, type MatchedPair } from '../scorers/match.js';
import { scoreSample, type SampleScore } from '../scorers/score-sample.js';
import { isScorerName, SCORER_NAMES } from '../scorers/registry.js';
import { summarize, toResultRecord, type GroupSummary, type ResultRecord, type ScoreSummary } from '../scorers/summarize.js';
import type { Sample } from '../generators/core/sample.js';
import type { Prediction } from '../schemas/prediction.js';
import { samplesFormatProblem } from '../runner/samples-format.js';
import { packageVersion } from '../generators/version.js';
import { SCORER_VERSION } from '../scorers/version.js';

interface ScoreArgs {
  samples: string[];
  predictions: string[];
  out: string;
  json: boolean;
  compat?: 'paper-reference';
  strict: boolean;
  'failed-as-zero'?: boolean;
}

/** A prediction that records a failed request (an `error`, no answer). */
export interface FailedPrediction {
  id: string;
  model?: string;
  method?: string;
  compression?: number;
  error: string;
}

/** A group of summary.json: the scorers' figures, with the model when several are scored, and failed requests. */
export type SummaryGroup = GroupSummary & { model?: string; failed?: number };

/** summary.json as written. */
export interface SummaryFile extends Omit<ScoreSummary, 'totals' | 'groups'> {
  longweave: string;
  /** `failed`: whether failed requests are left out of the means or scored 0 (`--failed-as-zero`). */
  config: { compat: 'none' | 'paper-reference'; ci: string; scorerVersion: number; failed: 'excluded' | 'scored-zero' };
  inputs: { samples: InputFile[]; predictions: InputFile[] };
  groups: SummaryGroup[];
  unmatched: { predictionsWithoutSample: string[]; samplesWithoutPrediction: string[] };
  failed: FailedPrediction[];
  totals: ScoreSummary['totals'] & { predictionsWithoutSample: number; failed: number };
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
export function formatTable(groups: readonly SummaryGroup[]): string {
  const withMethod = groups.some((g) => g.method !== undefined || g.compression !== undefined);
  const withModel = groups.some((g) => g.model !== undefined);
  const withFailed = groups.some((g) => g.failed !== undefined);
  const header = [...(withModel ? ['model'] : []), 'task', 'length', ...(withMethod ? ['method', 'C'] : []), 'scorer', 'n', ...(withFailed ? ['failed'] : []), 'mean', '95% CI', 'pass%', 'no-ans%', 'trunc%'];
  const rows = groups.map((g) => [
    ...(withModel ? [g.model ?? '-'] : []),
    g.task,
    String(g.length),
    ...(withMethod ? [g.method ?? 'dense', g.compression !== undefined ? String(g.compression) : '1'] : []),
    g.scorer,
    g.excluded ? `${g.n} (+${g.excluded} excl.)` : String(g.n),
    ...(withFailed ? [String(g.failed ?? 0)] : []),
    pct(g.mean),
    g.ci ? `${pct(g.ci.low)}-${pct(g.ci.high)}` : '-',
    pct(g.passRate),
    pct(g.noAnswerRate),
    pct(g.truncatedRate),
  ]);
  const numeric = new Set(['length', 'C', 'n', 'failed', 'mean', '95% CI', 'pass%', 'no-ans%', 'trunc%']);
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

/** The setting a prediction belongs to: model, attention method and compression, when recorded. */
interface Setting {
  model?: string;
  method?: string;
  compression?: number;
}

function settingOf(prediction: Prediction): Setting {
  const setting: Setting = {};
  if (prediction.model !== undefined) setting.model = prediction.model;
  if (prediction.attention) {
    setting.method = `${prediction.attention.prefill}/${prediction.attention.decode}`;
    setting.compression = prediction.attention.compression;
  }
  return setting;
}

const settingKey = (s: Setting): string => JSON.stringify([s.model ?? null, s.method ?? null, s.compression ?? null]);

function describeSetting(s: Setting): string {
  const parts = [s.model !== undefined ? `model ${s.model}` : '', s.method !== undefined ? `${s.method} C=${s.compression}` : ''].filter(Boolean);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/**
 * Reads predictions files, ours (a run's predictions.jsonl included) or other harnesses'. An id
 * may repeat across settings (several models, methods or ratios in one file); within a setting, a
 * later answer replaces an earlier failed line (a run's retries keep their history), a later
 * failure never replaces an answer, and two answers are an error.
 * @throws InputFileError naming both lines of a repeated answer.
 */
async function readAllPredictions(files: readonly string[]): Promise<{ predictions: LoadedPrediction[]; lines: Map<string, number> }> {
  const byKey = new Map<string, LoadedPrediction>();
  const lines = new Map<string, number>();
  for (const file of files) {
    let count = 0;
    for await (const { line, value } of readJsonl(file)) {
      count++;
      const loaded = normalizePrediction(value as Record<string, unknown>, file, line);
      const setting = settingOf(loaded.prediction);
      const key = `${settingKey(setting)}\u0000${loaded.prediction.id}`;
      const previous = byKey.get(key);
      if (previous) {
        const previousFailed = previous.prediction.error !== undefined;
        const failed = loaded.prediction.error !== undefined;
        if (!previousFailed && failed) continue;
        if (!previousFailed && !failed) {
          throw new InputFileError(file, line, loaded.idSource, `repeats id ${JSON.stringify(loaded.prediction.id)}${describeSetting(setting)} first answered at ${previous.file}:${previous.line}`);
        }
        byKey.delete(key); // keep file order: the replacing line takes its own place
      }
      byKey.set(key, loaded);
    }
    lines.set(file, count);
  }
  return { predictions: [...byKey.values()], lines };
}

/** A failed request's result, scored 0 (`--failed-as-zero`). */
function failedScore(sample: Sample, error: string): SampleScore {
  return { name: sample.metadata.scorer, score: 0, pass: false, reason: `the request failed: ${error}`, metrics: {}, truncated: false };
}

/**
 * Scores predictions against samples; returns the results and the summary without writing.
 * @throws CliError for invalid input (file, line and field named).
 */
export async function scoreFiles(args: Omit<ScoreArgs, 'json' | 'out'>): Promise<{ results: ResultRecord[]; summary: SummaryFile }> {
  try {
    args = { ...args, samples: expandSampleFiles(args.samples) };
    for (const file of args.samples) {
      let problem: string | undefined;
      try {
        problem = samplesFormatProblem(file);
      } catch {
        problem = undefined; // the reader names a missing or unreadable file
      }
      if (problem) throw new CliError(`${file} ${problem}`);
    }
    const samples = await readSamples(args.samples);
    const { predictions, lines } = await readAllPredictions(args.predictions);
    for (const { sample, file, line } of samples) {
      if (!isScorerName(sample.metadata.scorer)) {
        throw new InputFileError(file, line, '/metadata/scorer', `names unknown scorer ${JSON.stringify(sample.metadata.scorer)}; known scorers are ${SCORER_NAMES.join(', ')}`);
      }
    }
    // Each setting is matched on its own: a sample has one prediction per model, method and ratio.
    const settings = new Map<string, { setting: Setting; predictions: LoadedPrediction[] }>();
    for (const p of predictions) {
      const setting = settingOf(p.prediction);
      const key = settingKey(setting);
      let group = settings.get(key);
      if (!group) settings.set(key, (group = { setting, predictions: [] }));
      group.predictions.push(p);
    }
    const several = settings.size > 1;
    const pairs: MatchedPair<Sample>[] = [];
    const predictionsWithoutSample: string[] = [];
    const samplesWithoutPrediction: string[] = [];
    for (const { setting, predictions: group } of settings.values()) {
      const matched = matchPredictions(
        samples.map((s) => s.sample),
        group,
      );
      const byPosition = matched.pairs.find((p) => p.matchedBy === 'position');
      if (byPosition && args.samples.length > 1) {
        const p = byPosition.prediction;
        throw new InputFileError(
          p.file,
          p.line,
          p.idSource,
          `${p.position} matches no sample id and can only be matched by position, which is ambiguous across ${args.samples.length} samples files; score each samples file with its own predictions file`,
        );
      }
      pairs.push(...matched.pairs);
      predictionsWithoutSample.push(...matched.predictionsWithoutSample.map((id) => (several ? `${id}${describeSetting(setting)}` : id)));
      samplesWithoutPrediction.push(...matched.samplesWithoutPrediction.map((id) => (several ? `${id}${describeSetting(setting)}` : id)));
    }
    if (args.strict && (predictionsWithoutSample.length || samplesWithoutPrediction.length)) {
      throw new CliError(
        `--strict: ${predictionsWithoutSample.length} predictions without a sample [${listIds(predictionsWithoutSample)}], ` +
          `${samplesWithoutPrediction.length} samples without a prediction [${listIds(samplesWithoutPrediction)}]`,
      );
    }
    const options = args.compat ? { compat: args.compat } : {};
    const failed: FailedPrediction[] = [];
    const results: ResultRecord[] = [];
    for (const { sample, prediction } of pairs) {
      const p = prediction.prediction;
      const setting = settingOf(p);
      const attribution = { ...(p.model !== undefined ? { model: p.model } : {}), ...(p.attention ? { attention: p.attention } : {}) };
      if (p.error !== undefined) {
        failed.push({ id: p.id, ...setting, error: p.error });
        if (args['failed-as-zero']) results.push(toResultRecord(sample, failedScore(sample, p.error), attribution));
        continue;
      }
      results.push(toResultRecord(sample, scoreSample(sample, p, options), attribution));
    }
    const meta = samples.map(({ sample }) => ({ id: sample.id, task: sample.task, length: sample.metadata.targetLength }));
    const all = summarize(results, meta);
    const models = [...new Set(results.map((r) => r.model))];
    const groups: SummaryGroup[] =
      models.length > 1
        ? models.flatMap((model) => summarize(results.filter((r) => r.model === model), meta).groups.map((g) => ({ model: model as string, ...g })))
        : all.groups;
    // Failed requests per group, so a shrunken n is never silent.
    const sampleById = new Map(samples.map(({ sample }) => [sample.id, sample]));
    const groupKey = (model: string | undefined, task: string, length: number, method: string | undefined, compression: number | undefined): string =>
      JSON.stringify([models.length > 1 ? (model ?? null) : null, task, length, method ?? null, compression ?? null]);
    const failedPerGroup = new Map<string, number>();
    for (const f of failed) {
      const sample = sampleById.get(f.id) as Sample;
      const key = groupKey(f.model, sample.task, sample.metadata.targetLength, f.method, f.compression);
      failedPerGroup.set(key, (failedPerGroup.get(key) ?? 0) + 1);
    }
    for (const g of groups) {
      const count = failedPerGroup.get(groupKey(g.model, g.task, g.length, g.method, g.compression));
      if (count) g.failed = count;
    }
    const file: SummaryFile = {
      longweave: packageVersion(),
      config: { compat: args.compat ?? 'none', ci: CI_DESCRIPTION, scorerVersion: SCORER_VERSION, failed: args['failed-as-zero'] ? 'scored-zero' : 'excluded' },
      inputs: {
        samples: await Promise.all(args.samples.map(async (f) => ({ path: f, sha256: await sha256(f), lines: samples.filter((s) => s.file === f).length }))),
        predictions: await Promise.all(args.predictions.map(async (f) => ({ path: f, sha256: await sha256(f), lines: lines.get(f) ?? 0 }))),
      },
      groups,
      missing: all.missing,
      unmatched: { predictionsWithoutSample, samplesWithoutPrediction },
      failed,
      totals: { ...all.totals, predictionsWithoutSample: predictionsWithoutSample.length, failed: failed.length },
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
      .option('compat', {
        choices: ['paper-reference'] as const,
        description:
          "Score each sample exactly as its reference code does, quirks included: the paper's tasks by sparse-frontier's evaluate, RULER-format samples by RULER's string_match_all/part, " +
          'both on the raw output (reasoning inside <think> is read like any text, as those codes do); other tasks by the default scorers. ' +
          'Without it, <think> blocks are removed before every scorer, contains-all/contains-any included (the one place they differ from RULER).',
      })
      .option('strict', { type: 'boolean', default: false, description: 'Fail (write nothing) when a prediction has no sample or a sample has no prediction' })
      .option('failed-as-zero', { type: 'boolean', default: false, description: 'Score predictions of failed requests (an error, no answer) 0 instead of leaving them out of the means' })
      .example('$0 score --samples data/niah/samples.jsonl --predictions runs/a/predictions.jsonl --out runs/a', '') as never,
  handler: async (args) => {
    const { results, summary } = await scoreFiles(args);
    writeFileAtomic(join(args.out, 'results.jsonl'), results.map((r) => JSON.stringify(r)).join('\n') + (results.length ? '\n' : ''));
    writeFileAtomic(join(args.out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    const { predictionsWithoutSample, samplesWithoutPrediction } = summary.unmatched;
    if (predictionsWithoutSample.length) process.stderr.write(`warning: ${predictionsWithoutSample.length} predictions have no sample: ${listIds(predictionsWithoutSample)}\n`);
    if (samplesWithoutPrediction.length) process.stderr.write(`warning: ${samplesWithoutPrediction.length} samples have no prediction: ${listIds(samplesWithoutPrediction)}\n`);
    if (summary.failed.length) {
      const ids = listIds(summary.failed.map((f) => f.id));
      process.stderr.write(
        summary.config.failed === 'scored-zero'
          ? `warning: ${summary.failed.length} predictions are failed requests, scored 0: ${ids}\n`
          : `warning: ${summary.failed.length} predictions are failed requests, left out of the means (n counts answers only): ${ids}; --failed-as-zero scores them 0\n`,
      );
    }
    process.stderr.write(`scored ${results.length} predictions; wrote ${join(args.out, 'results.jsonl')} and ${join(args.out, 'summary.json')}\n`);
    process.stdout.write(args.json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatTable(summary.groups)}\n`);
  },
};
