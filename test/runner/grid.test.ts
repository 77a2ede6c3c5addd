import { describe, expect, it } from 'vitest';
import { cellKey, expandGrid, inShard, parseShard } from '../../runner/grid.js';

describe('grid', () => {
  it('orders cells model, setting, dataset and keys them readably', () => {
    const dataset = (name: string, length: number) => ({ name, task: name, length, path: `/d/${name}/${length}` });
    const cells = expandGrid({
      models: [
        { name: 'a', backend: 'oracle' },
        { name: 'b', backend: 'oracle' },
      ],
      datasets: [dataset('ruler/niah', 1024), dataset('ruler/vt', 1024)],
      attention: [
        { prefill: 'dense', decode: 'dense', compression: 1 },
        { prefill: 'dense', decode: 'quest', compression: 5 },
      ],
    });
    expect(cells.map((c) => c.key)).toEqual([
      'a|ruler/niah|1024|dense|dense|1',
      'a|ruler/vt|1024|dense|dense|1',
      'a|ruler/niah|1024|dense|quest|5',
      'a|ruler/vt|1024|dense|quest|5',
      'b|ruler/niah|1024|dense|dense|1',
      'b|ruler/vt|1024|dense|dense|1',
      'b|ruler/niah|1024|dense|quest|5',
      'b|ruler/vt|1024|dense|quest|5',
    ]);
    expect(cellKey('m', 't', 1, { prefill: 'block-sparse', decode: 'dense', compression: 10, params: { blockSize: 64 } })).toMatch(/^m\|t\|1\|block-sparse\|dense\|10\|[0-9a-f]{8}$/);
  });

  it('parses shards and rejects bad ones', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    for (const bad of ['3/3', '1', 'a/b', '0/0', '-1/2']) expect(() => parseShard(bad)).toThrow(/Invalid shard/);
  });

  it('puts every pair in exactly one shard, with near-equal shares', () => {
    const count = 4;
    const sizes = new Array<number>(count).fill(0);
    for (let c = 0; c < 10; c++) {
      for (let s = 0; s < 400; s++) {
        const owners = [0, 1, 2, 3].filter((index) => inShard(`cell-${c}`, `sample-${s}`, { index, count }));
        expect(owners).toHaveLength(1);
        sizes[owners[0] as number]!++;
      }
    }
    for (const size of sizes) expect(Math.abs(size - 1000)).toBeLessThan(100);
    expect(inShard('x', 'y', undefined)).toBe(true);
  });
});
