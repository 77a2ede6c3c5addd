// The cell table's effective compression: 1 / (1 - the mean sparsity the engine recorded), shown
// next to the setting's C (they differ for Vertical-Slash and FlexPrefill, whose kept pairs depend on
// the input), '-' for dense cells and cells without a recorded sparsity.
import { describe, expect, it } from 'vitest';
import { cellTable } from '../../runner/report/tables.js';
import type { CellSummary } from '../../runner/analysis/cells.js';
import type { RunSummary } from '../../runner/analysis/summary.js';

const cell = (compression: number, meanSparsity: number | null): CellSummary => ({
  model: 'm', task: 'ruler/niah', length: 4096, prefill: compression === 1 ? 'dense' : 'vertical-slash', decode: 'dense', compression, n: 10, failures: 0,
  mean: 0.5, ci: null, passRate: null, noAnswerRate: 0, truncationRate: 0, meanLatencyMs: 100, meanPromptTokens: 4000, meanCompletionTokens: 5,
  meanInputTokens: 4000, promptTokenDelta: null, meanSparsity, executed: {},
});

describe('cell table', () => {
  it('shows the measured effective compression next to the setting', () => {
    const table = cellTable({ cells: [cell(1, 0), cell(10, 0.75), cell(20, null)], config: { failed: 'excluded' } } as unknown as RunSummary);
    const at = table.headers.indexOf('eff. C');
    expect(table.headers[at - 1]).toBe('C');
    expect(table.rows.map((r) => [r[at - 1], r[at]])).toEqual([['1', '-'], ['10', '4.00'], ['20', '-']]);
    expect(table.numeric).toHaveLength(table.headers.length);
  });
});
