/**
 * Profiles as plain JSON, for storage next to a model version or a monitoring window.
 * `fromJSON(JSON.parse(JSON.stringify(toJSON(p))))` gives back `p` exactly: doubles round-trip
 * through JSON text, typed arrays become number arrays and maps become [key, count] pairs.
 * Field names are snake_case like the rest of slipway's JSON. `fromJSON` checks the shape and
 * names the first field that is wrong.
 */
import { SlipwayError } from '../../core/errors.js';
import type { CategoryCounts } from './category-counts.js';
import {
  type ColumnProfile,
  type NumericColumnProfile,
  QUANTILE_LEVELS,
  type QuantileName,
  type Quantiles,
} from './column-profile.js';
import { type DatasetProfile, PROFILE_FORMAT, PROFILE_VERSION } from './dataset-profile.js';
import type { FixedHistogram } from './fixed-histogram.js';
import type { KllSketch } from './kll-sketch.js';
import type { ReservoirSample } from './reservoir-sample.js';

export interface HistogramJSON {
  edges: number[];
  counts: number[];
  underflow: number;
  overflow: number;
  exact: boolean;
}

export interface NumericColumnProfileJSON {
  kind: 'numeric';
  count: number;
  missing: number;
  missing_share: number;
  infinite: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  std: number | null;
  m2: number;
  quantiles: Record<QuantileName, number> | null;
  quantiles_exact: boolean;
  histogram: HistogramJSON | null;
  sketch: { k: number; n: number; levels: number[][] };
  reservoir: { capacity: number; seen: number; values: number[] };
  value_counts: [number, number][] | null;
}

export interface CategoricalColumnProfileJSON {
  kind: 'categorical';
  count: number;
  missing: number;
  missing_share: number;
  categories: { capacity: number; counts: [string, number][]; other: number; truncated: boolean };
}

export type ColumnProfileJSON = NumericColumnProfileJSON | CategoricalColumnProfileJSON;

export interface DatasetProfileJSON {
  format: typeof PROFILE_FORMAT;
  version: typeof PROFILE_VERSION;
  rows: number;
  distinct_limit: number;
  columns: Record<string, ColumnProfileJSON>;
}

export function toJSON(profile: DatasetProfile): DatasetProfileJSON {
  const columns: Record<string, ColumnProfileJSON> = {};
  for (const [name, c] of Object.entries(profile.columns)) columns[name] = columnToJSON(c);
  return {
    format: profile.format,
    version: profile.version,
    rows: profile.rows,
    distinct_limit: profile.distinctLimit,
    columns,
  };
}

function columnToJSON(c: ColumnProfile): ColumnProfileJSON {
  if (c.kind === 'categorical') {
    return {
      kind: 'categorical',
      count: c.count,
      missing: c.missing,
      missing_share: c.missingShare,
      categories: {
        capacity: c.categories.capacity,
        counts: [...c.categories.counts],
        other: c.categories.other,
        truncated: c.categories.truncated,
      },
    };
  }
  return {
    kind: 'numeric',
    count: c.count,
    missing: c.missing,
    missing_share: c.missingShare,
    infinite: c.infinite,
    min: c.min,
    max: c.max,
    mean: c.mean,
    std: c.std,
    m2: c.m2,
    quantiles: c.quantiles ? { ...c.quantiles } : null,
    quantiles_exact: c.quantilesExact,
    histogram: c.histogram
      ? {
          edges: [...c.histogram.edges],
          counts: [...c.histogram.counts],
          underflow: c.histogram.underflow,
          overflow: c.histogram.overflow,
          exact: c.histogram.exact,
        }
      : null,
    sketch: { k: c.sketch.k, n: c.sketch.n, levels: c.sketch.levels.map((l) => [...l]) },
    reservoir: { capacity: c.reservoir.capacity, seen: c.reservoir.seen, values: [...c.reservoir.values] },
    value_counts: c.valueCounts ? [...c.valueCounts] : null,
  };
}

export function fromJSON(json: unknown): DatasetProfile {
  const root = obj(json, 'profile');
  if (root.format !== PROFILE_FORMAT) fail('profile.format', `"${PROFILE_FORMAT}"`, root.format);
  if (root.version !== PROFILE_VERSION) fail('profile.version', String(PROFILE_VERSION), root.version);
  const columnsJson = obj(root.columns, 'profile.columns');
  const columns: Record<string, ColumnProfile> = {};
  for (const [name, value] of Object.entries(columnsJson)) {
    columns[name] = columnFromJSON(value, `profile.columns["${name}"]`);
  }
  return {
    format: PROFILE_FORMAT,
    version: PROFILE_VERSION,
    rows: count(root.rows, 'profile.rows'),
    distinctLimit: count(root.distinct_limit, 'profile.distinct_limit'),
    columns,
  };
}

function columnFromJSON(value: unknown, path: string): ColumnProfile {
  const c = obj(value, path);
  const base = {
    count: count(c.count, `${path}.count`),
    missing: count(c.missing, `${path}.missing`),
    missingShare: num(c.missing_share, `${path}.missing_share`),
  };
  if (c.kind === 'categorical') {
    const cat = obj(c.categories, `${path}.categories`);
    const counts = arr(cat.counts, `${path}.categories.counts`).map((pair, i) => {
      const p = arr(pair, `${path}.categories.counts[${i}]`);
      if (typeof p[0] !== 'string') fail(`${path}.categories.counts[${i}][0]`, 'a string', p[0]);
      return [p[0] as string, count(p[1], `${path}.categories.counts[${i}][1]`)] as [string, number];
    });
    const categories: CategoryCounts = {
      capacity: count(cat.capacity, `${path}.categories.capacity`),
      counts: new Map(counts),
      other: count(cat.other, `${path}.categories.other`),
      truncated: bool(cat.truncated, `${path}.categories.truncated`),
    };
    return { kind: 'categorical', ...base, categories };
  }
  if (c.kind !== 'numeric') fail(`${path}.kind`, '"numeric" or "categorical"', c.kind);
  const sketchJson = obj(c.sketch, `${path}.sketch`);
  const sketch: KllSketch = {
    k: count(sketchJson.k, `${path}.sketch.k`),
    n: count(sketchJson.n, `${path}.sketch.n`),
    levels: arr(sketchJson.levels, `${path}.sketch.levels`).map((l, i) =>
      f64(l, `${path}.sketch.levels[${i}]`),
    ),
  };
  const res = obj(c.reservoir, `${path}.reservoir`);
  const reservoir: ReservoirSample = {
    capacity: count(res.capacity, `${path}.reservoir.capacity`),
    seen: count(res.seen, `${path}.reservoir.seen`),
    values: f64(res.values, `${path}.reservoir.values`),
  };
  let histogram: FixedHistogram | null = null;
  if (c.histogram !== null) {
    const h = obj(c.histogram, `${path}.histogram`);
    histogram = {
      edges: f64(h.edges, `${path}.histogram.edges`),
      counts: f64(h.counts, `${path}.histogram.counts`),
      underflow: num(h.underflow, `${path}.histogram.underflow`),
      overflow: num(h.overflow, `${path}.histogram.overflow`),
      exact: bool(h.exact, `${path}.histogram.exact`),
    };
    if (histogram.counts.length !== histogram.edges.length - 1) {
      fail(
        `${path}.histogram.counts`,
        `${histogram.edges.length - 1} counts (edges - 1)`,
        histogram.counts.length,
      );
    }
  }
  let quantiles: Quantiles | null = null;
  if (c.quantiles !== null) {
    const q = obj(c.quantiles, `${path}.quantiles`);
    const entries = (Object.keys(QUANTILE_LEVELS) as QuantileName[]).map((k) => [
      k,
      num(q[k], `${path}.quantiles.${k}`),
    ]);
    quantiles = Object.fromEntries(entries) as Quantiles;
  }
  const valueCounts =
    c.value_counts === null
      ? null
      : new Map(
          arr(c.value_counts, `${path}.value_counts`).map((pair, i) => {
            const p = arr(pair, `${path}.value_counts[${i}]`);
            return [
              num(p[0], `${path}.value_counts[${i}][0]`),
              count(p[1], `${path}.value_counts[${i}][1]`),
            ] as [number, number];
          }),
        );
  const profile: NumericColumnProfile = {
    kind: 'numeric',
    ...base,
    infinite: count(c.infinite, `${path}.infinite`),
    min: numOrNull(c.min, `${path}.min`),
    max: numOrNull(c.max, `${path}.max`),
    mean: numOrNull(c.mean, `${path}.mean`),
    std: numOrNull(c.std, `${path}.std`),
    m2: num(c.m2, `${path}.m2`),
    quantiles,
    quantilesExact: bool(c.quantiles_exact, `${path}.quantiles_exact`),
    histogram,
    sketch,
    reservoir,
    valueCounts,
  };
  return profile;
}

function fail(path: string, expected: string, got: unknown): never {
  const shown = typeof got === 'string' ? `"${got}"` : Array.isArray(got) ? 'an array' : String(got);
  throw new SlipwayError('CORE_INVALID_ARGUMENT', `${path}: expected ${expected}, got ${shown}`, {
    path,
    expected,
  });
}

function obj(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'an object', v);
  return v as Record<string, unknown>;
}

function arr(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) fail(path, 'an array', v);
  return v as unknown[];
}

function num(v: unknown, path: string): number {
  if (typeof v !== 'number' || Number.isNaN(v)) fail(path, 'a number', v);
  return v as number;
}

function numOrNull(v: unknown, path: string): number | null {
  return v === null ? null : num(v, path);
}

function count(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(path, 'a non-negative integer', v);
  return v as number;
}

function bool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') fail(path, 'true or false', v);
  return v as boolean;
}

function f64(v: unknown, path: string): Float64Array {
  const a = arr(v, path);
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = num(a[i], `${path}[${i}]`);
  return out;
}
