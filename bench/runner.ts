// Runner overhead: requests per second against a local server that answers instantly (in its own
// process), with ~4k-token prompts and 64 requests in flight, and the runner's peak memory for
// growing numbers of samples (datasets are streamed, so it should stay flat).
// Run: npx tsx bench/runner.ts [samples=20000] [repeats=3]
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { resolveRecipe } from '../runner/recipe/load.js';
import { runGrid } from '../runner/run.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const samples = Number(process.argv[2] ?? 20000);
const repeats = Number(process.argv[3] ?? 3);

// About 4k tokens of prose-like text (~4 characters a token).
const FILLER = 'The caravan reached the river crossing at dawn, and the ferryman counted the crates twice. '.repeat(180);

async function writeSamples(file: string, count: number): Promise<void> {
  const out = createWriteStream(file);
  for (let i = 0; i < count; i++) {
    const input = `<question>Which item?</question>\n<context>${FILLER} The item is item-${i}.</context>`;
    const sample = {
      id: `bench-${i}`,
      task: 'ruler/niah',
      taskVersion: 1,
      input,
      target: [`item-${i}`],
      messages: [{ role: 'user', content: input }],
      metadata: {
        seed: String(i), tokenizer: 'qwen3', inputTokens: 4096, targetLength: 4096, chatTemplate: true, index: i, params: {},
        category: 'retrieval', scope: 'low', dispersion: 'low', scorer: 'exact', maxOutputTokens: 32,
      },
    };
    if (!out.write(`${JSON.stringify(sample)}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function startServer(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(HERE, 'runner-server.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  return { url: chunk.toString().trim(), stop: () => child.kill() };
}

async function runOnce(dir: string, url: string, count: number): Promise<{ seconds: number; peakRssMb: number }> {
  const runDir = join(dir, `run-${count}-${Date.now()}`);
  const resolved = await resolveRecipe(
    { name: 'bench', datasets: [{ path: join(dir, 'samples.jsonl'), task: 'ruler/niah', length: 4096 }], samples: count, models: [{ name: 'bench', backend: 'openai', options: { baseUrl: url, concurrency: 64 } }] },
    { baseDir: dir },
  );
  global.gc?.();
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const started = performance.now();
  const outcome = await runGrid(resolved, { dir: runDir });
  const seconds = (performance.now() - started) / 1000;
  clearInterval(timer);
  if (outcome.answered !== count) throw new Error(`answered ${outcome.answered} of ${count}: ${outcome.failed[0]?.error}`);
  rmSync(runDir, { recursive: true, force: true });
  return { seconds, peakRssMb: Math.round(peak / 2 ** 20) };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const baselineRssMb = Math.round(process.memoryUsage().rss / 2 ** 20);
const dir = mkdtempSync(join(tmpdir(), 'lw-bench-'));
await writeSamples(join(dir, 'samples.jsonl'), samples);
const server = await startServer();
try {
  await runOnce(dir, server.url, Math.min(2000, samples)); // warm-up
  const rates: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const { seconds } = await runOnce(dir, server.url, samples);
    rates.push(samples / seconds);
  }
  console.log(`prompt ~${Math.round(FILLER.length / 4)} tokens (${FILLER.length} chars), concurrency 64, ${samples} samples, ${repeats} runs`);
  console.log(`requests/s: median ${median(rates).toFixed(0)} (runs: ${rates.map((r) => r.toFixed(0)).join(', ')})`);
  console.log(`RSS before any run: ${baselineRssMb} MiB`);
  for (const count of [samples / 8, samples / 2, samples].map(Math.round)) {
    const { peakRssMb, seconds } = await runOnce(dir, server.url, count);
    console.log(`peak RSS with ${count} samples: ${peakRssMb} MiB (${(count / seconds).toFixed(0)} req/s)`);
  }
} finally {
  server.stop();
  rmSync(dir, { recursive: true, force: true });
}
