// The session worker: owns one onnxruntime-node InferenceSession (run() blocks its thread, not the
// caller's) and the KV cache between steps. On WebGPU the cache outputs stay in GPU buffers and are
// fed back as the next step's inputs; only logits come to the host. Never getData() a GPU tensor:
// in onnxruntime-node 1.30 that aborts the process.
import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { GRAPH_IO } from '../graph/model-graph.js';
import type { GenerateRequest, LoadRequest, WorkerMessage, WorkerRequest } from './protocol.js';

if (!parentPort) throw new Error('runner/engine/session/worker is a worker-thread entry point.');
const port = parentPort;

let session: ort.InferenceSession | null = null;
let decodeSession: ort.InferenceSession | null = null;
let loaded: LoadRequest | null = null;

function post(message: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

async function load(request: LoadRequest): Promise<void> {
  const started = performance.now();
  const webgpu = request.device === 'webgpu';
  const preferred: Record<string, 'cpu' | 'gpu-buffer'> = {};
  if (webgpu) {
    for (let layer = 0; layer < request.numLayers; layer++) {
      preferred[GRAPH_IO.presentKey(layer)] = 'gpu-buffer';
      preferred[GRAPH_IO.presentValue(layer)] = 'gpu-buffer';
    }
    preferred[GRAPH_IO.logits] = 'cpu';
  }
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [webgpu ? { name: 'webgpu', ...(request.webgpuValidation ? { validationMode: request.webgpuValidation } : {}) } : 'cpu'],
    graphOptimizationLevel: 'all',
    logSeverityLevel: request.logSeverityLevel ?? 3,
    ...(webgpu ? { preferredOutputLocation: preferred } : {}),
    ...(request.intraOpThreads ? { intraOpNumThreads: request.intraOpThreads } : {}),
    ...(request.profilePrefix ? { enableProfiling: true, profileFilePrefix: request.profilePrefix } : {}),
    ...(request.disableCpuFallback ? { extra: { session: { disable_cpu_ep_fallback: '1' } } } : {}),
  };
  session = await ort.InferenceSession.create(request.modelFile, options);
  // Sessions are created and run one after the other on this thread, never at once.
  decodeSession = request.decodeModelFile ? await ort.InferenceSession.create(request.decodeModelFile, options) : null;
  loaded = request;
  post({ type: 'loaded', loadMs: performance.now() - started, inputNames: [...session.inputNames], outputNames: [...session.outputNames] });
}

function emptyCache(request: LoadRequest): ort.Tensor {
  const dims = [1, request.numKvHeads, 0, request.headDim];
  return request.precision === 'fp16' ? new ort.Tensor('float16', new Uint16Array(0), dims) : new ort.Tensor('float32', new Float32Array(0), dims);
}

function argmax(row: Float32Array): number {
  let best = 0;
  let value = -Infinity;
  for (let i = 0; i < row.length; i++) {
    const x = row[i]!;
    if (x > value) {
      value = x;
      best = i;
    }
  }
  return best;
}

async function generate(request: GenerateRequest): Promise<void> {
  if (!session || !loaded) throw new Error('No session loaded.');
  const config = loaded;
  const layers = config.numLayers;
  let pastKeys: ort.Tensor[] = Array.from({ length: layers }, () => emptyCache(config));
  let pastValues: ort.Tensor[] = Array.from({ length: layers }, () => emptyCache(config));
  let position = 0;
  const collected: Float32Array[] = [];
  const chunkMs: number[] = [];
  const decodeMs: number[] = [];

  const step = async (ids: readonly number[]): Promise<Float32Array> => {
    const active = ids.length === 1 && decodeSession ? decodeSession : session!;
    const feeds: Record<string, ort.Tensor> = {
      [GRAPH_IO.inputIds]: new ort.Tensor('int64', BigInt64Array.from(ids, (t) => BigInt(t)), [1, ids.length]),
      [GRAPH_IO.seqlensK]: new ort.Tensor('int32', Int32Array.of(position + ids.length - 1), [1]),
      [GRAPH_IO.totalSequenceLength]: new ort.Tensor('int32', Int32Array.of(position + ids.length), []),
    };
    if (active.inputNames.includes(GRAPH_IO.positionIds)) {
      feeds[GRAPH_IO.positionIds] = new ort.Tensor('int64', BigInt64Array.from(ids, (_, i) => BigInt(position + i)), [1, ids.length]);
    }
    for (let layer = 0; layer < layers; layer++) {
      feeds[GRAPH_IO.pastKey(layer)] = pastKeys[layer]!;
      feeds[GRAPH_IO.pastValue(layer)] = pastValues[layer]!;
    }
    const outputs = await active.run(feeds);
    for (const t of [...pastKeys, ...pastValues]) if (t.location === 'gpu-buffer') t.dispose();
    pastKeys = Array.from({ length: layers }, (_, layer) => outputs[GRAPH_IO.presentKey(layer)]!);
    pastValues = Array.from({ length: layers }, (_, layer) => outputs[GRAPH_IO.presentValue(layer)]!);
    position += ids.length;
    const logits = outputs[GRAPH_IO.logits]!;
    const data = logits.data as Float32Array;
    const vocab = logits.dims[2]!;
    const rows = logits.dims[1]!;
    if (request.returnLogits) for (let r = 0; r < rows; r++) collected.push(data.slice(r * vocab, (r + 1) * vocab));
    return data.subarray((rows - 1) * vocab, rows * vocab);
  };

  try {
    const prefillStart = performance.now();
    let last: Float32Array = new Float32Array(0);
    const chunk = Math.max(1, request.chunkSize);
    for (let at = 0; at < request.promptIds.length; at += chunk) {
      const t0 = performance.now();
      last = await step(request.promptIds.slice(at, at + chunk));
      chunkMs.push(performance.now() - t0);
    }
    const prefillMs = performance.now() - prefillStart;
    const tokens: number[] = [];
    const stops = new Set(request.stopTokenIds);
    let finishReason: 'stop' | 'length' = 'length';
    while (tokens.length < request.maxNewTokens) {
      const token = request.forcedTokens?.[tokens.length] ?? argmax(last);
      tokens.push(token);
      if (stops.has(token)) {
        finishReason = 'stop';
        break;
      }
      if (tokens.length >= request.maxNewTokens) break;
      const t0 = performance.now();
      last = await step([token]);
      decodeMs.push(performance.now() - t0);
    }
    const message: WorkerMessage = {
      type: 'result',
      id: request.id,
      tokens,
      finishReason,
      ...(request.returnLogits ? { logits: collected } : {}),
      timings: { prefillMs, chunkMs, decodeMs },
    };
    post(message, request.returnLogits ? collected.map((l) => l.buffer as ArrayBuffer) : []);
  } finally {
    for (const t of [...pastKeys, ...pastValues]) if (t.location === 'gpu-buffer') t.dispose();
  }
}

port.on('message', (request: WorkerRequest) => {
  const run = async (): Promise<void> => {
    if (request.type === 'load') await load(request);
    else if (request.type === 'generate') await generate(request);
    else {
      // The profile lands in `<profilePrefix>_<timestamp>.json`; the caller finds it by prefix.
      if (session && loaded?.profilePrefix) session.endProfiling();
      await session?.release();
      await decodeSession?.release();
      session = null;
      decodeSession = null;
      post({ type: 'closed' });
    }
  };
  run().catch((error: unknown) => {
    post({ type: 'error', ...(request.type === 'generate' ? { id: request.id } : {}), message: error instanceof Error ? error.message : String(error) });
  });
});
