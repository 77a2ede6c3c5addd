// `longweave tasks`: the task catalogue with categories, the paper's axes, parameters and defaults.
import type { CommandModule } from 'yargs';
import { TASKS } from '../generators/tasks/index.js';
import type { TaskDefinition } from '../generators/core/task.js';
import { SOURCE_HELP } from '../generators/qa/source.js';

interface TasksArgs {
  json: boolean;
}

function describeTask(task: TaskDefinition<never>): Record<string, unknown> {
  return {
    id: task.id,
    version: task.version,
    category: task.category,
    scope: task.scope,
    dispersion: task.dispersion,
    scorer: task.scorer,
    description: task.description,
    ...(SOURCE_HELP[task.id] ? { source: `--source ${task.id}=PATH: ${SOURCE_HELP[task.id]?.help}` } : {}),
    params: Object.fromEntries(
      Object.entries(task.params as Record<string, { default: unknown; description: string; schema: unknown; moves?: string }>).map(([name, spec]) => [
        name,
        { default: spec.default, description: spec.description, schema: spec.schema, ...(spec.moves ? { moves: spec.moves } : {}) },
      ]),
    ),
  };
}

export const tasksCommand: CommandModule<object, TasksArgs> = {
  command: 'tasks',
  describe: 'List every task with its category, scope/dispersion placement, parameters and defaults',
  builder: (y) => y.option('json', { type: 'boolean', default: false, describe: 'Print the catalogue as JSON' }),
  handler: (args) => {
    const list = Object.values(TASKS).map((t) => describeTask(t as TaskDefinition<never>));
    if (args.json) {
      process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      return;
    }
    const lines: string[] = [];
    for (const task of list) {
      lines.push(`${task['id']}  (v${task['version']})  ${task['category']}  scope=${task['scope']} dispersion=${task['dispersion']}  scorer=${task['scorer']}`);
      lines.push(`  ${task['description']}`);
      for (const [name, spec] of Object.entries(task['params'] as Record<string, { default: unknown; description: string; moves?: string }>)) {
        const moves = spec.moves ? ` [moves ${spec.moves}]` : '';
        lines.push(`    ${name} = ${JSON.stringify(spec.default)}${moves}: ${spec.description}`);
      }
      lines.push('');
    }
    process.stdout.write(`${lines.join('\n')}`);
  },
};
