// The runner's cost model for a grid cell (runner/analysis/cost.ts's CostModel): prefill FLOPs and
// decode bytes per step of the cell's prefill and decode methods at its compression, selection
// included, from the model's config.json. runner/engine/cost.ts can re-export it as `cellCost`.
import type { CostQuery } from '../../analysis/cost.js';
import { parseConfig, type ModelSpec } from '../checkpoint/config.js';
import { decodeTraffic, prefillCost } from './cost.js';
import { sparseMethod } from './registry.js';

const specs = new WeakMap<Record<string, unknown>, ModelSpec | null>();

function specOf(config: Record<string, unknown>): ModelSpec | undefined {
  if (!specs.has(config)) {
    try {
      specs.set(config, parseConfig(config));
    } catch {
      specs.set(config, null);
    }
  }
  return specs.get(config) ?? undefined;
}

/**
 * Named cost figures of one cell: `prefillFlops` (selection included), `prefillSelectionFlops`,
 * `decodeBytesPerStep` (fp16 values, the paper's weight count, selection reads included) and the
 * expected `prefillSparsity` / `decodeSparsity`. Undefined without a config or for unknown methods.
 * @example sparseCellCost({ model: 'q', config, length: 32768, prefill: 'vertical-slash', decode: 'quest', compression: 10 })
 */
export function sparseCellCost(query: CostQuery): Record<string, number> | undefined {
  if (!query.config) return undefined;
  const spec = specOf(query.config);
  if (!spec) return undefined;
  const L = query.length;
  const C = query.compression;
  try {
    let prefill = prefillCost(spec, L, 1);
    let prefillSparsity = 0;
    let decode = decodeTraffic(spec, L, 1);
    let decodeSparsity = 0;
    let snapSelection = 0;
    if (query.prefill !== 'dense') {
      const m = sparseMethod(query.prefill, 'prefill');
      const budget = m.budgetFor(C, L);
      prefill = m.cost(spec, L, budget, C) as typeof prefill;
      prefillSparsity = m.expectedSparsity(budget, L, C);
    }
    if (query.decode !== 'dense') {
      const m = sparseMethod(query.decode, 'decode');
      const budget = m.budgetFor(C, L);
      const cost = m.cost(spec, L, budget, C) as ReturnType<typeof decodeTraffic> & { prefillSelectionFlops: number };
      decode = cost;
      snapSelection = cost.prefillSelectionFlops;
      decodeSparsity = m.expectedSparsity(budget, L, C);
    }
    return {
      prefillFlops: prefill.total + snapSelection,
      prefillSelectionFlops: prefill.selection + snapSelection,
      decodeBytesPerStep: 2 * decode.total,
      prefillSparsity,
      decodeSparsity,
    };
  } catch {
    return undefined;
  }
}
