// Which attention kernel paths are fast on this device's provider? Times one com.microsoft
// MultiHeadAttention (or GroupQueryAttention) node in configurations the sparse formulations could
// use, fp16, head dim 128: ordinary heads over a long key range (with and without the present
// outputs, which WebGPU's flash-attention path requires, and with an attention_bias broadcast over
// heads or per head), and "pseudo-heads" (query blocks x heads as the kernel's heads, few rows each,
// each with its own keys). Each figure is (t(chain) - t(1)) / (chain - 1) over graphs that chain the
// node `chain` times (the output is the next query, and comes back to the host, so each run waits for
// the GPU), so input uploads and setup cancel; keys, values
// and biases are made on the device from small inputs (Tile), medians of 3 runs.
//
//   node dist/scripts/gpu-attention-kernels.js [--device webgpu|cpu] [--small] [--json out.json]
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, float, int, ints } from '../runner/engine/onnx/graph-builder.js';
import { encodeModel } from '../runner/engine/onnx/proto.js';
import { randomTensor } from '../bench/attention.js';

const { values } = parseArgs({ options: { device: { type: 'string', default: 'webgpu' }, json: { type: 'string' }, small: { type: 'boolean', default: false } } });
const device = values.device === 'cpu' ? 'cpu' : 'webgpu';
const d = 128;

type Case = {
  name: string;
  op: 'mha' | 'gqa';
  heads: number;
  rows: number;
  keys: number;
  /** attention_bias: none, [1, 1, rows, keys] or [1, heads, rows, keys]. */
  bias: 'none' | 'shared' | 'per-head';
  present: boolean;
  /** Batch (default 1): query blocks as the batch, as A-shape's 'fused' formulation does. */
  batch?: number;
  /** Keys and values as [1, heads, keys, d] (BNSH) instead of [1, keys, heads * d]. */
  bnsh?: boolean;
};

const scale = values.small ? 8 : 1;
const CASES: Case[] = [
  { name: 'GQA causal 28/4, 4096 rows over 32k (dense chunk)', op: 'gqa', heads: 28, rows: 4096 / scale, keys: 32768 / scale, bias: 'none', present: true },
  { name: 'MHA 28 heads, 4096 rows x 32k keys, output only', op: 'mha', heads: 28, rows: 4096 / scale, keys: 32768 / scale, bias: 'none', present: false },
  { name: 'MHA 28 heads, 4096 x 32k, present outputs', op: 'mha', heads: 28, rows: 4096 / scale, keys: 32768 / scale, bias: 'none', present: true },
  { name: 'MHA 28 heads, 4096 x 32k, present, bias [1,1,S,T]', op: 'mha', heads: 28, rows: 4096 / scale, keys: 32768 / scale, bias: 'shared', present: true },
  { name: 'MHA 28 heads, 4096 x 6.5k, present, bias [1,1,S,T]', op: 'mha', heads: 28, rows: 4096 / scale, keys: 6656 / scale, bias: 'shared', present: true },
  { name: 'MHA 28 heads, 512 x 6.5k, present, bias [1,1,S,T] (A-shape flash pass)', op: 'mha', heads: 28, rows: 512 / scale, keys: 6656 / scale, bias: 'shared', present: true },
  { name: 'MHA batch 8 x 28 heads, 512 x 6.5k, bias [8,1,S,T] (A-shape fused, as built)', op: 'mha', heads: 28, rows: 512 / scale, keys: 6656 / scale, bias: 'shared', present: false, batch: 8 },
  { name: 'MHA 28 heads, 512 x 6.5k, present, bias [1,1,S,T], K/V BNSH', op: 'mha', heads: 28, rows: 512 / scale, keys: 6656 / scale, bias: 'shared', present: true, bnsh: true },
  { name: 'pseudo-heads 28x32, 64 rows x 3.3k, present, per-head bias', op: 'mha', heads: 896 / scale, rows: 64, keys: 3328, bias: 'per-head', present: true },
  { name: 'pseudo-heads 28x32, 64 rows x 3.3k, present, per-head bias, K/V BNSH', op: 'mha', heads: 896 / scale, rows: 64, keys: 3328, bias: 'per-head', present: true, bnsh: true },
  { name: 'pseudo-heads 28x32, 64 rows x 3.3k, output only, per-head bias, K/V BNSH', op: 'mha', heads: 896 / scale, rows: 64, keys: 3328, bias: 'per-head', present: false, bnsh: true },
  { name: 'pseudo-heads 28x32, 16 rows x 3.3k, present, per-head bias, K/V BNSH', op: 'mha', heads: 896 / scale, rows: 16, keys: 3328, bias: 'per-head', present: true, bnsh: true },
  { name: 'pseudo-heads 28x8, 512 rows x 3.3k, present, per-head bias', op: 'mha', heads: 224 / scale, rows: 512, keys: 3328, bias: 'per-head', present: true },
  { name: 'pseudo-heads 28x8, 512 rows x 3.3k, present, per-head bias, K/V BNSH', op: 'mha', heads: 224 / scale, rows: 512, keys: 3328, bias: 'per-head', present: true, bnsh: true },
  { name: 'pseudo-heads 28x8, 64 rows x 3.3k, present, per-head bias, K/V BNSH', op: 'mha', heads: 224 / scale, rows: 64, keys: 3328, bias: 'per-head', present: true, bnsh: true },
];

/** The case's node chained `chain` times; K, V (and the bias) tiled on the device from 64-row seeds. */
function graph(c: Case, chain: number): Uint8Array {
  const g = new GraphBuilder();
  const kvHeads = c.op === 'gqa' ? 4 : c.heads;
  const n = c.batch ?? 1;
  const q0 = g.input('q', 'float16', [n, c.rows, c.heads * d]);
  const kSeed = g.input('k', 'float16', [n, 64, kvHeads * d]);
  const vSeed = g.input('v', 'float16', [n, 64, kvHeads * d]);
  const tiles = g.int64([1, c.keys / 64, 1]);
  // BNSH: [n, 64, heads * d] -> [n, heads, 64, d], tiled along the keys.
  const toBnsh = (x: string): string => g.op('Transpose', [g.op('Reshape', [x, g.int64([n, 64, kvHeads, d])])], { perm: ints([0, 2, 1, 3]) });
  const k = c.bnsh ? g.op('Tile', [toBnsh(kSeed), g.int64([1, 1, c.keys / 64, 1])]) : g.op('Tile', [kSeed, tiles]);
  const v = c.bnsh ? g.op('Tile', [toBnsh(vSeed), g.int64([1, 1, c.keys / 64, 1])]) : g.op('Tile', [vSeed, tiles]);
  let bias = '';
  if (c.bias !== 'none') {
    const b0 = g.input('b', 'float16', [n, c.bias === 'shared' ? 1 : c.heads, c.rows, 64]);
    bias = g.op('Tile', [b0, g.int64([1, 1, 1, c.keys / 64])]);
  }
  let q = q0;
  for (let i = 0; i < chain; i++) {
    if (c.op === 'gqa') {
      // The new rows are the last `rows` of the keys: past = keys - rows (GQA's cache layout).
      const past = c.keys - c.rows;
      const toPast = (x: string): string => g.op('Transpose', [g.op('Reshape', [g.op('Slice', [x, g.int64([0]), g.int64([past]), g.int64([1])]), g.int64([1, past, kvHeads, d])])], { perm: ints([0, 2, 1, 3]) });
      const pastK = toPast(k);
      const pastV = toPast(v);
      const newK = g.op('Slice', [k, g.int64([past]), g.int64([c.keys]), g.int64([1])]);
      const newV = g.op('Slice', [v, g.int64([past]), g.int64([c.keys]), g.int64([1])]);
      const [out] = g.node('GroupQueryAttention', [q, newK, newV, pastK, pastV, g.int32([c.keys - 1], [1]), g.int32([c.keys], [])], { num_heads: int(c.heads), kv_num_heads: int(kvHeads), scale: float(1 / Math.sqrt(d)) }, { domain: 'com.microsoft', outputs: 3 });
      q = out!;
    } else {
      const [out] = g.node('MultiHeadAttention', [q, k, v, '', '', bias], { num_heads: int(c.heads), scale: float(1 / Math.sqrt(d)) }, { domain: 'com.microsoft', outputs: c.present ? 3 : 1 });
      q = out!;
    }
  }
  g.output(q, 'y', 'float16', [n, c.rows, c.heads * d]);
  return encodeModel(g.toModel());
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const rows: Record<string, unknown>[] = [];
const CHAIN = 4;
for (const c of CASES) {
  const row: Record<string, unknown> = { ...c, device };
  try {
    const kvHeads = c.op === 'gqa' ? 4 : c.heads;
    const n = c.batch ?? 1;
    const feeds: Record<string, ort.Tensor> = {
      q: randomTensor(true, [n, c.rows, c.heads * d], 1, 0.5),
      k: randomTensor(true, [n, 64, kvHeads * d], 2, 0.5),
      v: randomTensor(true, [n, 64, kvHeads * d], 3, 0.5),
    };
    if (c.bias !== 'none') {
      const bh = c.bias === 'shared' ? 1 : c.heads;
      feeds['b'] = new ort.Tensor('float16', new Uint16Array(n * bh * c.rows * 64), [n, bh, c.rows, 64]);
    }
    const time = async (chain: number): Promise<number> => {
      // The output comes back to the host, so run() waits for the GPU (the download is the same for
      // every chain length and cancels).
      const session = await ort.InferenceSession.create(graph(c, chain), { executionProviders: [device], logSeverityLevel: 3 });
      const times: number[] = [];
      for (let r = 0; r < 4; r++) {
        const t0 = performance.now();
        await session.run(feeds);
        times.push(performance.now() - t0);
      }
      await session.release();
      return median(times.slice(1));
    };
    const t1 = await time(1);
    const tn = await time(CHAIN);
    const ms = (tn - t1) / (CHAIN - 1);
    // Causal GQA does about half the rows x keys work of the rectangle when rows = keys; here rows << keys.
    const flops = 4 * (c.batch ?? 1) * c.heads * c.rows * c.keys * d;
    Object.assign(row, { msOne: +t1.toFixed(2), msPerNode: +ms.toFixed(2), tflops: +(flops / (ms / 1000) / 1e12).toFixed(2) });
  } catch (error) {
    row['error'] = (error as Error).message.split('\n')[0];
  }
  rows.push(row);
  process.stderr.write(`${c.name}: ${row['error'] ?? `${row['msPerNode']} ms, ${row['tflops']} TFLOP/s`}\n`);
}
console.log(JSON.stringify(rows, null, 2));
if (values.json) writeFileSync(values.json, `${JSON.stringify(rows, null, 2)}\n`);
