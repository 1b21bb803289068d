import { type Kysely, sql } from 'kysely';

/** Batch prediction jobs (issue 4). Portable DDL only, like 0001 and 0002. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('batch_jobs')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('model_ref', 'text', (c) => c.notNull())
    .addColumn('model_name', 'varchar(128)', (c) => c.notNull())
    .addColumn('model_version', 'integer', (c) => c.notNull())
    .addColumn('model_sha256', 'varchar(64)', (c) => c.notNull())
    .addColumn('input_path', 'text', (c) => c.notNull())
    .addColumn('input_format', 'varchar(16)', (c) => c.notNull())
    .addColumn('output_path', 'text', (c) => c.notNull())
    .addColumn('output_format', 'varchar(16)', (c) => c.notNull())
    .addColumn('shard_index', 'integer')
    .addColumn('shard_count', 'integer')
    .addColumn('options_json', 'text', (c) => c.notNull())
    .addColumn('rows_read', 'bigint', (c) => c.notNull())
    .addColumn('rows_written', 'bigint', (c) => c.notNull())
    .addColumn('rows_rejected', 'bigint', (c) => c.notNull())
    .addColumn('progress', 'double precision', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .addColumn('error_json', 'text')
    .addColumn('provenance_json', 'text')
    .addColumn('runner', 'varchar(300)')
    .execute();
  await sql`create index batch_jobs_created on batch_jobs (created_at, id)`.execute(db);
  await sql`create index batch_jobs_status on batch_jobs (status, created_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('batch_jobs').execute();
}
