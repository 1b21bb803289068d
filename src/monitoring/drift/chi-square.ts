/**
 * Chi-square goodness of fit of the current counts against the reference shares, as Evidently's
 * `_chi_stat_test` (stattests/chisquare_stattest.py) applies `scipy.stats.chisquare`:
 * expected = reference count * (current rows / reference rows), observed = current count, over
 * every value seen on either side; statistic = sum((obs - exp)^2 / exp), p = chi2.sf(stat, k - 1).
 * A category absent from the reference gives an infinite statistic and p = 0, as in scipy.
 * Drift when p < threshold (0.05; strict, as Evidently).
 */

import { pairedCounts } from './binned-percents.js';
import { chi2Sf } from './chi2-distribution.js';
import type { DriftColumn } from './drift-column.js';
import { DRIFT_METHOD_INFO, type DriftTestResult } from './drift-method.js';

export interface ChiSquareResult {
  readonly statistic: number;
  readonly pValue: number;
  readonly df: number;
}

/** `scipy.stats.chisquare(observed, expected)`. */
export function chiSquare(observed: ArrayLike<number>, expected: ArrayLike<number>): ChiSquareResult {
  let statistic = 0;
  for (let i = 0; i < observed.length; i++) {
    const d = observed[i] - expected[i];
    statistic += (d * d) / expected[i];
  }
  const df = observed.length - 1;
  return { statistic, pValue: chi2Sf(statistic, df), df };
}

export function chiSquareTest(
  reference: DriftColumn,
  current: DriftColumn,
  threshold?: number,
): DriftTestResult {
  const t = threshold ?? DRIFT_METHOD_INFO.chisquare.defaultThreshold;
  const paired = pairedCounts(reference, current);
  if (paired.keys.length < 2) {
    // scipy returns NaN here (zero degrees of freedom); one category cannot drift.
    return { method: 'chisquare', statistic: 0, p_value: 1, threshold: t, drifted: false };
  }
  const kNorm = current.rows / reference.rows;
  const expected = paired.reference.map((c) => c * kNorm);
  const r = chiSquare(paired.current, expected);
  return {
    method: 'chisquare',
    statistic: r.statistic,
    p_value: r.pValue,
    threshold: t,
    drifted: r.pValue < t,
  };
}
