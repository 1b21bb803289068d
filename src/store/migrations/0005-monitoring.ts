import { type Kysely, sql } from 'kysely';

// Monitoring: the prediction log (with the labels that arrive later), reference profiles, the time
// series of evaluation results, per-process traffic counts, scheduler leases, alert rules and
// their history. Portable DDL only, like 0001.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('prediction_log')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('request_id', 'varchar(128)', (c) => c.notNull())
    .addColumn('row_index', 'integer', (c) => c.notNull())
    .addColumn('prediction_key', 'varchar(256)')
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('model', 'varchar(128)', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('deployment', 'varchar(128)')
    .addColumn('protocol', 'varchar(16)', (c) => c.notNull())
    .addColumn('latency_ms', 'double precision', (c) => c.notNull())
    .addColumn('layout_id', 'integer', (c) => c.notNull())
    .addColumn('features', 'blob', (c) => c.notNull())
    .addColumn('outputs', 'blob', (c) => c.notNull())
    .addColumn('label_json', 'text')
    .addColumn('labelled_at', 'bigint')
    .execute();
  // Windows read by model, version and time (an index that grows at its end as rows arrive).
  // Time ranges over every model use id ranges instead (rows are written in arrival order), and
  // request ids and prediction keys are looked up through prediction_log_ids, built in bulk: each
  // index on this table is paid for by every logged row (see prediction-log-store.ts).
  await sql`create index prediction_log_window on prediction_log (model, version, at)`.execute(db);
  await db.schema
    .createTable('prediction_log_ids')
    .addColumn('hash', 'bigint', (c) => c.notNull())
    .addColumn('log_id', 'bigint', (c) => c.notNull())
    .execute();
  await sql`create index prediction_log_ids_hash on prediction_log_ids (hash)`.execute(db);
  await db.schema
    .createTable('prediction_log_ids_mark')
    .addColumn('name', 'varchar(16)', (c) => c.primaryKey())
    .addColumn('log_id', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('prediction_log_layouts')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('spec_json', 'text', (c) => c.notNull().unique())
    .execute();

  await db.schema
    .createTable('monitoring_references')
    .addColumn('model', 'varchar(128)', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('source_json', 'text', (c) => c.notNull())
    .addColumn('profile_json', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('monitoring_references_pk', ['model', 'version'])
    .execute();

  await db.schema
    .createTable('monitoring_results')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('model', 'varchar(128)', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('kind', 'varchar(32)', (c) => c.notNull())
    .addColumn('window_start', 'bigint', (c) => c.notNull())
    .addColumn('window_end', 'bigint', (c) => c.notNull())
    .addColumn('rows', 'integer', (c) => c.notNull())
    .addColumn('result_json', 'text', (c) => c.notNull())
    .execute();
  await sql`create index monitoring_results_series on monitoring_results (model, version, kind, at)`.execute(
    db,
  );

  await db.schema
    .createTable('monitoring_traffic')
    .addColumn('process', 'varchar(96)', (c) => c.notNull())
    .addColumn('model', 'varchar(128)', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('bucket', 'bigint', (c) => c.notNull())
    .addColumn('requests', 'bigint', (c) => c.notNull())
    .addColumn('errors', 'bigint', (c) => c.notNull())
    .addColumn('client_errors', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('monitoring_traffic_pk', ['process', 'model', 'version', 'bucket'])
    .execute();
  await sql`create index monitoring_traffic_window on monitoring_traffic (model, version, bucket)`.execute(
    db,
  );

  await db.schema
    .createTable('monitoring_leases')
    .addColumn('name', 'varchar(128)', (c) => c.primaryKey())
    .addColumn('owner', 'varchar(96)', (c) => c.notNull())
    .addColumn('until', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('alert_rules')
    .addColumn('name', 'varchar(128)', (c) => c.primaryKey())
    .addColumn('spec_json', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('firing', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_value', 'double precision')
    .addColumn('last_evaluated_at', 'bigint')
    .addColumn('last_fired_at', 'bigint')
    .execute();

  await db.schema
    .createTable('alert_events')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('rule', 'varchar(128)', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('kind', 'varchar(16)', (c) => c.notNull())
    .addColumn('value', 'double precision')
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('details_json', 'text', (c) => c.notNull())
    .addColumn('deliveries_json', 'text', (c) => c.notNull())
    .execute();
  await sql`create index alert_events_by_rule on alert_events (rule, id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of [
    'alert_events',
    'alert_rules',
    'monitoring_leases',
    'monitoring_traffic',
    'monitoring_results',
    'monitoring_references',
    'prediction_log_ids_mark',
    'prediction_log_ids',
    'prediction_log_layouts',
    'prediction_log',
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
