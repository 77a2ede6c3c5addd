// The README's commands run as written in a fresh clone: each `npx longweave ...` names a command
// and flags that exist (parsed by the command's own options, nothing run), the repository files it
// names are shipped, and two demos never share an output folder with different settings (the
// second would be refused). Running them all (the demo, a 128k suite) is too slow for CI.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { COMMANDS } from '../../cli/commands.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** Splits a shell line into words (quotes kept together, comments dropped). */
function words(line: string): string[] {
  const out: string[] = [];
  let current = '';
  let quote: string | undefined;
  let started = false;
  for (const char of line) {
    if (quote) {
      if (char === quote) quote = undefined;
      else current += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      started = true;
    } else if (char === '#' && !started && current === '') {
      break;
    } else if (/\s/.test(char)) {
      if (started) out.push(current);
      current = '';
      started = false;
    } else {
      current += char;
      started = true;
    }
  }
  if (started) out.push(current);
  return out;
}

/** Every `npx longweave ...` of the README's sh blocks, as argument lists. */
function readmeCommands(): string[][] {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const blocks = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => (m[1] as string).replace(/\\\n\s*/g, ' '));
  return blocks
    .flatMap((block) => block.split('\n'))
    .flatMap((line) => line.split('&&'))
    .map((part) => words(part.trim()))
    .filter((w) => w[0] === 'npx' && w[1] === 'longweave')
    .map((w) => w.slice(2));
}

describe('the README', () => {
  const commands = readmeCommands();

  it('uses commands and flags that exist', async () => {
    expect(commands.length).toBeGreaterThan(15);
    for (const args of commands) {
      const entry = COMMANDS[args[0] as string];
      expect(entry, args.join(' ')).toBeDefined();
      // The engine's subcommands run their handlers while parsing; its flags are the engine's to check.
      if (args[0] === 'engine') continue;
      const module = await entry!.load();
      const parsed = yargs(args)
        .command({ ...module, handler: () => undefined })
        .strict()
        .exitProcess(false)
        .fail((message, error) => {
          throw error ?? new Error(message);
        });
      await expect(parsed.parseAsync(), args.join(' ')).resolves.toBeDefined();
    }
  }, 60_000);

  it('names only repository files that are shipped', () => {
    const shipped = commands.flat().filter((w) => /^(recipes|datasets|docs|models|schemas)\//.test(w));
    expect(shipped).toContain('recipes/sweep.json');
    for (const path of shipped) expect(existsSync(join(ROOT, path)), path).toBe(true);
  });

  it('never runs two demos with different settings into one folder', () => {
    const byOut = new Map<string, string>();
    for (const args of commands.filter((a) => a[0] === 'demo')) {
      const at = args.indexOf('--out');
      const out = at >= 0 ? (args[at + 1] as string) : 'runs/demo';
      const settings = args.filter((_, i) => i !== at && i !== at + 1).join(' ');
      expect(byOut.get(out) ?? settings, `demo into ${out}`).toBe(settings);
      byOut.set(out, settings);
    }
    expect(byOut.size).toBeGreaterThan(1);
  });
});
