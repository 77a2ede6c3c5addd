// results.jsonl in a fixed order, so interrupted-and-resumed runs, pooled runs and uninterrupted
// ones leave byte-identical files whatever order the answers came in.
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from './files/write-atomic.js';
import { predictionKey, type RunResult } from './records.js';

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Rewrites results.jsonl sorted by model, task, length, method, compression and id. A pair scored
 * twice (re-scored after a scorer version change) keeps its last line.
 * @throws DiskFullError when the disk is full (the unsorted file stays as it was).
 * @example sortResults('runs/a/results.jsonl');
 */
export function sortResults(file: string): void {
  if (!existsSync(file)) return;
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const latest = new Map<string, { line: string; r: RunResult }>();
  for (const line of lines) {
    const r = JSON.parse(line) as RunResult;
    latest.set(predictionKey(r.model, r.method, r.compression, r.id), { line, r });
  }
  const keyed = [...latest.values()];
  keyed.sort(
    (a, b) =>
      cmp(a.r.model, b.r.model) || cmp(a.r.task, b.r.task) || a.r.length - b.r.length || cmp(a.r.method, b.r.method) || a.r.compression - b.r.compression || cmp(a.r.id, b.r.id),
  );
  writeFileAtomic(file, keyed.map((k) => `${k.line}\n`).join(''));
}
