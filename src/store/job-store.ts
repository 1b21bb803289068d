/**
 * The batch-job slice of the metadata store: one record per prediction job, its status, progress
 * and counts while it runs, its provenance once it is done.
 *
 * Contract:
 * - `upsertJob` inserts a job, or, when the id exists (a job resumed from its checkpoint), sets it
 *   RUNNING again with the new fields and keeps its `createdAt`.
 * - `updateJob` changes only the fields given and `updatedAt`; an unknown id throws
 *   `BATCH_JOB_NOT_FOUND`. Progress updates double as heartbeats: a RUNNING job whose `updatedAt`
 *   stops moving was killed.
 * - `listJobs` is ordered newest first (by `createdAt`, then id), paged with limit/offset.
 * - Lookups of an unknown id return null.
 */

export const JOB_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export interface BatchJobRecord {
  id: string;
  status: JobStatus;
  model: { ref: string; name: string; version: number; sha256: string };
  input: { path: string; format: string };
  output: { path: string; format: string };
  shard: { index: number; count: number } | null;
  options: Record<string, unknown>;
  rows: { read: number; written: number; rejected: number };
  /** Fraction of the input (or of the shard's share) read, 0 to 1. */
  progress: number;
  createdAt: number;
  startedAt: number;
  updatedAt: number;
  finishedAt: number | null;
  error: { code: string; message: string } | null;
  provenance: Record<string, unknown> | null;
  /** Who runs it: `hostname:pid`. */
  runner: string | null;
}

export type NewJob = Omit<BatchJobRecord, 'createdAt' | 'updatedAt' | 'finishedAt' | 'error' | 'provenance'>;

export type JobPatch = Partial<
  Pick<BatchJobRecord, 'status' | 'rows' | 'progress' | 'finishedAt' | 'error' | 'provenance'>
>;

export interface JobQuery {
  status?: JobStatus;
  limit?: number;
  offset?: number;
}

export interface JobStore {
  upsertJob(job: NewJob): Promise<BatchJobRecord>;
  updateJob(id: string, patch: JobPatch): Promise<void>;
  getJob(id: string): Promise<BatchJobRecord | null>;
  listJobs(query?: JobQuery): Promise<BatchJobRecord[]>;
}
