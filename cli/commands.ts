// The command registry: one entry per `longweave <command>`, each defined in its own file.
import type { CommandModule } from 'yargs';
import { generateCommand } from './generate.js';
import { tasksCommand } from './tasks.js';
import { validateCommand } from './validate.js';
import { scoreCommand } from './score.js';
import { runCommand } from './run.js';
import { reportCommand } from './report.js';
import { engineCommand } from './engine.js';
import { showCommand } from './show.js';
import { demoCommand } from './demo.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [generateCommand, tasksCommand, validateCommand, scoreCommand, runCommand, reportCommand, engineCommand, showCommand, demoCommand];
