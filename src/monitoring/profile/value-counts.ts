/**
 * Exact counts per distinct value for numeric columns with few distinct values (flags, small
 * integers). Evidently switches such columns to category tests — chi-square or Z below 1,000
 * reference rows when there are at most 5 values (2 for Z), value-based bins for PSI and
 * Jensen–Shannon when the reference has at most 20 — so a profile must know them exactly.
 * Beyond `limit` distinct values we keep nothing (null).
 */

export const DEFAULT_DISTINCT_LIMIT = 32;

/** Counts of the distinct finite values, or null when there are more than `limit`. */
export function valueCountsOf(values: Float64Array, limit: number): Map<number, number> | null {
  const counts = new Map<number, number>();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const c = counts.get(v);
    if (c === undefined) {
      if (counts.size >= limit) return null;
      counts.set(v, 1);
    } else {
      counts.set(v, c + 1);
    }
  }
  return counts;
}

export function mergeValueCounts(
  a: ReadonlyMap<number, number> | null,
  b: ReadonlyMap<number, number> | null,
  limit: number,
): Map<number, number> | null {
  if (a === null || b === null) return null;
  const out = new Map(a);
  for (const [v, c] of b) out.set(v, (out.get(v) ?? 0) + c);
  return out.size > limit ? null : out;
}
