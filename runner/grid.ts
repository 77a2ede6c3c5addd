// The grid of a run: one cell per (model, dataset, attention setting), in a fixed order, and the
// deterministic split of (cell, sample) pairs across shards. The order keeps each model's cells of
// one attention setting together, and settings that run on the same engine graphs next to each
// other: the engine backend holds one graph at a time and reloads its sessions whenever the graph
// changes between requests (about 15 s for a 7B model on a GPU).
import { createHash } from 'node:crypto';
import { canonicalJson } from '../generators/core/seed.js';
import type { DatasetRef, ModelSpec, ResolvedRecipe } from './recipe/types.js';
import type { AttentionSetting } from './types.js';

/** One cell of the grid. */
export interface Cell {
  key: string;
  model: ModelSpec;
  dataset: DatasetRef;
  attention: AttentionSetting;
}

/** A shard: this machine runs the pairs whose hash modulo `count` is `index`. */
export interface Shard {
  index: number;
  count: number;
}

/**
 * The key of a cell: readable, stable, unique within a run (method parameters add a short hash).
 * @example cellKey('m', 'ruler/niah', 4096, { prefill: 'dense', decode: 'dense', compression: 1 }) // 'm|ruler/niah|4096|dense|dense|1'
 */
export function cellKey(model: string, dataset: string, length: number, attention: AttentionSetting): string {
  const base = `${model}|${dataset}|${length}|${attention.prefill}|${attention.decode}|${attention.compression}`;
  if (!attention.params || Object.keys(attention.params).length === 0) return base;
  const hash = createHash('sha256').update(canonicalJson(attention.params)).digest('hex').slice(0, 8);
  return `${base}|${hash}`;
}

/**
 * The engine graphs an attention setting runs on, as the engine backend keys them (`planAttention`
 * in runner/engine/backend.ts): the prefill and decode methods and the method parameters. The
 * compression ratio is not part of it (budgets are graph inputs), and at C = 1 every setting runs
 * the dense graphs.
 * @example attentionGraph({ prefill: 'a-shape', decode: 'dense', compression: 5 }) // 'a-shape/dense'
 * @example attentionGraph({ prefill: 'a-shape', decode: 'dense', compression: 1 }) // 'dense/dense'
 */
export function attentionGraph(attention: AttentionSetting): string {
  const sparse = attention.compression > 1;
  const prefill = sparse ? attention.prefill : 'dense';
  const decode = sparse ? attention.decode : 'dense';
  if (prefill === 'dense' && decode === 'dense') return 'dense/dense';
  const params = attention.params && Object.keys(attention.params).length > 0 ? ` ${JSON.stringify(attention.params)}` : '';
  return `${prefill}/${decode}${params}`;
}

/**
 * Attention settings in run order: grouped by {@link attentionGraph}, the dense graphs first (the
 * engine backend opens with them loaded), then the other graphs in order of first appearance;
 * within a graph, settings keep their recipe order. Stable and deterministic, so a backend that
 * swaps graphs loads each one once per model.
 * @example orderAttention([{ prefill: 'a-shape', decode: 'dense', compression: 2 }, { prefill: 'dense', decode: 'dense', compression: 1 }]).map((s) => s.prefill) // ['dense', 'a-shape']
 */
export function orderAttention(settings: readonly AttentionSetting[]): AttentionSetting[] {
  const groups = new Map<string, AttentionSetting[]>([['dense/dense', []]]);
  for (const setting of settings) {
    const graph = attentionGraph(setting);
    const group = groups.get(graph);
    if (group) group.push(setting);
    else groups.set(graph, [setting]);
  }
  return [...groups.values()].flat();
}

/**
 * All cells: models outermost (a backend is created once per model), then attention settings in
 * {@link orderAttention} order, then datasets in recipe order. Each model's requests of one setting
 * run consecutively, so the engine reloads its graphs once per distinct graph, not once per
 * dataset and setting.
 */
export function expandGrid(resolved: Pick<ResolvedRecipe, 'models' | 'datasets' | 'attention'>): Cell[] {
  const cells: Cell[] = [];
  const settings = orderAttention(resolved.attention);
  for (const model of resolved.models) {
    for (const attention of settings) {
      for (const dataset of resolved.datasets) {
        cells.push({ key: cellKey(model.name, dataset.name, dataset.length, attention), model, dataset, attention });
      }
    }
  }
  return cells;
}

/**
 * Parses `i/n` (0-based i).
 * @throws Error naming the accepted form.
 * @example parseShard('1/4') // { index: 1, count: 4 }
 */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index >= count) {
    throw new Error(`Invalid shard "${text}": use i/n with 0 <= i < n, e.g. 0/4.`);
  }
  return { index, count };
}

// FNV-1a, 32 bits: fast, stable across machines and Node versions.
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Whether a (cell, sample) pair belongs to a shard. Every pair lands in exactly one shard, the
 * same one on every machine, and shards get near-equal shares of every cell.
 * @example inShard('m|t|4096|dense|dense|1', 'id-1', { index: 0, count: 1 }) // true
 */
export function inShard(cell: string, sampleId: string, shard: Shard | undefined): boolean {
  if (!shard || shard.count === 1) return true;
  return fnv1a(`${cell}\u0000${sampleId}`) % shard.count === shard.index;
}
