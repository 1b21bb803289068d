import type { BatchJobRecord } from '../store/job-store.js';

/**
 * A job as the HTTP API and `slipway jobs --json` show it (snake_case, like the rest of /api/v1).
 * `stale` marks a RUNNING job whose heartbeat stopped: its process was killed, and `predict --resume`
 * continues it.
 */
export function batchJobJson(job: BatchJobRecord, stale: boolean): Record<string, unknown> {
  return {
    id: job.id,
    status: job.status,
    stale,
    model: job.model,
    input: job.input,
    output: job.output,
    shard: job.shard,
    options: job.options,
    rows: job.rows,
    progress: job.progress,
    created_at: job.createdAt,
    started_at: job.startedAt,
    updated_at: job.updatedAt,
    finished_at: job.finishedAt,
    error: job.error,
    provenance: job.provenance,
    runner: job.runner,
  };
}
