/**
 * What a drift test needs to know about one column, whether it comes from raw values (a current
 * window) or from a stored profile (a reference). From raw values everything is exact. From a
 * profile, numeric tests run on its reservoir sample — exact while the reservoir holds the whole
 * column (≤ 10,000 values by default), a uniform sample beyond — with the column's exact std and
 * row count; category tests run on its exact counts (top-k plus an "other" bucket).
 */
import { SlipwayError } from '../../core/errors.js';
import type { ColumnProfile } from '../profile/column-profile.js';
import type { RawColumn } from '../profile/dataset-profile.js';
import type { FixedHistogram } from '../profile/fixed-histogram.js';
import { DEFAULT_DISTINCT_LIMIT } from '../profile/value-counts.js';
import { sortedFinite } from './sorted-finite.js';
import { populationStd } from './wasserstein.js';

export interface NumericDriftColumn {
  readonly kind: 'numeric';
  /** Finite values, ascending: the whole column when `complete`, else a uniform sample of it. */
  readonly sorted: Float64Array;
  readonly complete: boolean;
  /** Finite values in the whole column. */
  readonly rows: number;
  /** Population std of the whole column's finite values. */
  readonly std: number;
  /** Exact counts per distinct value when there are few (see `valueCountsOf` for all). */
  readonly valueCounts: ReadonlyMap<number, number> | null;
  /** Distinct values in the column, or null when only "many" is known. */
  readonly distinct: number | null;
  /** The profile's histogram over fixed edges, when the column came from a profile. */
  readonly histogram: FixedHistogram | null;
}

export interface CategoricalDriftColumn {
  readonly kind: 'categorical';
  /** Non-missing rows. */
  readonly rows: number;
  readonly counts: ReadonlyMap<string, number>;
  /** Rows in categories folded out of `counts` (a profile's top-k overflow). */
  readonly other: number;
}

export type DriftColumn = NumericDriftColumn | CategoricalDriftColumn;

/** A complete numeric column from raw values (NaN and ±inf dropped, as Evidently does). */
export function numericDriftColumn(values: ArrayLike<number>): NumericDriftColumn {
  return numericFromSorted(sortedFinite(values));
}

export function numericFromSorted(sorted: Float64Array): NumericDriftColumn {
  const distinct = distinctInSorted(sorted);
  return {
    kind: 'numeric',
    sorted,
    complete: true,
    rows: sorted.length,
    std: populationStd(sorted),
    // Building a map for a million distinct values costs more than the test; tests that need
    // every value's count call `valueCountsOf` on demand.
    valueCounts: distinct <= DEFAULT_DISTINCT_LIMIT ? sortedValueCounts(sorted) : null,
    distinct,
    histogram: null,
  };
}

/** Exact counts per value, or null when the column is a sample with many distinct values. */
export function valueCountsOf(column: NumericDriftColumn): ReadonlyMap<number, number> | null {
  if (column.valueCounts) return column.valueCounts;
  return column.complete ? sortedValueCounts(column.sorted) : null;
}

function distinctInSorted(sorted: Float64Array): number {
  let d = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) d++;
  return d;
}

export function categoricalDriftColumn(values: readonly (string | null)[]): CategoricalDriftColumn {
  const counts = new Map<string, number>();
  let rows = 0;
  for (const v of values) {
    if (v === null || v === undefined) continue;
    counts.set(v, (counts.get(v) ?? 0) + 1);
    rows++;
  }
  return { kind: 'categorical', rows, counts, other: 0 };
}

/** A categorical column known only by its counts per category (e.g. from a SQL GROUP BY). */
export function driftColumnFromCounts(counts: ReadonlyMap<string, number>): CategoricalDriftColumn {
  let rows = 0;
  for (const c of counts.values()) rows += c;
  return { kind: 'categorical', rows, counts, other: 0 };
}

export function driftColumnFromRaw(values: RawColumn): DriftColumn {
  return values instanceof Float64Array ? numericDriftColumn(values) : categoricalDriftColumn(values);
}

export function driftColumnFromProfile(p: ColumnProfile): DriftColumn {
  if (p.kind === 'categorical') {
    let listed = 0;
    for (const c of p.categories.counts.values()) listed += c;
    return {
      kind: 'categorical',
      rows: listed + p.categories.other,
      counts: p.categories.counts,
      other: p.categories.other,
    };
  }
  const rows = p.count - p.missing - p.infinite;
  const complete = p.reservoir.seen === p.reservoir.values.length && p.reservoir.seen === rows;
  if (complete) return numericFromSorted(p.reservoir.values);
  return {
    kind: 'numeric',
    sorted: p.reservoir.values,
    complete: false,
    rows,
    std: p.std ?? 0,
    valueCounts: p.valueCounts,
    distinct: p.valueCounts ? p.valueCounts.size : null,
    histogram: p.histogram,
  };
}

/** Counts per value of a sorted array (keys ascending). */
export function sortedValueCounts(sorted: Float64Array): Map<number, number> {
  const counts = new Map<number, number>();
  let i = 0;
  while (i < sorted.length) {
    const v = sorted[i];
    let j = i + 1;
    while (j < sorted.length && sorted[j] === v) j++;
    counts.set(v, j - i);
    i = j;
  }
  return counts;
}

/** Non-empty check with Evidently's message ("An empty column ... was provided"). */
export function assertNotEmpty(column: DriftColumn, name: string, side: 'reference' | 'current'): void {
  if (column.rows === 0) {
    throw new SlipwayError(
      'CORE_INVALID_ARGUMENT',
      `column "${name}": the ${side} data has no non-missing values, so drift cannot be computed`,
      { column: name, side },
    );
  }
}
