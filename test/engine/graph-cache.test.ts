// The graph cache's key holds the engine's code by content: a graph written by another version of
// the builders is never reused (a manual version number had gone unbumped through graph changes).
import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codeFingerprint, engineCodeFingerprint, ensureGraph, graphKey, listGraphCache, pruneGraphCache, WEIGHTS_STORE } from '../../runner/engine/graph/graph-cache.js';
import { openCheckpoint } from '../../runner/engine/checkpoint/checkpoint.js';
import type { GraphSettings } from '../../runner/engine/graph/model-graph.js';
import { writeFixtureCheckpoint } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'lw-graph-cache-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('codeFingerprint', () => {
  it('changes with a source file’s content or name, not with declarations, maps or other files', () => {
    const tree = join(root, 'tree');
    mkdirSync(join(tree, 'graph'), { recursive: true });
    writeFileSync(join(tree, 'graph', 'model-graph.js'), 'export const a = 1;\n');
    writeFileSync(join(tree, 'rope.ts'), 'export const b = 2;\n');
    const first = codeFingerprint(tree);
    expect(first).toMatch(/^[0-9a-f]{24}$/);
    expect(codeFingerprint(tree)).toBe(first);
    writeFileSync(join(tree, 'graph', 'model-graph.d.ts'), 'export declare const a: number;\n');
    writeFileSync(join(tree, 'graph', 'model-graph.js.map'), '{}');
    writeFileSync(join(tree, 'README.md'), 'notes');
    expect(codeFingerprint(tree)).toBe(first);
    writeFileSync(join(tree, 'graph', 'model-graph.js'), 'export const a = 2;\n');
    const edited = codeFingerprint(tree);
    expect(edited).not.toBe(first);
    renameSync(join(tree, 'rope.ts'), join(tree, 'rope2.ts'));
    expect(codeFingerprint(tree)).not.toBe(edited);
  });

  it('fingerprints this engine once per process', () => {
    expect(engineCodeFingerprint()).toMatch(/^[0-9a-f]{24}$/);
    expect(engineCodeFingerprint()).toBe(engineCodeFingerprint());
  });
});

describe('graphKey and ensureGraph', () => {
  const settings: GraphSettings = { precision: 'fp32', logits: 'last', attention: { method: 'dense' }, maxPositions: 64 };

  it('keys the same inputs alike and another engine code differently', () => {
    const ckpt = openCheckpoint(writeFixtureCheckpoint('llama', root));
    const key = graphKey(ckpt.spec, ckpt.weights, settings);
    expect(graphKey(ckpt.spec, ckpt.weights, settings)).toBe(key);
    expect(graphKey(ckpt.spec, ckpt.weights, settings, engineCodeFingerprint())).toBe(key);
    expect(graphKey(ckpt.spec, ckpt.weights, settings, 'another-build')).not.toBe(key);
    expect(graphKey(ckpt.spec, ckpt.weights, { ...settings, maxPositions: 128 })).not.toBe(key);
  });

  it('builds once, then reuses the folder of the key', () => {
    const ckpt = openCheckpoint(writeFixtureCheckpoint('qwen2', root));
    const cache = join(root, 'cache');
    const first = ensureGraph(ckpt.spec, ckpt.weights, settings, cache);
    const again = ensureGraph(ckpt.spec, ckpt.weights, settings, cache);
    expect(first.built).toBe(true);
    expect(again.built).toBe(false);
    expect(again.key).toBe(first.key);
    expect(again.dir).toBe(join(cache, graphKey(ckpt.spec, ckpt.weights, settings)));
    expect(again.nodeCount).toBe(first.nodeCount);
  });
});

describe('shared weights', () => {
  const dense: GraphSettings = { precision: 'fp32', logits: 'last', attention: { method: 'dense' }, maxPositions: 64 };
  const aShape: GraphSettings = { ...dense, attention: { method: 'a-shape' } };

  it('keeps one weights file for every graph of a checkpoint, hard-linked into each graph folder', () => {
    const ckpt = openCheckpoint(writeFixtureCheckpoint('llama', join(root, 'shared')));
    const cache = join(root, 'shared-cache');
    const a = ensureGraph(ckpt.spec, ckpt.weights, dense, cache);
    const b = ensureGraph(ckpt.spec, ckpt.weights, aShape, cache);
    const c = ensureGraph(ckpt.spec, ckpt.weights, { ...dense, logits: 'all', maxPositions: 128 }, cache);
    expect(new Set([a.key, b.key, c.key]).size).toBe(3);
    expect(b.weightsDigest).toBe(a.weightsDigest);
    const blob = join(cache, WEIGHTS_STORE, `${a.weightsDigest}.bin`);
    const inode = statSync(blob).ino;
    for (const g of [a, b, c]) expect(statSync(g.weightsFile).ino).toBe(inode);
    expect(statSync(blob).nlink).toBe(4);
    expect(createHash('sha256').update(readFileSync(blob)).digest('hex')).toBe(a.weightsDigest);

    const listing = listGraphCache(cache);
    expect(listing.graphs.map((g) => [g.key, g.current, g.state, g.method, g.sharedWeights])).toEqual(
      [a, b, c].map((g) => [g.key, true, 'complete', g === b ? 'a-shape' : 'dense', true]).sort((x, y) => (x[0]! < y[0]! ? -1 : 1)),
    );
    expect(listing.weights).toEqual([{ digest: a.weightsDigest, bytes: a.weightBytes, graphs: 3 }]);
    const own = (g: typeof a): number => [g.modelFile, join(g.dir, 'tables.bin'), join(g.dir, 'meta.json')].reduce((sum, f) => sum + statSync(f).size, 0);
    expect(listing.totalBytes).toBe(a.weightBytes + own(a) + own(b) + own(c));
  });

  it('keeps a graph’s own weights copy where the store cannot be made', () => {
    const ckpt = openCheckpoint(writeFixtureCheckpoint('qwen2', join(root, 'no-store')));
    const cache = join(root, 'no-store-cache');
    mkdirSync(cache, { recursive: true });
    writeFileSync(join(cache, WEIGHTS_STORE), 'a file where the store folder would go');
    const g = ensureGraph(ckpt.spec, ckpt.weights, dense, cache);
    expect(statSync(g.weightsFile).nlink).toBe(1);
    expect(statSync(g.weightsFile).size).toBe(g.weightBytes);
    expect(listGraphCache(cache).graphs.map((e) => e.sharedWeights)).toEqual([false]);
  });

  it('prunes graphs of other engine code, dead builds and unreferenced weights, keeping what is current', () => {
    const ckpt = openCheckpoint(writeFixtureCheckpoint('llama', join(root, 'prune')));
    const cache = join(root, 'prune-cache');
    const keep = ensureGraph(ckpt.spec, ckpt.weights, dense, cache);
    const old = ensureGraph(ckpt.spec, ckpt.weights, aShape, cache);
    const meta = join(old.dir, 'meta.json');
    writeFileSync(meta, JSON.stringify({ ...JSON.parse(readFileSync(meta, 'utf8')), code: 'an-older-engine' }));
    // An unfinished build of a process that has ended (pid 2^22 + 1 is above Linux's pid_max).
    mkdirSync(join(cache, `${keep.key}.tmp-4194305`));
    writeFileSync(join(cache, `${keep.key}.tmp-4194305`, 'weights.bin'), new Uint8Array(1000));
    writeFileSync(join(cache, WEIGHTS_STORE, `${'0'.repeat(64)}.bin`), new Uint8Array(2000));

    const listed = listGraphCache(cache);
    expect(listed.graphs.filter((g) => !g.current).map((g) => g.key).sort()).toEqual([old.key, `${keep.key}.tmp-4194305`].sort());
    expect(listed.graphs.find((g) => g.key.endsWith('.tmp-4194305'))?.state).toBe('partial');

    const pruned = pruneGraphCache(cache);
    expect(pruned.removedGraphs.sort()).toEqual([old.key, `${keep.key}.tmp-4194305`].sort());
    expect(pruned.removedWeights).toEqual([`${'0'.repeat(64)}.bin`]);
    expect(pruned.freedBytes).toBe(listed.totalBytes - listGraphCache(cache).totalBytes);
    expect(pruned.freedBytes).toBeGreaterThan(3000);
    expect(existsSync(keep.modelFile)).toBe(true);
    expect(statSync(keep.weightsFile).nlink).toBe(2);
    expect(ensureGraph(ckpt.spec, ckpt.weights, dense, cache).built).toBe(false);

    const cleared = pruneGraphCache(cache, { all: true });
    expect(cleared.removedGraphs).toEqual([keep.key]);
    expect(cleared.removedWeights).toEqual([`${keep.weightsDigest}.bin`]);
    expect(listGraphCache(cache)).toMatchObject({ graphs: [], weights: [], totalBytes: 0 });
  });
});
