/**
 * Population Stability Index, as Evidently computes it (`stattests/psi.py`):
 * sum((ref - cur) * ln(ref / cur)) over Evidently's bins with empty bins filled
 * (`get_binned_data(..., feel_zeroes=True)`); drift when PSI >= threshold (0.1).
 * Bins: Sturges equal-width bins over the pooled range for numeric columns with more than 20
 * distinct reference values, one bin per value or category otherwise — see binned-percents.ts.
 */
import { binnedPercents } from './binned-percents.js';
import type { DriftColumn } from './drift-column.js';
import { DRIFT_METHOD_INFO, type DriftTestResult } from './drift-method.js';

/** PSI of two share vectors over the same bins (natural log). */
export function psi(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i];
    const c = current[i];
    sum += (r - c) * Math.log(r / c);
  }
  return sum;
}

export function psiTest(reference: DriftColumn, current: DriftColumn, threshold?: number): DriftTestResult {
  const t = threshold ?? DRIFT_METHOD_INFO.psi.defaultThreshold;
  const shares = binnedPercents(reference, current, true);
  const statistic = psi(shares.reference, shares.current);
  return { method: 'psi', statistic, p_value: null, threshold: t, drifted: statistic >= t };
}
