// Hand-built samples that satisfy schemas/sample.schema.json, for reader and CLI tests.
import type { Sample } from '../../generators/core/sample.js';

/** A valid sample with the given id, task, target, scorer and length. */
export function makeSample(id: string, task: string, target: string[], scorer: string, length = 1024, extra: Record<string, unknown> = {}): Sample {
  return {
    id,
    task,
    taskVersion: 1,
    input: `prompt of ${id}`,
    target,
    messages: [{ role: 'user', content: `prompt of ${id}` }],
    metadata: {
      seed: 'abc123',
      tokenizer: 'o200k',
      inputTokens: length,
      targetLength: length,
      chatTemplate: false,
      index: 0,
      params: {},
      category: 'retrieval',
      scope: 'low',
      dispersion: 'low',
      scorer,
      maxOutputTokens: 64,
      ...extra,
    },
  };
}

/** JSON Lines text of some objects. */
export function jsonl(rows: readonly unknown[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
}
