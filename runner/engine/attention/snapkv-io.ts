// Names and parameters shared by SnapKV's prefill state, compress graph (graph/snapkv-compress.ts),
// decode builders (snapkv.ts, ada-snapkv.ts), the engine and the worker; no graph code, so the
// attention registry and the graph modules import it without a cycle.
import { SNAPKV_DEFAULTS, type SnapKvParams } from '../sparse/reference/snapkv.js';

export type SnapKvVariant = 'snapkv' | 'ada-snapkv';

/** Names shared by the prefill graph, the compress graph, the decode graph and the worker. */
export const SNAPKV_IO = {
  capacity: 'attention.decode.capacity',
  /** State name of the prompt's last rotated queries (prefill graph). */
  windowState: 'window_query',
  /** State name of Ada-SnapKV's validity bias (decode graph). */
  maskState: 'snapkv_mask',
  /** Compress outputs: the compacted cache and the kept token indices `[1, kv, M]`. */
  key: (layer: number) => `snapkv.${layer}.key`,
  value: (layer: number) => `snapkv.${layer}.value`,
  kept: (layer: number) => `snapkv.${layer}.kept`,
} as const;

/**
 * Checks and completes SnapKV parameters (the reference's defaults).
 * @throws Error naming a bad parameter.
 */
export function snapKvParams(params: Record<string, unknown> = {}): SnapKvParams {
  const p = { ...SNAPKV_DEFAULTS, ...params } as SnapKvParams & Record<string, unknown>;
  for (const name of ['window', 'kernel', 'recent', 'prefix'] as const) {
    const v = p[name];
    const min = name === 'window' || name === 'kernel' ? 1 : 0;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new Error(`snapkv needs params.${name} as an integer >= ${min}; got ${JSON.stringify(v)}.`);
  }
  if (p.kernel % 2 === 0) throw new Error(`snapkv needs an odd params.kernel; got ${p.kernel}.`);
  if (typeof p.floorRatio !== 'number' || !(p.floorRatio >= 0 && p.floorRatio <= 1)) throw new Error(`snapkv needs params.floorRatio in [0, 1]; got ${JSON.stringify(p.floorRatio)}.`);
  return { window: p.window, kernel: p.kernel, recent: p.recent, prefix: p.prefix, floorRatio: p.floorRatio };
}

