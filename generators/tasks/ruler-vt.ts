// ruler/vt: variable tracking, a multi-hop task. Chains `VAR A = 12345.`, `VAR B = VAR A.`, ...
// are spread through a haystack in order; the question asks which variables resolve to one
// chain's value. The other chains are distractors.
import type { TaskDefinition } from '../core/task.js';
import { assembleExact, type FixedUnit } from '../core/assemble.js';
import { noiseFiller, proseFiller } from '../core/haystack.js';
import { paperPrompt } from '../core/prompt.js';
import { finishSample } from '../core/finish.js';

export interface VtParams {
  chains: number;
  hops: number;
  haystack: 'noise' | 'prose';
  format: 'paper' | 'ruler';
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

export const rulerVt: TaskDefinition<VtParams> = {
  id: 'ruler/vt',
  // 2: the paper format asks for the paper's own answer format, names separated by spaces.
  version: 2,
  category: 'multi-hop',
  scope: 'low',
  dispersion: 'high',
  description:
    'Variable tracking: chains of assignments (VAR B = VAR A) spread through a haystack; name every variable that resolves to a given value.',
  params: {
    chains: { schema: { type: 'integer', minimum: 1, maximum: 32 }, default: 8, description: 'Number of chains; all but one are distractors.', moves: 'dispersion' },
    hops: { schema: { type: 'integer', minimum: 1, maximum: 32 }, default: 4, description: 'Assignments after the first in each chain (hops + 1 variables per chain).', moves: 'dispersion' },
    haystack: { schema: { enum: ['noise', 'prose'] }, default: 'noise', description: "Filler between the statements: RULER's noise sentences or generated prose." },
    format: { schema: { enum: ['paper', 'ruler'] }, default: 'paper', description: "The paper's prompt (explanation + <answer> list) or RULER's (answer prefix)." },
  },
  scorer: 'set-iou',
  maxOutputTokens: (p) => 192 + 16 * (p.hops + 1),
  build(ctx) {
    const { params: p, rng } = ctx;
    const names = new Set<string>();
    const drawName = (): string => {
      for (;;) {
        const name = rng.string(UPPER, 5);
        if (!names.has(name)) {
          names.add(name);
          return name;
        }
      }
    };
    const values = new Set<number>();
    const chains = Array.from({ length: p.chains }, () => {
      let value = rng.int(10000, 99999);
      while (values.has(value)) value = rng.int(10000, 99999);
      values.add(value);
      const vars = Array.from({ length: p.hops + 1 }, drawName);
      const statements = vars.map((v, i) => (i === 0 ? `VAR ${v} = ${value}.` : `VAR ${v} = VAR ${vars[i - 1]}.`));
      return { value, vars, statements };
    });
    // A random interleaving that keeps each chain's order, placed at sorted random depths.
    const cursors = chains.map(() => 0);
    const sequence: string[] = [];
    const total = chains.length * (p.hops + 1);
    for (let i = 0; i < total; i++) {
      const open = chains.map((_, c) => c).filter((c) => (cursors[c] as number) <= p.hops);
      const c = rng.pick(open);
      sequence.push((chains[c] as (typeof chains)[number]).statements[cursors[c] as number] as string);
      cursors[c] = (cursors[c] as number) + 1;
    }
    const depths = Array.from({ length: total }, () => rng.next()).sort((a, b) => a - b);
    const needles: FixedUnit[] = sequence.map((body, i) => ({ body, depth: depths[i] as number }));
    const asked = chains[0] as (typeof chains)[number];

    let before: string;
    let after: string;
    let answerPrefix: string | undefined;
    if (p.format === 'paper') {
      ({ before, after } = paperPrompt({
        intro: 'The text below contains variable assignments such as "VAR ABCDE = 12345." and "VAR FGHIJ = VAR ABCDE." A variable assigned another variable takes its value.',
        question: `Which variables are assigned the value ${asked.value}, directly or through other variables?`,
        // The paper's format (its VT scorer splits on whitespace only).
        answerFormat: 'the variable names separated by spaces, without "VAR" and without punctuation, e.g. "ABCDE FGHIJ"',
      }));
    } else {
      answerPrefix = ` Answer: According to the chain(s) of variable assignment in the text above, ${p.hops + 1} variables are assigned the value ${asked.value}, they are:`;
      before = 'Memorize and track the chain(s) of variable assignment hidden in the following text.\n\n';
      after = `\nQuestion: Find all variables that are assigned the value ${asked.value} in the text above.${answerPrefix}`;
    }
    const prompt = assembleExact({
      taskId: 'ruler/vt',
      tokenizer: ctx.tokenizer,
      chatTemplate: ctx.chatTemplate,
      before,
      after,
      needles,
      filler: p.haystack === 'prose' ? proseFiller(rng.fork('prose')) : noiseFiller(),
      target: ctx.length,
    });
    return finishSample(rulerVt, ctx, prompt, asked.vars, {
      scorer: p.format === 'paper' ? 'set-iou' : 'contains-all',
      ...(answerPrefix !== undefined ? { answerPrefix } : {}),
      extra: { value: String(asked.value), chainValues: chains.map((c) => String(c.value)), itemPrefixes: ['VAR'], ...(p.format === 'paper' ? { listStyle: 'spaces' } : {}) },
    });
  },
};
