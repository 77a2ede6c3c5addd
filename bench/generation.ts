// Generation benchmark: time to generate one exact-length sample against the time of one plain
// encode of the same finished prompt, and the process's peak RSS. Each case runs in its own child
// process so RSS is the case's own. Figures: medians over repetitions, after one warm-up.
//
//   npm run build && node dist/bench/generation.js            # all cases
//   node dist/bench/generation.js --case ruler/niah:needle:1m  # one case
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { generateSample } from '../generators/generate.js';
import { loadTokenizer, renderChat } from '../generators/tokenizers/index.js';
import { parseLength } from '../generators/core/length.js';

interface CaseResult {
  case: string;
  tokens: number;
  generateMs: number;
  generateTokensPerS: number;
  encodeMs: number;
  encodeTokensPerS: number;
  ratio: number;
  peakRssMB: number;
}

const CASES = [
  'ruler/niah:needle:128k',
  'ruler/niah:prose:128k',
  'ruler/niah:needle:1m',
  'ruler/niah:prose:1m',
];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

function runCase(spec: string): CaseResult {
  const [task, haystack, lengthText] = spec.split(':') as [string, string, string];
  const length = parseLength(lengthText);
  const tokenizer = loadTokenizer('qwen3');
  const params = { haystack };
  generateSample({ task, params, length: 8192, index: 999, seed: 1, tokenizer }); // warm-up
  const reps = length > 200_000 ? 3 : 5;
  const times: number[] = [];
  let last = generateSample({ task, params, length, index: 0, seed: 1, tokenizer });
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    last = generateSample({ task, params, length, index: i + 1, seed: 1, tokenizer });
    times.push(performance.now() - t0);
  }
  const peakRssMB = process.resourceUsage().maxRSS / 1024;
  const rendered = renderChat(tokenizer.chatTemplate!, last.messages);
  const encodeTimes: number[] = [];
  let encoded = 0;
  for (let i = 0; i < (length > 200_000 ? 1 : 3); i++) {
    const t0 = performance.now();
    encoded = tokenizer.encode(rendered).length;
    encodeTimes.push(performance.now() - t0);
  }
  if (encoded !== length) throw new Error(`${spec}: encode gave ${encoded} tokens, expected ${length}`);
  const generateMs = median(times);
  const encodeMs = median(encodeTimes);
  return {
    case: spec,
    tokens: length,
    generateMs: Math.round(generateMs),
    generateTokensPerS: Math.round((length / generateMs) * 1000),
    encodeMs: Math.round(encodeMs),
    encodeTokensPerS: Math.round((length / encodeMs) * 1000),
    ratio: Math.round((encodeMs / generateMs) * 10) / 10,
    peakRssMB: Math.round(peakRssMB),
  };
}

const args = process.argv.slice(2);
const at = args.indexOf('--case');
if (at >= 0) {
  process.stdout.write(`${JSON.stringify(runCase(args[at + 1] as string))}\n`);
} else {
  const self = fileURLToPath(import.meta.url);
  const results: CaseResult[] = [];
  for (const spec of args.length > 0 ? args : CASES) {
    process.stderr.write(`running ${spec}...\n`);
    const child = spawnSync(process.execPath, [self, '--case', spec], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`${spec} failed: ${child.stderr}`);
    results.push(JSON.parse(child.stdout) as CaseResult);
  }
  process.stdout.write('| case | tokens | generate ms (median) | generate tok/s | one encode ms | encode tok/s | generate/encode throughput | peak RSS MB |\n|---|---|---|---|---|---|---|---|\n');
  for (const r of results) {
    process.stdout.write(`| ${r.case} | ${r.tokens} | ${r.generateMs} | ${r.generateTokensPerS.toLocaleString('en')} | ${r.encodeMs} | ${r.encodeTokensPerS.toLocaleString('en')} | ${r.ratio}x | ${r.peakRssMB} |\n`);
  }
}
