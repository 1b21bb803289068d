/**
 * Counts over fixed bin edges. The edges are decided once, from the reference, so that every
 * later window is binned the same way and window histograms merge by adding counts.
 *
 * Bins follow numpy's `np.histogram` with an edge array: [e_i, e_{i+1}) except the last, which
 * is closed. Values outside the edges — which a current window may well have — go to
 * `underflow` / `overflow` instead of being dropped as numpy would drop them.
 */

export interface FixedHistogram {
  readonly edges: Float64Array;
  /** counts[i] is the number of values in bin i (edges.length - 1 bins). */
  readonly counts: Float64Array;
  readonly underflow: number;
  readonly overflow: number;
  /**
   * False once a merge had to re-bin a histogram with other edges (counts spread uniformly
   * within each source bin): then counts are estimates.
   */
  readonly exact: boolean;
}

/**
 * numpy's `np.histogram_bin_edges(values, bins='sturges')`: width = ptp / (log2(n) + 1),
 * ceil(ptp / width) equal bins between min and max (min - 0.5 .. max + 0.5 for a constant), and
 * `np.linspace` for the edges (i * step + start, last edge set to max exactly).
 */
export function sturgesEdges(min: number, max: number, n: number): Float64Array {
  let first = min;
  let last = max;
  if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  const width = (max - min) / (Math.log2(n) + 1.0);
  const bins = width ? Math.ceil((last - first) / width) : 1;
  return linspace(first, last, bins + 1);
}

/** numpy `np.linspace(start, stop, num)` with endpoint=True. */
export function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  const div = num - 1;
  const delta = stop - start;
  if (div > 0) {
    const step = delta / div;
    for (let i = 0; i < num; i++) out[i] = step === 0 ? (i / div) * delta + start : i * step + start;
    out[num - 1] = stop;
  } else if (num === 1) {
    out[0] = start;
  }
  return out;
}

/** Bin `values` (non-finite values are skipped) over `edges`. */
export function histogramOf(values: ArrayLike<number>, edges: Float64Array): FixedHistogram {
  const nb = edges.length - 1;
  const counts = new Float64Array(Math.max(nb, 0));
  let underflow = 0;
  let overflow = 0;
  const lo = edges[0];
  const hi = edges[nb];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (v < lo) underflow++;
    else if (v > hi) overflow++;
    else counts[binIndex(edges, v)]++;
  }
  return { edges, counts, underflow, overflow, exact: true };
}

/** As `histogramOf` for finite values sorted ascending: two binary searches per edge. */
export function histogramOfSorted(sorted: Float64Array, edges: Float64Array): FixedHistogram {
  const nb = edges.length - 1;
  const counts = new Float64Array(Math.max(nb, 0));
  const start = searchSorted(sorted, edges[0], false);
  const end = searchSorted(sorted, edges[nb], true);
  let prev = start;
  for (let i = 0; i < nb; i++) {
    const next = i === nb - 1 ? end : searchSorted(sorted, edges[i + 1], false);
    counts[i] = next - prev;
    prev = next;
  }
  return { edges, counts, underflow: start, overflow: sorted.length - end, exact: true };
}

/** numpy `searchsorted`: the first index whose value is >= v (left) or > v (right). */
export function searchSorted(a: Float64Array, v: number, right: boolean): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < v || (right && a[mid] === v)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The bin of lo <= v <= hi: the last i with edges[i] <= v, the top edge folded into the last bin. */
function binIndex(edges: Float64Array, v: number): number {
  let l = 0;
  let r = edges.length - 1;
  while (r - l > 1) {
    const mid = (l + r) >>> 1;
    if (edges[mid] <= v) l = mid;
    else r = mid;
  }
  return l;
}

export function sameEdges(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Add two histograms. With other edges, `b` is re-bin onto `a`'s edges and the result is inexact. */
export function mergeHistograms(a: FixedHistogram, b: FixedHistogram): FixedHistogram {
  const other = sameEdges(a.edges, b.edges) ? b : rebin(b, a.edges);
  const counts = new Float64Array(a.counts.length);
  for (let i = 0; i < counts.length; i++) counts[i] = a.counts[i] + other.counts[i];
  return {
    edges: a.edges,
    counts,
    underflow: a.underflow + other.underflow,
    overflow: a.overflow + other.overflow,
    exact: a.exact && other.exact,
  };
}

/**
 * Spread each source bin's count over the target bins in proportion to overlap (uniform density
 * within a bin); source underflow/overflow stay under/overflow unless the target range covers
 * them entirely, which we cannot know, so they stay put.
 */
export function rebin(h: FixedHistogram, edges: Float64Array): FixedHistogram {
  const nb = edges.length - 1;
  const counts = new Float64Array(nb);
  let underflow = h.underflow;
  let overflow = h.overflow;
  for (let i = 0; i < h.counts.length; i++) {
    const c = h.counts[i];
    if (c === 0) continue;
    const a = h.edges[i];
    const b = h.edges[i + 1];
    const width = b - a;
    if (width <= 0) {
      if (a < edges[0]) underflow += c;
      else if (a > edges[nb]) overflow += c;
      else counts[binIndex(edges, a)] += c;
      continue;
    }
    if (a < edges[0]) underflow += (c * (Math.min(b, edges[0]) - a)) / width;
    if (b > edges[nb]) overflow += (c * (b - Math.max(a, edges[nb]))) / width;
    for (let j = 0; j < nb; j++) {
      const lo = Math.max(a, edges[j]);
      const hi = Math.min(b, edges[j + 1]);
      if (hi > lo) counts[j] += (c * (hi - lo)) / width;
    }
  }
  return { edges, counts, underflow, overflow, exact: false };
}
