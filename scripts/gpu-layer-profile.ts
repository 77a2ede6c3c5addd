// onnxruntime's profile of one attention layer graph (attention/layer-graph.ts) on a model's head
// shape: the prefill chunk in the middle of an L-token prompt (as `longweave engine bench` times it),
// random fp16 inputs (or RoPE-shaped ones, --inputs rope, as `engine bench --inputs rope`), --runs
// runs (default 3; the first compiles shaders and allocates). Summarise the profile with
// `bench/engine-profile.js --last`. WebGPU node times in the profile are host-side times: they show
// where the host waits (a long node is often a copy to the CPU that waits for the GPU), not GPU
// time; where the device has the timestamp-query feature the provider also records each
// dispatch's GPU time, which engine-profile summarises separately.
//
//   node dist/scripts/gpu-layer-profile.js METHOD [--length 65536] [--chunk 4096] [--compression 20]
//        [--params '{"scope":"kv-head"}'] [--inputs random|rope] [--runs 3] [--device webgpu]
//        [--prefix /tmp/layer-profile]
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { buildLayerGraph, LAYER_IO } from '../runner/engine/attention/layer-graph.js';
import { planAttention } from '../runner/engine/backend.js';
import { feedsFor, randomTensor, ropeInputs } from '../bench/attention.js';
import { shapeConfig } from '../runner/engine/checkpoint/shapes.js';
import { parseConfig } from '../runner/engine/checkpoint/config.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    length: { type: 'string', default: '65536' },
    chunk: { type: 'string', default: '4096' },
    compression: { type: 'string', default: '20' },
    params: { type: 'string', default: '{}' },
    device: { type: 'string', default: 'webgpu' },
    prefix: { type: 'string', default: '/tmp/layer-profile' },
    shape: { type: 'string', default: 'qwen2.5-7b' },
    inputs: { type: 'string', default: 'random' },
    runs: { type: 'string', default: '3' },
  },
});
const method = positionals[0];
if (!method) throw new Error('usage: gpu-layer-profile METHOD [--length N] [--chunk N] [--compression C] [--params JSON]');
const spec = parseConfig(shapeConfig(values.shape!));
const L = Number(values.length);
const S = Number(values.chunk);
const P = Math.floor((L - S) / 2 / 64) * 64;
const C = Number(values.compression);
const params = JSON.parse(values.params!) as Record<string, unknown>;
const fp16 = values.device === 'webgpu';

// The method's budget at (C, L) as the engine backend feeds it (dense: none).
const plan = method === 'dense' ? null : planAttention({ prefill: method, decode: 'dense', compression: C, params }, spec, L);
const budget = plan?.params['prefillBudget'] ?? {};
const inputs = plan?.inputs ?? {};
const built = buildLayerGraph(method, spec, { precision: fp16 ? 'fp16' : 'fp32', maxPositions: L + 64, params });
const session = await ort.InferenceSession.create(built.model, {
  executionProviders: [fp16 ? 'webgpu' : 'cpu'],
  graphOptimizationLevel: 'all',
  logSeverityLevel: 3,
  enableProfiling: true,
  profileFilePrefix: values.prefix!,
  ...(fp16 ? { preferredOutputLocation: { [LAYER_IO.output]: 'cpu' as const, [LAYER_IO.presentKey]: 'gpu-buffer' as const, [LAYER_IO.presentValue]: 'gpu-buffer' as const } } : {}),
});
// The engine bench's random inputs for a prefill chunk (bench/attention.ts).
if (values.inputs !== 'random' && values.inputs !== 'rope') throw new Error(`--inputs must be random or rope; got ${values.inputs}`);
const rope = values.inputs === 'rope' ? ropeInputs(spec, fp16, P, S) : undefined;
// The cache's values as feedsFor makes them (seed 5); RoPE-shaped keys from ropeInputs.
const cache = rope ? { key: rope.cacheKey, value: randomTensor(fp16, [1, spec.numKvHeads, P, spec.headDim], 5) } : null;
const feeds = feedsFor(spec, fp16, P, S, inputs, built.sharedInputs, cache, P, rope);
const use = Object.fromEntries(Object.entries(feeds).filter(([name]) => session.inputNames.includes(name)));
const times: number[] = [];
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer; got ${values.runs}`);
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  const out = await session.run(use);
  times.push(performance.now() - t0);
  for (const t of Object.values(out)) if (t.location === 'gpu-buffer') t.dispose();
}
session.endProfiling();
process.stdout.write(`${JSON.stringify({ method, length: L, chunk: S, past: P, compression: C, inputs: values.inputs, budget, params, runMs: times.map((t) => +t.toFixed(1)), nodes: built.opCounts })}\n`);
await session.release();
