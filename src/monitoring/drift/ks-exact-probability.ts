/**
 * The exact null distribution of the two-sample, two-sided KS statistic, as scipy computes it in
 * `ks_2samp(method='exact')`: `_attempt_exact_2kssamp`, `_compute_prob_outside_square` (equal
 * sizes) and `_compute_outer_prob_inside_method` (scipy/stats/_stats_pythran.py, scipy 1.17).
 * Lattice-path counting after Hodges (1958), with Viehmann's (2021) recursion for 1 - p.
 */

export interface ExactKsAttempt {
  /** False when the computation lost precision and scipy falls back to the asymptotic method. */
  readonly success: boolean;
  /** The statistic rounded to the lattice, h / lcm(n1, n2): scipy reports this one. */
  readonly statistic: number;
  readonly pValue: number;
}

/** scipy `_attempt_exact_2kssamp(n1, n2, g, d, 'two-sided')`. */
export function ksExactProbability(n1: number, n2: number, d: number): ExactKsAttempt {
  const g = gcd(n1, n2);
  const lcm = (n1 / g) * n2;
  const h = roundHalfEven(d * lcm);
  const statistic = (h * 1.0) / lcm;
  if (h === 0) return { success: true, statistic, pValue: 1.0 };
  const prob = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInsideMethod(n1, n2, g, h);
  // scipy: `if not (0 <= prob <= 1): return False, d, prob` (NaN also fails this test).
  if (!(prob >= 0 && prob <= 1)) return { success: false, statistic, pValue: prob };
  return { success: true, statistic, pValue: prob };
}

/**
 * Pr(D_{n,n} >= h/n) = 2 * sum_k (-1)^(k+1) binom(2n, n-kh) / binom(2n, n), evaluated as scipy
 * does with a Horner-like scheme to avoid the subtractive cancellation of the plain sum.
 */
function probOutsideSquare(n: number, h: number): number {
  let P = 0.0;
  let k = Math.floor(n / h);
  while (k >= 0) {
    let p1 = 1.0;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1.0 - P);
    k -= 1;
  }
  return 2 * P;
}

/**
 * The proportion of lattice paths from (0,0) to (m,n) that leave the band |x/m - y/n| < h/lcm,
 * computed directly as 1 - p column by column over a sliding window (scipy's pythran kernel).
 */
function outerProbInsideMethod(m0: number, n0: number, g: number, h: number): number {
  // Symmetric in m, n; the computation below uses m >= n.
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;

  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  A.fill(0.0, minj, maxj);
  for (let i = 1; i < m + 1; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.max(Math.floor((ng * i - h) / mg) + 1, 0);
    minj = Math.min(minj, n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1.0;
    let val = minj === 0 ? 0.0 : 1.0;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj] * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) {
      // Set some carried-over elements to 1 (numpy slice assignment clips at the end).
      A.fill(1, maxj - minj, Math.min(maxj - minj + (lastlen - curlen), lenA));
    }
  }
  return A[maxj - minj - 1];
}

export function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) {
    const t = x % y;
    x = y;
    y = t;
  }
  return x;
}

/** numpy's `np.round`: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  if (Math.abs(x % 1) === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}
