/**
 * Regression metrics with scikit-learn's semantics (sklearn.metrics 1.9): MAE, RMSE
 * (`root_mean_squared_error`), MAPE as a fraction with |y| floored at float64 epsilon, and R²
 * with `force_finite=True` (a constant y_true gives 1 for a perfect fit, else 0; fewer than two
 * rows give NaN).
 */
import { checkSameLength } from './labels.js';

const EPS = 2.220446049250313e-16;

export function meanAbsoluteError(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkSameLength('mean_absolute_error', yTrue, yPred);
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) s += Math.abs(yPred[i] - yTrue[i]);
  return s / yTrue.length;
}

export function rootMeanSquaredError(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkSameLength('root_mean_squared_error', yTrue, yPred);
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const d = yTrue[i] - yPred[i];
    s += d * d;
  }
  return Math.sqrt(s / yTrue.length);
}

export function meanAbsolutePercentageError(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkSameLength('mean_absolute_percentage_error', yTrue, yPred);
  let s = 0;
  for (let i = 0; i < yTrue.length; i++)
    s += Math.abs(yPred[i] - yTrue[i]) / Math.max(Math.abs(yTrue[i]), EPS);
  return s / yTrue.length;
}

export function r2Score(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkSameLength('r2_score', yTrue, yPred);
  const n = yTrue.length;
  if (n < 2) return Number.NaN;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += yTrue[i];
  mean /= n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const r = yTrue[i] - yPred[i];
    const d = yTrue[i] - mean;
    num += r * r;
    den += d * d;
  }
  if (den === 0) return num === 0 ? 1 : 0;
  return 1 - num / den;
}
