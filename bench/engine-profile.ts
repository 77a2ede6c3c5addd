// Summarises an onnxruntime profile (enableProfiling) by operator, separately for the longest run
// (the prefill) and the runs after it (decode steps, averaged per step).
//
//   node dist/bench/engine-profile.js [--last] ort-profile_*.json
//
// --last summarises the last run instead of the longest (a layer profile's first run compiles the
// shaders and allocates, so its host times are not the steady state).
import { readFileSync } from 'node:fs';

interface ProfileEvent {
  cat?: string;
  name?: string;
  ts?: number;
  dur?: number;
  args?: { op_name?: string; provider?: string; shapes?: string };
}

type Totals = Map<string, { us: number; count: number }>;

function summarise(title: string, totals: Totals, runs: number, wallUs: number): string[] {
  const all = [...totals.values()].reduce((a, v) => a + v.us, 0);
  const lines = [`${title}: ${runs} run(s), ${(wallUs / runs / 1000).toFixed(2)} ms wall per run, ${(all / runs / 1000).toFixed(2)} ms in kernels per run`];
  lines.push(`  ${'op [provider]'.padEnd(44)} ${'ms/run'.padStart(9)} ${'share'.padStart(7)} ${'nodes/run'.padStart(10)}`);
  for (const [key, v] of [...totals].sort((a, b) => b[1].us - a[1].us)) {
    lines.push(`  ${key.padEnd(44)} ${(v.us / runs / 1000).toFixed(3).padStart(9)} ${((100 * v.us) / all).toFixed(1).padStart(6)}% ${(v.count / runs).toFixed(0).padStart(10)}`);
  }
  return lines;
}

const args = process.argv.slice(2);
const last = args.includes('--last');
const events = args.filter((a) => a !== '--last').flatMap((file) => JSON.parse(readFileSync(file, 'utf8')) as ProfileEvent[]);
const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run' && e.ts !== undefined && e.dur !== undefined).sort((a, b) => a.ts! - b.ts!);
const nodes = events.filter((e) => e.cat === 'Node' && e.name?.endsWith('_kernel_time') && e.ts !== undefined && e.dur !== undefined);
const byRun = runs.map(() => new Map<string, { us: number; count: number }>() as Totals);
for (const e of nodes) {
  const index = runs.findIndex((r) => e.ts! >= r.ts! && e.ts! <= r.ts! + r.dur!);
  if (index < 0) continue;
  const key = `${e.args?.op_name ?? '?'} [${(e.args?.provider ?? '?').replace('ExecutionProvider', '')}]`;
  const entry = byRun[index]!.get(key) ?? { us: 0, count: 0 };
  entry.us += e.dur!;
  entry.count++;
  byRun[index]!.set(key, entry);
}
const prefillIndex = last ? runs.length - 1 : runs.reduce((best, r, i) => (r.dur! > runs[best]!.dur! ? i : best), 0);
const merge = (indices: number[]): Totals => {
  const out: Totals = new Map();
  for (const i of indices) for (const [k, v] of byRun[i]!) {
    const e = out.get(k) ?? { us: 0, count: 0 };
    e.us += v.us;
    e.count += v.count;
    out.set(k, e);
  }
  return out;
};
const decode = runs.map((_, i) => i).filter((i) => i > prefillIndex);
const lines = [`${runs.length} runs in the profile; kernel times as onnxruntime records them for the provider`];
lines.push(...summarise(last ? 'prefill (last run)' : 'prefill (longest run)', merge([prefillIndex]), 1, runs[prefillIndex]?.dur ?? 0));
if (decode.length) lines.push(...summarise('decode steps after it', merge(decode), decode.length, decode.reduce((a, i) => a + runs[i]!.dur!, 0)));
// GPU time: the WebGPU provider records each dispatch's GPU timestamps as 'Api' events (when the
// device has the timestamp-query feature), named by the kernel's program. Summed over the whole
// profile and divided by its run count.
const allGpu = events.filter((e) => e.cat === 'Api' && e.dur !== undefined && e.ts !== undefined);
// Newer providers put GPU timestamps on the host clock: then keep the summarised run's dispatches.
const run = runs[prefillIndex];
const inRun = run ? allGpu.filter((e) => e.ts! >= run.ts! && e.ts! <= run.ts! + run.dur!) : [];
const gpu = inRun.length ? inRun : allGpu;
const gpuRuns = inRun.length ? 1 : Math.max(1, runs.length);
if (gpu.length) {
  const totals: Totals = new Map();
  for (const e of gpu) {
    const key = (e.name ?? '?').replace(/\s+/g, ' ').slice(0, 44);
    const entry = totals.get(key) ?? { us: 0, count: 0 };
    entry.us += e.dur!;
    entry.count++;
    totals.set(key, entry);
  }
  const title = inRun.length ? 'GPU time (timestamp queries) in that run' : `GPU time (timestamp queries, all ${runs.length} runs averaged)`;
  lines.push(...summarise(title, totals, gpuRuns, inRun.length ? run!.dur! : runs.reduce((a, r) => a + r.dur!, 0)));
} else {
  lines.push('no GPU timestamps in the profile (the device lacks timestamp-query, or the provider did not record them)');
}
console.log(lines.join('\n'));
