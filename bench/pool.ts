// Pooled runs: how well longest-first scheduling balances a paper-like grid (simulated with the
// cost model, no hardware needed), and, given a checkpoint and GPUs, a real engine grid on one
// GPU against all of them: wall time, identical results, and which GPU each worker used
// (nvidia-smi sampled during the run).
// Run: npx tsx bench/pool.ts                                  # simulation only
//      node dist/bench/pool.js --checkpoint DIR --gpus all [--samples 4] [--lengths 4096,16384]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Random } from '../generators/core/random.js';
import { generate } from '../generators/index.js';
import { pairCost } from '../runner/pool/cost.js';
import { simulateSchedule } from '../runner/pool/schedule.js';
import { resolveRecipe } from '../runner/recipe/load.js';
import { runGrid } from '../runner/run.js';
import type { WorkerReady } from '../runner/pool/options.js';

const { values } = parseArgs({
  options: {
    checkpoint: { type: 'string' },
    gpus: { type: 'string', default: 'all' },
    samples: { type: 'string', default: '4' },
    lengths: { type: 'string', default: '4096,16384' },
  },
});

// 1. Simulation: the paper's grid shape (lengths 8K-128K, dense + 3 sparse ratios, 100 samples),
// Llama-3.1-8B-shaped cost, list scheduling in grid order against longest-first.
const cost = await pairCost([{ name: 'reference', backend: 'openai' }], '/');
function gridCosts(samples: number): number[] {
  const rng = new Random('bench-pool');
  const costs: number[] = [];
  for (const length of [8192, 16384, 32768, 65536, 131072]) {
    for (const attention of [
      { prefill: 'dense', decode: 'dense', compression: 1 },
      { prefill: 'vertical-slash', decode: 'dense', compression: 5 },
      { prefill: 'vertical-slash', decode: 'dense', compression: 10 },
      { prefill: 'vertical-slash', decode: 'dense', compression: 20 },
    ]) {
      for (let s = 0; s < samples; s++) costs.push(cost(0, Math.round(length * (0.9 + 0.1 * rng.next())), 16 + Math.floor(rng.next() * 240), attention));
    }
  }
  return costs;
}
for (const samples of [100, 5]) {
  const costs = gridCosts(samples);
  const total = costs.reduce((a, b) => a + b, 0);
  console.log(`\nsimulated grid, ${samples} samples per cell: ${costs.length} pairs, ${(total / 3600).toFixed(2)} GPU-hours at the cost model's rates`);
  console.log('workers | grid order makespan | longest-first makespan | lower bound | grid order / bound | longest-first / bound');
  for (const workers of [2, 4, 8]) {
    const grid = simulateSchedule(costs, workers);
    const lpt = simulateSchedule([...costs].sort((a, b) => b - a), workers);
    console.log(`${workers} | ${(grid.makespan / 60).toFixed(1)} min | ${(lpt.makespan / 60).toFixed(1)} min | ${(lpt.lowerBound / 60).toFixed(1)} min | ${(grid.makespan / lpt.lowerBound).toFixed(3)} | ${(lpt.makespan / lpt.lowerBound).toFixed(3)}`);
  }
}

// 2. A real engine grid on the GPUs, when a checkpoint is given.
if (values.checkpoint) {
  const root = mkdtempSync(join(tmpdir(), 'lw-bench-pool-'));
  try {
    const lengths = values.lengths!.split(',').map(Number);
    const path = join(root, 'niah', 'samples.jsonl');
    mkdirSync(join(root, 'niah'), { recursive: true });
    writeFileSync(path, [...generate({ task: 'ruler/niah', lengths, samples: Number(values.samples), seed: 5 })].map((s) => JSON.stringify(s)).join('\n') + '\n');
    const recipe = { name: 'bench-pool', datasets: [{ path }], models: [{ name: 'model', backend: 'engine', options: { path: values.checkpoint, maxLength: Math.max(...lengths) + 512, cacheDir: join(root, 'cache') } }] };
    const resolved = await resolveRecipe(recipe, { baseDir: root });
    const smi = (): string => {
      try {
        return execFileSync('nvidia-smi', ['--query-gpu=index,pci.bus_id,memory.used,utilization.gpu', '--format=csv,noheader,nounits'], { encoding: 'utf8' });
      } catch {
        return '';
      }
    };
    const peaks = new Map<string, { memory: number; utilization: number }>();
    const sample = (): void => {
      for (const line of smi().trim().split('\n')) {
        const [index, bus, memory, utilization] = line.split(',').map((x) => x.trim());
        if (!index) continue;
        const key = `${index} ${bus}`;
        const peak = peaks.get(key) ?? { memory: 0, utilization: 0 };
        peaks.set(key, { memory: Math.max(peak.memory, Number(memory)), utilization: Math.max(peak.utilization, Number(utilization)) });
      }
    };
    for (const gpus of ['1', values.gpus!]) {
      peaks.clear();
      const ready: WorkerReady[] = [];
      const timer = setInterval(sample, 250);
      const started = performance.now();
      const outcome = await runGrid(resolved, { dir: join(root, `gpus-${gpus}`), log: (m) => console.error(m), pool: { gpus, onWorkerReady: (w) => ready.push(w) } });
      const seconds = (performance.now() - started) / 1000;
      clearInterval(timer);
      console.log(`--gpus ${gpus}: ${outcome.answered} answered, ${outcome.failed.length} failed in ${seconds.toFixed(1)} s (graph build and load included)`);
      for (const w of ready) console.log(`  worker ${w.slot} pid ${w.pid}: DRI_PRIME=${w.env['DRI_PRIME']} (GPU ${w.gpu?.index} ${w.gpu?.pci})`);
      for (const [gpu, peak] of [...peaks].sort()) console.log(`  GPU ${gpu}: peak memory ${peak.memory} MiB, peak utilization ${peak.utilization}%`);
      try {
        console.log(execFileSync('nvidia-smi', { encoding: 'utf8' }).split('\n').filter((l) => /node|Processes|GPU\s+GI/.test(l)).join('\n'));
      } catch {
        // no nvidia-smi
      }
    }
    const same = readFileSync(join(root, 'gpus-1', 'results.jsonl'), 'utf8') === readFileSync(join(root, `gpus-${values.gpus}`, 'results.jsonl'), 'utf8');
    console.log(`results.jsonl identical on 1 GPU and on --gpus ${values.gpus}: ${same}`);
  } finally {
    // The folder holds the checkpoint's graphs (a copy of its weights): not left in the temp folder.
    rmSync(root, { recursive: true, force: true });
  }
}
