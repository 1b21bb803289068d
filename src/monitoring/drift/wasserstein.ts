/**
 * Wasserstein-1 distance between two 1-D samples, and Evidently's normed version.
 *
 * `wassersteinDistance` equals `scipy.stats.wasserstein_distance(u, v)` (unweighted):
 * scipy's `_cdf_distance(1, ...)` sums |U(x) - V(x)| * (next pooled value - x) over the pooled,
 * sorted values, with U and V the right-continuous empirical CDFs. Walking both sorted arrays
 * past each distinct value gives the same terms (ties only add zero-width terms).
 */
import { SlipwayError } from '../../core/errors.js';
import { DRIFT_METHOD_INFO, type DriftTestResult } from './drift-method.js';
import { sortedFinite } from './sorted-finite.js';

export interface WassersteinOptions {
  /** Both inputs are already sorted ascending and finite: skip the copy and sort. */
  readonly sorted?: boolean;
}

export function wassersteinDistance(
  u: ArrayLike<number>,
  v: ArrayLike<number>,
  options: WassersteinOptions = {},
): number {
  const x = options.sorted ? (u as Float64Array) : sortedFinite(u);
  const y = options.sorted ? (v as Float64Array) : sortedFinite(v);
  return sortedWasserstein(x, y);
}

function sortedWasserstein(x: Float64Array, y: Float64Array): number {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) {
    throw new SlipwayError(
      'CORE_INVALID_ARGUMENT',
      `wasserstein_distance: both samples need at least one finite value, got ${n1} and ${n2}`,
      { n1, n2 },
    );
  }
  let i = 0;
  let j = 0;
  let sum = 0;
  let value = Math.min(x[0], y[0]);
  while (i < n1 || j < n2) {
    while (i < n1 && x[i] <= value) i++;
    while (j < n2 && y[j] <= value) j++;
    if (i === n1 && j === n2) break;
    const next = i < n1 && (j >= n2 || x[i] <= y[j]) ? x[i] : y[j];
    sum += Math.abs(i / n1 - j / n2) * (next - value);
    value = next;
  }
  return sum;
}

/**
 * Population standard deviation (numpy's default ddof=0), the scale Evidently divides by:
 * `norm = max(float(np.std(reference_data)), 0.001)` in
 * `legacy/calculations/stattests/wasserstein_distance_norm.py`.
 */
export function populationStd(values: ArrayLike<number>): number {
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i] - mean;
    ss += d * d;
  }
  return Math.sqrt(ss / n);
}

export interface WassersteinNormedOptions extends WassersteinOptions {
  readonly threshold?: number;
  /**
   * The reference's population std when it is known exactly and `reference` is only a sample of
   * it (a stored profile): Evidently divides by the std of the whole reference column.
   */
  readonly referenceStd?: number;
}

/** Evidently's "wasserstein" test: W1 / max(std_ref, 0.001), drift when >= threshold (0.1). */
export function wassersteinNormed(
  reference: ArrayLike<number>,
  current: ArrayLike<number>,
  options: WassersteinNormedOptions = {},
): DriftTestResult {
  const threshold = options.threshold ?? DRIFT_METHOD_INFO.wasserstein.defaultThreshold;
  const ref = options.sorted ? (reference as Float64Array) : sortedFinite(reference);
  const cur = options.sorted ? (current as Float64Array) : sortedFinite(current);
  const std = options.referenceStd ?? populationStd(ref);
  const statistic = sortedWasserstein(ref, cur) / Math.max(std, 0.001);
  return { method: 'wasserstein', statistic, p_value: null, threshold, drifted: statistic >= threshold };
}
