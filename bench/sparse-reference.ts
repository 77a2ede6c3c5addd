// Analytic bounds of the sparse methods from the cost model (runner/engine/sparse/cost.ts): for a
// Qwen2.5-7B-shaped model at 16K, 64K and 128K, each prefill method's attention and whole-prefill
// FLOPs at C = 1, 2, 5, 10, 20 (speedup over dense in brackets, selection included) and each decode
// method's values read per step at C = 5 and 20. These are the bounds the engine benchmark prints
// next to measured times. Run: npx tsx bench/sparse-reference.ts [model]
import { decodeTraffic, prefillCost } from '../runner/engine/sparse/cost.js';
import { PAPER_MODEL_CONFIGS, paperModelSpec, type PaperModel } from '../runner/engine/sparse/paper-models.js';
import { SPARSE_METHODS } from '../runner/engine/sparse/registry.js';

const model = (process.argv[2] ?? 'qwen2.5-7b') as PaperModel;
if (!(model in PAPER_MODEL_CONFIGS)) throw new Error(`Unknown model "${model}"; allowed: ${Object.keys(PAPER_MODEL_CONFIGS).join(', ')}.`);
const spec = paperModelSpec(model);
const lengths = [16384, 65536, 131072];
const fmt = (x: number) => (x >= 1e15 ? `${(x / 1e15).toFixed(2)}P` : x >= 1e12 ? `${(x / 1e12).toFixed(1)}T` : `${(x / 1e9).toFixed(2)}G`);

console.log(`# ${model}: prefill FLOPs, attention (+selection) / whole prefill, speedup vs dense`);
for (const L of lengths) {
  const dense = prefillCost(spec, L, 1);
  console.log(`\nL = ${L}: dense attention ${fmt(dense.attention)}, whole ${fmt(dense.total)} (attention ${(100 * dense.attention / dense.total).toFixed(1)}%)`);
  for (const id of ['vertical-slash', 'block-sparse', 'flexprefill', 'a-shape'] as const) {
    const m = SPARSE_METHODS[id];
    const cells = [1, 2, 5, 10, 20].map((c) => {
      const cost = m.cost(spec, L, m.budgetFor(c, L) as never, c);
      const attn = cost.attention + cost.selection;
      return `C=${c}: ${fmt(attn)} (${(dense.attention / attn).toFixed(2)}x) / ${fmt(cost.total)} (${(dense.total / cost.total).toFixed(2)}x)`;
    });
    console.log(`  ${id.padEnd(15)} ${cells.join(' | ')}`);
  }
}

console.log(`\n# ${model}: decode values read per step (weights + KV + selection), speedup vs dense: attention (KV + selection) / whole step`);
for (const L of lengths) {
  const dense = decodeTraffic(spec, L, 1);
  console.log(`\nL = ${L}: dense KV ${fmt(dense.kvCache)}, whole ${fmt(dense.total)} (KV ${(100 * dense.kvCache / dense.total).toFixed(1)}%)`);
  for (const id of ['quest', 'snapkv', 'ada-snapkv', 'streaming-llm'] as const) {
    const m = SPARSE_METHODS[id];
    const cells = [5, 20].map((c) => {
      const cost = m.cost(spec, L, m.budgetFor(c, L) as never, c);
      const attn = cost.kvCache + cost.selection;
      return `C=${c}: ${fmt(attn)} (${(dense.kvCache / attn).toFixed(2)}x) / ${fmt(cost.total)} (${(dense.total / cost.total).toFixed(2)}x)`;
    });
    console.log(`  ${id.padEnd(15)} ${cells.join(' | ')}`);
  }
}
