// Why decode steps slow down with context on WebGPU: times 28 "layers" of KV-cache handling per
// step, without weights, at several cache lengths.
//   append: Concat(past, new) -> present, output kept on the GPU and fed back (what a decode step
//           does to the cache: onnxruntime allocates a new output buffer every step)
//   read:   q K^T, Softmax, P V over a cache that stays put (K stored transposed), the attention
//           math of a decode step with no cache rewrite; then each part alone (28 times), and P V
//           split over 256-token blocks (a batch dimension, then ReduceSum)
//
//   node dist/bench/engine-kv.js [--lengths 4096,16384,65536] [--steps 8]
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, int, ints } from '../runner/engine/onnx/graph-builder.js';
import { encodeModel } from '../runner/engine/onnx/proto.js';

const { values } = parseArgs({ options: { lengths: { type: 'string', default: '4096,16384,65536' }, steps: { type: 'string', default: '8' }, layers: { type: 'string', default: '28' } } });
const layers = Number(values.layers);
const kv = 4;
const group = 7;
const d = 128;
const steps = Number(values.steps);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const options: ort.InferenceSession.SessionOptions = { executionProviders: ['webgpu'], preferredOutputLocation: 'gpu-buffer' };

function appendGraph(): Uint8Array {
  const g = new GraphBuilder();
  const x = g.input('new', 'float16', [1, kv, 1, d]);
  for (let l = 0; l < layers; l++) {
    const past = g.input(`past_${l}`, 'float16', [1, kv, 'P', d]);
    g.node('Concat', [past, x], { axis: int(2) }, { outputs: [`present_${l}`] });
    g.output(`present_${l}`, `present_${l}`, 'float16', [1, kv, 'T', d]);
  }
  return encodeModel(g.toModel());
}

function initGraph(transposed: boolean): Uint8Array {
  // Expands a [1, kv, 1, d] seed to a cache of P positions (Tile), once.
  const g = new GraphBuilder();
  const seed = g.input('seed', 'float16', [1, kv, 1, d]);
  const reps = g.input('reps', 'int64', [4]);
  const cache = g.op('Tile', [seed, reps]);
  const out = transposed ? g.op('Transpose', [cache], { perm: ints([0, 1, 3, 2]) }) : cache;
  g.output(out, 'cache', 'float16', transposed ? [1, kv, d, 'P'] : [1, kv, 'P', d]);
  return encodeModel(g.toModel());
}

/** One part of the read path alone, 28 times: q K^T, Softmax over a row of P, P V, or P V split over blocks. */
function partGraph(part: 'qk' | 'softmax' | 'pv' | 'pv-split', P: number, block = 256): Uint8Array {
  const g = new GraphBuilder();
  const outputs: string[] = [];
  if (part === 'softmax') {
    const s = g.input('s', 'float16', [1, kv, group, 'P']);
    for (let l = 0; l < layers; l++) outputs.push(g.op('Softmax', [s], { axis: int(-1) }));
  } else if (part === 'qk') {
    const q = g.input('q', 'float16', [1, kv, group, d]);
    for (let l = 0; l < layers; l++) outputs.push(g.op('MatMul', [q, g.input(`kt_${l}`, 'float16', [1, kv, d, 'P'])]));
  } else {
    const p = g.input('p', 'float16', [1, kv, group, 'P']);
    for (let l = 0; l < layers; l++) {
      const v = g.input(`v_${l}`, 'float16', [1, kv, 'P', d]);
      if (part === 'pv') outputs.push(g.op('MatMul', [p, v]));
      else {
        // Split-K by hand: blocks of the context become a batch dimension, then a sum over blocks.
        const nb = P / block;
        const pb = g.op('Transpose', [g.op('Reshape', [p, g.int64([1, kv, group, nb, block])])], { perm: ints([0, 1, 3, 2, 4]) });
        const vb = g.op('Reshape', [v, g.int64([1, kv, nb, block, d])]);
        outputs.push(g.op('ReduceSum', [g.op('MatMul', [pb, vb]), g.int64([2])], { keepdims: int(0) }));
      }
    }
  }
  let acc = outputs[0]!;
  for (const o of outputs.slice(1)) acc = g.op('Max', [acc, o]);
  g.output(acc, 'out', 'float16', part === 'qk' || part === 'softmax' ? [1, kv, group, 'P'] : [1, kv, group, d]);
  return encodeModel(g.toModel());
}

function readGraph(): Uint8Array {
  const g = new GraphBuilder();
  const q = g.input('q', 'float16', [1, kv, group, d]);
  let acc = '';
  for (let l = 0; l < layers; l++) {
    const kt = g.input(`kt_${l}`, 'float16', [1, kv, d, 'P']);
    const v = g.input(`v_${l}`, 'float16', [1, kv, 'P', d]);
    const p = g.op('Softmax', [g.op('MatMul', [q, kt])], { axis: int(-1) });
    const o = g.op('MatMul', [p, v]);
    acc = acc ? g.op('Add', [acc, o]) : o;
  }
  g.output(acc, 'out', 'float16', [1, kv, group, d]);
  return encodeModel(g.toModel());
}

const half = (n: number): ort.Tensor => new ort.Tensor('float16', new Uint16Array(n).fill(0x2e66), [1, kv, n / (kv * d), d]);
const rows: Record<string, unknown>[] = [];
const append = await ort.InferenceSession.create(appendGraph(), options);
const initK = await ort.InferenceSession.create(initGraph(true), options);
const initV = await ort.InferenceSession.create(initGraph(false), options);
const read = await ort.InferenceSession.create(readGraph(), { ...options, preferredOutputLocation: 'cpu' });
for (const P of values.lengths!.split(',').map(Number)) {
  // append: start from a cache of P positions made on the GPU.
  let past: ort.Tensor[] = [];
  for (let l = 0; l < layers; l++) past.push((await initV.run({ seed: half(kv * d), reps: new ort.Tensor('int64', BigInt64Array.of(1n, 1n, BigInt(P), 1n), [4]) }))['cache']!);
  const appendMs: number[] = [];
  for (let s = 0; s < steps; s++) {
    const feeds: Record<string, ort.Tensor> = { new: half(kv * d) };
    past.forEach((t, l) => (feeds[`past_${l}`] = t));
    const t0 = performance.now();
    const out = await append.run(feeds);
    appendMs.push(performance.now() - t0);
    for (const t of past) t.dispose();
    past = Array.from({ length: layers }, (_, l) => out[`present_${l}`]!);
  }
  for (const t of past) t.dispose();
  // read: caches made once, then only read.
  const feeds: Record<string, ort.Tensor> = { q: half(kv * group * d) };
  feeds['q'] = new ort.Tensor('float16', new Uint16Array(kv * group * d).fill(0x2e66), [1, kv, group, d]);
  const made: ort.Tensor[] = [];
  for (let l = 0; l < layers; l++) {
    const reps = new ort.Tensor('int64', BigInt64Array.of(1n, 1n, BigInt(P), 1n), [4]);
    const kt = (await initK.run({ seed: half(kv * d), reps }))['cache']!;
    const v = (await initV.run({ seed: half(kv * d), reps }))['cache']!;
    feeds[`kt_${l}`] = kt;
    feeds[`v_${l}`] = v;
    made.push(kt, v);
  }
  const readMs: number[] = [];
  for (let s = 0; s < steps; s++) {
    const t0 = performance.now();
    await read.run(feeds);
    readMs.push(performance.now() - t0);
  }
  // The read path's parts alone (inputs made on the GPU once, where they are caches).
  const parts: Record<string, number> = {};
  for (const part of ['qk', 'softmax', 'pv', 'pv-split'] as const) {
    const session = await ort.InferenceSession.create(partGraph(part, P), { ...options, preferredOutputLocation: 'cpu' });
    const partFeeds: Record<string, ort.Tensor> = {};
    for (const name of session.inputNames) {
      if (name === 'q') partFeeds[name] = feeds['q']!;
      else if (name === 's' || name === 'p') partFeeds[name] = new ort.Tensor('float16', new Uint16Array(kv * group * P).fill(0x2e66), [1, kv, group, P]);
      else partFeeds[name] = feeds[name]!;
    }
    const times: number[] = [];
    for (let s = 0; s < steps; s++) {
      const t0 = performance.now();
      await session.run(partFeeds);
      times.push(performance.now() - t0);
    }
    parts[part] = +median(times).toFixed(2);
    await session.release();
  }
  for (const t of made) t.dispose();
  const cacheBytes = layers * 2 * kv * P * d * 2;
  const row = { cacheTokens: P, layers, appendMsMedian: +median(appendMs).toFixed(2), readMsMedian: +median(readMs).toFixed(2), partsMs: parts, cacheGB: +(cacheBytes / 1e9).toFixed(2) };
  rows.push(row);
  process.stderr.write(`${JSON.stringify(row)}\n`);
}
console.log(JSON.stringify(rows, null, 2));
