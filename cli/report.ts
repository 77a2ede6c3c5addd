// `longweave report`: rebuild summary.json and report.html of one run directory, or merge several
// (shards, or runs of other models) into one report.
import type { CommandModule } from 'yargs';
import { buildReport } from '../runner/report/build.js';
import { terminalReport } from '../runner/report/tables.js';
import { CliError } from './errors.js';

interface ReportArgs {
  dirs: string[];
  out?: string;
  alpha?: number;
  json: boolean;
}

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report <dirs..>',
  describe: 'Rebuild or merge run reports: writes summary.json and report.html, prints the summary table',
  builder: (y) =>
    y
      .positional('dirs', { type: 'string', array: true, demandOption: true, description: 'Run directories' })
      .option('out', { type: 'string', description: 'Output directory (required when merging several runs)' })
      .option('alpha', { type: 'number', description: 'Significance level of the comparisons with dense (default 0.05)' })
      .option('json', { type: 'boolean', default: false, description: 'Print summary.json to stdout instead of the table' })
      .example('$0 report runs/sweep-0of2 runs/sweep-1of2 --out runs/sweep', 'Merge two shards') as never,
  handler: async (args) => {
    if (args.alpha !== undefined && !(args.alpha > 0 && args.alpha < 0.5)) throw new CliError(`--alpha ${args.alpha} must be between 0 and 0.5.`);
    let report;
    try {
      report = await buildReport(args.dirs, { ...(args.out !== undefined ? { out: args.out } : {}), ...(args.alpha !== undefined ? { alpha: args.alpha } : {}) });
    } catch (error) {
      throw new CliError((error as Error).message);
    }
    process.stderr.write(`longweave: wrote ${report.summaryPath}${report.reportPath ? ` and ${report.reportPath}` : ''}\n`);
    process.stdout.write(args.json ? `${JSON.stringify(report.summary, null, 2)}\n` : terminalReport(report.summary));
  },
};
