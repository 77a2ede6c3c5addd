// Built graphs cached on disk, one folder per hash of (the engine's code, model spec, weights
// fingerprint, graph settings). A folder is complete once meta.json exists; building happens in a
// temporary folder that is renamed into place, so an interrupted build is never reused.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelSpec } from '../checkpoint/config.js';
import type { WeightSource } from '../checkpoint/checkpoint.js';
import { buildModelGraph, type BuiltGraph, type GraphSettings } from './model-graph.js';

/** Bumped when the cache's layout changes (the code that writes graphs is in the key by content). */
export const GRAPH_VERSION = 2;

/**
 * A hash of the engine's code (every .js / .ts file under `root`, by path and content, .d.ts and
 * maps left out): the graph builders, attention plug-ins, ONNX writer and checkpoint readers all
 * live there, so a graph cached by another version of the code is never reused for this one.
 * A manual version number had gone unbumped through many graph changes.
 */
export function codeFingerprint(root: string): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(js|ts)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) hash.update(relative(root, path)).update('\0').update(readFileSync(path)).update('\0');
    }
  };
  walk(root);
  return hash.digest('hex').slice(0, 24);
}

let engineCode: string | undefined;
/** codeFingerprint of this engine (runner/engine, compiled or source), computed once per process. */
export function engineCodeFingerprint(): string {
  return (engineCode ??= codeFingerprint(dirname(dirname(fileURLToPath(import.meta.url)))));
}

/** The default cache folder: $LONGWEAVE_ENGINE_CACHE or ~/.cache/longweave/engine. */
export function defaultCacheDir(): string {
  return process.env['LONGWEAVE_ENGINE_CACHE'] ?? join(homedir(), '.cache', 'longweave', 'engine');
}

/** The cache key of a graph. */
export function graphKey(spec: ModelSpec, source: WeightSource, settings: GraphSettings, code = engineCodeFingerprint()): string {
  return createHash('sha256')
    .update(JSON.stringify({ version: GRAPH_VERSION, code, spec, weights: source.fingerprint(), settings }))
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
