// The graph cache's key holds the engine's code by content: a graph written by another version of
// the builders is never reused (a manual version number had gone unbumped through graph changes).
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codeFingerprint, engineCodeFingerprint, ensureGraph, graphKey } from '../../runner/engine/graph/graph-cache.js';
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
