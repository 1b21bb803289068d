/**
 * The two-sample Kolmogorov–Smirnov test, two-sided, agreeing with
 * `scipy.stats.ks_2samp(a, b)` (method='auto', scipy 1.17) to rounding.
 *
 * scipy's 'auto' is exact when max(n1, n2) <= 10000 and otherwise uses `kstwo.sf(d, round(en))`
 * with en = n1*n2/(n1+n2); when the exact computation fails its own sanity check it falls back to
 * the asymptotic one, and it reports the statistic rounded to the lattice h/lcm(n1, n2) whenever
 * it tried the exact method. All of that is replicated here.
 */
import { SlipwayError } from '../../core/errors.js';
import { DRIFT_METHOD_INFO, type DriftTestResult } from './drift-method.js';
import { kolmogorovSf } from './kolmogorov-distribution.js';
import { ksExactProbability, roundHalfEven } from './ks-exact-probability.js';
import { sortedFinite } from './sorted-finite.js';

/** `ks_2samp`'s MAX_AUTO_N. */
const MAX_EXACT_N = 10000;

export interface KsResult {
  readonly statistic: number;
  readonly pValue: number;
  /** Which null distribution gave the p-value. */
  readonly method: 'exact' | 'asymp';
}

export interface KsOptions {
  /** Both inputs are already sorted ascending and finite (a profile's sample is): skip the copy. */
  readonly sorted?: boolean;
}

/** scipy `ks_2samp(a, b)`; non-finite values are dropped first, as Evidently does. */
export function ks2samp(a: ArrayLike<number>, b: ArrayLike<number>, options: KsOptions = {}): KsResult {
  const x = options.sorted ? (a as Float64Array) : sortedFinite(a);
  const y = options.sorted ? (b as Float64Array) : sortedFinite(b);
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) {
    throw new SlipwayError(
      'CORE_INVALID_ARGUMENT',
      `ks_2samp: both samples need at least one finite value, got ${n1} and ${n2}`,
      { n1, n2 },
    );
  }
  let d = ksStatistic(x, y);
  let method: 'exact' | 'asymp' = Math.max(n1, n2) <= MAX_EXACT_N ? 'exact' : 'asymp';
  let p = Number.NaN;
  if (method === 'exact') {
    const attempt = ksExactProbability(n1, n2, d);
    d = attempt.statistic;
    if (attempt.success) p = attempt.pValue;
    else method = 'asymp';
  }
  if (method === 'asymp') {
    // Smirnov's asymptotic distribution with the effective size, rounded half-to-even (np.round).
    const m = Math.max(n1, n2);
    const n = Math.min(n1, n2);
    const en = (m * n) / (m + n);
    p = kolmogorovSf(roundHalfEven(en), d);
  }
  p = p < 0 ? 0 : Math.min(p, 1);
  return { statistic: d, pValue: p, method };
}

/**
 * The largest gap between the two empirical CDFs. scipy evaluates
 * searchsorted(side='right')/n at every pooled value; walking both sorted arrays past each
 * distinct value gives the same counts and the same floating-point divisions.
 */
export function ksStatistic(x: Float64Array, y: Float64Array): number {
  const n1 = x.length;
  const n2 = y.length;
  let i = 0;
  let j = 0;
  let maxDiff = Number.NEGATIVE_INFINITY;
  let minDiff = Number.POSITIVE_INFINITY;
  while (i < n1 || j < n2) {
    const v = i < n1 && (j >= n2 || x[i] <= y[j]) ? x[i] : y[j];
    while (i < n1 && x[i] <= v) i++;
    while (j < n2 && y[j] <= v) j++;
    const diff = i / n1 - j / n2;
    if (diff > maxDiff) maxDiff = diff;
    if (diff < minDiff) minDiff = diff;
  }
  // Ensure the sign of minS is not negative (np.clip(-min, 0, 1)).
  const minS = Math.min(Math.max(-minDiff, 0), 1);
  return Math.max(minS, maxDiff);
}

/** KS as a drift test: drift when p <= threshold (Evidently `_ks_stat_test`). */
export function ksTwoSample(
  reference: ArrayLike<number>,
  current: ArrayLike<number>,
  options: KsOptions & { readonly threshold?: number } = {},
): DriftTestResult {
  const threshold = options.threshold ?? DRIFT_METHOD_INFO.ks.defaultThreshold;
  const r = ks2samp(reference, current, options);
  return {
    method: 'ks',
    statistic: r.statistic,
    p_value: r.pValue,
    threshold,
    drifted: r.pValue <= threshold,
  };
}
