// story/retrieval generation speed: a 128k-token and a 1M-token sample (qwen3, chat template),
// median wall time, throughput against one plain tokenization (tok.encode) of the same prompt, and
// the peak RSS of a process that generates 1M-token samples. Targets (issue 3): 128k < 0.5 s,
// 1M < 4 s with peak RSS < 600 MB, throughput >= 3x one encode.
// Run (built output): npx tsc -p tsconfig.build.json && node dist/bench/story.js
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { generateSample } from '../generators/generate.js';
import { loadTokenizer, renderChat } from '../generators/tokenizers/index.js';

const tok = loadTokenizer('qwen3');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function timeSamples(length: number, runs: number): { seconds: number; prompt: string } {
  const times: number[] = [];
  let prompt = '';
  for (let index = 0; index <= runs; index++) {
    const t0 = performance.now();
    const s = generateSample({ task: 'story/retrieval', length, index, seed: 'bench', tokenizer: tok });
    const t = (performance.now() - t0) / 1000;
    if (index > 0) times.push(t); // the first run warms caches and the JIT
    prompt = renderChat(tok.chatTemplate!, s.messages);
  }
  return { seconds: median(times), prompt };
}

if (process.argv[2] === '--peak') {
  for (let index = 0; index < 3; index++) generateSample({ task: 'story/retrieval', length: 1 << 20, index, seed: 'bench', tokenizer: tok });
  process.stdout.write(JSON.stringify({ maxRssMb: process.resourceUsage().maxRSS / 1024 }));
} else {
  const rows: string[] = [];
  for (const [label, length, runs] of [['128k', 131072, 7], ['1M', 1 << 20, 3]] as const) {
    const { seconds, prompt } = timeSamples(length, runs);
    const t0 = performance.now();
    const encoded = tok.encode(prompt).length;
    const encodeSeconds = (performance.now() - t0) / 1000;
    rows.push(`${label.padEnd(5)} ${seconds.toFixed(3)} s median of ${runs}   one tok.encode ${encodeSeconds.toFixed(2)} s (${encoded} tokens)   throughput ${(encodeSeconds / seconds).toFixed(1)}x one encode`);
  }
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--peak'], { encoding: 'utf8' });
  const peak = JSON.parse(child.stdout) as { maxRssMb: number };
  rows.push(`peak RSS generating three 1M-token samples (tokenizer loaded): ${peak.maxRssMb.toFixed(0)} MB`);
  process.stdout.write(`story/retrieval, qwen3 + chat template, node ${process.version}\n${rows.join('\n')}\n`);
}
