import type { DashboardStore, LatencyBucket, TrafficBucket, VersionFilter } from '../../../index.js';
import { bucketsOf, type TimeRange } from './time-range.js';

/**
 * Request rate, errors and latency per model version on one time axis, ready to draw: every
 * series has one value per bucket of `t` (0 requests where none came, null latency where no
 * request was answered). Requests and errors come from the per-minute request counters that every
 * serving process writes (every answer, unsampled, flushed every 15 s); latencies from the
 * prediction log (answered requests, one per request). A bucket's requests are the larger of the
 * two counts, so the last seconds before a flush still show.
 */
export async function trafficSeries(
  store: DashboardStore,
  versions: VersionFilter[],
  range: TimeRange,
  deployment: string | null,
) {
  const query = { versions, from: range.from, until: range.until, stepMs: range.stepMs };
  const [counts, latencies, totalLatencies] = await Promise.all([
    store.trafficSeries(query),
    store.latencySeries({ ...query, deployment }),
    // Percentiles of the whole range are not a sum of the buckets': one more bucket, the range.
    store.latencySeries({ ...query, deployment, stepMs: null }),
  ]);
  const t = bucketsOf(range);
  const index = new Map(t.map((b, i) => [b, i]));
  const keys = [...new Set([...counts, ...latencies].map(keyOf))].sort(compareKeys);
  const seconds = range.stepMs / 1000;
  const series = keys.map((key) => {
    const [model, version] = splitKey(key);
    const requests = new Array<number>(t.length).fill(0);
    const errors = new Array<number>(t.length).fill(0);
    const clientErrors = new Array<number>(t.length).fill(0);
    const p50 = new Array<number | null>(t.length).fill(null);
    const p90 = new Array<number | null>(t.length).fill(null);
    const p99 = new Array<number | null>(t.length).fill(null);
    for (const c of counts) {
      const i = index.get(c.bucket);
      if (i === undefined || keyOf(c) !== key) continue;
      requests[i] = c.requests;
      errors[i] = c.errors;
      clientErrors[i] = c.clientErrors;
    }
    for (const l of latencies) {
      const i = index.get(l.bucket);
      if (i === undefined || keyOf(l) !== key) continue;
      requests[i] = Math.max(requests[i], l.requests);
      p50[i] = round(l.p50Ms);
      p90[i] = round(l.p90Ms);
      p99[i] = round(l.p99Ms);
    }
    const totalLatency = totalLatencies.find((l) => keyOf(l) === key);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const totalRequests = sum(requests);
    const totalErrors = sum(errors);
    return {
      model,
      version,
      label: `${model}:${version}`,
      requests,
      rate_per_s: requests.map((n) => round(n / seconds)),
      errors,
      client_errors: clientErrors,
      error_rate: requests.map((n, i) => (n > 0 ? round(errors[i] / n) : null)),
      p50_ms: p50,
      p90_ms: p90,
      p99_ms: p99,
      summary: {
        requests: totalRequests,
        rate_per_s: round(totalRequests / ((range.until - range.from) / 1000)),
        errors: totalErrors,
        client_errors: sum(clientErrors),
        error_rate: totalRequests > 0 ? round(totalErrors / totalRequests) : null,
        p50_ms: totalLatency ? round(totalLatency.p50Ms) : null,
        p90_ms: totalLatency ? round(totalLatency.p90Ms) : null,
        p99_ms: totalLatency ? round(totalLatency.p99Ms) : null,
        mean_ms: totalLatency ? round(totalLatency.meanMs) : null,
      },
    };
  });
  return { from: range.from, until: range.until, step_ms: range.stepMs, deployment, t, series };
}

function keyOf(b: TrafficBucket | LatencyBucket): string {
  return `${b.model}\u0000${b.version}`;
}

function splitKey(key: string): [string, number] {
  const [model, version] = key.split('\u0000');
  return [model, Number(version)];
}

function compareKeys(a: string, b: string): number {
  const [ma, va] = splitKey(a);
  const [mb, vb] = splitKey(b);
  return ma < mb ? -1 : ma > mb ? 1 : va - vb;
}

/** Four significant digits: the charts and tables need no more, and the JSON stays small. */
export function round(x: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(4)) : x;
}
