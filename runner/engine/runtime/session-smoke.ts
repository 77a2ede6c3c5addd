// The definitive check that a runtime works: a child Node process creates a tiny onnxruntime
// session on that execution provider alone (CPU fallback disabled, so a node the provider cannot
// take is an error, not a silent CPU run), runs it and compares the result. A child, because a
// provider that fails to load can abort the whole process (a native assertion, a missing symbol),
// and because the CUDA libraries are found through LD_LIBRARY_PATH, which the loader reads only at
// process start. The graph is an Add (the provider's own kernels, from its cubins) and a MatMul
// (cuBLAS on CUDA).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { GraphBuilder } from '../onnx/graph-builder.js';
import { encodeModel } from '../onnx/proto.js';

/** The engine's runtimes: onnxruntime execution providers. */
export type Runtime = 'cpu' | 'webgpu' | 'cuda';

/** The outcome of a smoke test. */
export interface SmokeResult {
  runtime: Runtime;
  ok: boolean;
  /** Wall time of the child, session creation included. */
  ms: number;
  /** The error, as specific as onnxruntime's log makes it. */
  error?: string;
  /** onnxruntime's error and warning lines from the child's stderr. */
  log: string[];
  /** Set when the child died of a signal (a native abort) or was killed at the timeout. */
  crashed?: string;
}

/** Options of `smokeTest`. */
export interface SmokeOptions {
  /** The child's environment (for CUDA: `cudaWorkerEnv(...)`). */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** The module the child loads as onnxruntime-node (default: the one this package resolves; tests use stand-ins). */
  entry?: string;
}

// Inputs and the expected outputs: sum = a + b, product = A·B.
const A = [1, 2, 3];
const B = [10, 20, 30];
const M = [1, 2, 3, 4];
const N = [5, 6, 7, 8];
const EXPECTED = { sum: [11, 22, 33], product: [19, 22, 43, 50] };

/** The smoke graph: sum = Add(a, b) over 3 floats, product = MatMul(m, n) over 2x2. */
export function smokeModel(): Uint8Array {
  const g = new GraphBuilder();
  const a = g.input('a', 'float', [3]);
  const b = g.input('b', 'float', [3]);
  const m = g.input('m', 'float', [2, 2]);
  const n = g.input('n', 'float', [2, 2]);
  g.output(g.op('Add', [a, b]), 'sum', 'float', [3]);
  g.output(g.op('MatMul', [m, n]), 'product', 'float', [2, 2]);
  return encodeModel(g.toModel());
}

// Runs in the child (CommonJS, plain JavaScript): argv = onnxruntime-node's entry, runtime, model (base64), inputs (JSON).
const CHILD = `
const [entry, runtime, model, inputs] = process.argv.slice(1);
const ort = require(entry);
const feeds = JSON.parse(inputs);
(async () => {
  const options = runtime === 'cpu'
    ? { executionProviders: ['cpu'] }
    : { executionProviders: [runtime], extra: { session: { disable_cpu_ep_fallback: '1' } } };
  const session = await ort.InferenceSession.create(Buffer.from(model, 'base64'), options);
  const out = await session.run({
    a: new ort.Tensor('float32', Float32Array.from(feeds.a), [3]),
    b: new ort.Tensor('float32', Float32Array.from(feeds.b), [3]),
    m: new ort.Tensor('float32', Float32Array.from(feeds.m), [2, 2]),
    n: new ort.Tensor('float32', Float32Array.from(feeds.n), [2, 2]),
  });
  process.stdout.write(JSON.stringify({ ok: true, sum: Array.from(out.sum.data), product: Array.from(out.product.data) }) + '\\n');
  await session.release();
})().catch((e) => {
  process.stdout.write(JSON.stringify({ ok: false, error: String((e && e.message) || e) }) + '\\n');
  process.exitCode = 3;
});
`;

// Lines that explain a failure: onnxruntime's errors and warnings, the loader's, C++'s and Dawn's.
const EXPLAINING = /\[E:onnxruntime|\[W:onnxruntime|Failed to|Couldn't|cannot open|undefined symbol|error while loading|terminate called|what\(\):|Assertion|Check failed|CUDA failure|CUDA error/i;

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * The lines of onnxruntime's (and Dawn's) stderr that explain a failure, without colour codes.
 * @example logLines('[E:onnxruntime:, provider_bridge_ort.cc:2146 Create] ... Failed to load library ...')
 */
export function logLines(stderr: string): string[] {
  return stderr
    .replace(ANSI, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => EXPLAINING.test(l))
    .slice(-8);
}

/**
 * The most specific reason in a failed run: the loader's own message when a library failed to
 * load ("libcublasLt.so.13: cannot open shared object file: No such file or directory"), else the
 * error thrown to JavaScript.
 * @example explainFailure('Failed to create', ['... Failed to load library /x/libonnxruntime_providers_cuda.so with error: libcublasLt.so.13: cannot open shared object file: No such file or directory'])
 */
export function explainFailure(error: string | undefined, log: readonly string[]): string {
  for (const line of log) {
    const load = /Failed to load library (\S+) with error: (.+)$/.exec(line);
    if (load) {
      const file = load[1]!;
      return `${file.split('/').at(-1)} did not load: ${load[2]!.trim().replace(`${file}: `, '')}`;
    }
  }
  const adapter = log.find((l) => /Couldn't load Vulkan|Failed to get a WebGPU adapter/.test(l));
  // onnxruntime's assertion text ("/onnxruntime_src/...cc:100 ... <condition> was false. Message") keeps only the message.
  const thrown = (error ?? '').split('\n')[0]!.replace(/^Error: /, '').replace(/^\/onnxruntime_src\/.* was false\. /, '').trim();
  if (adapter && !thrown.includes(adapter)) return `${thrown}${thrown ? '; ' : ''}${adapter.replace(/^Warning: /, '')}`;
  return thrown || log.at(-1) || 'unknown error';
}

/**
 * Creates and runs the smoke graph on `runtime` in a child process; never throws for a failing
 * runtime (the result says why), and survives the child's crash.
 * @example await smokeTest('cuda', { env: cudaWorkerEnv(dirs) }) // { ok: false, error: 'libonnxruntime_providers_cuda.so did not load: libcublasLt.so.13: ...' }
 */
export function smokeTest(runtime: Runtime, options: SmokeOptions = {}): Promise<SmokeResult> {
  const entry = options.entry ?? createRequire(import.meta.url).resolve('onnxruntime-node');
  const model = Buffer.from(smokeModel()).toString('base64');
  const inputs = JSON.stringify({ a: A, b: B, m: M, n: N });
  const started = performance.now();
  return new Promise((resolve) => {
    // In the temporary folder: a native abort that dumps core leaves nothing in the user's folder.
    const child = spawn(process.execPath, ['-e', CHILD, entry, runtime, model, inputs], { cwd: tmpdir(), env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 120_000);
    const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error): void => {
      clearTimeout(timer);
      const ms = performance.now() - started;
      const log = logLines(stderr);
      if (spawnError) {
        resolve({ runtime, ok: false, ms, error: `could not start ${process.execPath}: ${spawnError.message}`, log });
        return;
      }
      const line = stdout.trim().split('\n').at(-1) ?? '';
      let reply: { ok: boolean; error?: string; sum?: number[]; product?: number[] } | undefined;
      try {
        reply = line ? (JSON.parse(line) as typeof reply) : undefined;
      } catch {
        reply = undefined;
      }
      if (timedOut) {
        resolve({ runtime, ok: false, ms, error: `the smoke test did not finish in ${((options.timeoutMs ?? 120_000) / 1000).toFixed(0)} s`, log, crashed: 'timeout' });
      } else if (!reply) {
        const how = signal ? `killed by ${signal}` : `exit code ${code}`;
        const cause = explainFailure(undefined, log);
        resolve({ runtime, ok: false, ms, error: `the process crashed (${how})${log.length ? `: ${cause}` : ''}`, log, crashed: signal ?? `exit ${code}` });
      } else if (!reply.ok) {
        resolve({ runtime, ok: false, ms, error: explainFailure(reply.error, log), log });
      } else if (JSON.stringify(reply.sum) !== JSON.stringify(EXPECTED.sum) || JSON.stringify(reply.product) !== JSON.stringify(EXPECTED.product)) {
        resolve({ runtime, ok: false, ms, error: `wrong results: sum ${JSON.stringify(reply.sum)} (expected ${JSON.stringify(EXPECTED.sum)}), product ${JSON.stringify(reply.product)} (expected ${JSON.stringify(EXPECTED.product)})`, log });
      } else {
        resolve({ runtime, ok: true, ms, log });
      }
    };
    child.on('error', (e) => finish(null, null, e));
    child.on('close', (code, signal) => finish(code, signal));
  });
}
