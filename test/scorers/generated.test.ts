// The same properties on samples from the real generators: every registered task, each of its
// answer formats, fixed seeds. Gold formatted as the prompt asks scores 1; empty output scores 0.
import { describe, expect, it } from 'vitest';
import { generate } from '../../generators/generate.js';
import { getTask, TASK_IDS } from '../../generators/tasks/index.js';
import { formatGold } from '../../scorers/gold.js';
import { scoreSample } from '../../scorers/score-sample.js';
import { SOURCE_HELP } from '../../generators/qa/source.js';

describe('generated samples', () => {
  it('score 1 for the formatted gold answer and 0 for an empty output, for every task and format', () => {
    let checked = 0;
    // Tasks that read the user's own files are covered with fixtures in test/generators/qa*.
    for (const task of TASK_IDS.filter((t) => SOURCE_HELP[t] === undefined)) {
      const formatSpec = (getTask(task).params as Record<string, { schema: { enum?: unknown[] } } | undefined>)['format'];
      const formats = (formatSpec?.schema.enum as string[] | undefined) ?? [undefined];
      for (const format of formats) {
        for (const seed of [42, 1337]) {
          const options = { task, lengths: [4096], samples: 2, seed, ...(format ? { params: { format } } : {}) };
          for (const sample of generate(options as Parameters<typeof generate>[0])) {
            const gold = scoreSample(sample, { output: formatGold(sample) });
            const empty = scoreSample(sample, { output: '' });
            expect({ task, format, id: sample.id, gold: gold.score, empty: empty.score }).toEqual({ task, format, id: sample.id, gold: 1, empty: 0 });
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(0);
  });
});
