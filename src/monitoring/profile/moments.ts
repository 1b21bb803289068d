/**
 * Count, mean and sum of squared deviations (M2) of the finite values of a column, with Chan,
 * Golub & LeVeque's pairwise update so that two halves merge into exactly the statistics of the
 * whole (up to rounding), whatever the order of merges.
 */
export interface Moments {
  readonly count: number;
  readonly mean: number;
  /** Sum of squared deviations from the mean. Population variance is m2 / count. */
  readonly m2: number;
  readonly min: number;
  readonly max: number;
}

export const EMPTY_MOMENTS: Moments = Object.freeze({
  count: 0,
  mean: 0,
  m2: 0,
  min: Number.POSITIVE_INFINITY,
  max: Number.NEGATIVE_INFINITY,
});

/** Two passes (mean, then squared deviations): more accurate than one-pass Welford on a block. */
export function momentsOf(values: Float64Array): Moments {
  const n = values.length;
  if (n === 0) return EMPTY_MOMENTS;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / n;
  let m2 = 0;
  let comp = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i] - mean;
    m2 += d * d;
    comp += d;
  }
  // Correct for the rounding of the mean (the "corrected two-pass" algorithm).
  m2 -= (comp * comp) / n;
  return { count: n, mean, m2, min, max };
}

/** Chan et al. (1979): combine the moments of two disjoint parts. */
export function mergeMoments(a: Moments, b: Moments): Moments {
  if (a.count === 0) return b;
  if (b.count === 0) return a;
  const count = a.count + b.count;
  const delta = b.mean - a.mean;
  const mean = a.mean + (delta * b.count) / count;
  const m2 = a.m2 + b.m2 + (delta * delta * a.count * b.count) / count;
  return { count, mean, m2, min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) };
}

/** Population standard deviation (ddof = 0), the scale Evidently's normed Wasserstein uses. */
export function populationStdOf(m: Moments): number | null {
  return m.count === 0 ? null : Math.sqrt(m.m2 / m.count);
}
