// `longweave --version` and `--help` start fast: cli/main.ts loads no command module until one is
// invoked, so its static import graph holds yargs and nothing heavy (onnxruntime, tokenizers,
// vega, faker, undici). The help listing stays true to the modules it stands in for.
import { describe, expect, it } from 'vitest';
import { importGraph } from '../import-graph.js';
import { COMMANDS, commandsFor } from '../../cli/commands.js';

describe('the command registry', () => {
  it('loads no command module before one is invoked', () => {
    expect(importGraph('cli/main.ts')).toEqual({ files: ['cli/commands.ts', 'cli/errors.ts', 'cli/main.ts'], packages: ['yargs'] });
  });

  it('lists each command with the usage and summary of its module', async () => {
    for (const [name, entry] of Object.entries(COMMANDS)) {
      const module = await entry.load();
      expect([module.command, module.describe], name).toEqual([entry.usage, entry.describe]);
    }
    const registered = await commandsFor(['score', '--samples', 'x']);
    expect(registered.map((c) => typeof c.builder)).toEqual(Object.keys(COMMANDS).map((name) => (name === 'score' ? 'function' : 'undefined')));
  }, 60_000);
});
