// `longweave --version` and `--help` start fast: cli/main.ts loads no command module until one is
// invoked, so its static import graph holds yargs and nothing heavy (onnxruntime, tokenizers,
// vega, faker, undici). The help listing stays true to the modules it stands in for.
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS, commandsFor } from '../../cli/commands.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
// Static imports only: `await import(...)` is what keeps the rest lazy.
const IMPORT = /^\s*(?:import|export)\s+(?!type\b)(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;

function graph(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const spec = m[1] as string;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec).replace(/\.js$/, '.ts'));
      else packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] as string));
    }
  };
  visit(join(ROOT, entry));
  return { files: [...files].map((f) => relative(ROOT, f)).sort(), packages: [...packages].sort() };
}

describe('the command registry', () => {
  it('loads no command module before one is invoked', () => {
    expect(graph('cli/main.ts')).toEqual({ files: ['cli/commands.ts', 'cli/errors.ts', 'cli/main.ts'], packages: ['yargs'] });
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
