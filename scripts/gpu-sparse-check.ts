// Every attention graph against its float64 reference on the device a GPU host has (WebGPU), in
// fp32 and fp16, for GQA groups 1, 4 and 7 at lengths that are not multiples of a block: one layer
// graph per (method, shape, length, budget), random inputs, the reference of runner/engine/sparse.
// Also reports whether each graph loads with session.disable_cpu_ep_fallback (no node on the CPU)
// and, when not, logs onnxruntime's verbose node placement to stderr (`grep -A40 '=== placement'`).
//
//   node dist/scripts/gpu-sparse-check.js [--device webgpu|cpu] [--methods a,b] [--params JSON] [--json out.json]
//
// --params: method parameters for the graphs and the references alike, e.g. '{"scope":"kv-head"}'.
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { runLayerGraph, type LayerShape } from '../runner/engine/attention/layer-graph.js';
import { attentionMethod, ATTENTION_METHODS } from '../runner/engine/attention/registry.js';
import { SPARSE_METHODS } from '../runner/engine/sparse/registry.js';
import { denseCausalAttention, denseDecodeAttention } from '../runner/engine/sparse/reference/dense.js';
import { headTensor, type HeadTensor } from '../runner/engine/sparse/tensor.js';

const { values } = parseArgs({ options: { device: { type: 'string', default: 'webgpu' }, json: { type: 'string' }, methods: { type: 'string' }, params: { type: 'string' } } });
const params = values.params ? (JSON.parse(values.params) as Record<string, unknown>) : undefined;
const device = values.device === 'cpu' ? 'cpu' : 'webgpu';

function randomHeads(heads: number, length: number, d: number, seed: number, scale: number): HeadTensor {
  let s = (seed * 2654435761) >>> 0 || 1;
  const data = new Float64Array(heads * length * d);
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    // fp16-representable values (11 significant bits) so fp16 and fp32 graphs see the reference's inputs.
    data[i] = Math.round(((s / 2 ** 32) * 2 - 1) * scale * 1024) / 1024;
  }
  return headTensor(heads, length, d, data);
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

const SHAPES: LayerShape[] = [
  { numHeads: 4, numKvHeads: 4, headDim: 64 },
  { numHeads: 16, numKvHeads: 4, headDim: 64 },
  { numHeads: 28, numKvHeads: 4, headDim: 128 },
];
const LENGTHS = [300, 1000];
const TOLERANCE = { fp32: 1e-4, fp16: 2e-2 };

type Entry = { reference: (input: unknown, budget: unknown, params?: Record<string, unknown>) => { output: Float64Array }; budgetFor: (c: number, l: number) => unknown };
const rows: Record<string, unknown>[] = [];
const placement: Record<string, string> = {};
const placementChecked = new Set<string>();
const only = values.methods?.split(',');
const methods = Object.values(ATTENTION_METHODS).filter((m) => m.budgetInputs && (!only || only.includes(m.id)) && !['snapkv', 'ada-snapkv'].includes(m.id));
for (const method of methods) {
  const entry = (SPARSE_METHODS as unknown as Record<string, Entry>)[method.id]!;
  for (const shape of SHAPES) {
    for (const L of LENGTHS) {
      const scale = 2 / Math.sqrt(Math.sqrt(shape.headDim));
      const query = randomHeads(shape.numHeads, L, shape.headDim, L + 1, scale);
      const key = randomHeads(shape.numKvHeads, L, shape.headDim, L + 2, scale);
      const value = randomHeads(shape.numKvHeads, L, shape.headDim, L + 3, 1);
      for (const compression of [1, 5]) {
        const budget = entry.budgetFor(compression, L) as Record<string, number>;
        const inputs = attentionMethod(method.id).budgetInputs!(budget);
        let expected: Float64Array;
        let layer: Parameters<typeof runLayerGraph>[2];
        if (method.phase === 'prefill') {
          const full = { query, key, value };
          expected = compression === 1 ? denseCausalAttention(full) : entry.reference(full, budget, params).output;
          layer = full;
        } else {
          // One decode step: the last token's query over the cache of the L - 1 before it.
          const last = (t: HeadTensor): HeadTensor => headTensor(t.heads, 1, t.headDim, t.data.filter((_, i) => Math.floor(i / t.headDim) % t.length === t.length - 1));
          const first = (t: HeadTensor): HeadTensor => headTensor(t.heads, L - 1, t.headDim, t.data.filter((_, i) => Math.floor(i / t.headDim) % t.length < t.length - 1));
          const step = { query: last(query), key, value };
          expected = compression === 1 ? denseDecodeAttention(step) : entry.reference({ step }, budget, params).output;
          layer = { query: last(query), key: last(key), value: last(value), pastKey: first(key), pastValue: first(value) };
        }
        for (const precision of ['fp32', 'fp16'] as const) {
          const row: Record<string, unknown> = { method: method.id, phase: method.phase, heads: shape.numHeads, kvHeads: shape.numKvHeads, headDim: shape.headDim, length: L, compression, budget, precision };
          try {
            const out = await runLayerGraph(method.id, shape, layer, { device, precision, inputs, ...(params ? { params } : {}) });
            const diff = maxDiff(out.output.data, expected);
            row['maxAbsDiff'] = +diff.toExponential(3);
            row['pass'] = diff <= TOLERANCE[precision];
          } catch (error) {
            row['error'] = (error as Error).message.split('\n')[0]!.slice(0, 300);
            row['pass'] = false;
          }
          if (device === 'webgpu' && !placementChecked.has(method.id)) {
            // Placement: does the graph load with CPU fallback disabled? If not, a verbose session
            // prints onnxruntime's node placement (which nodes run on the CPU) to stderr.
            placementChecked.add(method.id);
            try {
              await runLayerGraph(method.id, shape, layer, { device, precision, inputs, disableCpuFallback: true, ...(params ? { params } : {}) });
              placement[method.id] = 'every node on WebGPU (session.disable_cpu_ep_fallback accepted)';
            } catch (error) {
              placement[method.id] = `some nodes on the CPU: ${(error as Error).message.split('\n')[0]!.slice(0, 160)}`;
              process.stderr.write(`=== placement of ${method.id} (verbose session) ===\n`);
              await runLayerGraph(method.id, shape, layer, { device, precision, inputs, logSeverityLevel: 0, ...(params ? { params } : {}) }).catch(() => undefined);
              process.stderr.write(`=== end placement of ${method.id} ===\n`);
            }
          }
          rows.push(row);
          process.stderr.write(`${JSON.stringify(row)}\n`);
        }
      }
    }
  }
}
const summary = {
  device,
  tolerance: TOLERANCE,
  checked: rows.length,
  passed: rows.filter((r) => r['pass']).length,
  placement,
  failed: rows.filter((r) => !r['pass']).map((r) => `${r['method']} ${r['heads']}/${r['kvHeads']} L=${r['length']} C=${r['compression']} ${r['precision']}: ${r['error'] ?? r['maxAbsDiff']}`),
};
console.log(JSON.stringify(summary, null, 2));
if (values.json) writeFileSync(values.json, `${JSON.stringify({ ...summary, rows }, null, 2)}\n`);
