// The sparse-attention scaling law of DESIGN.md (paper v1's form):
//   logit(accuracy) = alpha ln N + beta ln L + gamma ln C + delta_task
// fitted by least squares on a run's cells, and validated by holding out the largest value of one
// axis (model size N, sequence length L or compression ratio C), fitting on the rest and
// predicting the held-out cells: R^2 and Spearman's rho on those points. Pure functions.
import { leastSquares } from './linear-least-squares.js';
import { rSquared, spearman } from './rank-correlation.js';

/** One cell's accuracy and coordinates. */
export interface ScalingPoint {
  task: string;
  /** Model size in parameters. */
  parameters: number;
  /** Sequence length in tokens. */
  length: number;
  /** Compression ratio (1 = dense). */
  compression: number;
  /** Mean accuracy in 0..1. */
  accuracy: number;
  /** Samples behind the accuracy (sets the clipping of 0 and 1 before the logit). */
  n?: number;
}

export type ScalingAxis = 'parameters' | 'length' | 'compression';

const AXIS_TERM: Record<ScalingAxis, 'alpha' | 'beta' | 'gamma'> = { parameters: 'alpha', length: 'beta', compression: 'gamma' };

/** A fitted law. Coefficients of axes with a single value in the data are null (not identifiable). */
export interface ScalingLawFit {
  alpha: number | null;
  beta: number | null;
  gamma: number | null;
  /** delta_task per task. */
  taskOffsets: Record<string, number>;
  /** R^2 in logit space on the fitted points. */
  r2: number;
  /** R^2 on accuracy (after the inverse logit) on the fitted points. */
  r2Accuracy: number;
  points: number;
}

/** A held-out-axis validation. */
export interface ScalingValidation {
  axis: ScalingAxis;
  /** The held-out value (the largest of the axis). */
  heldOut: number;
  trainPoints: number;
  testPoints: number;
  /** R^2 and Spearman's rho of predicted against observed accuracy on the held-out points. */
  r2: number;
  spearman: number;
}

/** A validation that could not be run, and why. */
export interface SkippedValidation {
  axis: ScalingAxis;
  reason: string;
}

const logit = (p: number): number => Math.log(p / (1 - p));
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** The accuracy clipped away from 0 and 1 by half a sample (or 0.01 without n), then its logit. */
function target(point: ScalingPoint): number {
  const eps = point.n && point.n > 0 ? 0.5 / point.n : 0.01;
  return logit(Math.min(1 - eps, Math.max(eps, point.accuracy)));
}

function distinct(points: readonly ScalingPoint[], axis: ScalingAxis): number[] {
  return [...new Set(points.map((p) => p[axis]))].sort((a, b) => a - b);
}

/**
 * Fits the law by least squares in logit space. Axes with one value in the data get no term.
 * @throws Error when there are fewer points than unknowns or the terms are collinear.
 * @example
 * const fit = fitScalingLaw(points);
 * predictAccuracy(fit, { task: 'ruler/niah', parameters: 8e9, length: 65536, compression: 10 });
 */
export function fitScalingLaw(points: readonly ScalingPoint[]): ScalingLawFit {
  if (points.length === 0) throw new Error('The scaling law needs at least one point.');
  const axes = (['parameters', 'length', 'compression'] as const).filter((axis) => distinct(points, axis).length > 1);
  const tasks = [...new Set(points.map((p) => p.task))].sort();
  const unknowns = axes.length + tasks.length;
  if (points.length < unknowns) {
    throw new Error(`The scaling law has ${unknowns} unknowns (${axes.length} axes, ${tasks.length} task offsets) but only ${points.length} points.`);
  }
  const rows = points.map((p) => [...axes.map((axis) => Math.log(p[axis])), ...tasks.map((t) => (p.task === t ? 1 : 0))]);
  const y = points.map(target);
  const b = leastSquares(rows, y);
  const fit: ScalingLawFit = { alpha: null, beta: null, gamma: null, taskOffsets: {}, r2: NaN, r2Accuracy: NaN, points: points.length };
  axes.forEach((axis, i) => (fit[AXIS_TERM[axis]] = b[i] as number));
  tasks.forEach((t, i) => (fit.taskOffsets[t] = b[axes.length + i] as number));
  const fittedLogits = rows.map((row) => row.reduce((s, x, i) => s + x * (b[i] as number), 0));
  fit.r2 = rSquared(y, fittedLogits);
  fit.r2Accuracy = rSquared(
    points.map((p) => p.accuracy),
    fittedLogits.map(sigmoid),
  );
  return fit;
}

/**
 * The accuracy the law predicts for a point; undefined for a task the fit has not seen.
 * @example predictAccuracy(fit, { task: 't', parameters: 1e9, length: 4096, compression: 1 })
 */
export function predictAccuracy(fit: ScalingLawFit, point: Pick<ScalingPoint, 'task' | 'parameters' | 'length' | 'compression'>): number | undefined {
  const offset = fit.taskOffsets[point.task];
  if (offset === undefined) return undefined;
  const z =
    offset +
    (fit.alpha ?? 0) * Math.log(point.parameters) +
    (fit.beta ?? 0) * Math.log(point.length) +
    (fit.gamma ?? 0) * Math.log(point.compression);
  return sigmoid(z);
}

/**
 * Holds out the largest value of `axis`, fits on the other points and scores the prediction of
 * the held-out ones. Needs three distinct values of the axis (two left to fit its coefficient).
 * @example validateScalingLaw(points, 'length') // { axis: 'length', heldOut: 131072, r2: 0.91, spearman: 0.88, ... }
 */
export function validateScalingLaw(points: readonly ScalingPoint[], axis: ScalingAxis): ScalingValidation | SkippedValidation {
  const values = distinct(points, axis);
  if (values.length < 3) return { axis, reason: `needs at least 3 distinct values of ${axis}, found ${values.length}` };
  const heldOut = values[values.length - 1] as number;
  const train = points.filter((p) => p[axis] !== heldOut);
  const test = points.filter((p) => p[axis] === heldOut);
  let fit: ScalingLawFit;
  try {
    fit = fitScalingLaw(train);
  } catch (error) {
    return { axis, reason: (error as Error).message };
  }
  const pairs = test
    .map((p) => ({ observed: p.accuracy, predicted: predictAccuracy(fit, p) }))
    .filter((x): x is { observed: number; predicted: number } => x.predicted !== undefined);
  if (pairs.length < 2) return { axis, reason: `only ${pairs.length} held-out point(s) of a task seen in training` };
  return {
    axis,
    heldOut,
    trainPoints: train.length,
    testPoints: pairs.length,
    r2: rSquared(
      pairs.map((p) => p.observed),
      pairs.map((p) => p.predicted),
    ),
    spearman: spearman(
      pairs.map((p) => p.predicted),
      pairs.map((p) => p.observed),
    ),
  };
}
