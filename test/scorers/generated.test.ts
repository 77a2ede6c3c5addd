// The same properties on samples from the real generators: every registered task, each of its
// answer formats, fixed seeds. Gold formatted as the prompt asks scores 1, by default and under
// --compat paper-reference (whose parsers read the paper's formats); empty output scores 0.
import { describe, expect, it } from 'vitest';
import { generate } from '../../generators/generate.js';
import { getTask, TASK_IDS } from '../../generators/tasks/index.js';
import { formatGold } from '../../scorers/gold.js';
import { scoreSample } from '../../scorers/score-sample.js';
import { SOURCE_HELP } from '../../generators/qa/source.js';

describe('generated samples', () => {
  it('score 1 for the formatted gold answer (default and paper-reference) and 0 for an empty output, for every task and format', () => {
    let checked = 0;
    // Tasks that read the user's own files are covered with fixtures in test/generators/qa* and
    // test/scorers/parity.
    for (const task of TASK_IDS.filter((t) => SOURCE_HELP[t] === undefined)) {
      const formatSpec = (getTask(task).params as Record<string, { schema: { enum?: unknown[] } } | undefined>)['format'];
      const formats = (formatSpec?.schema.enum as string[] | undefined) ?? [undefined];
      for (const format of formats) {
        for (const seed of [42, 1337]) {
          const options = { task, lengths: [4096], samples: 2, seed, ...(format ? { params: { format } } : {}) };
          for (const sample of generate(options as Parameters<typeof generate>[0])) {
            const gold = scoreSample(sample, { output: formatGold(sample) });
            const compat = scoreSample(sample, { output: formatGold(sample) }, { compat: 'paper-reference' });
            const empty = scoreSample(sample, { output: '' });
            expect({ task, format, id: sample.id, gold: gold.score, compat: compat.score, empty: empty.score }).toEqual({ task, format, id: sample.id, gold: 1, compat: 1, empty: 0 });
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it("the paper-format VT and CWE prompts ask for the paper's answer formats, which the gold follows", () => {
    const [vt] = [...generate({ task: 'ruler/vt', lengths: [2048], samples: 1, seed: 3 })];
    const [cwe] = [...generate({ task: 'ruler/cwe', lengths: [2048], samples: 1, seed: 3 })];
    expect(vt?.input).toContain('formatted as the variable names separated by spaces, without "VAR" and without punctuation, e.g. "ABCDE FGHIJ".');
    expect(formatGold(vt!)).toBe(`<answer>\n${vt!.target.join(' ')}\n</answer>`);
    expect(cwe?.input).toContain('formatted as a numbered list of the 10 words, one word per line ("1. word", "2. word", ...).');
    expect(formatGold(cwe!)).toBe(`<answer>\n${cwe!.target.map((w, i) => `${i + 1}. ${w}`).join('\n')}\n</answer>`);
    // A comma-separated list, which the prompt no longer asks for, scores as the reference scores it.
    const comma = `<answer>${vt!.target.join(', ')}</answer>`;
    expect(scoreSample(vt!, { output: comma }).score).toBe(1);
    expect(scoreSample(vt!, { output: comma }, { compat: 'paper-reference' }).score).toBeCloseTo(1 / 9, 12);
  });
});
