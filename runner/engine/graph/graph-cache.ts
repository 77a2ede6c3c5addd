// Built graphs cached on disk, one folder per hash of (the engine's code, model spec, weights
// fingerprint, graph settings). A folder is complete once meta.json exists; building happens in a
// temporary folder that is renamed into place, so an interrupted build is never reused.
// Weights files are kept once per content: every graph of a checkpoint (prefill and decode, each
// attention method, each length) writes the same weights.bin, so the cache keeps it in
// weights/<sha256>.bin and each graph folder holds a hard link to it. Without that, every graph
// stored its own copy (16 GB each for an 8B model in fp16).
import { createHash } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelSpec } from '../checkpoint/config.js';
import type { WeightSource } from '../checkpoint/checkpoint.js';
import { buildModelGraph, type BuiltGraph, type GraphSettings } from './model-graph.js';

/** Bumped when the cache's layout changes (the code that writes graphs is in the key by content). */
export const GRAPH_VERSION = 3;

/** The cache's folder of shared weights files, one per distinct content. */
export const WEIGHTS_STORE = 'weights';

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

/** What meta.json of a cached graph holds. */
interface GraphMeta extends Omit<BuiltGraph, 'modelFile' | 'weightsFile' | 'states'> {
  states?: BuiltGraph['states'];
  buildMs: number;
  settings: GraphSettings;
  spec: ModelSpec;
  /** engineCodeFingerprint() of the code that built it. */
  code?: string;
  version?: number;
}

/**
 * Replaces `file` (a graph's fresh weights.bin) by a hard link to the store's copy of the same
 * content, or makes it that copy when the store has none. Returns false, leaving the file as it
 * is, where the file system has no hard links.
 */
function shareWeights(cacheDir: string, file: string, digest: string): boolean {
  const store = join(cacheDir, WEIGHTS_STORE);
  const blob = join(store, `${digest}.bin`);
  const staging = `${blob}.tmp-${process.pid}`;
  try {
    mkdirSync(store, { recursive: true });
    if (existsSync(blob) && statSync(blob).size === statSync(file).size) {
      linkSync(blob, `${file}.link`);
      renameSync(`${file}.link`, file);
    } else {
      linkSync(file, staging);
      renameSync(staging, blob);
    }
    return true;
  } catch {
    for (const leftover of [`${file}.link`, staging]) {
      try {
        rmSync(leftover, { force: true });
      } catch {
        // nothing was made there
      }
    }
    return false;
  }
}

/**
 * Returns the cached graph for these inputs, building it first when absent.
 * @example const g = ensureGraph(ckpt.spec, ckpt.weights, settings); g.modelFile
 */
export function ensureGraph(spec: ModelSpec, source: WeightSource, settings: GraphSettings, cacheDir = defaultCacheDir()): CachedGraph {
  const key = graphKey(spec, source, settings);
  const dir = join(cacheDir, key);
  const meta = join(dir, 'meta.json');
  const files = { modelFile: join(dir, 'model.onnx'), weightsFile: join(dir, 'weights.bin') };
  if (existsSync(meta)) {
    const built = JSON.parse(readFileSync(meta, 'utf8')) as GraphMeta;
    return { ...built, states: built.states ?? [], ...files, key, dir, built: false };
  }
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const started = performance.now();
  try {
    const { modelFile: _m, weightsFile: _w, ...result } = buildModelGraph(spec, source, settings, tmp);
    shareWeights(cacheDir, join(tmp, 'weights.bin'), result.weightsDigest);
    const buildMs = performance.now() - started;
    const written: GraphMeta = { ...result, buildMs, settings, spec, code: engineCodeFingerprint(), version: GRAPH_VERSION };
    writeFileSync(join(tmp, 'meta.json'), JSON.stringify(written, null, 2));
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    return { ...result, ...files, key, dir, built: true, buildMs };
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
}

/** One graph folder of the cache, as `longweave engine cache` lists it. */
export interface CacheEntry {
  key: string;
  /** Built by this engine's code (reusable); false for another version's graphs and unfinished builds. */
  current: boolean;
  /** 'complete', or 'partial' for a build that was interrupted (no meta.json). */
  state: 'complete' | 'partial';
  architecture?: string;
  method?: string;
  precision?: string;
  maxPositions?: number;
  /** All the settings the graph was built with. */
  settings?: GraphSettings;
  /** Bytes of the folder's own files (model.onnx, meta.json; weights.bin when not shared). */
  bytes: number;
  weightsDigest?: string;
  /** The weights file is a link to the shared store. */
  sharedWeights: boolean;
  modified: string;
}

/** One weights file of the store. */
export interface CacheWeights {
  digest: string;
  bytes: number;
  /** Graph folders linking to it. */
  graphs: number;
}

/** What the cache holds and the disk it takes (hard-linked files counted once). */
export interface CacheListing {
  dir: string;
  code: string;
  graphs: CacheEntry[];
  weights: CacheWeights[];
  totalBytes: number;
}

/** The file's stats, or undefined where it is gone (another process may be pruning). */
function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Lists the graph cache's folders and shared weights files.
 * @example listGraphCache().totalBytes
 */
export function listGraphCache(cacheDir = defaultCacheDir(), code = engineCodeFingerprint()): CacheListing {
  const listing: CacheListing = { dir: cacheDir, code, graphs: [], weights: [], totalBytes: 0 };
  if (!existsSync(cacheDir)) return listing;
  // Hard-linked files are one file on disk: counted once, by device and inode.
  const seen = new Set<string>();
  const addUnique = (st: Stats): void => {
    const id = `${st.dev}:${st.ino}`;
    if (seen.has(id)) return;
    seen.add(id);
    listing.totalBytes += st.size;
  };
  const store = join(cacheDir, WEIGHTS_STORE);
  if (statOf(store)?.isDirectory()) {
    for (const name of readdirSync(store).sort()) {
      const st = statOf(join(store, name));
      if (!st) continue;
      addUnique(st);
      const match = /^([0-9a-f]{64})\.bin$/.exec(name);
      if (match) listing.weights.push({ digest: match[1]!, bytes: st.size, graphs: st.nlink - 1 });
    }
  }
  for (const entry of readdirSync(cacheDir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!entry.isDirectory() || entry.name === WEIGHTS_STORE) continue;
    const dir = join(cacheDir, entry.name);
    let bytes = 0;
    let sharedWeights = false;
    for (const name of readdirSync(dir)) {
      const st = statOf(join(dir, name));
      if (!st) continue;
      addUnique(st);
      if (name === 'weights.bin' && st.nlink > 1) sharedWeights = true;
      else bytes += st.size;
    }
    const modified = statSync(dir).mtime.toISOString();
    let meta: GraphMeta | undefined;
    try {
      meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as GraphMeta;
    } catch {
      meta = undefined;
    }
    listing.graphs.push({
      key: entry.name,
      current: /^[0-9a-f]{24}$/.test(entry.name) && meta?.code === code && meta.version === GRAPH_VERSION,
      state: meta ? 'complete' : 'partial',
      ...(meta ? { architecture: meta.spec.architecture, method: meta.settings.attention.method, precision: meta.settings.precision, maxPositions: meta.settings.maxPositions, settings: meta.settings } : {}),
      bytes,
      ...(meta?.weightsDigest ? { weightsDigest: meta.weightsDigest } : {}),
      sharedWeights,
      modified,
    });
  }
  return listing;
}

/** What pruning removed. */
export interface PruneResult {
  removedGraphs: string[];
  removedWeights: string[];
  freedBytes: number;
}

/** Whether a process with this id is running (an unfinished build of a live process is kept). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes graphs this engine can't reuse (built by other code, or builds interrupted by a process
 * that has ended), then weights files no graph links to any more; with `all`, everything.
 * @example pruneGraphCache().freedBytes
 */
export function pruneGraphCache(cacheDir = defaultCacheDir(), options: { all?: boolean; code?: string } = {}): PruneResult {
  const before = listGraphCache(cacheDir, options.code);
  const result: PruneResult = { removedGraphs: [], removedWeights: [], freedBytes: 0 };
  for (const graph of before.graphs) {
    if (!options.all && graph.current) continue;
    const building = /\.tmp-(\d+)$/.exec(graph.key);
    if (!options.all && building && Number(building[1]) !== process.pid && alive(Number(building[1]))) continue;
    rmSync(join(cacheDir, graph.key), { recursive: true, force: true });
    result.removedGraphs.push(graph.key);
  }
  const store = join(cacheDir, WEIGHTS_STORE);
  if (statOf(store)?.isDirectory()) {
    for (const name of readdirSync(store)) {
      const path = join(store, name);
      const staging = /\.tmp-(\d+)$/.exec(name);
      if (!options.all && (staging ? alive(Number(staging[1])) : (statOf(path)?.nlink ?? 0) > 1)) continue;
      rmSync(path, { force: true });
      result.removedWeights.push(name);
    }
  }
  result.freedBytes = before.totalBytes - listGraphCache(cacheDir, options.code).totalBytes;
  return result;
}
