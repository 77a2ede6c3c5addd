// The package's public entry points resolve through the exports map, as a user imports them.
import { describe, expect, it } from 'vitest';

describe('longweave/generators', () => {
  it('generates one sample at a time through the package name', async () => {
    const api = await import('longweave/generators');
    const tokenizer = api.loadTokenizer('qwen3');
    const samples = [...api.generate({ task: 'ruler/niah', lengths: [2048], samples: 2, seed: 7, tokenizer })];
    expect(samples.map((s) => s.metadata.inputTokens)).toEqual([2048, 2048]);
    expect(api.TASK_IDS).toContain('ruler/cwe');
    expect(api.parseLength('128k')).toBe(131072);
  });
});
