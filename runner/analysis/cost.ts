// Cost per cell for accuracy-against-cost (isoFLOPS) comparisons. Two sources, in this order:
// work the backend measured on each sample (`attention.executed` in predictions, averaged per
// cell), and a cost model given the model's config (DESIGN.md's Appendix B formulas, which live
// with the engine: runner/engine/cost.ts, loaded only if present). Figures are named, e.g.
// `prefillFlops`, `decodeBytesPerStep`; each name gets its own table and Pareto frontier. Figures
// that are not costs (the sparsity and density the engine records beside its work) are left out.
import { existsSync, readFileSync } from 'node:fs';
import type { CellSummary } from './cells.js';
import type { ModelFacts } from './rows.js';

/** What a cost model is asked. */
export interface CostQuery {
  model: string;
  /** The model's Hugging Face config.json, parsed. */
  config?: Record<string, unknown>;
  parameters?: number;
  length: number;
  prefill: string;
  decode: string;
  compression: number;
  /** Mean generated tokens of the cell, when known. */
  outputTokens?: number;
}

/** A cost model: named figures for one cell, or undefined when it can't tell. */
export type CostModel = (query: CostQuery) => Record<string, number> | undefined;

/** What runner/engine/cost.ts may export for the runner: a ready cost model. */
export interface EngineCostModule {
  cellCost?: CostModel;
  prefillFlops?: (spec: unknown, length: number, density?: number) => number;
  decodeBytes?: (spec: unknown, length: number, bytesPerValue?: number, density?: number) => { weights: number; kvCache: number };
}

interface EngineConfigModule {
  parseConfig(config: Record<string, unknown>): unknown;
}

// Variable specifiers: the runner does not depend on the engine being part of the build.
const ENGINE_COST_MODULE = '../engine/cost.js';
const ENGINE_CONFIG_MODULE = '../engine/checkpoint/config.js';

/**
 * The design's cost model (Appendix B) through the engine's formulas: `prefillFlops` at density
 * 1/C when the prefill method is sparse, and `decodeBytesPerStep` (weights plus the KV cache
 * read, at density 1/C when the decode method is sparse), given the model's config.json.
 * Pattern-selection overheads are not included. Undefined when the engine is not in the build.
 * @example const costModel = await loadEngineCostModel(); costModel?.({ model: 'q', config, length: 32768, prefill: 'dense', decode: 'quest', compression: 10 })
 */
export async function loadEngineCostModel(): Promise<CostModel | undefined> {
  let cost: EngineCostModule;
  let config: EngineConfigModule;
  try {
    cost = (await import(ENGINE_COST_MODULE)) as EngineCostModule;
    config = (await import(ENGINE_CONFIG_MODULE)) as EngineConfigModule;
  } catch {
    return undefined;
  }
  if (typeof cost.cellCost === 'function') return cost.cellCost;
  const { prefillFlops, decodeBytes } = cost;
  if (typeof prefillFlops !== 'function' || typeof decodeBytes !== 'function' || typeof config.parseConfig !== 'function') return undefined;
  const specs = new WeakMap<Record<string, unknown>, unknown>();
  return (query) => {
    if (!query.config) return undefined;
    let spec = specs.get(query.config);
    if (spec === undefined) {
      try {
        spec = config.parseConfig(query.config);
      } catch {
        return undefined;
      }
      specs.set(query.config, spec);
    }
    const prefillDensity = query.prefill === 'dense' ? 1 : 1 / query.compression;
    const decodeDensity = query.decode === 'dense' ? 1 : 1 / query.compression;
    const bytes = decodeBytes(spec, query.length, 2, decodeDensity);
    return { prefillFlops: prefillFlops(spec, query.length, prefillDensity), decodeBytesPerStep: bytes.weights + bytes.kvCache };
  };
}

/** One cell on a cost table. */
export interface CostPoint {
  model: string;
  method: string;
  compression: number;
  accuracy: number;
  cost: number;
  /** Measured by the backend, or computed by the cost model. */
  source: 'executed' | 'model';
  /** On the Pareto frontier: no other cell is at least as accurate for less cost. */
  frontier: boolean;
}

/** Accuracy against one cost figure, for one task and length. */
export interface CostTable {
  task: string;
  length: number;
  metric: string;
  points: CostPoint[];
}

/**
 * Whether an executed figure is a cost (work or time: FLOPs, values or bytes read per step,
 * milliseconds), rather than a property of the attention such as its sparsity or density, which
 * the engine records beside them and which falls, not rises, with the work done.
 * @example isCostFigure('prefillFlops') // true
 * @example isCostFigure('prefillSparsity') // false
 */
export function isCostFigure(name: string): boolean {
  return /(Flops|PerStep|Bytes|Ms|Seconds)$/.test(name);
}

function readConfig(path: string | undefined): Record<string, unknown> | undefined {
  if (!path || !existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * Builds the accuracy-against-cost tables, cheapest first, with the Pareto frontier marked.
 * @example costTables(cells, { m: { parameters: 8e9 } }, engineCostModel)[0].points[0] // { model: 'm', cost: 1.2e15, frontier: true, ... }
 */
export function costTables(cells: readonly CellSummary[], models: Record<string, ModelFacts>, costModel?: CostModel): CostTable[] {
  const configs = new Map<string, Record<string, unknown> | undefined>();
  const tables = new Map<string, CostTable>();
  for (const cell of cells) {
    if (cell.mean === null) continue;
    let figures: Record<string, number> = Object.fromEntries(Object.entries(cell.executed).filter(([name]) => isCostFigure(name)));
    let source: CostPoint['source'] = 'executed';
    if (Object.keys(figures).length === 0 && costModel) {
      if (!configs.has(cell.model)) configs.set(cell.model, readConfig(models[cell.model]?.config));
      const query: CostQuery = { model: cell.model, length: cell.length, prefill: cell.prefill, decode: cell.decode, compression: cell.compression };
      const config = configs.get(cell.model);
      if (config) query.config = config;
      const parameters = models[cell.model]?.parameters;
      if (parameters !== undefined) query.parameters = parameters;
      if (cell.meanCompletionTokens !== null) query.outputTokens = cell.meanCompletionTokens;
      figures = Object.fromEntries(Object.entries(costModel(query) ?? {}).filter(([name]) => isCostFigure(name)));
      source = 'model';
    }
    for (const [metric, cost] of Object.entries(figures)) {
      if (!Number.isFinite(cost)) continue;
      const key = JSON.stringify([cell.task, cell.length, metric]);
      let table = tables.get(key);
      if (!table) tables.set(key, (table = { task: cell.task, length: cell.length, metric, points: [] }));
      table.points.push({ model: cell.model, method: `${cell.prefill}/${cell.decode}`, compression: cell.compression, accuracy: cell.mean, cost, source, frontier: false });
    }
  }
  for (const table of tables.values()) {
    table.points.sort((a, b) => a.cost - b.cost || b.accuracy - a.accuracy);
    let best = -Infinity;
    for (const p of table.points) {
      if (p.accuracy > best) {
        p.frontier = true;
        best = p.accuracy;
      }
    }
  }
  return [...tables.values()].sort((a, b) => a.task.localeCompare(b.task) || a.length - b.length || a.metric.localeCompare(b.metric));
}
