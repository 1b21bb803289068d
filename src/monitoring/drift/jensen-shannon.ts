/**
 * Jensen–Shannon distance, as Evidently computes it (`stattests/jensenshannon.py`):
 * `scipy.spatial.distance.jensenshannon(ref, cur, base=None)` over Evidently's bins *without*
 * filling empty bins. base=None means natural logarithms, so the distance lies in
 * [0, sqrt(ln 2)] ≈ [0, 0.833], not [0, 1]. Drift when distance >= threshold (0.1).
 */
import { binnedPercents } from './binned-percents.js';
import type { DriftColumn } from './drift-column.js';
import { DRIFT_METHOD_INFO, type DriftTestResult } from './drift-method.js';

/**
 * scipy's `jensenshannon(p, q, base)`: both vectors normalised to sum 1, m = (p + q) / 2,
 * sqrt((KL(p||m) + KL(q||m)) / 2), with KL terms 0 where p is 0 (rel_entr).
 */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>, base?: number): number {
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) {
    sp += p[i];
    sq += q[i];
  }
  let left = 0;
  let right = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i] / sp;
    const qi = q[i] / sq;
    const m = (pi + qi) / 2.0;
    left += relEntr(pi, m);
    right += relEntr(qi, m);
  }
  let js = left + right;
  if (base !== undefined) js /= Math.log(base);
  return Math.sqrt(js / 2.0);
}

/** scipy.special.rel_entr: x log(x/y), 0 at x = 0, +inf when y = 0 < x. */
function relEntr(x: number, y: number): number {
  if (x > 0 && y > 0) return x * Math.log(x / y);
  if (x === 0 && y >= 0) return 0;
  return Number.POSITIVE_INFINITY;
}

export function jensenShannonTest(
  reference: DriftColumn,
  current: DriftColumn,
  threshold?: number,
): DriftTestResult {
  const t = threshold ?? DRIFT_METHOD_INFO.jensenshannon.defaultThreshold;
  const shares = binnedPercents(reference, current, false);
  const statistic = jensenShannonDistance(shares.reference, shares.current);
  return { method: 'jensenshannon', statistic, p_value: null, threshold: t, drifted: statistic >= t };
}
