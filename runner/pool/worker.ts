// A worker process of a pooled run (started by coordinator.ts with child_process.fork). It owns
// one backend at a time (for the engine: one model on the GPU its environment pins it to), reads
// each pair's sample from its byte range, asks the backend, scores, and sends both lines to the
// coordinator. It writes nothing itself, so killing it loses only the pairs it was running,
// which the coordinator gives to another worker.
import { getBackend } from '../backends/registry.js';
import type { Sample } from '../../generators/core/sample.js';
import { assertValid } from '../../schemas/index.js';
import { predictSample, resultOf } from '../pair.js';
import type { ModelSpec } from '../recipe/types.js';
import type { Backend } from '../types.js';
import { readRange } from './line-index.js';
import type { FromWorker, PairTask, ToWorker } from './protocol.js';

/** The variables that select this process's adapter, reported back so tests and logs can check them. */
export const ADAPTER_VARIABLES = ['DRI_PRIME', 'MESA_VK_DEVICE_SELECT', 'MESA_VK_DEVICE_SELECT_FORCE_DEFAULT_DEVICE', 'CUDA_VISIBLE_DEVICES', 'CUDA_DEVICE_ORDER', 'LONGWEAVE_GPU', 'LONGWEAVE_GPU_PCI'] as const;

const send = (message: FromWorker): void => {
  process.send?.(message);
};

let init: Extract<ToWorker, { type: 'init' }> | undefined;
let current: { model: number; backend: Backend } | undefined;
let switching = false;
let inFlight = 0;
const waiting: PairTask[] = [];

function fatal(error: unknown, seq?: number): void {
  send({ type: 'fatal', message: error instanceof Error ? error.message : String(error), ...(seq !== undefined ? { seq } : {}) });
}

/** The model spec as this worker runs it: the engine on this worker's GPU when it has one. */
function specFor(model: number): ModelSpec {
  const spec = init!.models[model];
  if (!spec) throw new Error(`Worker got model index ${model}, which the run does not have.`);
  if (!init!.gpu || spec.backend !== 'engine') return spec;
  return { ...spec, options: { ...spec.options, device: 'webgpu' } };
}

async function open(model: number): Promise<void> {
  await current?.backend.close?.();
  current = undefined;
  const spec = specFor(model);
  const backend = await getBackend(spec.backend).create(spec, { baseDir: init!.baseDir, env: process.env });
  current = { model, backend };
  send({ type: 'opened', model, concurrency: backend.concurrency ?? 1 });
}

async function run(pair: PairTask, backend: Backend): Promise<void> {
  let sample: Sample;
  try {
    sample = assertValid<Sample>('sample', JSON.parse(readRange(pair.path, pair.start, pair.end)), `${pair.path}:${pair.line}`);
  } catch (error) {
    fatal(error, pair.seq);
    return;
  }
  const spec = init!.models[pair.model]!;
  const prediction = await predictSample(backend, spec.name, pair.attention, sample);
  if (!prediction) return;
  const result = prediction.error === undefined ? resultOf(pair.task, sample, prediction, init!.scoreOptions) : undefined;
  send({ type: 'done', seq: pair.seq, prediction, ...(result ? { result } : {}) });
}

/** Starts waiting pairs in order while the backend has room; switches models only when idle. */
function pump(): void {
  while (!switching && waiting.length > 0) {
    const next = waiting[0]!;
    if (current?.model !== next.model) {
      if (inFlight > 0) return;
      switching = true;
      open(next.model).then(
        () => {
          switching = false;
          pump();
        },
        (error: unknown) => fatal(error),
      );
      return;
    }
    if (inFlight >= (current.backend.concurrency ?? 1)) return;
    waiting.shift();
    inFlight++;
    const backend = current.backend;
    run(next, backend)
      .catch((error: unknown) => fatal(error, next.seq))
      .finally(() => {
        inFlight--;
        pump();
      });
  }
}

async function stop(): Promise<void> {
  try {
    await current?.backend.close?.();
  } finally {
    process.exit(0);
  }
}

if (!process.send) throw new Error('runner/pool/worker is started by the pool coordinator (child_process.fork), not directly.');
// The coordinator is gone (it was killed): nothing can be recorded any more, so stop at once.
process.on('disconnect', () => process.exit(0));
process.on('message', (message: ToWorker) => {
  if (message.type === 'init') {
    init = message;
    const env: Record<string, string | undefined> = {};
    for (const name of ADAPTER_VARIABLES) env[name] = process.env[name];
    send({ type: 'ready', pid: process.pid, env });
  } else if (message.type === 'pair') {
    waiting.push(message.pair);
    pump();
  } else {
    void stop();
  }
});
send({ type: 'hello' });
