/**
 * Which test to run when the user does not say, following Evidently's `_get_default_stattest`
 * (legacy/calculations/stattests/registry.py, Evidently 0.7):
 *
 * | reference rows | numeric, > 5 values | numeric, ≤ 5 values            | categorical                |
 * |----------------|---------------------|--------------------------------|----------------------------|
 * | ≤ 1000         | ks (p ≤ 0.05)        | chisquare if > 2 values, else z | chisquare if > 2, else z (p < 0.05) |
 * | > 1000         | wasserstein (≥ 0.1)  | jensenshannon (≥ 0.1)           | jensenshannon (≥ 0.1)       |
 *
 * "values" counts the distinct non-missing values of reference and current together. Large
 * references get distances, not p-values, on purpose: at n = 10^6 every p-value is tiny.
 */
import type { DriftColumn } from './drift-column.js';
import type { ColumnKind, DriftMethod } from './drift-method.js';

/** Evidently switches from p-values to distances above this many reference rows. */
const SMALL_REFERENCE_ROWS = 1000;

/**
 * The default method for a column with `referenceRows` non-missing reference rows.
 * `uniqueValues` (reference and current together) decides the binary/few-values cases; when it
 * is not given, numeric columns are taken to have many values and categorical ones more than 2.
 */
export function defaultMethod(referenceRows: number, kind: ColumnKind, uniqueValues?: number): DriftMethod {
  const unique = uniqueValues ?? Number.POSITIVE_INFINITY;
  if (referenceRows <= SMALL_REFERENCE_ROWS) {
    if (kind === 'numeric' && unique > 5) return 'ks';
    return unique > 2 ? 'chisquare' : 'z';
  }
  if (kind === 'numeric' && unique > 5) return 'wasserstein';
  return 'jensenshannon';
}

/** Distinct non-missing values over both sides, exact up to 5 for numbers (all that matters). */
export function uniqueValuesOf(reference: DriftColumn, current: DriftColumn): number {
  if (reference.kind === 'categorical' && current.kind === 'categorical') {
    const keys = new Set(reference.counts.keys());
    for (const k of current.counts.keys()) keys.add(k);
    return keys.size + (reference.other > 0 || current.other > 0 ? 1 : 0);
  }
  if (reference.kind === 'numeric' && current.kind === 'numeric') {
    if (reference.distinct === null || current.distinct === null) return Number.POSITIVE_INFINITY;
    if (reference.distinct > 5 || current.distinct > 5) return Math.max(reference.distinct, current.distinct);
    const keys = new Set(reference.valueCounts?.keys());
    for (const k of current.valueCounts?.keys() ?? []) keys.add(k);
    return keys.size;
  }
  return Number.POSITIVE_INFINITY;
}
