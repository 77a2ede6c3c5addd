#!/usr/bin/env node
// The `longweave` command line. Each command lives in its own file and is listed in commands.ts.
// Data goes to stdout; progress, logs and errors to stderr. Errors are one line and exit 1.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from './commands.js';
import { CliError } from './errors.js';

async function main(): Promise<void> {
  let cli = yargs(hideBin(process.argv))
    .scriptName('longweave')
    .usage('$0 <command> [options]\n\nSeeded, exact-length long-context tasks; exact scorers; model runs.')
    .strict()
    .demandCommand(1, 'Name a command: see `longweave --help`.')
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((message, error) => {
      throw error ?? new CliError(message);
    })
    .help()
    .alias('h', 'help')
    .version();
  for (const command of commands) cli = cli.command(command);
  await cli.parseAsync();
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`longweave: ${message.split('\n')[0]}\n`);
  if (process.env['LONGWEAVE_DEBUG'] && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  process.exitCode = error instanceof CliError ? error.exitCode : 1;
});
