// Scoring throughput: predictions per second through scoreSample for the exact scorers (numbered,
// set-iou, exact, choice-set, token-f1) and the RULER containment scorers, on realistic outputs
// (explanation + <answer> block, a mix of right and wrong answers). Prints the median of 7 runs.
// Run: npx tsx bench/scoring.ts [predictions-per-run]
import { Random } from '../generators/core/random.js';
import { formatGold } from '../scorers/gold.js';
import { scoreSample } from '../scorers/score-sample.js';
import type { ScorablePrediction, ScorableSample } from '../scorers/types.js';

const COUNT = Number(process.argv[2] ?? 100_000);
const RUNS = 7;
const rng = new Random('bench/scoring');
const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const kv = (): string => [0, 1, 2, 3].map(() => rng.string(ALNUM, 8)).join('-');
const WORDS = ['apple', 'river', 'stone', 'cloud', 'ember', 'thistle', 'harbor', 'meadow', 'falcon', 'pepper', 'willow', 'copper', 'lantern', 'saddle'];

const shapes: Record<string, () => ScorableSample> = {
  numbered: () => {
    const keys = [kv(), kv(), kv(), kv()];
    return { id: '', task: 'ruler/niah', target: keys.map(kv), metadata: { scorer: 'numbered', keys, answerTemplate: 'The answer for {key} is {value}.' } };
  },
  'set-iou': () => ({ id: '', task: 'ruler/cwe', target: rng.sample(WORDS, 10), metadata: { scorer: 'set-iou', listStyle: 'numbered' } }),
  exact: () => ({ id: '', task: 'story/multihop', target: ['ancient copper lantern'], metadata: { scorer: 'exact' } }),
  'choice-set': () => ({ id: '', task: 'qa/quality', target: [rng.pick(['A', 'B', 'C', 'D'])], metadata: { scorer: 'choice-set' } }),
  'token-f1': () => ({ id: '', task: 'qa/squad', target: ['the city of New York', 'New York'], metadata: { scorer: 'token-f1' } }),
  'contains-all': () => ({ id: '', task: 'ruler/niah', target: [String(rng.int(1e6, 9e6)), String(rng.int(1e6, 9e6))], metadata: { scorer: 'contains-all' } }),
};

const EXPLANATION = '<explanation>\nI scanned the context for the requested information and found the relevant sentences near the middle of the document.\n</explanation>\n';

function pairs(make: () => ScorableSample): [ScorableSample, ScorablePrediction][] {
  const out: [ScorableSample, ScorablePrediction][] = [];
  for (let i = 0; i < 1000; i++) {
    const sample = make();
    const gold = formatGold(sample);
    const output = rng.chance(0.5) ? `${EXPLANATION}${gold}` : `${EXPLANATION}<answer>\n1. something else\n2. ${sample.target[0]}\n</answer>`;
    out.push([sample, { output, finishReason: 'stop' }]);
  }
  return out;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

console.log(`node ${process.version}, ${COUNT} predictions per run, median of ${RUNS} runs`);
const all: [ScorableSample, ScorablePrediction][] = [];
for (const [name, make] of Object.entries(shapes)) {
  const data = pairs(make);
  all.push(...data);
  const rates: number[] = [];
  let sink = 0;
  for (let run = 0; run < RUNS; run++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < COUNT; i++) {
      const [sample, prediction] = data[i % data.length] as [ScorableSample, ScorablePrediction];
      sink += scoreSample(sample, prediction).score;
    }
    rates.push(COUNT / (Number(process.hrtime.bigint() - start) / 1e9));
  }
  console.log(`${name.padEnd(14)} ${Math.round(median(rates)).toLocaleString('en-US').padStart(10)} predictions/s  (checksum ${sink.toFixed(1)})`);
}
const rates: number[] = [];
for (let run = 0; run < RUNS; run++) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < COUNT; i++) {
    const [sample, prediction] = all[i % all.length] as [ScorableSample, ScorablePrediction];
    scoreSample(sample, prediction);
  }
  rates.push(COUNT / (Number(process.hrtime.bigint() - start) / 1e9));
}
console.log(`${'mixed'.padEnd(14)} ${Math.round(median(rates)).toLocaleString('en-US').padStart(10)} predictions/s`);
