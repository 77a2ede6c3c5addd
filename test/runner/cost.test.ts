import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CellSummary } from '../../runner/analysis/cells.js';
import { costTables, isCostFigure, loadEngineCostModel } from '../../runner/analysis/cost.js';
import { formatCost } from '../../runner/report/tables.js';

function cell(over: Partial<CellSummary>): CellSummary {
  return {
    model: 'm', task: 't', length: 1024, prefill: 'dense', decode: 'dense', compression: 1, n: 10, failures: 0, mean: 0.9, ci: null, passRate: null, noAnswerRate: null,
    truncationRate: null, meanLatencyMs: null, meanPromptTokens: null, meanCompletionTokens: null, meanInputTokens: null, promptTokenDelta: null, meanSparsity: null, executed: {}, ...over,
  };
}

const QWEN2_CONFIG = {
  architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14,
  num_key_value_heads: 2, vocab_size: 151936, max_position_embeddings: 32768, rope_theta: 1000000, rms_norm_eps: 1e-6, tie_word_embeddings: true, hidden_act: 'silu', torch_dtype: 'bfloat16',
};

describe('cost tables', () => {
  it('use measured work first, sort by cost and mark the Pareto frontier', () => {
    const tables = costTables(
      [
        cell({ model: 'big', mean: 0.95, executed: { attentionFlops: 400 } }),
        cell({ model: 'big', decode: 'quest', compression: 4, mean: 0.9, executed: { attentionFlops: 100 } }),
        cell({ model: 'small', mean: 0.8, executed: { attentionFlops: 150 } }),
        cell({ model: 'small', decode: 'quest', compression: 4, mean: 0.6, executed: { attentionFlops: 40 } }),
      ],
      {},
      () => ({ attentionFlops: 1 }),
    );
    expect(tables).toHaveLength(1);
    expect(tables[0]!.points.map((p) => [p.model, p.cost, p.accuracy, p.frontier, p.source])).toEqual([
      ['small', 40, 0.6, true, 'executed'],
      ['big', 100, 0.9, true, 'executed'],
      ['small', 150, 0.8, false, 'executed'],
      ['big', 400, 0.95, true, 'executed'],
    ]);
  });

  it("falls back to the engine's Appendix B formulas given the model config", async () => {
    const costModel = await loadEngineCostModel();
    expect(costModel).toBeTypeOf('function');
    if (!costModel) return;
    const dir = mkdtempSync(join(tmpdir(), 'lw-cost-'));
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify(QWEN2_CONFIG));
    const tables = costTables(
      [cell({}), cell({ prefill: 'vertical-slash', compression: 10, mean: 0.85 }), cell({ decode: 'quest', compression: 10, mean: 0.8 })],
      { m: { config } },
      costModel,
    );
    const prefill = tables.find((t) => t.metric === 'prefillFlops')!;
    const decode = tables.find((t) => t.metric === 'decodeBytesPerStep')!;
    const flops = (method: string): number => prefill.points.find((p) => p.method === method)!.cost;
    const bytes = (method: string): number => decode.points.find((p) => p.method === method)!.cost;
    expect(flops('vertical-slash/dense')).toBeLessThan(flops('dense/dense'));
    expect(flops('dense/quest')).toBe(flops('dense/dense'));
    expect(bytes('dense/quest')).toBeLessThan(bytes('dense/dense'));
    expect(bytes('vertical-slash/dense')).toBe(bytes('dense/dense'));
    // Dense prefill at L = 1024 by the formula: attention counts L^2 (not the causal half).
    const L = 1024, d = 896, N = 24, h = 14, dh = 64, kv = 2, m = 4864, V = 151936;
    const expected = 2 * L * d + N * (2 * L * d * (2 * d + 2 * dh * kv) + (4 * h * L * L * dh + 3 * h * L * L)) + N * (6 * L * d * m + 2 * L * m) + 2 * L * d * V;
    expect(flops('dense/dense')).toBe(expected);
    expect(prefill.points.every((p) => p.source === 'model')).toBe(true);
  });

  it('takes only costs from executed figures: sparsity is not a cost, and the least sparse point is no frontier', () => {
    const tables = costTables(
      [
        cell({ mean: 0.9, executed: { prefillFlops: 1000, prefillSparsity: 0, prefillMs: 50 } }),
        cell({ prefill: 'block-sparse', compression: 4, mean: 0.9, executed: { prefillFlops: 400, prefillSparsity: 0.75, prefillSparsityTarget: 0.75, prefillGatheredDensity: 0.3, prefillMs: 20 } }),
        cell({ prefill: 'block-sparse', compression: 10, mean: 0.6, executed: { prefillFlops: 200, prefillSparsity: 0.9, prefillMs: 12.5 } }),
      ],
      {},
    );
    expect(tables.map((t) => t.metric)).toEqual(['prefillFlops', 'prefillMs']);
    expect(tables[0]!.points.map((p) => [p.compression, p.cost, p.frontier])).toEqual([
      [10, 200, true],
      [4, 400, true],
      [1, 1000, false],
    ]);
    expect([0.123456, 12.5, 523.4, 1.234e15].map(formatCost)).toEqual(['0.123', '12.5', '523', '1.23e+15']);
    expect(isCostFigure('decodeKvValuesPerStep')).toBe(true);
    expect(isCostFigure('decodeSparsity')).toBe(false);
  });
});
