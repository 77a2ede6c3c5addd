#!/usr/bin/env node
// The `longweave` command line. Each command lives in its own file and is listed in commands.ts.
// Data goes to stdout; progress, logs and errors to stderr. An error prints its whole message
// (several lines when it lists several problems) and exits 1, or its own exit code.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commandsFor } from './commands.js';
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
      // yargs' own messages span lines ("Invalid values:\n  Argument: backend, Given: ..."): keep them whole.
      throw error ?? new CliError(`${message.trim()}\n(see \`longweave ${process.argv[2] && !process.argv[2].startsWith('-') ? `${process.argv[2]} ` : ''}--help\`)`);
    })
    .help()
    .alias('h', 'help')
    .version();
  for (const command of await commandsFor(hideBin(process.argv))) cli = cli.command(command);
  await cli.parseAsync();
}

/** An error as the user sees it: `longweave: ` and the whole message, later lines as they are. */
function formatError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return `longweave: ${message.trimEnd()}\n`;
}

main().catch((error: unknown) => {
  process.stderr.write(formatError(error));
  if (process.env['LONGWEAVE_DEBUG'] && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  process.exitCode = error instanceof CliError ? error.exitCode : 1;
});
