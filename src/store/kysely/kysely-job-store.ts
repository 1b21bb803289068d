import type { Kysely, Selectable } from 'kysely';
import { SlipwayError } from '../../core/errors.js';
import type { BatchJobRecord, JobPatch, JobQuery, JobStatus, JobStore, NewJob } from '../job-store.js';
import type { BatchJobTable, Database } from '../schema.js';

/** JobStore over Kysely, in portable SQL (upsert with ON CONFLICT), for SQLite and PostgreSQL alike. */
export class KyselyJobStore implements JobStore {
  readonly #db: Kysely<Database>;
  readonly #now: () => number;

  constructor(db: Kysely<Database>, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  async upsertJob(job: NewJob): Promise<BatchJobRecord> {
    const now = this.#now();
    const row = {
      id: job.id,
      status: job.status,
      model_ref: job.model.ref,
      model_name: job.model.name,
      model_version: job.model.version,
      model_sha256: job.model.sha256,
      input_path: job.input.path,
      input_format: job.input.format,
      output_path: job.output.path,
      output_format: job.output.format,
      shard_index: job.shard?.index ?? null,
      shard_count: job.shard?.count ?? null,
      options_json: JSON.stringify(job.options),
      rows_read: job.rows.read,
      rows_written: job.rows.written,
      rows_rejected: job.rows.rejected,
      progress: job.progress,
      created_at: now,
      started_at: job.startedAt,
      updated_at: now,
      finished_at: null,
      error_json: null,
      provenance_json: null,
      runner: job.runner,
    };
    const { id: _id, created_at: _created, ...update } = row;
    await this.#db
      .insertInto('batch_jobs')
      .values(row)
      .onConflict((oc) => oc.column('id').doUpdateSet(update))
      .execute();
    return (await this.getJob(job.id))!;
  }

  async updateJob(id: string, patch: JobPatch): Promise<void> {
    const set: Partial<BatchJobTable> = { updated_at: this.#now() };
    if (patch.status !== undefined) set.status = patch.status;
    if (patch.rows !== undefined) {
      set.rows_read = patch.rows.read;
      set.rows_written = patch.rows.written;
      set.rows_rejected = patch.rows.rejected;
    }
    if (patch.progress !== undefined) set.progress = patch.progress;
    if (patch.finishedAt !== undefined) set.finished_at = patch.finishedAt;
    if (patch.error !== undefined) set.error_json = patch.error === null ? null : JSON.stringify(patch.error);
    if (patch.provenance !== undefined) {
      set.provenance_json = patch.provenance === null ? null : JSON.stringify(patch.provenance);
    }
    const res = await this.#db.updateTable('batch_jobs').set(set).where('id', '=', id).executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw jobNotFound(id);
  }

  async getJob(id: string): Promise<BatchJobRecord | null> {
    const row = await this.#db.selectFrom('batch_jobs').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async listJobs(query: JobQuery = {}): Promise<BatchJobRecord[]> {
    let q = this.#db.selectFrom('batch_jobs').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc');
    if (query.status !== undefined) q = q.where('status', '=', query.status);
    if (query.limit !== undefined) q = q.limit(query.limit);
    if (query.offset) q = q.offset(query.offset);
    return (await q.execute()).map(toRecord);
  }
}

function toRecord(row: Selectable<BatchJobTable>): BatchJobRecord {
  return {
    id: row.id,
    status: row.status as JobStatus,
    model: { ref: row.model_ref, name: row.model_name, version: row.model_version, sha256: row.model_sha256 },
    input: { path: row.input_path, format: row.input_format },
    output: { path: row.output_path, format: row.output_format },
    shard:
      row.shard_index === null || row.shard_count === null
        ? null
        : { index: Number(row.shard_index), count: Number(row.shard_count) },
    options: JSON.parse(row.options_json),
    rows: {
      read: Number(row.rows_read),
      written: Number(row.rows_written),
      rejected: Number(row.rows_rejected),
    },
    progress: Number(row.progress),
    createdAt: Number(row.created_at),
    startedAt: Number(row.started_at),
    updatedAt: Number(row.updated_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
    error: row.error_json === null ? null : JSON.parse(row.error_json),
    provenance: row.provenance_json === null ? null : JSON.parse(row.provenance_json),
    runner: row.runner,
  };
}

function jobNotFound(id: string): SlipwayError {
  return new SlipwayError('BATCH_JOB_NOT_FOUND', `no batch job has id "${id}"`, { id });
}
