// The layers import downwards only: scorers nothing of the runner (type imports included, since a
// type's home says which layer owns it), the runner nothing of the CLI, and the single-process
// runner and the worker pool not each other both ways.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');
// Static, type-only and dynamic imports alike.
const IMPORT = /(?:^\s*(?:import|export)\s[^'"]*?from\s+|import\()\s*['"](\.[^'"]+)['"]/gm;

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

function importsOf(file: string): string[] {
  return [...readFileSync(join(ROOT, file), 'utf8').matchAll(IMPORT)].map((m) => relative(ROOT, resolve(dirname(join(ROOT, file)), m[1] as string)).replace(/\.js$/, '.ts'));
}

describe('layers', () => {
  it('scorers import nothing of the runner or the CLI', () => {
    const offending = tsFiles('scorers').flatMap((f) => importsOf(f).filter((i) => i.startsWith('runner/') || i.startsWith('cli/')).map((i) => `${f} -> ${i}`));
    expect(offending).toEqual([]);
  });

  it('the runner imports nothing of the CLI', () => {
    const offending = tsFiles('runner').flatMap((f) => importsOf(f).filter((i) => i.startsWith('cli/')).map((i) => `${f} -> ${i}`));
    expect(offending).toEqual([]);
  });

  it('run.ts and the pool coordinator do not import each other both ways', () => {
    expect(importsOf('runner/run.ts')).toContain('runner/pool/coordinator.ts');
    expect(importsOf('runner/pool/coordinator.ts')).not.toContain('runner/run.ts');
    expect(importsOf('runner/pool/worker.ts')).not.toContain('runner/run.ts');
  });
});
