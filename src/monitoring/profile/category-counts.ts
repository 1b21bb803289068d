/**
 * Bounded category frequencies: the `capacity` most frequent categories with their counts, and
 * `other` for the rows of every category that did not fit.
 *
 * Counting one column is exact; only the tail beyond `capacity` is folded into `other`. Merging
 * adds the two lists and truncates again, so a category that was in one side's `other` is
 * undercounted by that amount (the usual limit of merging top-k summaries); while both sides
 * have fewer than `capacity` categories, merges are exact. `truncated` says whether any folding
 * ever happened.
 */

export const DEFAULT_TOP_K = 1000;

export interface CategoryCounts {
  readonly capacity: number;
  /** Most frequent first; ties by category, so results do not depend on input order. */
  readonly counts: ReadonlyMap<string, number>;
  readonly other: number;
  readonly truncated: boolean;
}

export function categoryCountsOf(values: readonly (string | null)[], capacity: number): CategoryCounts {
  const counts = new Map<string, number>();
  for (const v of values) {
    if (v === null || v === undefined) continue;
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return truncate(counts, capacity, 0, false);
}

export function mergeCategoryCounts(a: CategoryCounts, b: CategoryCounts): CategoryCounts {
  const counts = new Map(a.counts);
  for (const [k, c] of b.counts) counts.set(k, (counts.get(k) ?? 0) + c);
  return truncate(counts, Math.min(a.capacity, b.capacity), a.other + b.other, a.truncated || b.truncated);
}

function truncate(
  counts: Map<string, number>,
  capacity: number,
  other: number,
  truncated: boolean,
): CategoryCounts {
  const entries = [...counts].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  let rest = other;
  for (let i = capacity; i < entries.length; i++) rest += entries[i][1];
  return {
    capacity,
    counts: new Map(entries.slice(0, capacity)),
    other: rest,
    truncated: truncated || entries.length > capacity,
  };
}
