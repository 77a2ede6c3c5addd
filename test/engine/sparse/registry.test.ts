import { describe, expect, it } from 'vitest';
import { prefillFlops } from '../../../runner/engine/cost.js';
import { sparseCellCost } from '../../../runner/engine/sparse/cell-cost.js';
import { PAPER_MODEL_CONFIGS, paperModelSpec } from '../../../runner/engine/sparse/paper-models.js';
import { DECODE_METHOD_IDS, PREFILL_METHOD_IDS, resolveAttention, SPARSE_METHODS, sparseMethod } from '../../../runner/engine/sparse/registry.js';

describe('sparse method registry', () => {
  it('lists the methods by phase, dense first', () => {
    expect(PREFILL_METHOD_IDS).toEqual(['dense', 'vertical-slash', 'block-sparse', 'flexprefill', 'a-shape']);
    expect(DECODE_METHOD_IDS).toEqual(['dense', 'quest', 'snapkv', 'ada-snapkv', 'streaming-llm']);
    for (const [id, m] of Object.entries(SPARSE_METHODS)) {
      expect(m.id).toBe(id);
      expect(m.description.length).toBeGreaterThan(20);
    }
    expect(Object.values(SPARSE_METHODS).filter((m) => m.paper).map((m) => m.id)).toEqual(['vertical-slash', 'block-sparse', 'flexprefill', 'quest', 'snapkv', 'ada-snapkv']);
  });

  it('looks methods up by phase and names the allowed ids', () => {
    expect(sparseMethod('quest', 'decode').id).toBe('quest');
    expect(() => sparseMethod('quest', 'prefill')).toThrow('Unknown prefill method "quest"; allowed: dense, vertical-slash, block-sparse, flexprefill, a-shape.');
    expect(() => sparseMethod('nope')).toThrow(/Unknown attention method "nope"; allowed: dense, vertical-slash/);
  });

  it('resolves an attention setting into budgets and expected sparsity', () => {
    expect(resolveAttention({ prefill: 'dense', decode: 'dense', compression: 1 }, 1000)).toEqual({});
    const r = resolveAttention({ prefill: 'block-sparse', decode: 'quest', compression: 10 }, 32768);
    expect(r.prefill).toEqual({ method: 'block-sparse', budget: { blockSize: 16, topBlocks: 105 }, sparsity: expect.closeTo(0.9, 2) });
    expect(r.decode?.budget).toEqual({ pageSize: 16, pageBudget: 205 });
    expect(r.decode?.sparsity).toBeCloseTo(1 - (205 * 16 + 16) / 32768, 12);
    const vs = resolveAttention({ prefill: 'vertical-slash', decode: 'dense', compression: 5 }, 16384);
    expect(vs.prefill).toEqual({ method: 'vertical-slash', budget: { verticalCount: 448, slashCount: 448 }, sparsity: expect.closeTo(0.8, 12) });
    const small = resolveAttention({ prefill: 'a-shape', decode: 'snapkv', compression: 4, params: { sink: 8, recent: 16, prefix: 2 } }, 1000);
    expect(small.prefill?.budget.sink).toBe(8);
    expect(small.decode?.budget).toEqual({ capacity: 250 });
  });

  it('refuses bad settings, naming the field', () => {
    expect(() => resolveAttention({ prefill: 'dense', decode: 'dense', compression: 5 }, 100)).toThrow(/compression 5 needs a sparse prefill \(--attention\) or decode \(--decode-attention\) method/);
    expect(() => resolveAttention({ prefill: 'quest', decode: 'dense', compression: 2 }, 100)).toThrow(/Unknown prefill method "quest"/);
    expect(() => resolveAttention({ prefill: 'dense', decode: 'vertical-slash', compression: 2 }, 100)).toThrow(/Unknown decode method "vertical-slash"/);
    expect(() => resolveAttention({ prefill: 'a-shape', decode: 'dense', compression: 0.5 }, 100)).toThrow(/compression is 0.5/);
  });
});

describe('cell cost for the runner', () => {
  const config = PAPER_MODEL_CONFIGS['qwen2.5-7b'] as Record<string, unknown>;
  it('is the dense prefill and decode at dense/dense', () => {
    const cost = sparseCellCost({ model: 'q', config, length: 16384, prefill: 'dense', decode: 'dense', compression: 1 })!;
    expect(cost.prefillFlops).toBeCloseTo(prefillFlops(paperModelSpec('qwen2.5-7b'), 16384), -3);
    expect(cost.prefillSelectionFlops).toBe(0);
    expect(cost.decodeSparsity).toBe(0);
  });
  it('falls with compression and counts SnapKV selection in the prefill', () => {
    const at = (c: number) => sparseCellCost({ model: 'q', config, length: 65536, prefill: 'vertical-slash', decode: 'snapkv', compression: c })!;
    expect(at(10).prefillFlops).toBeLessThan(at(2).prefillFlops!);
    expect(at(10).decodeBytesPerStep).toBeLessThan(at(2).decodeBytesPerStep!);
    expect(at(10).prefillSelectionFlops).toBeGreaterThan(0);
    expect(at(10).decodeSparsity).toBeCloseTo(1 - 6553 / 65536, 12);
  });
  it('is undefined without a config or for an unknown method', () => {
    expect(sparseCellCost({ model: 'q', length: 100, prefill: 'dense', decode: 'dense', compression: 1 })).toBeUndefined();
    expect(sparseCellCost({ model: 'q', config, length: 100, prefill: 'nope', decode: 'dense', compression: 2 })).toBeUndefined();
    expect(sparseCellCost({ model: 'q', config: { hidden_size: 'x' }, length: 100, prefill: 'dense', decode: 'dense', compression: 1 })).toBeUndefined();
  });
});
