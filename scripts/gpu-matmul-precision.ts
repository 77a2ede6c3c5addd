// How accurate is an fp16 MatMul on this device's provider, and what restores accuracy? For the
// engine's projection shapes (K = 3584, hidden; K = 18944, MLP down), random fp16 inputs, it
// compares against a float64 product of the same fp16 values: (a) the plain fp16 MatMul, (b) the
// product computed in fp32 (Cast, MatMul, Cast back), (c) split-K: K cut into n slices, fp16
// MatMuls of each slice (batched), the n partial sums added in fp32. The floor is the rounding of the
// exact result to fp16. If (a) is far above the floor and (c) near it, the kernel accumulates in
// fp16 over the whole K. Times: median of 5 runs of 10 chained products at M = 4096 (host copies
// amortised).
//
//   node dist/scripts/gpu-matmul-precision.js [--device webgpu|cpu] [--no-time] [--json out.json]
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, int, ints } from '../runner/engine/onnx/graph-builder.js';
import { encodeModel } from '../runner/engine/onnx/proto.js';
import { floatToHalf, halfToFloat } from '../runner/engine/dtype.js';

const { values } = parseArgs({ options: { device: { type: 'string', default: 'webgpu' }, json: { type: 'string' }, 'no-time': { type: 'boolean', default: false } } });
const device = values.device === 'cpu' ? 'cpu' : 'webgpu';

type Variant = { name: string; split: number; fp32: boolean };
const VARIANTS: Variant[] = [
  { name: 'fp16 MatMul', split: 1, fp32: false },
  { name: 'fp32 MatMul (Cast)', split: 1, fp32: true },
  { name: 'split-K 4, fp32 sum', split: 4, fp32: false },
  { name: 'split-K 16, fp32 sum', split: 16, fp32: false },
];

/** x [M, K] @ w [K, N] by the variant, `chain` times (each output scaled back into the next input's range). */
function graph(v: Variant, K: number, N: number, chain: number): Uint8Array {
  const g = new GraphBuilder();
  let x = g.input('x', 'float16', ['m', K]);
  const w = g.input('w', 'float16', [K, N]);
  let y = x;
  for (let i = 0; i < chain; i++) {
    if (v.fp32) {
      y = g.op('Cast', [g.op('MatMul', [g.op('Cast', [x], { to: int(1) }), g.op('Cast', [w], { to: int(1) })])], { to: int(10) });
    } else if (v.split === 1) {
      y = g.op('MatMul', [x, w]);
    } else {
      const n = v.split;
      // x [M, K] -> [M, n, K/n] -> [n, M, K/n]; w [K, N] -> [n, K/n, N]; partials [n, M, N] summed in fp32.
      const xs = g.op('Transpose', [g.op('Reshape', [x, g.int64([0, n, K / n])])], { perm: ints([1, 0, 2]) });
      const ws = g.op('Reshape', [w, g.int64([n, K / n, N])]);
      const partial = g.op('Cast', [g.op('MatMul', [xs, ws])], { to: int(1) });
      y = g.op('Cast', [g.op('ReduceSum', [partial, g.int64([0])], { keepdims: int(0) })], { to: int(10) });
    }
    if (i + 1 < chain) x = g.op('Slice', [g.op('Concat', [y, y, y, y, y, y, y, y, y, y, y, y, y, y, y, y, y, y, y, y], { axis: int(1) }), g.int64([0]), g.int64([K]), g.int64([1])]);
  }
  g.output(y, 'y', 'float16', ['m', N]);
  return encodeModel(g.toModel());
}

function randomHalves(n: number, seed: number, scale: number): Uint16Array {
  let s = seed >>> 0 || 1;
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u1 = (s + 1) / 2 ** 32;
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u2 = s / 2 ** 32;
    out[i] = floatToHalf(Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2) * scale);
  }
  return out;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const rows: Record<string, unknown>[] = [];
for (const K of [3584, 18944]) {
  const M = 32;
  const N = 512;
  const xh = randomHalves(M * K, K, 1);
  const wh = randomHalves(K * N, K + 1, 1 / Math.sqrt(K));
  const xf = Float64Array.from(xh, halfToFloat);
  const wf = Float64Array.from(wh, halfToFloat);
  const exact = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let k = 0; k < K; k++) {
      const a = xf[i * K + k]!;
      for (let j = 0; j < N; j++) exact[i * N + j] = exact[i * N + j]! + a * wf[k * N + j]!;
    }
  }
  let floor = 0;
  for (const v of exact) floor = Math.max(floor, Math.abs(halfToFloat(floatToHalf(v)) - v));
  for (const v of VARIANTS) {
    const row: Record<string, unknown> = { K, variant: v.name, device };
    try {
      const session = await ort.InferenceSession.create(graph(v, K, N, 1), { executionProviders: [device], logSeverityLevel: 3 });
      const out = await session.run({ x: new ort.Tensor('float16', xh, [M, K]), w: new ort.Tensor('float16', wh, [K, N]) });
      await session.release();
      const y = out['y']!.data as Uint16Array;
      let max = 0;
      let sum = 0;
      for (let i = 0; i < y.length; i++) {
        const e = Math.abs(halfToFloat(y[i]!) - exact[i]!);
        max = Math.max(max, e);
        sum += e;
      }
      Object.assign(row, { maxAbsError: +max.toExponential(3), meanAbsError: +(sum / y.length).toExponential(3), fp16RoundingFloor: +floor.toExponential(3) });
      // Throughput at M = 4096, N = 3584, 10 chained products.
      if (values['no-time']) {
        rows.push(row);
        process.stderr.write(`${JSON.stringify(row)}\n`);
        continue;
      }
      const Nt = 3584;
      const timed = await ort.InferenceSession.create(graph(v, K, Nt, 10), { executionProviders: [device], logSeverityLevel: 3, ...(device === 'webgpu' ? { preferredOutputLocation: 'gpu-buffer' as const } : {}) });
      const feeds = { x: new ort.Tensor('float16', randomHalves(4096 * K, 7, 1), [4096, K]), w: new ort.Tensor('float16', randomHalves(K * Nt, 8, 1 / Math.sqrt(K)), [K, Nt]) };
      const times: number[] = [];
      for (let r = 0; r < 6; r++) {
        const t0 = performance.now();
        const o = await timed.run(feeds);
        times.push(performance.now() - t0);
        for (const t of Object.values(o)) if (t.location === 'gpu-buffer') t.dispose();
      }
      await timed.release();
      const ms = median(times.slice(1));
      Object.assign(row, { ms10: +ms.toFixed(1), tflops: +((10 * 2 * 4096 * K * Nt) / (ms / 1000) / 1e12).toFixed(1) });
    } catch (error) {
      row['error'] = (error as Error).message.split('\n')[0];
    }
    rows.push(row);
    process.stderr.write(`${JSON.stringify(row)}\n`);
  }
}
console.log(JSON.stringify(rows, null, 2));
if (values.json) writeFileSync(values.json, `${JSON.stringify(rows, null, 2)}\n`);
