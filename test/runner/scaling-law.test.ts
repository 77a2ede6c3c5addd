import { describe, expect, it } from 'vitest';
import { leastSquares } from '../../runner/analysis/linear-least-squares.js';
import { pearson, rSquared, spearman } from '../../runner/analysis/rank-correlation.js';
import { fitScalingLaw, predictAccuracy, validateScalingLaw, type ScalingPoint } from '../../runner/analysis/scaling-law.js';
import { Random } from '../../generators/core/random.js';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const TRUE = { alpha: 0.6, beta: -0.35, gamma: -0.5, offsets: { 'ruler/niah': -8, 'story/multihop': -9.5, 'qa/squad': -7.2 } as Record<string, number> };

function synthetic(noise = 0, seed = 'law'): ScalingPoint[] {
  const rng = new Random(seed);
  const points: ScalingPoint[] = [];
  for (const task of Object.keys(TRUE.offsets)) {
    for (const parameters of [1e9, 4e9, 8e9, 32e9]) {
      for (const length of [4096, 16384, 65536, 131072]) {
        for (const compression of [1, 2, 5, 10, 20]) {
          const z = TRUE.alpha * Math.log(parameters) + TRUE.beta * Math.log(length) + TRUE.gamma * Math.log(compression) + (TRUE.offsets[task] as number);
          points.push({ task, parameters, length, compression, accuracy: sigmoid(z + noise * (rng.next() - 0.5)) });
        }
      }
    }
  }
  return points;
}

describe('least squares and correlations', () => {
  it('solves an exact linear system and refuses a singular one', () => {
    const b = leastSquares([[1, 0], [1, 1], [1, 2]], [1, 3, 5]);
    expect(b[0]).toBeCloseTo(1, 12);
    expect(b[1]).toBeCloseTo(2, 12);
    expect(() => leastSquares([[1, 2], [2, 4], [3, 6]], [1, 2, 3])).toThrow(/linearly dependent/);
    expect(() => leastSquares([[1, 2, 3]], [1])).toThrow(/at least 3 rows/);
  });

  it('computes Spearman with averaged ties, Pearson and R^2', () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 25])).toBeCloseTo(0.8, 12);
    expect(spearman([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    expect(spearman([1, 1, 2, 3], [1, 2, 3, 4])).toBeCloseTo(0.9486832980505138, 12);
    expect(pearson([1, 2, 3], [1, 1, 1])).toBeNaN();
    expect(rSquared([1, 2, 3], [1, 2, 3])).toBe(1);
    expect(rSquared([1, 2, 3], [2, 2, 2])).toBe(0);
  });
});

describe('scaling law', () => {
  it('recovers the coefficients of noise-free synthetic data exactly', () => {
    const fit = fitScalingLaw(synthetic());
    expect(fit.points).toBe(240);
    expect(fit.alpha).toBeCloseTo(TRUE.alpha, 6);
    expect(fit.beta).toBeCloseTo(TRUE.beta, 6);
    expect(fit.gamma).toBeCloseTo(TRUE.gamma, 6);
    for (const [task, offset] of Object.entries(TRUE.offsets)) expect(fit.taskOffsets[task]).toBeCloseTo(offset, 5);
    expect(fit.r2).toBeCloseTo(1, 10);
    expect(predictAccuracy(fit, { task: 'qa/squad', parameters: 8e9, length: 32768, compression: 8 })).toBeCloseTo(
      sigmoid(TRUE.alpha * Math.log(8e9) + TRUE.beta * Math.log(32768) + TRUE.gamma * Math.log(8) - 7.2),
      6,
    );
    expect(predictAccuracy(fit, { task: 'unseen', parameters: 1, length: 1, compression: 1 })).toBeUndefined();
  });

  it('predicts every held-out axis perfectly on noise-free data', () => {
    const points = synthetic();
    for (const axis of ['length', 'parameters', 'compression'] as const) {
      const v = validateScalingLaw(points, axis);
      if ('reason' in v) throw new Error(v.reason);
      expect(v.heldOut).toBe({ length: 131072, parameters: 32e9, compression: 20 }[axis]);
      expect(v.r2).toBeCloseTo(1, 8);
      expect(v.spearman).toBeCloseTo(1, 10);
      expect(v.trainPoints + v.testPoints).toBe(240);
    }
  });

  it('stays close under noise, with lower but high held-out figures', () => {
    const fit = fitScalingLaw(synthetic(0.6, 'noisy'));
    expect(Math.abs((fit.gamma as number) - TRUE.gamma)).toBeLessThan(0.1);
    expect(fit.r2).toBeGreaterThan(0.9);
    expect(fit.r2).toBeLessThan(1);
    const v = validateScalingLaw(synthetic(0.6, 'noisy'), 'compression');
    if ('reason' in v) throw new Error(v.reason);
    expect(v.spearman).toBeGreaterThan(0.9);
  });

  it('leaves out terms of constant axes and says why a validation cannot run', () => {
    const oneModel = synthetic().filter((p) => p.parameters === 8e9 && p.length <= 16384);
    const fit = fitScalingLaw(oneModel);
    expect(fit.alpha).toBeNull();
    expect(fit.beta).toBeCloseTo(TRUE.beta, 6);
    expect(validateScalingLaw(oneModel, 'parameters')).toEqual({ axis: 'parameters', reason: 'needs at least 3 distinct values of parameters, found 1' });
    expect(validateScalingLaw(oneModel, 'length')).toEqual({ axis: 'length', reason: 'needs at least 3 distinct values of length, found 2' });
    expect(() => fitScalingLaw([{ task: 'a', parameters: 1, length: 1, compression: 1, accuracy: 0.5 }, { task: 'a', parameters: 1, length: 2, compression: 1, accuracy: 0.5 }].slice(0, 0))).toThrow(
      /at least one point/,
    );
  });

  it('clips accuracies of 0 and 1 by half a sample before the logit', () => {
    const points: ScalingPoint[] = [1, 2, 5, 10].map((compression, i) => ({ task: 't', parameters: 1, length: 1, compression, accuracy: [1, 1, 0.5, 0][i] as number, n: 50 }));
    const fit = fitScalingLaw(points);
    expect(Number.isFinite(fit.gamma)).toBe(true);
    expect(fit.gamma as number).toBeLessThan(0);
  });
});
