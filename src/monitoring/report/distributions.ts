/**
 * The reference and current distributions of a column on common bins, for the HTML report: a
 * numeric column on the reference profile's histogram edges (values outside them in the two end
 * bins' neighbours, "below" and "above"), a categorical one on its most frequent categories.
 */
import type { ColumnProfile } from '../profile/column-profile.js';
import type { RawColumn } from '../profile/dataset-profile.js';
import { sturgesEdges } from '../profile/fixed-histogram.js';

export interface Distribution {
  kind: 'numeric' | 'categorical';
  /** Bin labels, left to right. */
  bins: string[];
  /** Shares (0 to 1) per bin. */
  reference: number[];
  current: number[];
  referenceRows: number;
  currentRows: number;
}

const MAX_CATEGORIES = 20;

export function distributionOf(profile: ColumnProfile, current: RawColumn): Distribution {
  if (profile.kind === 'categorical') {
    const cur = new Map<string, number>();
    let curRows = 0;
    for (const v of current as readonly (string | null)[]) {
      if (v === null) continue;
      cur.set(v, (cur.get(v) ?? 0) + 1);
      curRows++;
    }
    const ref = profile.categories.counts;
    const refRows = [...ref.values()].reduce((a, b) => a + b, 0) + profile.categories.other;
    const total = new Map<string, number>();
    for (const [k, v] of ref) total.set(k, (total.get(k) ?? 0) + v / Math.max(1, refRows));
    for (const [k, v] of cur) total.set(k, (total.get(k) ?? 0) + v / Math.max(1, curRows));
    const top = [...total.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, MAX_CATEGORIES)
      .map(([k]) => k);
    const bins = [...top];
    const reference = top.map((k) => (ref.get(k) ?? 0) / Math.max(1, refRows));
    const currentShares = top.map((k) => (cur.get(k) ?? 0) / Math.max(1, curRows));
    const refRest = 1 - reference.reduce((a, b) => a + b, 0);
    const curRest = 1 - currentShares.reduce((a, b) => a + b, 0);
    if (refRest > 1e-9 || curRest > 1e-9) {
      bins.push('(other)');
      reference.push(Math.max(0, refRest));
      currentShares.push(Math.max(0, curRest));
    }
    return {
      kind: 'categorical',
      bins,
      reference,
      current: currentShares,
      referenceRows: refRows,
      currentRows: curRows,
    };
  }
  const values = current as Float64Array;
  let edges = profile.histogram?.edges ?? null;
  if (edges === null) {
    const lo = profile.min ?? 0;
    const hi = profile.max ?? 1;
    edges = sturgesEdges(lo, hi, Math.max(1, profile.count - profile.missing));
  }
  const bins = edges.length - 1;
  const ref = new Float64Array(bins + 2);
  if (profile.histogram) {
    ref[0] = profile.histogram.underflow;
    for (let i = 0; i < bins; i++) ref[i + 1] = profile.histogram.counts[i];
    ref[bins + 1] = profile.histogram.overflow;
  } else {
    for (const v of profile.reservoir.values) ref[binOf(edges, v) + 1]++;
  }
  const cur = new Float64Array(bins + 2);
  let curRows = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    cur[binOf(edges, v) + 1]++;
    curRows++;
  }
  const refRows = ref.reduce((a, b) => a + b, 0);
  const labels = [`< ${fmt(edges[0])}`];
  for (let i = 0; i < bins; i++) labels.push(`${fmt(edges[i])} – ${fmt(edges[i + 1])}`);
  labels.push(`> ${fmt(edges[bins])}`);
  // The outer bins only when something fell there.
  const keep = labels.map((_, i) => (i > 0 && i <= bins ? true : ref[i] > 0 || cur[i] > 0));
  const pick = <T>(xs: ArrayLike<T>) => Array.from(xs).filter((_, i) => keep[i]);
  return {
    kind: 'numeric',
    bins: pick(labels),
    reference: pick(ref).map((c) => c / Math.max(1, refRows)),
    current: pick(cur).map((c) => c / Math.max(1, curRows)),
    referenceRows: refRows,
    currentRows: curRows,
  };
}

/** -1 below the first edge, bins below the last bin's closed end, `bins` above. */
function binOf(edges: Float64Array, v: number): number {
  const bins = edges.length - 1;
  if (v < edges[0]) return -1;
  if (v > edges[bins]) return bins;
  if (v === edges[bins]) return bins - 1;
  let lo = 0;
  let hi = bins;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (edges[mid] <= v) lo = mid;
    else hi = mid;
  }
  return lo;
}

function fmt(x: number): string {
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return x.toExponential(2);
  return Number(x.toPrecision(4)).toString();
}
