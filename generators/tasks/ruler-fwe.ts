// ruler/fwe: frequent-words extraction, an aggregation task. A text of coded (made-up) words drawn
// from a Zipf distribution; name the three most frequent. The answer is computed from the text
// as generated, and samples whose top words are tied are redrawn, so the answer is unique.
import type { TaskDefinition } from '../core/task.js';
import { assembleExact } from '../core/assemble.js';
import { paperPrompt } from '../core/prompt.js';
import { finishSample } from '../core/finish.js';
import type { Random } from '../core/random.js';

export interface FweParams {
  alpha: number;
  top: number;
  vocabulary: number;
  format: 'paper' | 'ruler';
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

function zipfSampler(rng: Random, size: number, alpha: number): () => number {
  const weights = Array.from({ length: size }, (_, i) => 1 / Math.pow(i + 1, alpha));
  const total = weights.reduce((a, b) => a + b, 0);
  const cumulative: number[] = [];
  let acc = 0;
  for (const w of weights) cumulative.push((acc += w / total));
  return () => {
    const u = rng.next();
    let lo = 0;
    let hi = size - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export const rulerFwe: TaskDefinition<FweParams> = {
  id: 'ruler/fwe',
  version: 1,
  category: 'aggregation',
  scope: 'high',
  dispersion: 'low',
  description: 'Frequent words extraction: coded words drawn from a Zipf distribution; return the three most frequent.',
  params: {
    alpha: { schema: { type: 'number', exclusiveMinimum: 1, maximum: 4 }, default: 2, description: 'Zipf exponent; lower makes the top words closer in frequency (harder).', moves: 'dispersion' },
    top: { schema: { type: 'integer', minimum: 1, maximum: 10 }, default: 3, description: 'How many most-frequent words to return.', moves: 'scope' },
    vocabulary: { schema: { type: 'integer', minimum: 20, maximum: 100000 }, default: 2000, description: 'Distinct coded words.' },
    format: { schema: { enum: ['paper', 'ruler'] }, default: 'paper', description: "The paper's prompt or RULER's (answer prefix)." },
  },
  scorer: 'set-iou',
  maxOutputTokens: 192,
  build(ctx) {
    const { params: p } = ctx;
    let before: string;
    let after: string;
    let answerPrefix: string | undefined;
    if (p.format === 'paper') {
      ({ before, after } = paperPrompt({
        intro: 'Below is a coded text made of invented words. Ignore the dots "....". Track how often each coded word appears.',
        question: `What are the ${p.top} most frequently appearing coded words in the text?`,
        answerFormat: `a comma-separated list of the ${p.top} words`,
      }));
    } else {
      answerPrefix = ` Answer: According to the coded text above, the ${p.top} most frequently appeared words are:`;
      before = `Read the following coded text and track the frequency of each coded word. Find the ${p.top} most frequently appeared coded words.\n`;
      after = `\nQuestion: Do not provide any explanation. Please ignore the dots '....'. What are the ${p.top} most frequently appeared words in the above coded text?${answerPrefix}`;
    }
    for (let attempt = 0; attempt < 20; attempt++) {
      const rng = ctx.rng.fork(`attempt-${attempt}`);
      const vocab = new Set<string>();
      while (vocab.size < p.vocabulary) vocab.add(rng.string(LETTERS, rng.int(3, 6)));
      const words = [...vocab];
      const draw = zipfSampler(rng, words.length, p.alpha);
      let sinceDots = 0;
      const prompt = assembleExact({
        taskId: 'ruler/fwe',
        tokenizer: ctx.tokenizer,
        chatTemplate: ctx.chatTemplate,
        before,
        after,
        needles: [],
        filler: {
          next: () => {
            // RULER breaks the coded text with "...." every few dozen words.
            if (++sinceDots > 40 && rng.chance(0.05)) {
              sinceDots = 0;
              return '....';
            }
            return words[draw()] as string;
          },
          shortUnits: ['....'],
        },
        target: ctx.length,
      });
      const counts = new Map<string, number>();
      for (const w of prompt.input.slice(prompt.contextStart, prompt.contextEnd).split(/\s+/)) {
        if (w && w !== '....') counts.set(w, (counts.get(w) ?? 0) + 1);
      }
      const ranked = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      const cutoff = ranked[p.top - 1]?.[1] ?? 0;
      const next = ranked[p.top]?.[1] ?? 0;
      if (ranked.length < p.top || cutoff === next) continue; // tie at the boundary: redraw
      const target = ranked.slice(0, p.top).map(([w]) => w);
      return finishSample(rulerFwe, ctx, prompt, target, {
        scorer: p.format === 'paper' ? 'set-iou' : 'contains-all',
        ...(answerPrefix !== undefined ? { answerPrefix } : {}),
        extra: { frequencies: ranked.slice(0, p.top + 2).map(([w, n]) => ({ word: w, count: n })) },
      });
    }
    throw new Error(`ruler/fwe: the ${p.top} most frequent words stayed tied at length ${ctx.length}; use a longer length or a larger alpha.`);
  },
};
