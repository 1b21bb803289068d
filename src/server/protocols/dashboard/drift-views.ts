import type { BucketResult, Slipway } from '../../../index.js';
import { round } from './traffic-series.js';

interface ColumnResult {
  method: string;
  statistic: number;
  p_value: number | null;
  threshold: number;
  drifted: boolean;
  kind?: string;
}

/** Scores past this are drawn alike: the colour scale saturates. */
const MAX_SCORE = 10;

/**
 * One comparable drift score per column test, whatever the method: 1 at the test's threshold,
 * 0 for identical data, larger is more drift. A distance is divided by its threshold; a p-value p
 * becomes log(p) / log(threshold), so p = threshold gives 1 and every tenfold smaller p adds
 * the same step. Capped at 10.
 */
export function driftScore(c: ColumnResult): number {
  if (c.p_value !== null && c.p_value !== undefined) {
    if (c.p_value <= 0) return MAX_SCORE;
    if (c.p_value >= 1) return 0;
    return Math.min(MAX_SCORE, Math.log(c.p_value) / Math.log(c.threshold));
  }
  if (!(c.threshold > 0)) return c.drifted ? 1 : 0;
  return Math.min(MAX_SCORE, Math.max(0, c.statistic / c.threshold));
}

/**
 * The drift heat map: stored results (newest per bucket) as columns, features as rows (most
 * drifted first), each cell a score (see `driftScore`) with its test's own numbers beside it.
 */
export function heatmapJson(results: BucketResult[]) {
  const parsed = results.map((r) => ({ r, result: JSON.parse(r.resultJson) as Record<string, unknown> }));
  const names = new Set<string>();
  for (const { result } of parsed) for (const name of Object.keys(columnsOf(result))) names.add(name);
  const rows = [...names].map((name) => {
    const cells = parsed.map(({ result }) => columnsOf(result)[name] ?? null);
    const score = cells.map((c) => (c ? round(driftScore(c)) : null));
    const known = cells.find((c) => c !== null)!;
    return {
      name,
      method: known.method,
      threshold: known.threshold,
      kind: known.kind ?? null,
      score,
      statistic: cells.map((c) => (c ? round(c.statistic) : null)),
      p_value: cells.map((c) => (c && c.p_value !== null ? round(c.p_value) : null)),
      drifted: cells.map((c) => (c ? c.drifted : null)),
      drifted_windows: cells.filter((c) => c?.drifted).length,
      drifting_since: driftingSince(
        cells.map((c) => c?.drifted ?? false),
        results,
      ),
      max_score: score.reduce<number>((m, s) => Math.max(m, s ?? 0), 0),
      latest_score: score.at(-1) ?? null,
    };
  });
  rows.sort((a, b) => b.max_score - a.max_score || (a.name < b.name ? -1 : 1));
  const since = rows.map((r) => r.drifting_since).filter((t): t is number => t !== null);
  return {
    /** Where the drift of the newest window started: the earliest of its drifted features' runs. */
    drifting_since: since.length > 0 ? Math.min(...since) : null,
    drifting_features: rows.filter((r) => r.drifting_since !== null).map((r) => r.name),
    windows: parsed.map(({ r, result }) => ({
      result_id: r.id,
      at: r.at,
      version: r.version,
      window_start: r.windowStart,
      window_end: r.windowEnd,
      rows: r.rows,
      dataset_drift: Boolean(result.dataset_drift),
      drift_share: typeof result.drift_share === 'number' ? round(result.drift_share) : null,
      drifted_columns: typeof result.drifted_columns === 'number' ? result.drifted_columns : null,
      number_of_columns: typeof result.number_of_columns === 'number' ? result.number_of_columns : null,
    })),
    features: rows,
  };
}

/**
 * When a feature drifted in the newest window, the start of the window that opened its unbroken
 * run of drifted windows up to the newest: where its drift started. Null when the newest window
 * did not drift.
 */
function driftingSince(drifted: boolean[], results: BucketResult[]): number | null {
  if (drifted.length === 0 || !drifted[drifted.length - 1]) return null;
  let i = drifted.length - 1;
  while (i > 0 && drifted[i - 1]) i--;
  return results[i].windowStart;
}

/** The newest drift figures of a stored result, for lists: share, verdict, the top columns. */
export function driftSummary(result: Record<string, unknown>, top = 3) {
  const columns = Object.entries(columnsOf(result))
    .map(([feature, c]) => ({ feature, score: round(driftScore(c)), drifted: c.drifted }))
    .sort((a, b) => b.score - a.score);
  return {
    dataset_drift: Boolean(result.dataset_drift),
    drift_share: typeof result.drift_share === 'number' ? round(result.drift_share) : null,
    drifted_columns: columns.filter((c) => c.drifted).length,
    number_of_columns: columns.length,
    top: columns.slice(0, top),
  };
}

function columnsOf(result: Record<string, unknown>): Record<string, ColumnResult> {
  return (result.columns as Record<string, ColumnResult> | undefined) ?? {};
}

export interface DistributionQuery {
  ref: string;
  feature: string;
  from: number;
  until: number;
  newest: number | null;
  deployment: string | null;
}

/**
 * A feature's reference and current distributions on common bins (the reference histogram's
 * edges, or its most frequent categories), as shares, with the drift test of that window
 * recomputed beside them: monitoring reads the window (its log rows are packed, not SQL columns).
 */
export async function distributionJson(slipway: Slipway, q: DistributionQuery) {
  const { report, distributions } = await slipway.monitoring.driftReport(
    q.ref,
    // The stored result's time range; its row cap (50,000 newest by default) rarely bites, and a
    // window spec takes a range or a count, not both.
    { from: q.from, until: q.until, deployment: q.deployment },
    { columns: [q.feature], predictions: false },
  );
  const d = distributions[q.feature];
  const test = report.columns[q.feature];
  return {
    model: report.model,
    version: report.version,
    feature: q.feature,
    window: { from: q.from, until: q.until, newest: q.newest, deployment: q.deployment },
    kind: d.kind,
    bins: d.bins,
    reference: d.reference.map(round),
    current: d.current.map(round),
    reference_rows: d.referenceRows,
    current_rows: d.currentRows,
    reference_dataset: report.reference,
    test: test
      ? {
          method: test.method,
          statistic: round(test.statistic),
          p_value: test.p_value === null ? null : round(test.p_value),
          threshold: test.threshold,
          drifted: test.drifted,
          score: round(driftScore(test)),
        }
      : null,
  };
}
