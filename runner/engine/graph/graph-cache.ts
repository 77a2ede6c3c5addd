// Built graphs cached on disk, one folder per hash of (engine graph version, model spec, weights
// fingerprint, graph settings). A folder is complete once meta.json exists; building happens in a
// temporary folder that is renamed into place, so an interrupted build is never reused.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ModelSpec } from '../checkpoint/config.js';
import type { WeightSource } from '../checkpoint/checkpoint.js';
import { buildModelGraph, type BuiltGraph, type GraphSettings } from './model-graph.js';

/** Bumped whenever the graph the engine writes changes for the same inputs. */
export const GRAPH_VERSION = 1;

/** The default cache folder: $LONGWEAVE_ENGINE_CACHE or ~/.cache/longweave/engine. */
export function defaultCacheDir(): string {
  return process.env['LONGWEAVE_ENGINE_CACHE'] ?? join(homedir(), '.cache', 'longweave', 'engine');
}

/** The cache key of a graph. */
export function graphKey(spec: ModelSpec, source: WeightSource, settings: GraphSettings): string {
  return createHash('sha256')
    .update(JSON.stringify({ version: GRAPH_VERSION, spec, weights: source.fingerprint(), settings }))
    .digest('hex')
    .slice(0, 24);
}

/** A cached graph and whether this call built it. */
export interface CachedGraph extends BuiltGraph {
  key: string;
  dir: string;
  built: boolean;
  buildMs: number;
}

/**
 * Returns the cached graph for these inputs, building it first when absent.
 * @example const g = ensureGraph(ckpt.spec, ckpt.weights, settings); g.modelFile
 */
export function ensureGraph(spec: ModelSpec, source: WeightSource, settings: GraphSettings, cacheDir = defaultCacheDir()): CachedGraph {
  const key = graphKey(spec, source, settings);
  const dir = join(cacheDir, key);
  const meta = join(dir, 'meta.json');
  if (existsSync(meta)) {
    const built = JSON.parse(readFileSync(meta, 'utf8')) as Omit<BuiltGraph, 'states'> & { states?: BuiltGraph['states']; buildMs: number };
    return { ...built, states: built.states ?? [], modelFile: join(dir, 'model.onnx'), weightsFile: join(dir, 'weights.bin'), key, dir, built: false };
  }
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const started = performance.now();
  try {
    const result = buildModelGraph(spec, source, settings, tmp);
    const buildMs = performance.now() - started;
    writeFileSync(join(tmp, 'meta.json'), JSON.stringify({ ...result, buildMs, settings, spec }, null, 2));
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    return { ...result, modelFile: join(dir, 'model.onnx'), weightsFile: join(dir, 'weights.bin'), key, dir, built: true, buildMs };
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
}
