import { type Kysely, sql } from 'kysely';

/**
 * The prediction log's rows name their model version, deployment and protocol by one small
 * integer (`prediction_log_streams`, interned like layouts) instead of four columns, and the id
 * lookup becomes one B-tree keyed by (hash, log_id) instead of a table plus an index on hash.
 * Both are paid for by every logged row: bench/monitoring (row-costs.ts) measured a row with the
 * four columns and the window index on (model, version, at) at 2.9 µs in 100-row inserts, and
 * with a stream id at 2.1 µs; the lookup at 3.0 µs an entry as a table and index, 2.5 µs as one
 * B-tree.
 *
 * Existing rows keep their ids: `afterId` pages and the lookup's mark rely on ids only growing,
 * so the new table also takes over the old one's AUTOINCREMENT counter (sqlite_sequence), which
 * may be past every id left after retention.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('prediction_log_streams')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('model', 'varchar(128)', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('deployment', 'varchar(128)')
    .addColumn('protocol', 'varchar(16)', (c) => c.notNull())
    .execute();
  await sql`create index prediction_log_streams_version on prediction_log_streams (model, version)`.execute(
    db,
  );
  await sql`insert into prediction_log_streams (model, version, deployment, protocol)
    select distinct model, version, deployment, protocol from prediction_log`.execute(db);

  await sql`drop index prediction_log_window`.execute(db);
  await sql`alter table prediction_log rename to prediction_log_0005`.execute(db);
  await db.schema
    .createTable('prediction_log')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('stream_id', 'integer', (c) => c.notNull())
    .addColumn('request_id', 'varchar(128)', (c) => c.notNull())
    .addColumn('row_index', 'integer', (c) => c.notNull())
    .addColumn('prediction_key', 'varchar(256)')
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('latency_ms', 'double precision', (c) => c.notNull())
    .addColumn('layout_id', 'integer', (c) => c.notNull())
    .addColumn('features', 'blob', (c) => c.notNull())
    .addColumn('outputs', 'blob', (c) => c.notNull())
    .addColumn('label_json', 'text')
    .addColumn('labelled_at', 'bigint')
    .execute();
  await sql`insert into prediction_log (id, stream_id, request_id, row_index, prediction_key, at, latency_ms,
      layout_id, features, outputs, label_json, labelled_at)
    select p.id, s.id, p.request_id, p.row_index, p.prediction_key, p.at, p.latency_ms, p.layout_id,
      p.features, p.outputs, p.label_json, p.labelled_at
    from prediction_log_0005 p join prediction_log_streams s on s.model = p.model and s.version = p.version
      and (s.deployment = p.deployment or (s.deployment is null and p.deployment is null))
      and s.protocol = p.protocol
    order by p.id`.execute(db);
  // The old counter is at least every id it handed out, copied or deleted.
  await sql`delete from sqlite_sequence where name = 'prediction_log'`.execute(db);
  await sql`insert into sqlite_sequence (name, seq)
    select 'prediction_log', seq from sqlite_sequence where name = 'prediction_log_0005'`.execute(db);
  await db.schema.dropTable('prediction_log_0005').execute();
  // Windows read by stream (a model version) and time: an index that grows at its end.
  await sql`create index prediction_log_window on prediction_log (stream_id, at)`.execute(db);

  await sql`alter table prediction_log_ids rename to prediction_log_ids_0005`.execute(db);
  await db.schema
    .createTable('prediction_log_ids')
    .addColumn('hash', 'bigint', (c) => c.notNull())
    .addColumn('log_id', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('prediction_log_ids_pk', ['hash', 'log_id'])
    .modifyEnd(sql`without rowid`)
    .execute();
  await sql`insert or ignore into prediction_log_ids (hash, log_id)
    select hash, log_id from prediction_log_ids_0005 order by hash, log_id`.execute(db);
  await db.schema.dropTable('prediction_log_ids_0005').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index prediction_log_window`.execute(db);
  await sql`alter table prediction_log rename to prediction_log_0006`.execute(db);
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
  await sql`insert into prediction_log (id, request_id, row_index, prediction_key, at, model, version, deployment,
      protocol, latency_ms, layout_id, features, outputs, label_json, labelled_at)
    select p.id, p.request_id, p.row_index, p.prediction_key, p.at, s.model, s.version, s.deployment, s.protocol,
      p.latency_ms, p.layout_id, p.features, p.outputs, p.label_json, p.labelled_at
    from prediction_log_0006 p join prediction_log_streams s on s.id = p.stream_id
    order by p.id`.execute(db);
  await sql`delete from sqlite_sequence where name = 'prediction_log'`.execute(db);
  await sql`insert into sqlite_sequence (name, seq)
    select 'prediction_log', seq from sqlite_sequence where name = 'prediction_log_0006'`.execute(db);
  await db.schema.dropTable('prediction_log_0006').execute();
  await db.schema.dropTable('prediction_log_streams').execute();
  await sql`create index prediction_log_window on prediction_log (model, version, at)`.execute(db);

  await sql`alter table prediction_log_ids rename to prediction_log_ids_0006`.execute(db);
  await db.schema
    .createTable('prediction_log_ids')
    .addColumn('hash', 'bigint', (c) => c.notNull())
    .addColumn('log_id', 'bigint', (c) => c.notNull())
    .execute();
  await sql`insert into prediction_log_ids (hash, log_id) select hash, log_id from prediction_log_ids_0006`.execute(
    db,
  );
  await db.schema.dropTable('prediction_log_ids_0006').execute();
  await sql`create index prediction_log_ids_hash on prediction_log_ids (hash)`.execute(db);
}
