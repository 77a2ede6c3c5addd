// `longweave show`: needle highlighting, elision, the readable layout, lookup by id.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { highlightPrompt, formatSample, findSample } from '../../cli/show.js';
import { datasetsDir } from '../../generators/suite.js';
import type { Sample } from '../../generators/core/sample.js';

const needle = (text: string, charOffset: number) => ({ text, charOffset, tokenOffset: 3, tokenCount: 2, depth: 0.5 });

describe('longweave show', () => {
  it('marks needles in the prompt', () => {
    expect(highlightPrompt('a KEY b VAL c', [needle('VAL', 8), needle('KEY', 2)], { color: false, full: true, around: 10 })).toBe('a ⟦2 KEY⟧ b ⟦1 VAL⟧ c');
    expect(highlightPrompt('a KEY b', [needle('KEY', 2)], { color: true, full: true, around: 10 })).toBe('a \u001b[1;30;43m[1]KEY\u001b[0m b');
  });

  it('elides long stretches away from the needles unless full', () => {
    const input = `${'x'.repeat(100)}NEEDLE${'y'.repeat(100)}`;
    expect(highlightPrompt(input, [needle('NEEDLE', 100)], { color: false, full: false, around: 5 })).toBe(
      `xxxxxxxxxx[… 85 characters …]xxxxx⟦1 NEEDLE⟧yyyyy[… 85 characters …]yyyyyyyyyy`,
    );
    expect(highlightPrompt(input, [needle('NEEDLE', 100)], { color: false, full: true, around: 5 })).toBe(input.replace('NEEDLE', '⟦1 NEEDLE⟧'));
  });

  it('formats a stored sample and finds it by id, naming some ids when it is missing', async () => {
    const file = join(datasetsDir(), 'releases', 'frontier-mini', 'story.multihop', '4k', 'samples.jsonl');
    const first = JSON.parse((await import('node:fs')).readFileSync(file, 'utf8').split('\n')[1]!) as Sample;
    const sample = await findSample(file, first.id);
    expect(sample).toEqual(first);
    const text = formatSample(sample, { color: false, full: false, around: 80 });
    expect(text.split('\n').slice(0, 3)).toEqual([
      sample.id,
      'task story/multihop v2 · multi-hop · scope low · dispersion high · scorer exact',
      `4096 tokens (qwen3, chat template) · seed ${sample.metadata.seed} · index 1`,
    ]);
    expect(text).toContain(`── target (1) `);
    expect(text).toContain(`\n${sample.target[0]}\n`);
    expect(text).toContain(`⟦1 ${sample.metadata.needles![0]!.text}⟧`);
    expect(text).toContain('askedItem: ');
    await expect(findSample(file, 'nope')).rejects.toThrow(/No sample with id "nope" in .*samples\.jsonl \(ids there include story\.multihop-4096-0000-/);
    await expect(findSample('/no/such/file.jsonl', 'x')).rejects.toThrow('/no/such/file.jsonl does not exist.');
  });
});
