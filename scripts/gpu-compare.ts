// The engine on a GPU (WebGPU or CUDA) against transformers for a real-width random-weight
// checkpoint written by scripts/gpu-hf-reference.py: greedy tokens for 32 steps, and logits at every
// step with the transformers tokens forced. Session creation with CPU fallback disabled proves node
// placement.
//
//   node dist/scripts/gpu-compare.js CHECKPOINT_DIR [--device webgpu|cuda] [--json out.json]
//
// --reference DIR reads transformers' files from DIR instead of CHECKPOINT_DIR: for an existing
// checkpoint (gpu-hf-reference.py pretrained, e.g. models/tiny on a real task prompt).
import { parseArgs } from 'node:util';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Engine } from '../runner/engine/engine.js';
import type { Device } from '../runner/engine/session/protocol.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { device: { type: 'string', default: 'webgpu' }, precision: { type: 'string', default: 'fp16' }, head: { type: 'string' }, matmul: { type: 'string' }, 'single-graph': { type: 'boolean', default: false }, json: { type: 'string' }, reference: { type: 'string' }, 'cache-dir': { type: 'string', default: join(tmpdir(), 'longweave-compare-cache') } },
});
const dir = positionals[0];
if (!dir) throw new Error('usage: gpu-compare CHECKPOINT_DIR [--device webgpu] [--json out.json] [--reference DIR]');
const refDir = values.reference ?? dir;
const reference = JSON.parse(readFileSync(join(refDir, 'hf_reference.json'), 'utf8')) as { prompt: number[]; tokens: number[]; vocab: number; shape: string; layers: number; transformers: string; device?: string };
const raw = readFileSync(join(refDir, 'hf_logits.f32'));
const hfLogits = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
const steps = reference.tokens.length;
const fp16File = join(refDir, 'hf_logits_fp16.f32');
const hf16 = existsSync(fp16File) ? new Float32Array(readFileSync(fp16File).buffer.slice(0)) : null;
const precision = values.precision as 'fp16' | 'fp32';
const variant = { ...(values.head ? { headPrecision: values.head as 'fp32' } : {}), ...(values.matmul ? { matmulPrecision: values.matmul as 'fp32' } : {}), ...(values['single-graph'] ? { singleGraph: true } : {}) };
const device = values.device as Device;
const log = (line: string): void => void process.stderr.write(`${line}\n`);

let placement: string;
let engine: Engine;
try {
  // stepLogits: a one-run runtime (CUDA) builds its generation graph with the logits of every token.
  engine = await Engine.load(dir, { device, precision, ...variant, stepLogits: true, disableCpuFallback: device !== 'cpu', cacheDir: values['cache-dir']!, log });
  placement = device !== 'cpu' ? `session created with session.disable_cpu_ep_fallback=1: every node runs on ${device}` : 'cpu';
} catch (error) {
  placement = `strict placement failed: ${(error as Error).message}`;
  log(placement);
  engine = await Engine.load(dir, { device, precision, ...variant, stepLogits: true, cacheDir: values['cache-dir']!, log, logSeverityLevel: 1 });
}

const free = await engine.generateIds(reference.prompt, steps, { stopTokenIds: [] });
const forced = await engine.generateIds(reference.prompt, steps, { stopTokenIds: [], forcedTokens: reference.tokens, returnLogits: true });
await engine.close();

const rows = forced.logits!;
let maxAbs = 0;
let maxScale = 0;
let argmaxAgree = 0;
const perStep: number[] = [];
// How far transformers' own fp16 run is from its fp32 run: the scale of "fp16 tolerance".
let hf16MaxAbs = 0;
if (hf16) for (let i = 0; i < steps * reference.vocab; i++) hf16MaxAbs = Math.max(hf16MaxAbs, Math.abs(hf16[i]! - hfLogits[i]!));
for (let s = 0; s < steps; s++) {
  const ours = rows[s]!;
  const theirs = hfLogits.subarray(s * reference.vocab, (s + 1) * reference.vocab);
  let diff = 0;
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < reference.vocab; i++) {
    diff = Math.max(diff, Math.abs(ours[i]! - theirs[i]!));
    maxScale = Math.max(maxScale, Math.abs(theirs[i]!));
    if (ours[i]! > bestValue) {
      bestValue = ours[i]!;
      best = i;
    }
  }
  perStep.push(+diff.toFixed(5));
  maxAbs = Math.max(maxAbs, diff);
  if (best === reference.tokens[s]) argmaxAgree++;
}
let firstDivergence = -1;
for (let s = 0; s < steps; s++) if (free.tokens[s] !== reference.tokens[s]) { firstDivergence = s; break; }
const report = {
  shape: reference.shape,
  layers: reference.layers,
  transformers: reference.transformers,
  transformersDevice: reference.device ?? null,
  device,
  precision,
  headPrecision: values.head ?? precision,
  // The engine's default: weight MatMuls in fp32 whatever the graph's precision (EngineOptions.matmulPrecision).
  matmulPrecision: values.matmul ?? 'fp32',
  decodeGraph: values['single-graph'] ? 'none (one graph)' : 'default',
  placement,
  promptTokens: reference.prompt.length,
  steps,
  greedyIdentical: firstDivergence < 0,
  firstDivergence,
  engineTokens: free.tokens,
  transformersTokens: reference.tokens,
  forcedArgmaxAgreement: `${argmaxAgree}/${steps}`,
  maxAbsLogitDiff: +maxAbs.toFixed(5),
  maxAbsLogit: +maxScale.toFixed(3),
  transformersFp16VsFp32MaxAbs: hf16 ? +hf16MaxAbs.toFixed(5) : null,
  perStepMaxAbsDiff: perStep,
  generationMs: Math.round(free.timings.generationMs),
};
console.log(JSON.stringify(report, null, 2));
if (values.json) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
