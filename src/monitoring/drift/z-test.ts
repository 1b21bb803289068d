/**
 * Two-proportion Z-test, as Evidently's `_z_stat_test` (stattests/z_stattest.py): the smallest
 * value (sorted) is "0" and every other value "1"; z = (p1 - p2) / sqrt(P(1-P)(1/n1 + 1/n2))
 * with the pooled P; p = 2 * (1 - Φ(|z|)), computed in that order like Evidently (so p reaches 0
 * once Φ rounds to 1). When both sides hold one and the same value, p = 1. Drift when
 * p < threshold (0.05).
 */
import { OTHER_KEY, pairedCounts } from './binned-percents.js';
import type { DriftColumn } from './drift-column.js';
import { DRIFT_METHOD_INFO, type DriftTestResult } from './drift-method.js';
import { normalCdf } from './normal-distribution.js';

/** Evidently `proportions_diff_z_stat_ind` from counts: `ones` of `n` rows on each side. */
export function twoProportionZ(ones1: number, n1: number, ones2: number, n2: number): number {
  const p1 = ones1 / n1;
  const p2 = ones2 / n2;
  const P = (p1 * n1 + p2 * n2) / (n1 + n2);
  return (p1 - p2) / Math.sqrt(P * (1 - P) * (1.0 / n1 + 1.0 / n2));
}

/** Evidently `proportions_diff_z_test(z, 'two-sided')`. */
export function twoSidedZPValue(z: number): number {
  return 2 * (1 - normalCdf(Math.abs(z)));
}

export function zTest(reference: DriftColumn, current: DriftColumn, threshold?: number): DriftTestResult {
  const t = threshold ?? DRIFT_METHOD_INFO.z.defaultThreshold;
  const paired = pairedCounts(reference, current);
  const refPresent = presentKeys(paired.keys, paired.reference);
  const curPresent = presentKeys(paired.keys, paired.current);
  if (refPresent.length === 1 && curPresent.length === 1 && refPresent[0] === curPresent[0]) {
    return { method: 'z', statistic: 0, p_value: 1, threshold: t, drifted: false };
  }
  const listed = paired.keys.filter((k) => k !== OTHER_KEY);
  const first = [...listed].sort(compareKeys)[0];
  const at = paired.keys.indexOf(first);
  const ones1 = reference.rows - paired.reference[at];
  const ones2 = current.rows - paired.current[at];
  const z = twoProportionZ(ones1, reference.rows, ones2, current.rows);
  const p = twoSidedZPValue(z);
  return { method: 'z', statistic: z, p_value: p, threshold: t, drifted: p < t };
}

function presentKeys(keys: readonly (string | number)[], counts: Float64Array): (string | number)[] {
  return keys.filter((_, i) => counts[i] > 0);
}

/** Python's `sorted` order: numbers numerically, strings by code point. */
function compareKeys(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}
