/**
 * Profiles of whole datasets: `profileFromColumns` builds one from columns by name, and
 * `mergeProfiles` combines the profiles of two disjoint row sets (two windows, two shards) into
 * the profile of their union. Counts, means and standard deviations merge exactly; histograms
 * merge exactly when both sides used the same edges (profile windows with `reference`);
 * quantiles and samples merge within their stated error or stay uniform.
 */
import { SlipwayError } from '../../core/errors.js';
import { DEFAULT_TOP_K } from './category-counts.js';
import {
  type ColumnProfile,
  type ColumnProfileOptions,
  categoricalProfileOf,
  mergeColumnProfiles,
  numericProfileOf,
} from './column-profile.js';
import { DEFAULT_KLL_K } from './kll-sketch.js';
import { DEFAULT_RESERVOIR_CAPACITY } from './reservoir-sample.js';
import { hashString, mixSeed } from './seeded-random.js';
import { DEFAULT_DISTINCT_LIMIT } from './value-counts.js';

export const PROFILE_FORMAT = 'slipway.profile';
export const PROFILE_VERSION = 1;

export interface DatasetProfile {
  readonly format: typeof PROFILE_FORMAT;
  readonly version: typeof PROFILE_VERSION;
  readonly rows: number;
  /** The bound the value counts were kept under (merges need it). */
  readonly distinctLimit: number;
  readonly columns: Readonly<Record<string, ColumnProfile>>;
}

/** A numeric column is a Float64Array (NaN = missing); a categorical one an array of strings (null = missing). */
export type RawColumn = Float64Array | readonly (string | null)[];
export type RawColumns = Readonly<Record<string, RawColumn>>;

export interface ProfileOptions {
  /** Values kept per numeric column for exact tests (default 10,000). */
  readonly reservoirSize?: number;
  /** Categories kept per categorical column (default 1,000). */
  readonly topK?: number;
  /** KLL sketch size (default 200). */
  readonly sketchK?: number;
  /** Distinct numeric values counted exactly (default 32). */
  readonly distinctLimit?: number;
  readonly seed?: number;
  /** Bin numeric columns on this profile's edges, so the two histograms compare and merge. */
  readonly reference?: DatasetProfile;
  /** Explicit histogram edges per column (wins over `reference`). */
  readonly edges?: Readonly<Record<string, ArrayLike<number>>>;
}

export function profileFromColumns(columns: RawColumns, options: ProfileOptions = {}): DatasetProfile {
  const names = Object.keys(columns);
  const rows = names.length === 0 ? 0 : columns[names[0]].length;
  const seed = options.seed ?? 0x5eed;
  const distinctLimit = options.distinctLimit ?? DEFAULT_DISTINCT_LIMIT;
  const out: Record<string, ColumnProfile> = {};
  for (const name of names) {
    const column = columns[name];
    if (column.length !== rows) {
      throw new SlipwayError(
        'CORE_INVALID_ARGUMENT',
        `column "${name}": expected ${rows} rows like "${names[0]}", got ${column.length}`,
        { column: name, expected: rows, got: column.length },
      );
    }
    const columnOptions: ColumnProfileOptions = {
      reservoirSize: options.reservoirSize ?? DEFAULT_RESERVOIR_CAPACITY,
      topK: options.topK ?? DEFAULT_TOP_K,
      sketchK: options.sketchK ?? DEFAULT_KLL_K,
      distinctLimit,
      seed: mixSeed(seed, hashString(name)),
      edges: edgesFor(name, options),
    };
    if (column instanceof Float64Array) {
      out[name] = numericProfileOf(column, columnOptions);
    } else if (Array.isArray(column)) {
      out[name] = categoricalProfileOf(column, columnOptions);
    } else {
      throw new SlipwayError(
        'CORE_INVALID_ARGUMENT',
        `column "${name}": expected a Float64Array (numeric) or an array of strings (categorical)`,
        { column: name },
      );
    }
  }
  return { format: PROFILE_FORMAT, version: PROFILE_VERSION, rows, distinctLimit, columns: out };
}

function edgesFor(name: string, options: ProfileOptions): Float64Array | null {
  const explicit = options.edges?.[name];
  if (explicit) return Float64Array.from(explicit);
  const ref = options.reference?.columns[name];
  if (ref?.kind === 'numeric' && ref.histogram) return ref.histogram.edges;
  return null;
}

/** The profile of the union of the (disjoint) rows behind `a` and `b`. Both need the same columns. */
export function mergeProfiles(
  a: DatasetProfile,
  b: DatasetProfile,
  options: { seed?: number } = {},
): DatasetProfile {
  const namesA = Object.keys(a.columns);
  const namesB = new Set(Object.keys(b.columns));
  const missing = namesA.filter((n) => !namesB.has(n));
  const extra = [...namesB].filter((n) => !(n in a.columns));
  if (missing.length > 0 || extra.length > 0) {
    throw new SlipwayError(
      'CORE_INVALID_ARGUMENT',
      `cannot merge profiles with different columns: only in the first [${missing.join(', ')}], only in the second [${extra.join(', ')}]`,
      { onlyInFirst: missing, onlyInSecond: extra },
    );
  }
  const seed = options.seed ?? mixSeed(a.rows, b.rows);
  const distinctLimit = Math.min(a.distinctLimit, b.distinctLimit);
  const columns: Record<string, ColumnProfile> = {};
  for (const name of namesA) {
    const ca = a.columns[name];
    const cb = b.columns[name];
    if (ca.kind !== cb.kind) {
      throw new SlipwayError(
        'CORE_INVALID_ARGUMENT',
        `column "${name}": cannot merge a ${ca.kind} profile with a ${cb.kind} one`,
        { column: name, first: ca.kind, second: cb.kind },
      );
    }
    columns[name] = mergeColumnProfiles(ca, cb, mixSeed(seed, hashString(name)), distinctLimit);
  }
  return { format: PROFILE_FORMAT, version: PROFILE_VERSION, rows: a.rows + b.rows, distinctLimit, columns };
}

export function isDatasetProfile(value: unknown): value is DatasetProfile {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { format?: unknown }).format === PROFILE_FORMAT &&
    typeof (value as { columns?: unknown }).columns === 'object'
  );
}
