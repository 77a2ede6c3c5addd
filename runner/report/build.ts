// Building a report: join run directories, summarise, write summary.json and report.html.
// A single run reports into its own directory; merged runs into a directory of their own.
import { join } from 'node:path';
import { writeFileAtomic } from '../files/write-atomic.js';
import { loadEngineCostModel, type CostModel } from '../analysis/cost.js';
import { loadRunDirs } from '../analysis/rows.js';
import { buildSummary, type RunSummary } from '../analysis/summary.js';
import { packageVersion } from '../run-dir.js';
import { renderHtmlReport } from './html.js';

/** Where to write, and analysis settings. */
export interface ReportOptions {
  /** Output directory (default: the run directory when there is one). */
  out?: string;
  alpha?: number;
  resamples?: number;
  /** Cost model for isoFLOPS tables (default: the engine's, when present). */
  costModel?: CostModel;
  /** Skip report.html (summary only). */
  htmlOff?: boolean;
  /** Score failed requests 0 instead of leaving them out of the means. */
  failedAsZero?: boolean;
}

/** What was written. */
export interface ReportOutput {
  summary: RunSummary;
  summaryPath: string;
  reportPath?: string;
}

/**
 * Rebuilds summary.json and report.html from one or more run directories.
 * @throws Error when several directories are given without `out`.
 * @example await buildReport(['runs/a-0', 'runs/a-1'], { out: 'runs/a' });
 */
export async function buildReport(dirs: readonly string[], options: ReportOptions = {}): Promise<ReportOutput> {
  if (dirs.length === 0) throw new Error('Name at least one run directory.');
  const out = options.out ?? (dirs.length === 1 ? (dirs[0] as string) : undefined);
  if (out === undefined) throw new Error('Merging several run directories needs an output directory (--out).');
  const input = await loadRunDirs(dirs);
  const costModel = options.costModel ?? (await loadEngineCostModel());
  const summary = buildSummary(input, {
    version: packageVersion(),
    ...(options.alpha !== undefined ? { alpha: options.alpha } : {}),
    ...(options.resamples !== undefined ? { resamples: options.resamples } : {}),
    ...(costModel ? { costModel } : {}),
    ...(options.failedAsZero ? { failedAsZero: true } : {}),
  });
  const summaryPath = join(out, 'summary.json');
  writeFileAtomic(summaryPath, `${JSON.stringify(summary, null, 2)}\n`);
  const output: ReportOutput = { summary, summaryPath };
  if (!options.htmlOff) {
    const reportPath = join(out, 'report.html');
    writeFileAtomic(reportPath, await renderHtmlReport(summary, input.rows));
    output.reportPath = reportPath;
  }
  return output;
}
