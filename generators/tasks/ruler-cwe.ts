// ruler/cwe: common-word extraction, an aggregation task. A numbered list of words in which a few
// words appear many times and all others a few times; name the most common words. The list grows
// with the length; its tail is closed exactly with extra words that appear fewer times than
// `uncommonFrequency`, which never changes the answer.
import type { TaskDefinition } from '../core/task.js';
import { LengthError } from '../core/task.js';
import { promptFrame, type ExactPrompt } from '../core/assemble.js';
import { paperPrompt } from '../core/prompt.js';
import { finishSample } from '../core/finish.js';
import { englishWords, extendedWords } from '../core/words.js';

export interface CweParams {
  common: number;
  commonFrequency: number;
  uncommonFrequency: number;
  format: 'paper' | 'ruler';
}

export const rulerCwe: TaskDefinition<CweParams> = {
  id: 'ruler/cwe',
  // 2: the paper format asks for the paper's own answer format, a numbered list one word a line.
  version: 2,
  category: 'aggregation',
  scope: 'high',
  dispersion: 'low',
  description: 'Common words extraction: a numbered word list; return the words that appear most often (10 words x 30 among words appearing 3 times).',
  params: {
    common: { schema: { type: 'integer', minimum: 1, maximum: 50 }, default: 10, description: 'How many common words to find.', moves: 'scope' },
    commonFrequency: { schema: { type: 'integer', minimum: 2, maximum: 500 }, default: 30, description: 'Occurrences of each common word.', moves: 'dispersion' },
    uncommonFrequency: { schema: { type: 'integer', minimum: 1, maximum: 100 }, default: 3, description: 'Occurrences of each other word (the list tail may use fewer).', moves: 'dispersion' },
    format: { schema: { enum: ['paper', 'ruler'] }, default: 'paper', description: "The paper's prompt or RULER's (answer prefix)." },
  },
  scorer: 'set-iou',
  maxOutputTokens: (p) => 192 + 12 * p.common,
  check(p) {
    return p.uncommonFrequency >= p.commonFrequency ? { path: '/uncommonFrequency', message: `must be below commonFrequency (${p.commonFrequency})` } : null;
  },
  build(ctx) {
    const { params: p, rng, tokenizer } = ctx;
    // The core English pool when it is large enough for this length, else the extended one.
    const wordsNeeded = p.common + ctx.length / (5 * p.uncommonFrequency) + 200;
    const pool = rng.shuffle(wordsNeeded <= englishWords().length ? englishWords() : extendedWords());
    const common = pool.slice(0, p.common);
    const rest = pool.slice(p.common);

    let before: string;
    let after: string;
    let answerPrefix: string | undefined;
    if (p.format === 'paper') {
      ({ before, after } = paperPrompt({
        intro: 'Below is a numbered list of words. Some words appear many more times than the others.',
        question: `What are the ${p.common} most common words in the list?`,
        // The paper's format (its CWE scorer reads only numbered lines, one word each).
        answerFormat: `a numbered list of the ${p.common} words, one word per line ("1. word", "2. word", ...)`,
      }));
    } else {
      answerPrefix = ` Answer: The top ${p.common} words that appear most often in the list are:`;
      before = 'Below is a numbered list of words. In these words, some appear more often than others. Memorize the ones that appear most often.\n';
      after = `\nQuestion: What are the ${p.common} most common words in the above list?${answerPrefix}`;
    }
    const frame = promptFrame(tokenizer, ctx.chatTemplate, undefined, before, after);
    const itemTokens = (n: number, word: string): number => tokenizer.count(`${n === 1 ? '' : ' '}${n}. ${word}`);
    // The common words alone, at the list positions they will occupy (numbers cost tokens too).
    let minimum = frame.overhead;
    for (let i = 0; i < p.common * p.commonFrequency; i++) minimum += itemTokens(i + 1, common[i % p.common] as string);
    // Lengths depend on the words drawn, which change with the seed and the length itself; this
    // many tokens hold the common words whatever they are (each as costly as the pool's costliest).
    const safeLength = (): number => {
      const costliest = pool.reduce((best, w) => (itemTokens(1000, w) > itemTokens(1000, best) ? w : best), pool[0] as string);
      let tokens = frame.overhead;
      for (let i = 0; i < p.common * p.commonFrequency; i++) tokens += itemTokens(i + 1, costliest);
      return tokens + 8;
    };
    const drew = `the prompt and its ${p.common} common words, ${p.commonFrequency} times each, take ${minimum} tokens with the words this sample drew (they change with the seed and the length)`;
    if (minimum > ctx.length) {
      const safe = safeLength();
      throw new LengthError('ruler/cwe', ctx.length, safe, `Length ${ctx.length} is too short for ruler/cwe: ${drew}; ${safe} tokens or more hold any draw.`);
    }

    const render = (words: readonly string[]): string => {
      let text = '';
      for (let i = 0; i < words.length; i++) text += `${i === 0 ? '' : ' '}${i + 1}. ${words[i]}`;
      return text;
    };
    const countAll = (words: readonly string[]): number => tokenizer.count(frame.head + render(words) + frame.tail) + frame.special;
    const build = (uncommon: number): string[] => {
      const multiset: string[] = [];
      for (const w of common) for (let k = 0; k < p.commonFrequency; k++) multiset.push(w);
      for (const w of rest.slice(0, uncommon)) for (let k = 0; k < p.uncommonFrequency; k++) multiset.push(w);
      return multiset;
    };
    // Estimate how many uncommon words fit, then refine once from the exact item costs.
    const itemsCost = (list: readonly string[]): number => list.reduce((sum, w, i) => sum + itemTokens(i + 1, w), 0);
    const maxUncommon = rest.length - 64;
    let uncommon = Math.max(0, Math.floor((ctx.length - minimum) / ((itemTokens(1000, 'list') + 1) * p.uncommonFrequency)));
    for (let pass = 0; pass < 2; pass++) {
      const used = frame.overhead + itemsCost(build(Math.min(uncommon, maxUncommon)));
      const perWord = uncommon > 0 ? (used - minimum) / uncommon : (itemTokens(1000, 'list') + 1) * p.uncommonFrequency;
      uncommon = Math.max(0, uncommon + Math.floor((ctx.length - used) / Math.max(1, perWord)) - 1);
    }
    if (uncommon > maxUncommon) {
      throw new Error(`ruler/cwe: length ${ctx.length} needs about ${uncommon} distinct words; the word pool holds ${maxUncommon}. Raise uncommonFrequency or use a shorter length.`);
    }
    // The order is fixed by one shuffle of the multiset; the list is then trimmed or extended at
    // its end. Item costs are counted one by one (cached pieces) and the total kept incrementally;
    // one exact count of the whole prompt confirms it at the end.
    const words = rng.shuffle(build(uncommon));
    const commonSet = new Set(common);
    const costs = words.map((w, i) => itemTokens(i + 1, w));
    let total = frame.overhead + costs.reduce((x, y) => x + y, 0);
    // Removes the last uncommon item; a common word in the last place first swaps with it, so
    // numbering is unchanged and common words keep their exact frequency.
    const dropLastUncommon = (): void => {
      const last = words.length - 1;
      let j = last;
      while (j >= 0 && commonSet.has(words[j] as string)) j--;
      if (j < 0) {
        const safe = safeLength();
        throw new LengthError(
          'ruler/cwe',
          ctx.length,
          safe,
          `ruler/cwe cannot reach exactly ${ctx.length} tokens: ${drew}, and no whole list items it tried fill the ${ctx.length - minimum} left. ` +
            `Use another length; ${safe} tokens or more hold any draw.`,
        );
      }
      total -= costs[last] as number;
      if (j !== last) {
        const moved = words[last] as string;
        total -= costs[j] as number;
        words[j] = moved;
        costs[j] = itemTokens(j + 1, moved);
        total += costs[j] as number;
      }
      words.pop();
      costs.pop();
    };
    while (total > ctx.length) dropLastUncommon();
    // Close the gap with words used once each, picked by their exact item cost.
    const spare = rest.slice(uncommon);
    let spareAt = 0;
    for (let guard = 0; total !== ctx.length; guard++) {
      if (guard > 100_000) throw new Error(`ruler/cwe: could not reach exactly ${ctx.length} tokens.`);
      const gap = ctx.length - total;
      const n = words.length + 1;
      // A remainder r can be closed by m more items when m * cheapest <= r <= m * dearest.
      const cheapest = itemTokens(n, 'a');
      const dearest = cheapest + 3;
      const reachable = (r: number): boolean => r === 0 || (r >= cheapest && Math.floor(r / cheapest) * dearest >= r);
      let chosen = -1;
      let chosenCost = 0;
      if (gap >= cheapest) {
        for (let k = spareAt; k < Math.min(spare.length, spareAt + 400); k++) {
          const cost = itemTokens(n, spare[k] as string);
          if (cost <= gap && reachable(gap - cost)) {
            chosen = k;
            chosenCost = cost;
            break;
          }
        }
      }
      if (chosen < 0) {
        dropLastUncommon();
        continue;
      }
      [spare[chosen], spare[spareAt]] = [spare[spareAt] as string, spare[chosen] as string];
      words.push(spare[spareAt] as string);
      costs.push(chosenCost);
      total += chosenCost;
      spareAt++;
    }
    const exact = countAll(words);
    if (exact !== ctx.length) {
      throw new Error(`ruler/cwe: tokenizer ${tokenizer.id} does not count list items additively (${exact} != ${ctx.length}); use another tokenizer for this task.`);
    }
    const context = render(words);
    const frequencies = new Map<string, number>();
    for (const w of words) frequencies.set(w, (frequencies.get(w) ?? 0) + 1);
    const prompt: ExactPrompt = {
      input: before + context + after,
      rendered: frame.head + context + frame.tail,
      tokens: total,
      needles: [],
      fillerUnits: words.length,
      contextStart: before.length,
      contextEnd: before.length + context.length,
    };
    return finishSample(rulerCwe, ctx, prompt, common, {
      scorer: p.format === 'paper' ? 'set-iou' : 'contains-all',
      ...(answerPrefix !== undefined ? { answerPrefix } : {}),
      extra: { ...(p.format === 'paper' ? { listStyle: 'numbered' } : {}), listLength: words.length, maxOtherFrequency: Math.max(0, ...[...frequencies].filter(([w]) => !commonSet.has(w)).map(([, f]) => f)) },
    });
  },
};
