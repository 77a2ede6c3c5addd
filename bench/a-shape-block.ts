// How far A-shape's block form (params.granularity 'block': the sink rounded up to whole 64-token
// blocks, the window to whole blocks before each query block; attention/a-shape-kernel.ts) is from
// the token-level method, both as float64 references (sparse/reference/a-shape.ts) on random inputs
// (seeded; queries and keys scaled to sharpen the softmax), at the budgets aShapeBudget gives for
// compression C. Prints per length and C: the token budget, both forms' effective sparsity, and the
// output difference of the block form from the token form (max absolute; L2 relative to the token
// form's output), next to the token form's own difference from dense attention (same measures,
// relative to the token form's output) for scale.
//
//   npx tsx bench/a-shape-block.ts [--lengths 1000,4096] [--compression 2,5,10,20] [--scale 2] [--json]
import { parseArgs } from 'node:util';
import { aShapeBudget } from '../runner/engine/sparse/budget.js';
import { aShapeAttention, aShapeBlockAttention } from '../runner/engine/sparse/reference/a-shape.js';
import { denseCausalAttention } from '../runner/engine/sparse/reference/dense.js';
import { headTensor, type HeadTensor } from '../runner/engine/sparse/tensor.js';
import { Random } from '../generators/core/random.js';

const { values } = parseArgs({
  options: {
    lengths: { type: 'string', default: '1000,4096' },
    compression: { type: 'string', default: '2,5,10,20' },
    scale: { type: 'string', default: '2' },
    heads: { type: 'string', default: '4' },
    'kv-heads': { type: 'string', default: '2' },
    'head-dim': { type: 'string', default: '64' },
    seed: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
  },
});
const numbers = (s: string, name: string): number[] =>
  s.split(',').map((x) => {
    const n = Number(x);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name}: "${x}" is not a positive number.`);
    return n;
  });
const lengths = numbers(values.lengths!, 'lengths');
const json = values.json === true;
const compressions = numbers(values.compression!, 'compression');
const [scale] = numbers(values.scale!, 'scale');
const [H] = numbers(values.heads!, 'heads');
const [kv] = numbers(values['kv-heads']!, 'kv-heads');
const [d] = numbers(values['head-dim']!, 'head-dim');
const random = new Random(`a-shape-block/${values.seed!}`);

function randomHeads(heads: number, length: number, s: number): HeadTensor {
  const data = new Float64Array(heads * length * d!);
  for (let i = 0; i < data.length; i++) data[i] = (random.next() * 2 - 1) * s;
  return headTensor(heads, length, d!, data);
}

function diff(a: Float64Array, b: Float64Array): { maxAbs: number; relL2: number } {
  let maxAbs = 0;
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    const e = a[i]! - b[i]!;
    maxAbs = Math.max(maxAbs, Math.abs(e));
    num += e * e;
    den += b[i]! * b[i]!;
  }
  return { maxAbs, relL2: Math.sqrt(num / den) };
}

const rows = [];
for (const L of lengths) {
  const input = { query: randomHeads(H!, L, scale!), key: randomHeads(kv!, L, scale!), value: randomHeads(kv!, L, 1) };
  const dense = denseCausalAttention(input);
  for (const C of compressions) {
    const budget = aShapeBudget(C, L);
    const token = aShapeAttention(input, budget);
    const block = aShapeBlockAttention(input, budget, 64);
    rows.push({ length: L, compression: C, ...budget, tokenSparsity: token.sparsity, blockSparsity: block.sparsity, blockVsToken: diff(block.output, token.output), tokenVsDense: diff(dense, token.output) });
    process.stderr.write(`L = ${L}, C = ${C} done\n`);
  }
}
if (json) console.log(JSON.stringify(rows, null, 2));
else {
  console.log('| L | C | sink / window | sparsity token / block | block vs token: max abs, rel. L2 | token vs dense: max abs, rel. L2 |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) {
    const e = (x: number): string => x.toExponential(1);
    console.log(`| ${r.length} | ${r.compression} | ${r.sink} / ${r.window} | ${r.tokenSparsity.toFixed(3)} / ${r.blockSparsity.toFixed(3)} | ${e(r.blockVsToken.maxAbs)}, ${e(r.blockVsToken.relL2)} | ${e(r.tokenVsDense.maxAbs)}, ${e(r.tokenVsDense.relL2)} |`);
  }
}
