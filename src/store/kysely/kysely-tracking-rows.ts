/** What the Kysely tracking store modules share: row mapping, id lists, numbers and errors. */
import type { Kysely, Transaction } from 'kysely';
import { SlipwayError } from '../../core/errors.js';
import type { Database, TrackingRunTable } from '../schema.js';
import type { LifecycleStage, MetricRecord, RunInfoRecord, RunStatus } from '../tracking-store.js';

export type Db = Kysely<Database> | Transaction<Database>;

// Rows per multi-row INSERT: 1,000 × 6 bound values stays under SQLite's 32,766 and PG's 65,535.
export const INSERT_CHUNK = 1000;

// Ids per `in (...)` list when hydrating: a search page may hold 50,000 rows (MLflow's cap), more
// values than one SQLite statement binds (32,766).
export const IN_CHUNK = 10_000;

/** A run's info from its row (every column but `deleted_time`). */
export function runInfoOf(row: Omit<TrackingRunTable, 'deleted_time'>): RunInfoRecord {
  return {
    runId: row.run_id,
    experimentId: String(row.experiment_id),
    runName: row.name,
    userId: row.user_id,
    status: row.status as RunStatus,
    startTime: Number(row.start_time),
    endTime: row.end_time === null ? null : Number(row.end_time),
    artifactUri: row.artifact_uri,
    lifecycleStage: row.lifecycle_stage as LifecycleStage,
  };
}

export function metricOf(row: {
  key: string;
  step: number;
  timestamp: number;
  value: number;
  is_nan: number;
  run_id: string;
}): MetricRecord {
  return {
    key: row.key,
    value: row.is_nan ? Number.NaN : Number(row.value),
    timestamp: Number(row.timestamp),
    step: Number(row.step),
    runId: row.run_id,
  };
}

/** `query` over `ids` in lists of at most IN_CHUNK ids, the answers concatenated in order. */
export async function chunked<K, T>(ids: K[], query: (chunk: K[]) => Promise<T[]>): Promise<T[]> {
  if (ids.length <= IN_CHUNK) return query(ids);
  const out: T[] = [];
  for (let i = 0; i < ids.length; i += IN_CHUNK) {
    for (const row of await query(ids.slice(i, i + IN_CHUNK))) out.push(row);
  }
  return out;
}

export function groupBy<T, K>(items: T[], key: (t: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

export function experimentNumber(id: string): number | null {
  return /^\d{1,15}$/.test(id) ? Number(id) : null;
}

export function experimentExists(name: string): SlipwayError {
  return new SlipwayError('TRACKING_EXPERIMENT_EXISTS', `Experiment(name=${name}) already exists.`);
}

export function experimentNotFound(id: string): SlipwayError {
  return new SlipwayError('TRACKING_EXPERIMENT_NOT_FOUND', `No Experiment with id=${id} exists`);
}

export function runNotFound(runId: string): SlipwayError {
  return new SlipwayError('TRACKING_RUN_NOT_FOUND', `Run with id=${runId} not found`);
}

export function loggedModelNotFound(modelId: string): SlipwayError {
  return new SlipwayError('TRACKING_LOGGED_MODEL_NOT_FOUND', `Logged model with ID '${modelId}' not found.`);
}
