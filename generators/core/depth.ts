// Needle depth: a fixed relative position, a grid walked by sample index, or random.
import type { Random } from './random.js';

/** A depth in [0,1], a list of depths (sample i uses entry i mod length), or 'random'. */
export type DepthParam = number | number[] | 'random';

export const depthSchema = {
  anyOf: [
    { type: 'number', minimum: 0, maximum: 1 },
    { type: 'array', minItems: 1, items: { type: 'number', minimum: 0, maximum: 1 } },
    { const: 'random' },
  ],
};

/**
 * Depths for `count` needles of sample `index`: all at the fixed/grid depth, or each uniform.
 * @example resolveDepths([0, 0.5, 1], 1, 4, rng) // [0.5]
 */
export function resolveDepths(depth: DepthParam, count: number, index: number, rng: Random): number[] {
  if (depth === 'random') return Array.from({ length: count }, () => rng.next());
  const value = Array.isArray(depth) ? (depth[index % depth.length] as number) : depth;
  return Array.from({ length: count }, () => value);
}
