/**
 * One column's profile: everything drift and data-quality checks need, in a form that merges.
 * A numeric column keeps exact moments (Chan's merge), a KLL sketch for quantiles, a histogram
 * over fixed edges, a uniform reservoir sample, and exact value counts while it has few distinct
 * values. A categorical column keeps bounded category counts.
 */
import { type CategoryCounts, categoryCountsOf, mergeCategoryCounts } from './category-counts.js';
import { type FixedHistogram, histogramOfSorted, mergeHistograms, sturgesEdges } from './fixed-histogram.js';
import { type KllSketch, kllFromSorted, kllQuantiles, mergeKll } from './kll-sketch.js';
import { type Moments, mergeMoments, momentsOf, populationStdOf } from './moments.js';
import { mergeReservoirs, type ReservoirSample, reservoirOf } from './reservoir-sample.js';
import { SeededRandom } from './seeded-random.js';
import { sortFloat64 } from './sort-float64.js';
import { mergeValueCounts, valueCountsOf } from './value-counts.js';

export const QUANTILE_LEVELS = Object.freeze({
  p1: 0.01,
  p5: 0.05,
  p25: 0.25,
  p50: 0.5,
  p75: 0.75,
  p95: 0.95,
  p99: 0.99,
} as const);
export type QuantileName = keyof typeof QUANTILE_LEVELS;
export type Quantiles = Readonly<Record<QuantileName, number>>;

interface ColumnProfileBase {
  /** Rows, missing ones included. */
  readonly count: number;
  /** NaN (numeric) or null (categorical) rows. */
  readonly missing: number;
  readonly missingShare: number;
}

export interface NumericColumnProfile extends ColumnProfileBase {
  readonly kind: 'numeric';
  /** ±Infinity rows: like Evidently (which maps them to NaN) they are left out of every statistic. */
  readonly infinite: number;
  readonly min: number | null;
  readonly max: number | null;
  readonly mean: number | null;
  /** Population standard deviation (ddof = 0); sample std is sqrt(m2 / (n - 1)). */
  readonly std: number | null;
  /** Sum of squared deviations, kept for exact merging. */
  readonly m2: number;
  readonly quantiles: Quantiles | null;
  /**
   * True when the quantiles were computed from every value (numpy's linear interpolation): always
   * for a profile built from a column, after merges only while the reservoir holds every value.
   */
  readonly quantilesExact: boolean;
  readonly histogram: FixedHistogram | null;
  readonly sketch: KllSketch;
  readonly reservoir: ReservoirSample;
  /** Exact counts per distinct value while there are few (see value-counts.ts), else null. */
  readonly valueCounts: ReadonlyMap<number, number> | null;
}

export interface CategoricalColumnProfile extends ColumnProfileBase {
  readonly kind: 'categorical';
  readonly categories: CategoryCounts;
}

export type ColumnProfile = NumericColumnProfile | CategoricalColumnProfile;

export interface ColumnProfileOptions {
  readonly reservoirSize: number;
  readonly topK: number;
  readonly sketchK: number;
  readonly distinctLimit: number;
  readonly seed: number;
  /** Histogram edges; when absent they come from this column (numpy's Sturges rule). */
  readonly edges: Float64Array | null;
}

/**
 * One sorted copy of the finite values serves every part: exact quantiles, the sketch, the
 * histogram (by binary search on the edges), distinct values and the sample.
 */
export function numericProfileOf(values: Float64Array, options: ColumnProfileOptions): NumericColumnProfile {
  let missing = 0;
  let infinite = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) missing++;
    else if (!Number.isFinite(v)) infinite++;
  }
  const finite = missing + infinite === 0 ? Float64Array.from(values) : values.filter(Number.isFinite);
  const sorted = sortFloat64(finite);
  const rng = new SeededRandom(options.seed);
  const moments = momentsOf(sorted);
  const edges =
    options.edges ?? (moments.count > 0 ? sturgesEdges(moments.min, moments.max, moments.count) : null);
  return numericProfile(
    {
      count: values.length,
      missing,
      infinite,
      moments,
      histogram: edges ? histogramOfSorted(sorted, edges) : null,
      sketch: kllFromSorted(sorted, options.sketchK, rng),
      reservoir: reservoirOf(sorted, options.reservoirSize, rng),
      valueCounts: valueCountsOf(sorted, options.distinctLimit),
    },
    sorted,
  );
}

export function categoricalProfileOf(
  values: readonly (string | null)[],
  options: ColumnProfileOptions,
): CategoricalColumnProfile {
  let missing = 0;
  for (const v of values) if (v === null || v === undefined) missing++;
  return {
    kind: 'categorical',
    count: values.length,
    missing,
    missingShare: share(missing, values.length),
    categories: categoryCountsOf(values, options.topK),
  };
}

/** Merge two profiles of the same column over disjoint rows. */
export function mergeColumnProfiles(
  a: ColumnProfile,
  b: ColumnProfile,
  seed: number,
  distinctLimit: number,
): ColumnProfile {
  if (a.kind === 'categorical' && b.kind === 'categorical') {
    const missing = a.missing + b.missing;
    const count = a.count + b.count;
    return {
      kind: 'categorical',
      count,
      missing,
      missingShare: share(missing, count),
      categories: mergeCategoryCounts(a.categories, b.categories),
    };
  }
  if (a.kind === 'numeric' && b.kind === 'numeric') {
    const rng = new SeededRandom(seed);
    let histogram: FixedHistogram | null;
    if (a.histogram && b.histogram) histogram = mergeHistograms(a.histogram, b.histogram);
    else histogram = a.histogram ?? b.histogram;
    return numericProfile({
      count: a.count + b.count,
      missing: a.missing + b.missing,
      infinite: a.infinite + b.infinite,
      moments: mergeMoments(momentsFromProfile(a), momentsFromProfile(b)),
      histogram,
      sketch: mergeKll(a.sketch, b.sketch, rng),
      reservoir: mergeReservoirs(a.reservoir, b.reservoir, rng),
      valueCounts: mergeValueCounts(a.valueCounts, b.valueCounts, distinctLimit),
    });
  }
  throw new TypeError(`cannot merge a ${a.kind} column profile with a ${b.kind} one`);
}

export function momentsFromProfile(p: NumericColumnProfile): Moments {
  const count = p.count - p.missing - p.infinite;
  if (count === 0 || p.mean === null || p.min === null || p.max === null) {
    return { count: 0, mean: 0, m2: 0, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY };
  }
  return { count, mean: p.mean, m2: p.m2, min: p.min, max: p.max };
}

interface NumericParts {
  readonly count: number;
  readonly missing: number;
  readonly infinite: number;
  readonly moments: Moments;
  readonly histogram: FixedHistogram | null;
  readonly sketch: KllSketch;
  readonly reservoir: ReservoirSample;
  readonly valueCounts: ReadonlyMap<number, number> | null;
}

/** `sorted`: every finite value, when the profile is built from the column itself. */
function numericProfile(p: NumericParts, sorted?: Float64Array): NumericColumnProfile {
  const m = p.moments;
  const empty = m.count === 0;
  const complete = sorted ?? (p.reservoir.seen === p.reservoir.values.length ? p.reservoir.values : null);
  const quantilesExact = complete !== null;
  return {
    kind: 'numeric',
    count: p.count,
    missing: p.missing,
    missingShare: share(p.missing, p.count),
    infinite: p.infinite,
    min: empty ? null : m.min,
    max: empty ? null : m.max,
    mean: empty ? null : m.mean,
    std: populationStdOf(m),
    m2: m.m2,
    quantiles: empty ? null : quantilesOf(p.sketch, complete),
    quantilesExact,
    histogram: p.histogram,
    sketch: p.sketch,
    reservoir: p.reservoir,
    valueCounts: p.valueCounts,
  };
}

/** Exact (numpy 'linear') when every value is at hand, sorted; else from the sketch. */
function quantilesOf(sketch: KllSketch, sorted: Float64Array | null): Quantiles {
  const names = Object.keys(QUANTILE_LEVELS) as QuantileName[];
  const levels = names.map((n) => QUANTILE_LEVELS[n]);
  const values = sorted
    ? levels.map((q) => linearQuantile(sorted, q))
    : kllQuantiles(sketch, levels).map((v) => v ?? Number.NaN);
  return Object.fromEntries(names.map((n, i) => [n, values[i]])) as Quantiles;
}

/** numpy `np.quantile(sorted, q)` with the default method='linear' (and numpy's _lerp). */
export function linearQuantile(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const t = h - lo;
  const a = sorted[lo];
  const b = sorted[hi];
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

function share(part: number, whole: number): number {
  return whole === 0 ? 0 : part / whole;
}
