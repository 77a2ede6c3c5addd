// Engine throughput on a model of real shape with random fp16 weights: prefill tokens/s and
// achieved FLOP/s (design cost model) at several lengths, decode ms/step against the time to read
// weights and KV cache once, and peak GPU memory (nvidia-smi, when present).
//
//   node dist/bench/engine.js --device webgpu --shape qwen2.5-7b --lengths 4096,16384,32768 \
//     [--decode-steps 16] [--chunk 8192] [--layers N] [--bandwidth-gbs 3350] [--json out.json] [--profile prefix]
//     [--validation disabled|wgpuOnly|basic|full] [--decode-attention dense-decode|snapkv|...] [--decode-compression 20]
//     [--single-graph] [--matmul-precision fp32] [--weight-casts decode-folded|folded|runtime]
//     [--buffer-cache disabled|lazyRelease|simple|bucket] [--prefill-stages N]
//     [--attention vertical-slash|flexprefill|block-sparse|a-shape --compression 10 [--attention-params '{"scope":"kv-head"}']]
//     [--repeats N]
// On a one-run runtime (CUDA: the whole generation is one session run) prefill and decode are not
// timed apart inside a run: the bench times generations of 1 token (prefill and the first argmax)
// and of 1 + decode-steps tokens, --repeats times each (medians), and takes the decode step as
// their difference over the steps.
// A sparse --attention (prefill) or --decode-attention method gets its budget at each length from
// --compression / --decode-compression (runner/engine/sparse: the paper's budgets), fed as the
// graph's budget inputs; a data-dependent prefill pattern's measured sparsity is recorded.
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../runner/engine/engine.js';
import { GpuMemory } from '../runner/engine/gpu-memory.js';
import { parseConfig } from '../runner/engine/checkpoint/config.js';
import { SyntheticSource } from '../runner/engine/checkpoint/synthetic.js';
import { shapeConfig } from '../runner/engine/checkpoint/shapes.js';
import { causalPrefillFlops, decodeBytes, prefillFlops } from '../runner/engine/cost.js';
import { Random } from '../generators/core/random.js';
import { SPARSE_METHODS } from '../runner/engine/sparse/registry.js';
import { measuredPlan, planAttention } from '../runner/engine/backend.js';
import type { Device } from '../runner/engine/session/protocol.js';

const { values } = parseArgs({
  options: {
    device: { type: 'string', default: 'webgpu' },
    shape: { type: 'string', default: 'qwen2.5-7b' },
    layers: { type: 'string' },
    lengths: { type: 'string', default: '4096,16384,32768,65536' },
    'decode-steps': { type: 'string', default: '16' },
    chunk: { type: 'string', default: '8192' },
    'bandwidth-gbs': { type: 'string', default: '3350' },
    'cache-dir': { type: 'string', default: join(tmpdir(), 'longweave-bench-cache') },
    json: { type: 'string' },
    profile: { type: 'string' },
    validation: { type: 'string' },
    'decode-attention': { type: 'string' },
    'decode-compression': { type: 'string' },
    attention: { type: 'string' },
    compression: { type: 'string' },
    'attention-params': { type: 'string' },
    'buffer-cache': { type: 'string' },
    'prefill-stages': { type: 'string' },
    'single-graph': { type: 'boolean', default: false },
    'matmul-precision': { type: 'string' },
    'weight-casts': { type: 'string' },
    repeats: { type: 'string', default: '1' },
  },
});

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : NaN;
};

const config = shapeConfig(values.shape!, values.layers ? { num_hidden_layers: Number(values.layers) } : {});
const spec = parseConfig(config);
const lengths = values.lengths!.split(',').map((x) => Number.parseInt(x, 10));
const device = values.device as Device;
const decodeSteps = Number(values['decode-steps']);
const bandwidth = Number(values['bandwidth-gbs']) * 1e9;
const memory = new GpuMemory();
memory.start();
const log = (line: string): void => void process.stderr.write(`${line}\n`);

const prefillMethod = values.attention && values.attention !== 'dense' ? values.attention : null;
const attentionParams = values['attention-params'] ? (JSON.parse(values['attention-params']) as Record<string, unknown>) : undefined;
if (prefillMethod && !(prefillMethod in SPARSE_METHODS)) throw new Error(`--attention ${prefillMethod}: not a sparse prefill method.`);
if (prefillMethod && !values.compression) throw new Error(`--attention ${prefillMethod} needs --compression C (the budget).`);

const decodeMethod = values['decode-attention'] && values['decode-attention'] in SPARSE_METHODS ? values['decode-attention'] : null;
const decodeCompression = Number(values['decode-compression'] ?? values.compression);

/** The sparse methods' plan at length L (null when both phases are dense graphs). */
function planAt(L: number): ReturnType<typeof planAttention> | null {
  if (decodeMethod && !values['decode-compression'] && !values.compression) throw new Error(`--decode-attention ${decodeMethod} needs --decode-compression C (the budget).`);
  if (!decodeMethod && !prefillMethod) return null;
  const prefillPlan = prefillMethod ? planAttention({ prefill: prefillMethod, decode: 'dense', compression: Number(values.compression), ...(attentionParams ? { params: attentionParams } : {}) }, spec, L) : null;
  const decodePlan = decodeMethod ? planAttention({ prefill: 'dense', decode: decodeMethod, compression: decodeCompression }, spec, L) : null;
  const inputs = { ...prefillPlan?.inputs, ...decodePlan?.inputs };
  // Each phase's executed work from its own plan (the prefill plan alone would report a dense decode).
  const executed = { ...(prefillPlan ?? decodePlan)!.executed };
  if (decodePlan) for (const k of ['decodeKvValuesPerStep', 'decodeSparsity']) if (decodePlan.executed[k] !== undefined) executed[k] = decodePlan.executed[k]!;
  return { ...(prefillPlan ?? decodePlan)!, inputs, executed };
}

const source = new SyntheticSource(spec, { seed: 'bench', dtype: 'F16', mode: 'fast', scale: 0.02 });
const t0 = performance.now();
const engine = await Engine.fromSource(spec, source, [], {
  device,
  chunkSize: Number(values.chunk),
  maxLength: Math.max(...lengths) + decodeSteps + 1,
  cacheDir: values['cache-dir']!,
  log,
  ...(values.profile ? { profilePrefix: values.profile } : {}),
  ...(values.validation ? { webgpuValidation: values.validation as 'disabled' } : {}),
  ...(values['buffer-cache'] ? { webgpuBufferCache: values['buffer-cache'] as 'disabled' } : {}),
  ...(values['prefill-stages'] ? { prefillStages: Number(values['prefill-stages']) } : {}),
  ...(values['decode-attention'] ? { decodeAttention: { method: values['decode-attention'] } } : {}),
  ...(prefillMethod ? { attention: { method: prefillMethod, ...(attentionParams ? { params: attentionParams } : {}) } } : {}),
  ...(values['single-graph'] ? { singleGraph: true } : {}),
  ...(values['matmul-precision'] ? { matmulPrecision: values['matmul-precision'] as 'fp32' } : {}),
  ...(values['weight-casts'] ? { weightCasts: values['weight-casts'] as 'folded' } : {}),
});
const setupMs = performance.now() - t0;
const afterLoad = memory.peak();
const rows: Record<string, unknown>[] = [];
const random = new Random('bench-prompt');
// Warm-up: kernels compile on first use.
const warmInputs = planAt(256)?.inputs;
await engine.generateIds(Array.from({ length: 256 }, () => random.int(0, spec.vocabSize - 1)), 4, { stopTokenIds: [], ...(warmInputs ? { attentionInputs: warmInputs } : {}) });
for (const L of lengths) {
  memory.reset();
  const prompt = Array.from({ length: L }, () => random.int(0, spec.vocabSize - 1));
  const plan = planAt(L);
  const attentionInputs = plan?.inputs;
  // One stderr line per prefill chunk: a long prompt's progress, and how far a run cut short got.
  const started = performance.now();
  const onProgress = (p: { done: number; total: number; chunkMs: number }): void => {
    const peak = memory.peak();
    log(`prefill L=${L}: ${p.done}/${p.total} tokens after ${((performance.now() - started) / 1000).toFixed(1)} s (chunk ${(p.chunkMs / 1000).toFixed(2)} s${peak !== null ? `, GPU peak ${peak} MiB` : ''})`);
  };
  const generate = (tokens: number) => engine.generateIds(prompt, tokens, { stopTokenIds: [], onProgress, ...(attentionInputs ? { attentionInputs } : {}) });
  const repeats = Math.max(1, Number(values.repeats));
  const result = await generate(decodeSteps + 1);
  let prefillMs = result.timings.prefillMs;
  let decodeMs = median(result.timings.decodeMs);
  let oneRun: Record<string, unknown> = {};
  if (prefillMs === undefined) {
    // One-run generation: prefill from 1-token generations, a decode step from the difference.
    const whole = [result.timings.generationMs];
    const first = [];
    for (let r = 0; r < repeats; r++) first.push((await generate(1)).timings.generationMs);
    for (let r = 1; r < repeats; r++) whole.push((await generate(decodeSteps + 1)).timings.generationMs);
    if (result.tokens.length !== decodeSteps + 1) throw new Error(`Generated ${result.tokens.length} tokens, expected ${decodeSteps + 1}.`);
    prefillMs = median(first);
    decodeMs = (median(whole) - prefillMs) / decodeSteps;
    oneRun = { generationMsMedian: Math.round(median(whole)), generationMsRuns: whole.map(Math.round), prefillMsRuns: first.map(Math.round) };
  }
  const prefillS = prefillMs / 1000;
  const causal = causalPrefillFlops(spec, L);
  const bytes = decodeBytes(spec, L);
  const boundMs = ((bytes.weights + bytes.kvCache) / bandwidth) * 1000;
  const row = {
    length: L,
    prefillS: +prefillS.toFixed(3),
    prefillTokensPerS: Math.round(L / prefillS),
    modelTflops: +(prefillFlops(spec, L) / prefillS / 1e12).toFixed(2),
    executedTflops: +((causal.linear + causal.attention) / prefillS / 1e12).toFixed(2),
    chunkMs: result.timings.chunkMs.map((x) => Math.round(x)),
    decodeMsMedian: +decodeMs.toFixed(2),
    decodeTokensPerS: +(1000 / decodeMs).toFixed(1),
    decodeBoundMs: +boundMs.toFixed(2),
    decodeVsBound: +(decodeMs / boundMs).toFixed(2),
    ...(attentionInputs ? { budgetInputs: attentionInputs } : {}),
    ...(prefillMethod && plan ? { prefillAttention: prefillMethod, compression: Number(values.compression), ...measuredPlan(plan, spec, L, result.attentionStats) } : {}),
    ...(decodeMethod && plan ? { decodeAttention: decodeMethod, decodeCompression, decodeKvValuesPerStep: plan.executed['decodeKvValuesPerStep'], decodeSparsity: plan.executed['decodeSparsity'] } : {}),
    ...(result.timings.compressMs !== undefined ? { compressMs: Math.round(result.timings.compressMs) } : {}),
    ...oneRun,
    peakGpuMemMiB: memory.peak(),
  };
  rows.push(row);
  log(JSON.stringify(row));
}
await engine.close();
memory.stop();
const report = {
  shape: values.shape,
  layers: spec.numLayers,
  device,
  chunk: Number(values.chunk),
  validation: values.validation ?? 'basic (default)',
  bufferCache: values['buffer-cache'] ?? 'default',
  prefillStages: Number(values['prefill-stages'] ?? 1),
  generation: engine.session.loaded.outputNames.includes('tokens') ? 'one-run' : 'stepwise',
  decodeAttention: values['single-graph'] ? 'same graph as prefill (dense GroupQueryAttention)' : (values['decode-attention'] ?? 'default (dense-decode-blocked on webgpu, the one-run loop on cuda)'),
  graphBuilt: engine.graph.built,
  graphBuildS: +(engine.graph.buildMs / 1000).toFixed(1),
  setupS: +(setupMs / 1000).toFixed(1),
  sessionLoadS: +(engine.session.loaded.loadMs / 1000).toFixed(1),
  gpuMemBaselineMiB: memory.baseline || null,
  gpuMemAfterLoadMiB: afterLoad,
  rows,
};
console.log(JSON.stringify(report, null, 2));
if (values.json) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
