// The main-thread side of a session worker: starts the worker, loads a graph and sends whole
// generations to it, one at a time (two WebGPU sessions running at once in one process crash, so
// one worker serialises everything that touches the GPU).
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Device, GenerateRequest, GenerateResult, LoadRequest, LoadedMessage, ProgressMessage, WorkerMessage } from './protocol.js';

/** Options of `EngineSession.open`. */
export type SessionOptions = Omit<LoadRequest, 'type'>;

/** A generation to run. */
export type GenerationInput = Omit<GenerateRequest, 'type' | 'id'>;

function startWorker(): Worker {
  const js = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js);
  // Running from TypeScript sources (tests, tsx): register tsx's loader inside the worker first.
  const ts = new URL('./worker.ts', import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(ts)}); });`;
  return new Worker(bootstrap, { eval: true });
}

/** One loaded graph in its worker thread. */
export class EngineSession {
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  private readonly waiting = new Map<number | 'load' | 'close', { resolve: (m: WorkerMessage) => void; reject: (e: Error) => void }>();
  /** Per generation id: the caller's prefill progress callback. */
  private readonly progress = new Map<number, (progress: ProgressMessage) => void>();
  private failure: Error | null = null;

  private constructor(private readonly worker: Worker, readonly device: Device, readonly loaded: LoadedMessage) {}

  /**
   * Starts a worker and loads `options.modelFile` on `options.device`.
   * @throws Error with onnxruntime's message when the session can't be created.
   * @example const s = await EngineSession.open({ modelFile, device: 'cpu', precision: 'fp32', numLayers: 2, numKvHeads: 2, headDim: 16 })
   */
  static async open(options: SessionOptions): Promise<EngineSession> {
    const worker = startWorker();
    const loaded = await new Promise<LoadedMessage>((resolve, reject) => {
      const onMessage = (m: WorkerMessage): void => {
        worker.off('error', onError);
        worker.off('message', onMessage);
        if (m.type === 'loaded') resolve(m);
        else {
          void worker.terminate();
          reject(new Error(m.type === 'error' ? `Engine session failed to load ${options.modelFile}: ${m.message}` : `Unexpected worker message ${m.type}.`));
        }
      };
      const onError = (e: Error): void => reject(e);
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.postMessage({ type: 'load', ...options } satisfies LoadRequest);
    });
    const session = new EngineSession(worker, options.device, loaded);
    worker.on('message', (m: WorkerMessage) => session.dispatch(m));
    worker.on('error', (e) => session.fail(e));
    worker.on('exit', (code) => session.fail(new Error(`Engine worker exited with code ${code}.`)));
    return session;
  }

  private dispatch(m: WorkerMessage): void {
    if (m.type === 'progress') {
      this.progress.get(m.id)?.(m);
      return;
    }
    const key = m.type === 'result' ? m.id : m.type === 'error' ? (m.id ?? 'close') : m.type === 'closed' ? 'close' : 'load';
    const waiter = this.waiting.get(key);
    if (!waiter) return;
    this.waiting.delete(key);
    if (m.type === 'error') waiter.reject(new Error(`Engine generation failed: ${m.message}`));
    else waiter.resolve(m);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }

  /** Runs one generation (queued behind any running one). */
  generate(input: GenerationInput, onProgress?: (progress: ProgressMessage) => void): Promise<GenerateResult> {
    const run = async (): Promise<GenerateResult> => {
      if (this.failure) throw this.failure;
      const id = this.nextId++;
      const result = new Promise<WorkerMessage>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
      if (onProgress) this.progress.set(id, onProgress);
      this.worker.postMessage({ type: 'generate', id, ...input } satisfies GenerateRequest);
      try {
        return (await result) as GenerateResult;
      } finally {
        this.progress.delete(id);
      }
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Ends profiling (if enabled), releases the session and stops the worker. */
  async close(): Promise<void> {
    await this.queue;
    if (!this.failure) {
      const closed = new Promise<WorkerMessage>((resolve, reject) => this.waiting.set('close', { resolve, reject }));
      this.worker.postMessage({ type: 'close' });
      await closed.catch(() => undefined);
    }
    this.failure ??= new Error('Engine session is closed.');
    await this.worker.terminate();
  }
}
