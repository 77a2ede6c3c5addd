// Speed against dense, per cell: stepwise times are medians of what the engine measured, one-run
// times are split into prefill and decode step by the Theil-Sen line through the cell's samples, and
// a speedup needs a dense cell on the same device in the same generation form.
import { describe, expect, it } from 'vitest';
import { summarizeCells } from '../../runner/analysis/cells.js';
import { median } from '../../runner/analysis/median.js';
import type { Row } from '../../runner/analysis/rows.js';
import { cellSpeeds, type CellSpeed } from '../../runner/analysis/speed.js';
import { theilSen } from '../../runner/analysis/theil-sen.js';
import { generationTimes } from '../../runner/engine/backend.js';

let next = 0;
/** One answered sample of a cell with the engine's recorded times. */
function row(method: string, compression: number, fields: Partial<Row>, model = 'm', length = 4096): Row {
  const [prefill = 'dense', decode = 'dense'] = method.split('/');
  return { model, task: 't', length, prefill, decode, compression, id: `s${next++}`, score: 1, pass: true, noAnswer: false, truncated: false, excluded: false, failed: false, ...fields };
}

/** A stepwise sample on `device`: prefill, median decode step and the whole generation (n tokens). */
function stepwise(method: string, compression: number, prefillMs: number, decodeStepMs: number, tokens = 5, device = 'cpu', extra: Record<string, number> = {}): Row {
  const generationMs = prefillMs + (extra['compressMs'] ?? 0) + decodeStepMs * (tokens - 1);
  return row(method, compression, { device, generation: 'stepwise', completionTokens: tokens, executed: { prefillMs, decodeStepMs, generationMs, ...extra } });
}

/** A one-run sample: only the whole generation's time and its token count. */
function oneRun(method: string, compression: number, generationMs: number, tokens: number, device = 'cuda'): Row {
  return row(method, compression, { device, generation: 'one-run', completionTokens: tokens, executed: { generationMs } });
}

function speeds(rows: Row[]): CellSpeed[] {
  return cellSpeeds(rows, summarizeCells(rows));
}

const find = (list: CellSpeed[], method: string, compression: number, model = 'm'): CellSpeed => list.find((s) => `${s.prefill}/${s.decode}` === method && s.compression === compression && s.model === model)!;

describe('median and theilSen', () => {
  it('take the middle value and the median line', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([3, 1, 2, 10])).toBe(2.5);
    expect(() => median([])).toThrow('The median of an empty list is undefined.');
    // Exact on a line; a warm-up outlier (the last point) moves neither figure.
    expect(theilSen([0, 2, 4, 8], [200, 210, 220, 240])).toEqual({ slope: 5, intercept: 200 });
    expect(theilSen([0, 2, 4, 8, 6], [200, 210, 220, 240, 900])).toEqual({ slope: 5, intercept: 200 });
    expect(() => theilSen([3, 3], [1, 2])).toThrow('Theil-Sen needs at least 2 distinct x values, got 1.');
    expect(() => theilSen([1, 2], [1])).toThrow('Theil-Sen needs as many y values as x values, got 1 and 2.');
  });
});

describe('generationTimes (what an engine prediction records)', () => {
  it('records the median decode step of stepwise generation, and only the whole of one-run', () => {
    expect(generationTimes({ generationMs: 31.00049, prefillMs: 20.1234, chunkMs: [20.1234], decodeMs: [4, 3, 3.5, 9] })).toEqual({ generationMs: 31, prefillMs: 20.123, decodeStepMs: 3.75 });
    expect(generationTimes({ generationMs: 40, prefillMs: 20, chunkMs: [20], decodeMs: [1, 2, 3], compressMs: 5 })).toEqual({ generationMs: 40, prefillMs: 20, decodeStepMs: 2, compressMs: 5 });
    expect(generationTimes({ generationMs: 20, prefillMs: 20, chunkMs: [20], decodeMs: [] })).toEqual({ generationMs: 20, prefillMs: 20 });
    expect(generationTimes({ generationMs: 123.4567, chunkMs: [], decodeMs: [] })).toEqual({ generationMs: 123.457 });
  });
});

describe('cellSpeeds', () => {
  it('stepwise: medians of the measured prefill (with the cache step after it) and decode step, against dense', () => {
    const rows = [
      stepwise('dense/dense', 1, 100, 10),
      stepwise('dense/dense', 1, 120, 12),
      stepwise('dense/dense', 1, 110, 11),
      // A slow outlier in each figure does not move the median.
      stepwise('a-shape/dense', 10, 40, 10),
      stepwise('a-shape/dense', 10, 44, 11),
      stepwise('a-shape/dense', 10, 90, 30),
      // SnapKV's compression counts as prefill: the time until decoding starts.
      stepwise('dense/snapkv', 10, 100, 5.5, 5, 'cpu', { compressMs: 10 }),
      stepwise('dense/snapkv', 10, 100, 5.5, 5, 'cpu', { compressMs: 10 }),
    ];
    const list = speeds(rows);
    expect(list.map((s) => `${s.prefill}/${s.decode}@${s.compression}`)).toEqual(['a-shape/dense@10', 'dense/dense@1', 'dense/snapkv@10']);
    expect(find(list, 'dense/dense', 1)).toMatchObject({ device: 'cpu', generation: 'stepwise', estimate: 'median', timed: 3, prefillMs: 110, decodeStepMs: 11, prefillSpeedup: 1, decodeSpeedup: 1, notes: [] });
    const aShape = find(list, 'a-shape/dense', 10);
    expect(aShape).toMatchObject({ prefillMs: 44, decodeStepMs: 11, prefillSpeedup: 2.5, decodeSpeedup: 1, score: 1, notes: [] });
    // ms/token: the median of generationMs / tokens (dense: 140/5, 168/5, 154/5; A-shape: 80/5, 88/5, 210/5).
    expect(find(list, 'dense/dense', 1).msPerToken).toBeCloseTo(30.8, 12);
    expect(aShape.msPerToken).toBeCloseTo(17.6, 12);
    expect(aShape.tokenSpeedup).toBeCloseTo(1.75, 12);
    expect(find(list, 'dense/snapkv', 10)).toMatchObject({ prefillMs: 110, decodeStepMs: 5.5, prefillSpeedup: 1, decodeSpeedup: 2 });
  });

  it('stepwise predictions written before decodeStepMs give their mean step; one-token outputs give none', () => {
    const old = (prefillMs: number, generationMs: number, tokens: number): Row => row('dense/dense', 1, { device: 'cpu', completionTokens: tokens, executed: { prefillMs, generationMs } });
    // The form is read from the timings (only stepwise generation records prefillMs).
    const [dense] = speeds([old(100, 140, 5), old(100, 160, 5), old(100, 124, 4)]);
    expect(dense).toMatchObject({ generation: 'stepwise', prefillMs: 100, decodeStepMs: 10 });
    const [single] = speeds([old(100, 100, 1), old(100, 100, 1)]);
    expect(single).toMatchObject({ prefillMs: 100, decodeStepMs: null, msPerToken: 100, notes: ['no sample decoded past its first token'] });
  });

  it('one-run: prefill and step are the intercept and slope of the line through the samples', () => {
    // dense: 400 ms + 10 ms a step; Block-Sparse: 200 ms + 5 ms a step, and one warm-up outlier.
    const steps = [0, 2, 4, 8];
    const rows = [
      ...steps.map((s) => oneRun('dense/dense', 1, 400 + 10 * s, s + 1)),
      ...steps.map((s) => oneRun('block-sparse/dense', 20, 200 + 5 * s, s + 1)),
      oneRun('block-sparse/dense', 20, 900, 7),
    ];
    const list = speeds(rows);
    expect(find(list, 'dense/dense', 1)).toMatchObject({ device: 'cuda', generation: 'one-run', estimate: 'line-fit', timed: 4, prefillMs: 400, decodeStepMs: 10, prefillSpeedup: 1, decodeSpeedup: 1, notes: [] });
    expect(find(list, 'block-sparse/dense', 20)).toMatchObject({ estimate: 'line-fit', timed: 5, prefillMs: 200, decodeStepMs: 5, prefillSpeedup: 2, decodeSpeedup: 2, notes: [] });
  });

  it('one-run with a measured prefill: each sample\'s step is its time less the prefill, medians over samples', () => {
    const withPrefill = (row: Row, prefillMs: number): Row => ({ ...row, executed: { ...row.executed, prefillMs } });
    // 400 ms prefill, 10 ms a step (one sample 2 ms slower); one sample ran the one-token generation.
    const rows = [withPrefill(oneRun('dense/dense', 1, 720, 33), 400), oneRun('dense/dense', 1, 722, 33), oneRun('dense/dense', 1, 1040, 65)];
    // Block-Sparse: 100 ms prefill, 5 ms a step; two workers each timed one.
    rows.push(withPrefill(oneRun('block-sparse/dense', 20, 260, 33), 98), withPrefill(oneRun('block-sparse/dense', 20, 260, 33), 102), oneRun('block-sparse/dense', 20, 100, 1));
    const list = speeds(rows);
    expect(find(list, 'dense/dense', 1)).toMatchObject({ estimate: 'prefill-run', prefillMs: 400, decodeStepMs: 10, notes: [] });
    expect(find(list, 'block-sparse/dense', 20)).toMatchObject({ estimate: 'prefill-run', prefillMs: 100, decodeStepMs: 5, prefillSpeedup: 4, decodeSpeedup: 2, notes: [] });
    // One-token outputs only: the prefill, no step.
    const short = speeds([withPrefill(oneRun('dense/dense', 1, 400, 1), 401)]);
    expect(short[0]).toMatchObject({ estimate: 'prefill-run', prefillMs: 401, decodeStepMs: null, notes: ['one-run, every output 1 token: no decode step'] });
  });

  it('one-run with one output length: only the time per token, and why', () => {
    const rows = [oneRun('dense/dense', 1, 600, 32), oneRun('dense/dense', 1, 640, 32), oneRun('dense/quest', 5, 480, 32), oneRun('dense/quest', 5, 500, 32)];
    const list = speeds(rows);
    expect(find(list, 'dense/dense', 1)).toMatchObject({ estimate: 'per-token', prefillMs: null, decodeStepMs: null, msPerToken: 19.375, tokenSpeedup: 1, notes: ['one-run, every output 32 tokens: no prefill/step split'] });
    expect(find(list, 'dense/quest', 5)).toMatchObject({ estimate: 'per-token', msPerToken: 15.3125, prefillSpeedup: null, decodeSpeedup: null, tokenSpeedup: 620 / 490 });
    // Outputs too close in length for a line: 31 and 33 tokens.
    const close = speeds([oneRun('dense/dense', 1, 600, 31), oneRun('dense/dense', 1, 640, 33), oneRun('dense/dense', 1, 610, 32)]);
    expect(close[0]).toMatchObject({ estimate: 'per-token', prefillMs: null, decodeStepMs: null, notes: ['one-run outputs 31-33 tokens: under 8 steps apart, too close for a prefill/step split'] });
    // A fit that gives a non-positive time is not reported as one.
    const noisy = speeds([oneRun('dense/dense', 1, 900, 1), oneRun('dense/dense', 1, 100, 9)]);
    expect(noisy[0]).toMatchObject({ estimate: 'per-token', prefillMs: null, decodeStepMs: null, notes: ['one-run fit not positive (prefill 900 ms, step -100 ms over 2 output lengths)'] });
  });

  it('compares only with dense on the same device and in the same generation form', () => {
    const rows = [
      stepwise('dense/dense', 1, 100, 10, 5, 'cpu'),
      // Another model's dense ran on the CPU, its sparse cell on WebGPU.
      stepwise('dense/dense', 1, 100, 10, 5, 'cpu', {}),
      stepwise('a-shape/dense', 2, 50, 10, 5, 'webgpu'),
      // A cell whose samples ran on two devices (a resumed run on another machine) has no figures.
      stepwise('vertical-slash/dense', 2, 50, 10, 5, 'cpu'),
      stepwise('vertical-slash/dense', 2, 60, 10, 5, 'webgpu'),
      // One-run beside stepwise dense on the same device.
      oneRun('block-sparse/dense', 2, 100, 1, 'cpu'),
      oneRun('block-sparse/dense', 2, 180, 9, 'cpu'),
    ];
    rows[1] = { ...rows[1]!, model: 'other' };
    rows[2] = { ...rows[2]!, model: 'other' };
    const list = speeds(rows);
    expect(find(list, 'a-shape/dense', 2, 'other')).toMatchObject({ device: 'webgpu', prefillMs: 50, prefillSpeedup: null, decodeSpeedup: null, tokenSpeedup: null, notes: ['dense ran on cpu'] });
    expect(find(list, 'vertical-slash/dense', 2)).toMatchObject({ device: null, estimate: null, prefillMs: null, decodeStepMs: null, msPerToken: null, prefillSpeedup: null, notes: ['ran on several devices (cpu, webgpu)'] });
    expect(find(list, 'block-sparse/dense', 2)).toMatchObject({ generation: 'one-run', prefillMs: 100, decodeStepMs: 10, prefillSpeedup: null, notes: ['dense ran stepwise'] });
    // No dense cell at all, and predictions without a device (older runs): figures but no speedup.
    expect(speeds([stepwise('a-shape/dense', 2, 50, 10, 5, 'cpu')])[0]!.notes).toEqual(['no timed dense cell']);
    const unrecorded = speeds([stepwise('dense/dense', 1, 100, 10), stepwise('a-shape/dense', 2, 50, 10)].map(({ device: _device, ...r }) => r));
    expect(unrecorded.map((s) => [s.device, s.prefillMs, s.prefillSpeedup, s.notes])).toEqual([
      [null, 50, null, ['no device recorded']],
      [null, 100, null, ['no device recorded']],
    ]);
  });

  it('leaves out cells without engine timings (servers) and failed requests', () => {
    const server = row('dense/dense', 1, { latencyMs: 900, completionTokens: 12 });
    const { score: _score, ...answered } = stepwise('a-shape/dense', 2, 1, 1);
    const failed: Row = { ...answered, failed: true, error: 'HTTP 500' };
    expect(speeds([server, failed])).toEqual([]);
    const list = speeds([server, stepwise('dense/dense', 1, 100, 10, 5, 'cpu', {}), failed]);
    expect(list).toHaveLength(1);
    expect(list[0]!.timed).toBe(1);
  });
});
