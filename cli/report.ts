// `longweave report`: rebuild summary.json and report.html of one run directory, or merge several
// (shards, or runs of other models) into one report.
import type { CommandModule } from 'yargs';
import { buildReport } from '../runner/report/build.js';
import { terminalReport } from '../runner/report/tables.js';
import { CliError } from './errors.js';
import { numberFlag } from './numbers.js';

interface ReportArgs {
  dirs: string[];
  out?: string;
  alpha?: number;
  'failed-as-zero': boolean;
  json: boolean;
}

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report <dirs..>',
  describe: 'Rebuild or merge run reports: writes summary.json and report.html, prints the summary table',
  builder: (y) =>
    y
      .positional('dirs', { type: 'string', array: true, demandOption: true, description: 'Run directories' })
      .option('out', { type: 'string', description: 'Output directory (required when merging several runs)' })
      .option('alpha', { type: 'string', coerce: numberFlag('alpha', { above: 0, below: 0.5 }), description: 'Significance level of the comparisons with dense (default 0.05)' })
      .option('failed-as-zero', { type: 'boolean', default: false, description: 'Score failed requests 0 in every mean and comparison, instead of leaving them out (n shrinks)' })
      .option('json', { type: 'boolean', default: false, description: 'Print summary.json to stdout instead of the table' })
      .example('$0 report runs/sweep-0of2 runs/sweep-1of2 --out runs/sweep', 'Merge two shards') as never,
  handler: async (args) => {
    let report;
    try {
      report = await buildReport(args.dirs, {
        ...(args.out !== undefined ? { out: args.out } : {}),
        ...(args.alpha !== undefined ? { alpha: args.alpha } : {}),
        ...(args['failed-as-zero'] ? { failedAsZero: true } : {}),
      });
    } catch (error) {
      throw new CliError((error as Error).message);
    }
    for (const warning of report.summary.warnings) process.stderr.write(`longweave: warning: ${warning}\n`);
    process.stderr.write(`longweave: wrote ${report.summaryPath}${report.reportPath ? ` and ${report.reportPath}` : ''}\n`);
    process.stdout.write(args.json ? `${JSON.stringify(report.summary, null, 2)}\n` : terminalReport(report.summary));
  },
};
