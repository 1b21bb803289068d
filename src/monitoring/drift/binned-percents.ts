/**
 * Evidently's binning for PSI and Jensen–Shannon (`legacy/calculations/stattests/utils.py::
 * get_binned_data`, Evidently 0.7), and the paired counts the chi-square and Z tests use.
 *
 * - Numeric with more than 20 distinct reference values: equal-width bins over the *pooled*
 *   reference + current range, as many as numpy's Sturges rule gives for the pooled size
 *   (`np.histogram_bin_edges(combined, bins="sturges")`). Evidently does not use reference
 *   quantiles here.
 * - Otherwise (categories, or few numeric values): one bin per value seen on either side.
 * - Each side is divided by its own row count; with `fillZeroes` (PSI, not JS) an empty bin gets
 *   min(non-zero share)/1e6 when that minimum is ≤ 1e-4, else 1e-4.
 *
 * When a side is only known through a profile (a sample), pooled bins cannot be rebuilt; the
 * profile's own edges (decided from the reference) are used instead, with one extra bin below
 * and one above them — the one place results can differ from Evidently's.
 */
import { SlipwayError } from '../../core/errors.js';
import {
  type FixedHistogram,
  histogramOf,
  rebin,
  sameEdges,
  sturgesEdges,
} from '../profile/fixed-histogram.js';
import { type DriftColumn, type NumericDriftColumn, valueCountsOf } from './drift-column.js';

/** Above this many distinct reference values numeric columns are binned (Evidently: `n_vals > 20`). */
const VALUE_BINS_MAX_DISTINCT = 20;

export interface BinnedPercents {
  readonly reference: Float64Array;
  readonly current: Float64Array;
  /** How the bins were made. */
  readonly bins: 'sturges' | 'values' | 'categories' | 'profile-edges';
}

export function binnedPercents(
  reference: DriftColumn,
  current: DriftColumn,
  fillZeroes: boolean,
): BinnedPercents {
  const result = rawBinnedPercents(reference, current);
  if (!fillZeroes) return result;
  return { ...result, reference: fillZeroShares(result.reference), current: fillZeroShares(result.current) };
}

function rawBinnedPercents(reference: DriftColumn, current: DriftColumn): BinnedPercents {
  if (reference.kind === 'categorical' || current.kind === 'categorical') {
    const paired = pairedCounts(reference, current);
    return {
      reference: divide(paired.reference, reference.rows),
      current: divide(paired.current, current.rows),
      bins: 'categories',
    };
  }
  if (reference.distinct !== null && reference.distinct <= VALUE_BINS_MAX_DISTINCT) {
    const refCounts = valueCountsOf(reference);
    const curCounts = valueCountsOf(current);
    if (refCounts && curCounts) {
      const paired = pairMaps(refCounts, curCounts, 0, 0);
      return {
        reference: divide(paired.reference, reference.rows),
        current: divide(paired.current, current.rows),
        bins: 'values',
      };
    }
  }
  if (reference.complete && current.complete) {
    const r = reference.sorted;
    const c = current.sorted;
    const min = Math.min(r[0], c[0]);
    const max = Math.max(r[r.length - 1], c[c.length - 1]);
    const edges = sturgesEdges(min, max, r.length + c.length);
    return {
      reference: divide(sortedHistogram(r, edges), reference.rows),
      current: divide(sortedHistogram(c, edges), current.rows),
      bins: 'sturges',
    };
  }
  const edges =
    reference.histogram?.edges ??
    current.histogram?.edges ??
    sturgesEdges(reference.sorted[0], reference.sorted[reference.sorted.length - 1], reference.rows);
  return {
    reference: divide(withOuterBins(histogramOn(reference, edges)), reference.rows),
    current: divide(withOuterBins(histogramOn(current, edges)), current.rows),
    bins: 'profile-edges',
  };
}

/** A side's histogram on `edges`: its own if it has those edges, else from its values. */
function histogramOn(column: NumericDriftColumn, edges: Float64Array): FixedHistogram {
  if (column.histogram && sameEdges(column.histogram.edges, edges)) return column.histogram;
  if (column.complete) return histogramOf(column.sorted, edges);
  if (column.histogram) return rebin(column.histogram, edges);
  // A sample without a histogram: scale its counts up to the column's rows.
  const h = histogramOf(column.sorted, edges);
  const scale = column.rows / column.sorted.length;
  return {
    ...h,
    counts: h.counts.map((x) => x * scale),
    underflow: h.underflow * scale,
    overflow: h.overflow * scale,
    exact: false,
  };
}

function withOuterBins(h: FixedHistogram): Float64Array {
  const out = new Float64Array(h.counts.length + 2);
  out[0] = h.underflow;
  out.set(h.counts, 1);
  out[out.length - 1] = h.overflow;
  return out;
}

/** numpy `np.histogram(sorted, edges)[0]`: [e_i, e_{i+1}), the last bin closed, by searchsorted. */
function sortedHistogram(sorted: Float64Array, edges: Float64Array): Float64Array {
  const nb = edges.length - 1;
  const cum = new Float64Array(nb + 1);
  for (let i = 0; i < nb; i++) cum[i] = searchLeft(sorted, edges[i]);
  cum[nb] = searchRight(sorted, edges[nb]);
  const out = new Float64Array(nb);
  for (let i = 0; i < nb; i++) out[i] = cum[i + 1] - cum[i];
  return out;
}

function searchLeft(a: Float64Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function searchRight(a: Float64Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function divide(counts: Float64Array, rows: number): Float64Array {
  return counts.map((c) => c / rows);
}

/** Evidently's `feel_zeroes`: empty bins would make log(p/q) infinite. */
export function fillZeroShares(shares: Float64Array): Float64Array {
  let minNonZero = Number.POSITIVE_INFINITY;
  for (const s of shares) if (s !== 0 && s < minNonZero) minNonZero = s;
  if (minNonZero === Number.POSITIVE_INFINITY) return shares;
  const fill = minNonZero <= 0.0001 ? minNonZero / 10 ** 6 : 0.0001;
  return shares.map((s) => (s === 0 ? fill : s));
}

export interface PairedCounts {
  /** Union of the values or categories seen on either side (an "other" bucket last, if any). */
  readonly keys: readonly (string | number)[];
  readonly reference: Float64Array;
  readonly current: Float64Array;
}

/** Counts per value/category on both sides, over the union of keys (Evidently's value_counts path). */
export function pairedCounts(reference: DriftColumn, current: DriftColumn): PairedCounts {
  if (reference.kind === 'categorical' && current.kind === 'categorical') {
    return pairMaps(reference.counts, current.counts, reference.other, current.other);
  }
  if (reference.kind === 'numeric' && current.kind === 'numeric') {
    const r = valueCountsOf(reference);
    const c = valueCountsOf(current);
    if (!r || !c) {
      throw new SlipwayError(
        'CORE_INVALID_ARGUMENT',
        'a category test on a numeric column needs every value counted: a profile sample only has counts for columns with few distinct values',
        { referenceDistinct: reference.distinct, currentDistinct: current.distinct },
      );
    }
    return pairMaps(r, c, 0, 0);
  }
  throw new SlipwayError(
    'CORE_INVALID_ARGUMENT',
    `reference column is ${reference.kind} but current column is ${current.kind}`,
    { reference: reference.kind, current: current.kind },
  );
}

/** The sentinel key of the bucket holding categories a profile folded away. */
export const OTHER_KEY = '\u0000other';

function pairMaps<K extends string | number>(
  a: ReadonlyMap<K, number>,
  b: ReadonlyMap<K, number>,
  otherA: number,
  otherB: number,
): PairedCounts {
  const keys: (string | number)[] = [...a.keys()];
  for (const k of b.keys()) if (!a.has(k)) keys.push(k);
  const hasOther = otherA > 0 || otherB > 0;
  const n = keys.length + (hasOther ? 1 : 0);
  const ra = new Float64Array(n);
  const rb = new Float64Array(n);
  keys.forEach((k, i) => {
    ra[i] = a.get(k as K) ?? 0;
    rb[i] = b.get(k as K) ?? 0;
  });
  if (hasOther) {
    ra[n - 1] = otherA;
    rb[n - 1] = otherB;
    keys.push(OTHER_KEY);
  }
  return { keys, reference: ra, current: rb };
}
