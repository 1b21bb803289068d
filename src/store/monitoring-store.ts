/**
 * Monitoring's state beside the prediction log: reference profiles per model version, the time
 * series of evaluation results, per-process traffic counts, and the leases that let one replica
 * at a time run a scheduled job.
 *
 * Contract (every backend passes `test/monitoring/store/monitoring-store.contract.ts`):
 * - One reference per model version: `putReference` replaces it.
 * - Results are append-only; `listResults` is newest first; `latestResults` gives the newest
 *   result of each (model, version, kind).
 * - Traffic rows are absolute per (process, model, version, bucket): `upsertTraffic` replaces
 *   them, so a replayed flush never double counts; `trafficSince` sums every process.
 * - `acquireLease` is a compare-and-set: it succeeds when the lease is free, expired, or already
 *   held by the same owner (which extends it), so one process at a time holds it.
 */
export interface MonitoringStore {
  putReference(input: ReferenceRecord): Promise<void>;
  getReference(model: string, version: number): Promise<ReferenceRecord | null>;
  listReferences(model: string | null): Promise<Omit<ReferenceRecord, 'profileJson'>[]>;

  appendResult(input: NewResult): Promise<ResultRecord>;
  listResults(query: ResultQuery): Promise<ResultRecord[]>;
  latestResults(): Promise<ResultRecord[]>;
  deleteResultsBefore(cutoff: number): Promise<number>;

  upsertTraffic(rows: readonly TrafficRow[]): Promise<void>;
  trafficSince(model: string, version: number | null, since: number): Promise<TrafficTotals>;

  acquireLease(name: string, owner: string, until: number, now: number): Promise<boolean>;
  releaseLease(name: string, owner: string): Promise<void>;
}

export interface ReferenceRecord {
  model: string;
  version: number;
  createdAt: number;
  /** JSON text: dataset path, sha256, rows; feature, output and target column names. */
  sourceJson: string;
  /** JSON text of the profile (`toJSON` of monitoring's DatasetProfile). */
  profileJson: string;
}

export const RESULT_KINDS = ['drift', 'prediction_drift', 'quality'] as const;
export type ResultKind = (typeof RESULT_KINDS)[number];

export interface NewResult {
  at: number;
  model: string;
  version: number;
  kind: ResultKind;
  windowStart: number;
  windowEnd: number;
  rows: number;
  resultJson: string;
}

export interface ResultRecord extends NewResult {
  id: number;
}

export interface ResultQuery {
  model?: string | null;
  version?: number | null;
  kind?: ResultKind | null;
  since?: number | null;
  limit?: number | null;
}

export interface TrafficRow {
  process: string;
  model: string;
  version: number;
  /** Start of the minute (ms). */
  bucket: number;
  requests: number;
  /** Answers with a 5xx status (failures, overload, timeouts). */
  errors: number;
  /** Answers with a 4xx status. */
  clientErrors: number;
}

export interface TrafficTotals {
  requests: number;
  errors: number;
  clientErrors: number;
}
