// The main-thread side of a session worker: starts the worker, loads a graph and sends whole
// generations to it, one at a time (two WebGPU sessions running at once in one process crash, so
// one worker serialises everything that touches the GPU). The worker is a thread of this process,
// or a child process (runtime/profile.ts, `worker: 'process'`) whose environment alone carries what
// its execution provider reads from the environment; a native crash there ends the child, not us.
import { Worker } from 'node:worker_threads';
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Device, GenerateRequest, GenerateResult, LoadRequest, LoadedMessage, ProgressMessage, WorkerMessage, WorkerRequest } from './protocol.js';

/** Options of `EngineSession.open`. */
export type SessionOptions = Omit<LoadRequest, 'type'> & {
  /** Run the worker as a child process with this environment added to ours (default: a worker thread). */
  process?: { env: Readonly<Record<string, string>> };
};

/** A generation to run. */
export type GenerationInput = Omit<GenerateRequest, 'type' | 'id'>;

/** The engine's side of a worker, thread or process alike. */
interface WorkerChannel {
  send(request: WorkerRequest): void;
  onMessage(listener: (m: WorkerMessage) => void): () => void;
  onFailure(listener: (error: Error) => void): void;
  stop(): Promise<void>;
}

function threadChannel(worker: Worker): WorkerChannel {
  return {
    send: (request) => worker.postMessage(request),
    onMessage: (listener) => {
      worker.on('message', listener);
      return () => worker.off('message', listener);
    },
    onFailure: (listener) => {
      worker.on('error', listener);
      worker.on('exit', (code) => listener(new Error(`Engine worker exited with code ${code}.`)));
    },
    stop: async () => void (await worker.terminate()),
  };
}

function processChannel(child: ChildProcess): WorkerChannel {
  let exited = false;
  child.on('exit', () => (exited = true));
  return {
    send: (request) => void child.send(request),
    onMessage: (listener) => {
      child.on('message', listener);
      return () => child.off('message', listener);
    },
    onFailure: (listener) => {
      child.on('error', listener);
      child.on('exit', (code, signal) => listener(new Error(`Engine worker process exited (${signal ? `signal ${signal}` : `code ${code}`}).`)));
    },
    stop: async () => {
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill();
      await gone;
    },
  };
}

function startWorker(options: SessionOptions): WorkerChannel {
  const js = new URL('./worker.js', import.meta.url);
  const compiled = existsSync(fileURLToPath(js));
  if (options.process) {
    // From TypeScript sources (tests, tsx) the child registers tsx's loader first.
    const entry = compiled ? fileURLToPath(js) : fileURLToPath(new URL('./worker.ts', import.meta.url));
    const child = fork(entry, [], {
      serialization: 'advanced',
      env: { ...process.env, ...options.process.env },
      execArgv: compiled ? [] : ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return processChannel(child);
  }
  if (compiled) return threadChannel(new Worker(js));
  const ts = new URL('./worker.ts', import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(ts)}); });`;
  return threadChannel(new Worker(bootstrap, { eval: true }));
}

/** One loaded graph in its worker thread. */
export class EngineSession {
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  private readonly waiting = new Map<number | 'load' | 'close', { resolve: (m: WorkerMessage) => void; reject: (e: Error) => void }>();
  /** Per generation id: the caller's prefill progress callback. */
  private readonly progress = new Map<number, (progress: ProgressMessage) => void>();
  private failure: Error | null = null;

  private constructor(private readonly worker: WorkerChannel, readonly device: Device, readonly loaded: LoadedMessage) {}

  /**
   * Starts a worker and loads `options.modelFile` on `options.device`.
   * @throws Error with onnxruntime's message when the session can't be created.
   * @example const s = await EngineSession.open({ modelFile, device: 'cpu', precision: 'fp32', numLayers: 2, numKvHeads: 2, headDim: 16 })
   */
  static async open(options: SessionOptions): Promise<EngineSession> {
    const worker = startWorker(options);
    let session: EngineSession | null = null;
    let loading: ((e: Error) => void) | null = null;
    worker.onFailure((e) => (session ? session.fail(e) : loading?.(e)));
    const { process: _process, ...load } = options;
    const loaded = await new Promise<LoadedMessage>((resolve, reject) => {
      loading = reject;
      const off = worker.onMessage((m: WorkerMessage) => {
        off();
        if (m.type === 'loaded') resolve(m);
        else {
          void worker.stop();
          reject(new Error(m.type === 'error' ? `Engine session failed to load ${options.modelFile}: ${m.message}` : `Unexpected worker message ${m.type}.`));
        }
      });
      worker.send({ type: 'load', ...load } satisfies LoadRequest);
    }).catch(async (error: unknown) => {
      await worker.stop();
      throw error;
    });
    session = new EngineSession(worker, options.device, loaded);
    const opened = session;
    worker.onMessage((m: WorkerMessage) => opened.dispatch(m));
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
      this.worker.send({ type: 'generate', id, ...input } satisfies GenerateRequest);
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
      this.worker.send({ type: 'close' });
      await closed.catch(() => undefined);
    }
    this.failure ??= new Error('Engine session is closed.');
    await this.worker.stop();
  }
}
