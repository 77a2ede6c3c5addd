// The sparse decode methods over the blocked cache against their flat-cache graphs, end to end in
// the engine on a GPU host (WebGPU): the trained reference model (a checkpoint folder, models/tiny)
// on a real prompt (test/fixtures/tiny-niah-1k.json's token ids), greedy decoding for --steps steps
// with blocks of --block tokens, so the run goes through the first freeze and several merges. Per
// method and precision: whether the greedy tokens are identical and the largest logit difference.
// The flat graphs equal the float64 references on the CPU (test/engine/decode-sparse.test.ts).
//
//   node dist/scripts/gpu-decode-check.js MODEL_DIR PROMPT_JSON [--device webgpu] [--steps 48] [--block 32] [--json out.json]
import { parseArgs } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Engine, type EngineOptions } from '../runner/engine/engine.js';
import { openCheckpoint } from '../runner/engine/checkpoint/checkpoint.js';
import { planAttention } from '../runner/engine/backend.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { device: { type: 'string', default: 'webgpu' }, steps: { type: 'string', default: '48' }, block: { type: 'string', default: '32' }, json: { type: 'string' } },
});
const [modelDir, promptFile] = positionals;
if (!modelDir || !promptFile) throw new Error('usage: gpu-decode-check MODEL_DIR PROMPT_JSON [--device webgpu] [--steps 48] [--block 32] [--json out.json]');
const device = values.device === 'cpu' ? 'cpu' : 'webgpu';
const steps = Number(values.steps);
const block = Number(values.block);
const promptIds = (JSON.parse(readFileSync(promptFile, 'utf8')) as { promptIds: number[] }).promptIds;
const cacheDir = join(tmpdir(), 'longweave-decode-check');
const COMPRESSION = 5;
const spec = openCheckpoint(modelDir).spec;

async function run(precision: 'fp32' | 'fp16', decodeAttention: NonNullable<EngineOptions['decodeAttention']>, attentionInputs: Record<string, number>): Promise<{ tokens: number[]; logits: Float32Array[] }> {
  const engine = await Engine.load(modelDir!, { device, precision, chunkSize: 256, cacheDir, maxLength: promptIds.length + steps + 64, decodeAttention });
  try {
    const result = await engine.generateIds(promptIds, steps, { returnLogits: true, stopTokenIds: [], attentionInputs });
    return { tokens: result.tokens, logits: result.logits!.slice(-steps) };
  } finally {
    await engine.close();
  }
}

const rows: Record<string, unknown>[] = [];
for (const precision of ['fp32', 'fp16'] as const) {
  for (const method of ['quest', 'snapkv', 'ada-snapkv', 'streaming-llm'] as const) {
    const plan = planAttention({ prefill: 'dense', decode: method, compression: COMPRESSION }, spec, promptIds.length);
    const budget = plan.params['decodeBudget'];
    const inputs = plan.inputs;
    const flat = await run(precision, { method, params: { cache: 'flat' } }, inputs);
    const blocked = await run(precision, { method, params: { cache: 'blocked', block } }, inputs);
    let maxAbsLogitDiff = 0;
    let maxAbsLogit = 0;
    blocked.logits.forEach((row, i) => {
      const other = flat.logits[i]!;
      for (let j = 0; j < row.length; j++) {
        maxAbsLogitDiff = Math.max(maxAbsLogitDiff, Math.abs(row[j]! - other[j]!));
        maxAbsLogit = Math.max(maxAbsLogit, Math.abs(other[j]!));
      }
    });
    const firstDifference = blocked.tokens.findIndex((t, i) => t !== flat.tokens[i]);
    const row = { method, precision, compression: COMPRESSION, budget, promptTokens: promptIds.length, steps, block, greedyIdentical: firstDifference < 0, firstDifference, maxAbsLogitDiff: +maxAbsLogitDiff.toPrecision(3), maxAbsLogit: +maxAbsLogit.toFixed(2) };
    rows.push(row);
    process.stdout.write(`${JSON.stringify(row)}\n`);
  }
}
if (values.json) writeFileSync(values.json, `${JSON.stringify({ device, model: modelDir, rows }, null, 2)}\n`);
