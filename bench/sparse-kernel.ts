// Attention time per layer of Block-Sparse (or, with --method a-shape, A-shape's block form) through
// the fused SparseAttention kernel (runner/engine/attention/block-sparse-kernel.ts, a-shape-kernel.ts:
// the selection, the CSR layouts and the kernel, as the CUDA one-run graph runs them) against dense GroupQueryAttention (flash) on the same device,
// for a model's head shape, next to the cost model's bound (dense attention FLOPs over the
// method's). Layers are chained in one graph (each layer's output is the next one's query) so that
// host copies and launches amortise: per layer = (t_chain - t_1) / (chain - 1), medians of --repeat.
//
//   node dist/bench/sparse-kernel.js --device cuda --shape qwen2.5-7b --lengths 16384,65536,131072 \
//     --compression 1,2,5,10,20 [--method block-sparse|a-shape] [--scope query-head|kv-head] [--chain 4]
//     [--repeat 3] [--json out.json]
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, int, tensor, type Dim } from '../runner/engine/onnx/graph-builder.js';
import { encodeModel, type OnnxElementType } from '../runner/engine/onnx/proto.js';
import { parseConfig } from '../runner/engine/checkpoint/config.js';
import { shapeConfig } from '../runner/engine/checkpoint/shapes.js';
import { blockSparseKernelPrefill, KERNEL_BLOCK } from '../runner/engine/attention/block-sparse-kernel.js';
import { BLOCK_SPARSE_IO } from '../runner/engine/attention/block-sparse.js';
import { aShapeKernelPrefill } from '../runner/engine/attention/a-shape-kernel.js';
import { SINK_WINDOW_IO } from '../runner/engine/attention/sink-window.js';
import { aShapeBudget, blockSparseBudget } from '../runner/engine/sparse/budget.js';
import { aShapeBlockSparsity, blockSparseSparsity } from '../runner/engine/sparse/sparsity.js';
import { executionProvider, runtimeProfile } from '../runner/engine/runtime/profile.js';
import { floatToHalf } from '../runner/engine/dtype.js';
import { Random } from '../generators/core/random.js';

const { values } = parseArgs({
  options: {
    device: { type: 'string', default: 'cuda' },
    shape: { type: 'string', default: 'qwen2.5-7b' },
    lengths: { type: 'string', default: '16384,65536,131072' },
    compression: { type: 'string', default: '1,2,5,10,20' },
    method: { type: 'string', default: 'block-sparse' },
    scope: { type: 'string', default: 'query-head' },
    chain: { type: 'string', default: '4' },
    repeat: { type: 'string', default: '3' },
    json: { type: 'string' },
  },
});
const spec = parseConfig(shapeConfig(values.shape!));
const method = values.method!;
if (method !== 'block-sparse' && method !== 'a-shape') throw new Error(`--method must be block-sparse or a-shape; got "${method}".`);
const kernelBuilder = method === 'a-shape' ? aShapeKernelPrefill : blockSparseKernelPrefill;
const kernelParams = method === 'a-shape' ? { granularity: 'block' } : { blockSize: KERNEL_BLOCK, scope: values.scope };
const device = runtimeProfile(values.device!).device;
const fp16 = device !== 'cpu';
const type: OnnxElementType = fp16 ? 'float16' : 'float';
const chain = Math.max(2, Number(values.chain));
const repeats = Math.max(1, Number(values.repeat));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** A graph of `layers` chained attention layers: dense GQA, or the kernel form with in-graph caches. */
function chainGraph(layers: number, kernel: boolean, maxRows: number): Uint8Array {
  const { numHeads: H, numKvHeads: kv, headDim: d } = spec;
  const g = new GraphBuilder();
  const query = g.input('query', type, [1, 'S', H * d]);
  const key = g.input('key', type, [1, 'S', kv * d]);
  const value = g.input('value', type, [1, 'S', kv * d]);
  const table = (v: number): string => g.inline('rope', type, [maxRows, d / 2], fp16 ? new Uint8Array(new Uint16Array(maxRows * (d / 2)).fill(floatToHalf(v)).buffer) : new Uint8Array(new Float32Array(maxRows * (d / 2)).fill(v).buffer));
  const cos = table(1);
  const sin = table(0);
  const inputs = new Map<string, string>();
  const shared = (name: string, t: OnnxElementType, dims: readonly Dim[]): string => inputs.get(name) ?? (inputs.set(name, g.input(name, t, dims)), name);
  let x = query;
  for (let layer = 0; layer < layers; layer++) {
    if (kernel) {
      const shape = shared('cache_shape', 'int64', [4]);
      const zeros = (): string => g.op('ConstantOfShape', [shape], { value: tensor(type, [1], new Uint8Array(fp16 ? 2 : 4)) });
      x = kernelBuilder({
        graph: g, spec, layer, query: x, key, value, pastKey: zeros(), pastValue: zeros(), presentKey: g.unique(`pk${layer}`), presentValue: g.unique(`pv${layer}`),
        seqlensK: '', totalSequenceLength: '', cosCache: cos, sinCache: sin, params: kernelParams,
        positionIds: () => shared('position_ids', 'int64', [1, 'S']), scalar: () => '', valueType: type, sharedInput: shared, layerInput: shared,
      });
    } else {
      const [out] = g.node('GroupQueryAttention', [x, key, value, '', '', shared('seqlens_k', 'int32', [1]), shared('total_sequence_length', 'int32', []), cos, sin], { num_heads: int(H), kv_num_heads: int(kv), do_rotary: int(1) }, { domain: 'com.microsoft', outputs: [g.unique(`o${layer}`), g.unique(`k${layer}`), g.unique(`v${layer}`)] });
      x = out!;
    }
  }
  g.output(x, 'output', type, [1, 'S', H * d]);
  return encodeModel(g.toModel());
}

const random = new Random('sparse-kernel-bench');
const randomTensor = (dims: number[]): ort.Tensor => {
  const n = dims.reduce((a, b) => a * b, 1);
  if (!fp16) return new ort.Tensor('float32', Float32Array.from({ length: n }, () => random.next() - 0.5), dims);
  const halves = new Uint16Array(n);
  for (let i = 0; i < n; i++) halves[i] = floatToHalf(random.next() - 0.5);
  return new ort.Tensor('float16', halves, dims);
};

const rows: Record<string, unknown>[] = [];
const lengths = values.lengths!.split(',').map(Number);
const maxRows = Math.max(...lengths) + KERNEL_BLOCK;
const options: ort.InferenceSession.SessionOptions = { executionProviders: [executionProvider(device) as never], graphOptimizationLevel: 'all', logSeverityLevel: 3 };
const sessions = new Map<string, ort.InferenceSession>();
const session = async (layers: number, kernel: boolean): Promise<ort.InferenceSession> => {
  const k = `${layers}/${kernel}`;
  if (!sessions.has(k)) sessions.set(k, await ort.InferenceSession.create(chainGraph(layers, kernel, maxRows), options));
  return sessions.get(k)!;
};
for (const L of lengths) {
  const { numHeads: H, numKvHeads: kv, headDim: d } = spec;
  const base: Record<string, ort.Tensor> = {
    query: randomTensor([1, L, H * d]),
    key: randomTensor([1, L, kv * d]),
    value: randomTensor([1, L, kv * d]),
    position_ids: new ort.Tensor('int64', BigInt64Array.from({ length: L }, (_, i) => BigInt(i)), [1, L]),
    seqlens_k: new ort.Tensor('int32', Int32Array.of(L - 1), [1]),
    total_sequence_length: new ort.Tensor('int32', Int32Array.of(L), []),
    cache_shape: new ort.Tensor('int64', BigInt64Array.from([1, kv, Math.ceil(L / KERNEL_BLOCK) * KERNEL_BLOCK, d].map(BigInt)), [4]),
  };
  const perLayer = async (kernel: boolean, budget: Record<string, number> = {}): Promise<number> => {
    const time = async (layers: number): Promise<number> => {
      const s = await session(layers, kernel);
      const feeds: Record<string, ort.Tensor> = {};
      for (const name of s.inputNames) feeds[name] = name in budget ? new ort.Tensor('int64', BigInt64Array.of(BigInt(budget[name]!)), []) : base[name]!;
      await s.run(feeds); // warm-up
      const runs: number[] = [];
      for (let r = 0; r < repeats; r++) {
        const t0 = performance.now();
        await s.run(feeds);
        runs.push(performance.now() - t0);
      }
      return median(runs);
    };
    return ((await time(chain)) - (await time(1))) / (chain - 1);
  };
  const denseMs = await perLayer(false);
  log(`L=${L}: dense GroupQueryAttention ${denseMs.toFixed(2)} ms a layer`);
  for (const C of values.compression!.split(',').map(Number)) {
    let knobs: Record<string, number>;
    let inputs: Record<string, number>;
    let sparsity: number;
    if (method === 'a-shape') {
      const b = aShapeBudget(C, L);
      knobs = { sink: b.sink, window: b.window };
      inputs = { [SINK_WINDOW_IO.prefill.sink]: b.sink, [SINK_WINDOW_IO.prefill.window]: b.window };
      sparsity = aShapeBlockSparsity(L, b.sink, b.window, KERNEL_BLOCK);
    } else {
      const b = blockSparseBudget(C, L, KERNEL_BLOCK);
      knobs = { topBlocks: b.topBlocks };
      inputs = { [BLOCK_SPARSE_IO.topBlocks]: b.topBlocks };
      sparsity = blockSparseSparsity(L, KERNEL_BLOCK, b.topBlocks);
    }
    const ms = await perLayer(true, inputs);
    const row = { length: L, compression: C, ...knobs, sparsity: +sparsity.toFixed(4), kernelMs: +ms.toFixed(2), denseMs: +denseMs.toFixed(2), speedup: +(denseMs / ms).toFixed(2), boundSpeedup: +(1 / (1 - sparsity)).toFixed(2) };
    rows.push(row);
    log(JSON.stringify(row));
  }
}
for (const s of sessions.values()) await s.release();
const report = { shape: values.shape, device, method, ...(method === 'block-sparse' ? { scope: values.scope } : {}), chain, repeats, rows };
console.log(JSON.stringify(report, null, 2));
if (values.json) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
