// Pooled runs with the oracle backend: 2 and 3 workers leave results.jsonl byte-identical to a
// single-process run, each worker gets its own GPU assignment (two share each GPU here), a
// worker SIGKILLed mid-run loses nothing, and a pooled run resumes an interrupted one.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveRecipe } from '../../runner/recipe/load.js';
import type { ResolvedRecipe } from '../../runner/recipe/types.js';
import type { RunPrediction } from '../../runner/records.js';
import { runGrid } from '../../runner/run.js';
import type { WorkerReady } from '../../runner/pool/options.js';
import { writeDataset } from './fixtures.js';

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : [];
}

/** Each (model, method, ratio, id) exactly once, none failed. */
function expectEachPairOnce(dir: string, total: number): void {
  const predictions = lines(join(dir, 'predictions.jsonl')).map((l) => JSON.parse(l) as RunPrediction);
  const keys = predictions.map((p) => `${p.model}/${p.attention.prefill}/${p.attention.compression}/${p.id}`);
  expect(predictions).toHaveLength(total);
  expect(new Set(keys).size).toBe(total);
  expect(predictions.filter((p) => p.error !== undefined)).toEqual([]);
}

let root: string;
let resolved: ResolvedRecipe;
let reference: string;
const TOTAL = 2 * 2 * 2 * 3 * 12; // models x tasks x lengths x settings x samples

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'lw-pool-'));
  writeDataset(join(root, 'data'), ['ruler/niah', 'ruler/vt'], [1024, 8192], 12);
  const recipe = {
    name: 'pool',
    data: 'data',
    models: [
      { name: 'a', backend: 'oracle', options: { corruptRate: 0.3, corruptPerLnCompression: 0.1, delayMs: 2, concurrency: 2 } },
      { name: 'b', backend: 'oracle', options: { corruptRate: 0.5, seed: 7 } },
    ],
    attention: [{ prefill: 'dense', decode: 'dense' }, { prefill: 'a-shape', decode: 'dense', compression: [2, 8] }],
  };
  resolved = await resolveRecipe(recipe, { baseDir: root });
  reference = join(root, 'reference');
  const outcome = await runGrid(resolved, { dir: reference });
  expect(outcome.answered).toBe(TOTAL);
});

describe('pooled runs', () => {
  it('with 2 and 3 workers write results.jsonl byte for byte as one process does', async () => {
    for (const workers of [2, 3]) {
      const dir = join(root, `workers-${workers}`);
      const ready: WorkerReady[] = [];
      // Paced (25 ms a request) so that every worker has started before one alone could finish the grid.
      const paced = { ...resolved, models: resolved.models.map((m) => ({ ...m, options: { ...m.options, delayMs: 25, concurrency: 2 } })) };
      const outcome = await runGrid(paced, { dir, pool: { workers, onWorkerReady: (w) => ready.push(w) } });
      expect(outcome).toMatchObject({ total: TOTAL, answered: TOTAL, alreadyDone: 0, failed: [], interrupted: false });
      expect(ready.map((w) => w.slot).sort()).toEqual(Array.from({ length: workers }, (_, i) => i));
      expect(new Set(ready.map((w) => w.pid)).size).toBe(workers);
      expect(readFileSync(join(dir, 'results.jsonl'), 'utf8')).toBe(readFileSync(join(reference, 'results.jsonl'), 'utf8'));
      expect(lines(join(dir, 'sample-info.jsonl')).sort()).toEqual(lines(join(reference, 'sample-info.jsonl')).sort());
      expectEachPairOnce(dir, TOTAL);
    }
  }, 90_000);

  it('pins each worker to its own GPU, two workers sharing each', async () => {
    const devices = [
      { index: 0, pci: '0000:18:00.0' },
      { index: 1, pci: '0000:2a:00.0' },
    ];
    const ready: WorkerReady[] = [];
    const dir = join(root, 'gpus');
    const logs: string[] = [];
    // A small delay per answer keeps the queue from draining before the last worker has started
    // on a loaded machine, so every worker reports in (oracle results do not depend on it).
    const paced = { ...resolved, models: resolved.models.map((m) => ({ ...m, options: { ...m.options, delayMs: 25, concurrency: 2 } })) };
    await runGrid(paced, { dir, log: (m) => logs.push(m), pool: { gpus: 'all', workers: 4, devices, skipLayerCheck: true, onWorkerReady: (w) => ready.push(w) } });
    ready.sort((a, b) => a.slot - b.slot);
    // What each worker process itself saw in its environment.
    expect(ready.map((w) => [w.slot, w.gpu?.index, w.env['DRI_PRIME'], w.env['MESA_VK_DEVICE_SELECT_FORCE_DEFAULT_DEVICE'], w.env['CUDA_VISIBLE_DEVICES'], w.env['LONGWEAVE_GPU_PCI']])).toEqual([
      [0, 0, 'pci-0000_18_00_0', '1', '0', '0000:18:00.0'],
      [1, 1, 'pci-0000_2a_00_0', '1', '1', '0000:2a:00.0'],
      [2, 0, 'pci-0000_18_00_0', '1', '0', '0000:18:00.0'],
      [3, 1, 'pci-0000_2a_00_0', '1', '1', '0000:2a:00.0'],
    ]);
    expect(logs[0]).toBe(`pool: ${TOTAL} pairs to run on 4 workers: worker 0 (GPU 0, 0000:18:00.0), worker 1 (GPU 1, 0000:2a:00.0), worker 2 (GPU 0, 0000:18:00.0), worker 3 (GPU 1, 0000:2a:00.0)`);
    expect(readFileSync(join(dir, 'results.jsonl'), 'utf8')).toBe(readFileSync(join(reference, 'results.jsonl'), 'utf8'));
  }, 60_000);

  it('gives a SIGKILLed worker’s pairs to the others and restarts it: nothing lost, nothing twice', async () => {
    const dir = join(root, 'killed');
    const slow = { ...resolved, models: resolved.models.map((m) => ({ ...m, options: { ...m.options, delayMs: 25, concurrency: 2 } })) };
    // The recipe in run.json must match on resume, so this run gets its own reference.
    const slowReference = join(root, 'slow-reference');
    await runGrid(slow, { dir: slowReference });
    const logs: string[] = [];
    let killed: number | undefined;
    const outcome = await runGrid(slow, {
      dir,
      log: (m) => logs.push(m),
      pool: {
        workers: 2,
        onWorkerReady: (w) => {
          if (w.slot !== 0 || killed !== undefined) return;
          killed = w.pid;
          // Once it is busy: after a few dozen predictions are on disk.
          const timer = setInterval(() => {
            if (lines(join(dir, 'predictions.jsonl')).length >= 40) {
              clearInterval(timer);
              process.kill(w.pid, 'SIGKILL');
            }
          }, 2);
        },
      },
    });
    expect(killed).toBeDefined();
    expect(logs.some((m) => m.startsWith(`pool: worker 0 (pid ${killed}) died (signal SIGKILL);`))).toBe(true);
    expect(logs.filter((m) => /^pool: worker 0 ready/.test(m))).toHaveLength(2);
    expect(outcome).toMatchObject({ answered: TOTAL, failed: [], interrupted: false });
    expectEachPairOnce(dir, TOTAL);
    expect(readFileSync(join(dir, 'results.jsonl'), 'utf8')).toBe(readFileSync(join(slowReference, 'results.jsonl'), 'utf8'));
  }, 90_000);

  it('resumes an interrupted single-process run on a pool, and the other way round', async () => {
    const dir = join(root, 'resumed');
    const controller = new AbortController();
    const slow = { ...resolved, models: resolved.models.map((m) => ({ ...m, options: { ...m.options, delayMs: 10, concurrency: 1 } })) };
    const slowReference = join(root, 'resume-reference');
    await runGrid(slow, { dir: slowReference });
    const first = runGrid(slow, { dir, signal: controller.signal, progress: { start() {}, stop() {}, tick: () => lines(join(dir, 'predictions.jsonl')).length >= 30 && controller.abort() } });
    const interrupted = await first;
    expect(interrupted.interrupted).toBe(true);
    const pooled = new AbortController();
    const second = await runGrid(slow, {
      dir,
      signal: pooled.signal,
      pool: { workers: 2 },
      progress: { start() {}, stop() {}, tick: () => lines(join(dir, 'predictions.jsonl')).length >= 120 && pooled.abort() },
    });
    expect(second.interrupted).toBe(true);
    expect(second.alreadyDone).toBeGreaterThanOrEqual(30);
    const third = await runGrid(slow, { dir });
    expect(third.interrupted).toBe(false);
    expect(third.alreadyDone + third.answered).toBe(TOTAL);
    expectEachPairOnce(dir, TOTAL);
    expect(readFileSync(join(dir, 'results.jsonl'), 'utf8')).toBe(readFileSync(join(slowReference, 'results.jsonl'), 'utf8'));
  }, 90_000);
});
