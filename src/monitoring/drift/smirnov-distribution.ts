/**
 * The one-sided Kolmogorov–Smirnov (Smirnov) distribution: `smirnovSf(n, x) = P(D+_n > x)`.
 *
 * This is `scipy.special.smirnov`, which scipy's `kstwo` (and so `ks_2samp`'s asymptotic branch)
 * calls for large statistics. We follow the branch structure of scipy's
 * `xsf/cephes/kolmogorov.h::_smirnov` (scipy 1.17) exactly: the same special cases, the same
 * choice between the lower and the upper Birnbaum–Tingey sum, the same early stop. scipy keeps its
 * terms in double-double with a separate binary exponent; we keep the (always positive) terms of
 * the lower sum in log space instead, which avoids the same overflow. Against scipy on the test
 * grid (n up to 1e5) the difference stays below 1e-11 relative, far inside the 1e-6 we promise.
 */

/** exp() of anything below this underflows (cephes MINLOG, xsf/cephes/const.h). */
const MINLOG = -745.1332191019412;
/** Above this n scipy switches to an approximation instead of summing (SMIRNOV_MAX_COMPUTE_N). */
const SMIRNOV_MAX_COMPUTE_N = 1_000_000;
/** Upper sum only with few terms, because its terms alternate in sign (SM_UPPER_MAX_TERMS). */
const SM_UPPER_MAX_TERMS = 3;
const SM_UPPERSUM_MIN_N = 10;
const EPSILON = 2.220446049250313e-16;

/** P(D+_n > x): the survival function of the one-sided KS statistic for a sample of size n. */
export function smirnovSf(n: number, x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (!(n > 0 && x >= 0 && x <= 1)) return Number.NaN;
  if (n === 1) return 1 - x;
  if (x === 0) return 1;
  if (x === 1) return 0;

  // floor(n*x) and its fractional part, as scipy's double-double modNX: Dekker's two-product
  // gives n*x exactly, so x = k/n lands on k and the fraction is not lost to cancellation.
  const product = n * x;
  let nxfl = Math.floor(product);
  let alpha = product - nxfl + twoProductError(n, x, product);
  if (alpha < 0) {
    nxfl -= 1;
    alpha += 1;
  }
  if (alpha >= 1) {
    // scipy rounds a fraction that is 1 in double precision up to the next integer.
    nxfl += 1;
    alpha = 0;
  }
  let n1mxfl = n - nxfl - (alpha === 0 ? 0 : 1);
  let n1mxceil = n - nxfl;
  // If alpha is 0, the last term belongs to neither sum.
  if (alpha === 0) {
    n1mxfl -= 1;
    n1mxceil += 1;
  }

  // x <= 1/n
  if (nxfl === 0 || (nxfl === 1 && alpha === 0)) {
    const t = (1 + x) ** (n - 1);
    return clamp01(1 - x * t);
  }
  // The survival function underflows.
  if (-2 * n * x * x < MINLOG) return 0;
  // x >= 1 - 1/n
  if (nxfl >= n - 1) return clamp01((1 - x) ** n);
  if (n > SMIRNOV_MAX_COMPUTE_N) {
    // p ~ e^(-(6nx+1)^2 / 18n), as scipy.
    const logp = -((6.0 * n * x + 1) ** 2) / 18.0 / n;
    // Maximise precision for small p-values, as scipy.
    return clamp01(logp < -Math.LN2 ? Math.exp(logp) : 1 - -Math.expm1(logp));
  }

  const nUpperTerms = n - n1mxceil + 1;
  const useUpperSum =
    (nUpperTerms <= 1 && x < 0.5) ||
    (n >= SM_UPPERSUM_MIN_N && nUpperTerms <= SM_UPPER_MAX_TERMS && x <= 0.5 / Math.sqrt(n));
  if (useUpperSum) {
    // cdf = x * sum_{v=n1mxceil}^{n} C(n,v) (x+v/n)^(v-1) (1-x-v/n)^(n-v): at most 3 terms,
    // alternating in sign, so plain powers are exact enough.
    let sum = 0;
    let binom = 1;
    for (let j = 0; j < nUpperTerms; j++) {
      const v = n - j;
      sum += binom * (x + v / n) ** (v - 1) * ((n - v) / n - x) ** (n - v);
      binom = (binom * (n - j)) / (j + 1);
    }
    return clamp01(1 - x * sum);
  }

  // sf = x * sum_{v=0}^{n1mxfl} C(n,v) (x+v/n)^(v-1) (1-x-v/n)^(n-v), every term positive.
  const nTerms = n1mxfl + 1;
  const vmid = Math.floor(n / 2);
  const logX = Math.log(x);
  // v = 0: (1-x)^n / x
  let sum = Math.exp(n * Math.log1p(-x) - logX);
  // log C(n, v), accumulated with Kahan compensation: plain summation of ~1e5 logs drifts by
  // ~1e-9 relative at n = 2.5e5, compensation keeps it near 1e-13.
  let logBinom = Math.log(n); // C(n, 1)
  let logBinomCarry = 0;
  for (let v = 1; v < nTerms; v++) {
    const logTerm = logBinom + (v - 1) * Math.log(x + v / n) + (n - v) * Math.log((n - v) / n - x);
    const term = Math.exp(logTerm);
    if (Number.isFinite(term) && term !== 0) sum += term;
    // Safe to stop early? (scipy's rule: the rest cannot move the sum.)
    if (term !== 0) {
      if (4 * (nTerms - v) * term < EPSILON * sum && v !== nTerms - 1) break;
    } else if (v > vmid) {
      break;
    }
    const y = Math.log((n - v) / (v + 1)) - logBinomCarry;
    const t = logBinom + y;
    logBinomCarry = t - logBinom - y;
    logBinom = t;
  }
  return clamp01(x * sum);
}

const SPLITTER = 134217729; // 2^27 + 1

/** The rounding error of the product p = fl(a*b): a*b = p + error exactly (Dekker). */
function twoProductError(a: number, b: number, p: number): number {
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return al * bl - (p - ah * bh - al * bh - ah * bl);
}

function clamp01(p: number): number {
  return p < 0 ? 0 : Math.min(p, 1);
}
