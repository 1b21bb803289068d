import { sortFloat64 } from '../profile/sort-float64.js';

/**
 * The finite values of a column, sorted ascending, in a new array.
 *
 * Evidently drops NaN and replaces ±inf by NaN before any drift test
 * (`legacy/calculations/data_drift.py::get_one_column_drift`), so every numeric test here sees
 * finite values only. Sorting a Float64Array uses the engine's numeric sort (no comparator).
 */
export function sortedFinite(values: ArrayLike<number>): Float64Array {
  let finite = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) finite++;
  const out = new Float64Array(finite);
  let k = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) out[k++] = v;
  }
  return sortFloat64(out);
}

/** True when `values` is ascending and finite: lets callers skip a sort they already did. */
export function isSortedFinite(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v) || (i > 0 && v < values[i - 1])) return false;
  }
  return true;
}
