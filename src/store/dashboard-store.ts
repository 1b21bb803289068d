/**
 * Read-only aggregations the web dashboard asks for and no other store gives: counts across
 * concerns, model summaries with paging, traffic and latency per time bucket, the newest drift
 * result per time bucket, experiment summaries and the keys of their runs.
 *
 * Contract:
 * - Everything is computed in the database (GROUP BY, window functions); nothing
 *   returns raw rows for the caller to aggregate, so answers stay small with a week of traffic.
 * - Time buckets are `floor(t / stepMs) * stepMs` in milliseconds since the epoch; `from` is
 *   inclusive and `until` exclusive on every time filter.
 * - Percentiles are nearest-rank: the value at rank `ceil(p × n)` (1-based) of the bucket's
 *   latencies in ascending order, so p99 of fewer than 100 requests is their slowest.
 * - Lists are ordered: models by name, series by bucket then model then version.
 * - A `VersionFilter` with `version: null` covers every version of the model; an empty filter
 *   list matches nothing.
 */
export interface DashboardStore {
  counts(): Promise<DashboardCounts>;
  listModels(query: ModelSummaryQuery): Promise<{ total: number; models: ModelSummary[] }>;
  /** Requests, 5xx and 4xx answers per bucket and version, summed over serving processes. */
  trafficSeries(query: SeriesQuery): Promise<TrafficBucket[]>;
  /** Request latency percentiles per bucket and version (one value per request: its row 0). */
  latencySeries(query: SeriesQuery & { deployment?: string | null }): Promise<LatencyBucket[]>;
  /** The newest stored result of `kind` in each bucket, oldest bucket first. */
  resultsPerBucket(query: ResultBucketQuery): Promise<BucketResult[]>;
  experimentSummaries(): Promise<ExperimentSummary[]>;
  /** Distinct param, metric and tag keys of the active runs of some experiments (at most `limit` each). */
  runColumns(experimentIds: readonly string[], limit: number): Promise<RunColumns>;
}

export interface DashboardCounts {
  models: number;
  versions: number;
  deployments: number;
  experiments: number;
  runs: number;
  jobs: Record<string, number>;
  firingAlerts: number;
}

export interface ModelSummaryQuery {
  nameContains?: string | null;
  limit: number;
  offset: number;
}

export interface ModelSummary {
  name: string;
  description: string | null;
  updatedAt: number;
  versions: number;
  latestVersion: number | null;
  latestStatus: string | null;
  latestCreatedAt: number | null;
  aliases: Record<string, number>;
}

export interface VersionFilter {
  model: string;
  version: number | null;
}

export interface SeriesQuery {
  versions: readonly VersionFilter[];
  from: number;
  until: number;
  /** Bucket width; null for one bucket spanning the whole range (its `bucket` is `from`). */
  stepMs: number | null;
}

export interface TrafficBucket {
  bucket: number;
  model: string;
  version: number;
  requests: number;
  errors: number;
  clientErrors: number;
}

export interface LatencyBucket {
  bucket: number;
  model: string;
  version: number;
  requests: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface ResultBucketQuery {
  model: string;
  version: number | null;
  kind: string;
  from: number;
  until: number;
  stepMs: number;
}

export interface BucketResult {
  id: number;
  at: number;
  version: number;
  windowStart: number;
  windowEnd: number;
  rows: number;
  resultJson: string;
}

export interface ExperimentSummary {
  experimentId: string;
  name: string;
  runs: number;
  lastRunAt: number | null;
  creationTime: number;
}

export interface RunColumns {
  params: string[];
  metrics: string[];
  tags: string[];
}
