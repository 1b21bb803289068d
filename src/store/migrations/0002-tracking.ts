import { type Kysely, sql } from 'kysely';

/**
 * Tracking tables (experiments, runs, metrics, params, tags, datasets, logged models), the path
 * index of run artifacts, and the MLflow-side fields of registry versions. Portable DDL only, like
 * 0001. Experiment "0" named "Default" is created here because the MLflow client assumes it exists.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('tracking_experiments')
    .addColumn('experiment_id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('name', 'varchar(500)', (c) => c.notNull().unique())
    .addColumn('artifact_location', 'text', (c) => c.notNull())
    .addColumn('lifecycle_stage', 'varchar(32)', (c) => c.notNull())
    .addColumn('creation_time', 'bigint', (c) => c.notNull())
    .addColumn('last_update_time', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('tracking_experiment_tags')
    .addColumn('experiment_id', 'integer', (c) =>
      c.notNull().references('tracking_experiments.experiment_id').onDelete('cascade'),
    )
    .addColumn('key', 'varchar(250)', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('tracking_experiment_tags_pk', ['experiment_id', 'key'])
    .execute();
  await db.schema
    .createTable('tracking_runs')
    .addColumn('run_id', 'varchar(32)', (c) => c.primaryKey())
    .addColumn('experiment_id', 'integer', (c) =>
      c.notNull().references('tracking_experiments.experiment_id'),
    )
    .addColumn('name', 'varchar(250)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(256)', (c) => c.notNull())
    .addColumn('status', 'varchar(20)', (c) => c.notNull())
    .addColumn('start_time', 'bigint', (c) => c.notNull())
    .addColumn('end_time', 'bigint')
    .addColumn('artifact_uri', 'text', (c) => c.notNull())
    .addColumn('lifecycle_stage', 'varchar(32)', (c) => c.notNull())
    .addColumn('deleted_time', 'bigint')
    .execute();
  // The default search: runs of some experiments, active, newest first.
  await sql`create index tracking_runs_search on tracking_runs (experiment_id, lifecycle_stage, start_time)`.execute(
    db,
  );
  for (const table of ['tracking_params', 'tracking_tags'] as const) {
    await db.schema
      .createTable(table)
      .addColumn('run_id', 'varchar(32)', (c) =>
        c.notNull().references('tracking_runs.run_id').onDelete('cascade'),
      )
      .addColumn('key', 'varchar(250)', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint(`${table}_pk`, ['run_id', 'key'])
      .execute();
    // Filters such as `params.alpha = '0.5'` start from the key and value.
    await sql`create index ${sql.raw(`${table}_key_value`)} on ${sql.table(table)} (key, value)`.execute(db);
  }
  await db.schema
    .createTable('tracking_metrics')
    .addColumn('run_id', 'varchar(32)', (c) =>
      c.notNull().references('tracking_runs.run_id').onDelete('cascade'),
    )
    .addColumn('key', 'varchar(250)', (c) => c.notNull())
    .addColumn('step', 'bigint', (c) => c.notNull())
    .addColumn('timestamp', 'bigint', (c) => c.notNull())
    .addColumn('value', 'double precision', (c) => c.notNull())
    .addColumn('is_nan', 'integer', (c) => c.notNull())
    // As MLflow: the same (key, step, timestamp, value) logged twice is stored once.
    .addPrimaryKeyConstraint('tracking_metrics_pk', ['run_id', 'key', 'timestamp', 'step', 'value', 'is_nan'])
    .execute();
  await db.schema
    .createTable('tracking_latest_metrics')
    .addColumn('run_id', 'varchar(32)', (c) =>
      c.notNull().references('tracking_runs.run_id').onDelete('cascade'),
    )
    .addColumn('key', 'varchar(250)', (c) => c.notNull())
    .addColumn('step', 'bigint', (c) => c.notNull())
    .addColumn('timestamp', 'bigint', (c) => c.notNull())
    .addColumn('value', 'double precision', (c) => c.notNull())
    .addColumn('is_nan', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('tracking_latest_metrics_pk', ['run_id', 'key'])
    .execute();
  await sql`create index tracking_latest_metrics_key_value on tracking_latest_metrics (key, value)`.execute(
    db,
  );
  await db.schema
    .createTable('tracking_datasets')
    .addColumn('dataset_id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('experiment_id', 'integer', (c) => c.notNull())
    .addColumn('name', 'varchar(500)', (c) => c.notNull())
    .addColumn('digest', 'varchar(36)', (c) => c.notNull())
    .addColumn('source_type', 'varchar(36)', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('schema', 'text')
    .addColumn('profile', 'text')
    .addUniqueConstraint('tracking_datasets_identity', ['experiment_id', 'name', 'digest'])
    .execute();
  await db.schema
    .createTable('tracking_run_inputs')
    .addColumn('run_id', 'varchar(32)', (c) =>
      c.notNull().references('tracking_runs.run_id').onDelete('cascade'),
    )
    .addColumn('dataset_id', 'integer', (c) => c.notNull().references('tracking_datasets.dataset_id'))
    .addColumn('tags_json', 'text', (c) => c.notNull())
    .addColumn('context', 'varchar(500)')
    .addPrimaryKeyConstraint('tracking_run_inputs_pk', ['run_id', 'dataset_id'])
    .execute();
  await db.schema
    .createTable('tracking_run_models')
    .addColumn('run_id', 'varchar(32)', (c) =>
      c.notNull().references('tracking_runs.run_id').onDelete('cascade'),
    )
    .addColumn('model_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('direction', 'varchar(8)', (c) => c.notNull())
    .addColumn('step', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('tracking_run_models_pk', ['run_id', 'model_id', 'direction'])
    .execute();
  await db.schema
    .createTable('tracking_logged_models')
    .addColumn('model_id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('experiment_id', 'integer', (c) =>
      c.notNull().references('tracking_experiments.experiment_id'),
    )
    .addColumn('name', 'varchar(500)', (c) => c.notNull())
    .addColumn('artifact_uri', 'text', (c) => c.notNull())
    .addColumn('status', 'varchar(40)', (c) => c.notNull())
    .addColumn('status_message', 'text')
    .addColumn('creation_time', 'bigint', (c) => c.notNull())
    .addColumn('last_updated_time', 'bigint', (c) => c.notNull())
    .addColumn('model_type', 'varchar(500)')
    .addColumn('source_run_id', 'varchar(32)')
    .addColumn('creator_id', 'varchar(256)')
    .addColumn('lifecycle_stage', 'varchar(32)', (c) => c.notNull())
    .execute();
  await sql`create index tracking_logged_models_experiment on tracking_logged_models (experiment_id, creation_time)`.execute(
    db,
  );
  for (const table of ['tracking_logged_model_params', 'tracking_logged_model_tags'] as const) {
    await db.schema
      .createTable(table)
      .addColumn('model_id', 'varchar(64)', (c) =>
        c.notNull().references('tracking_logged_models.model_id').onDelete('cascade'),
      )
      .addColumn('key', 'varchar(250)', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint(`${table}_pk`, ['model_id', 'key'])
      .execute();
  }
  await db.schema
    .createTable('tracking_logged_model_metrics')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('model_id', 'varchar(64)', (c) =>
      c.notNull().references('tracking_logged_models.model_id').onDelete('cascade'),
    )
    .addColumn('key', 'varchar(250)', (c) => c.notNull())
    .addColumn('step', 'bigint', (c) => c.notNull())
    .addColumn('timestamp', 'bigint', (c) => c.notNull())
    .addColumn('value', 'double precision', (c) => c.notNull())
    .addColumn('is_nan', 'integer', (c) => c.notNull())
    .addColumn('run_id', 'varchar(32)')
    .addColumn('dataset_name', 'varchar(500)')
    .addColumn('dataset_digest', 'varchar(36)')
    .execute();
  await sql`create index tracking_logged_model_metrics_model on tracking_logged_model_metrics (model_id, key)`.execute(
    db,
  );
  await db.schema
    .createTable('tracking_artifacts')
    .addColumn('path', 'varchar(1024)', (c) => c.primaryKey())
    .addColumn('sha256', 'varchar(64)', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  // Follows the registry version it describes: renamed with it (ON UPDATE CASCADE, since
  // renameModel rewrites model_name) and deleted with it.
  await db.schema
    .createTable('tracking_version_links')
    .addColumn('model_name', 'varchar(128)', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('storage_location', 'text', (c) => c.notNull())
    .addColumn('model_id', 'varchar(64)')
    .addColumn('run_id', 'varchar(32)')
    .addColumn('run_link', 'text')
    .addColumn('user_id', 'varchar(256)')
    .addColumn('current_stage', 'varchar(20)', (c) => c.notNull())
    .addColumn('last_updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('tracking_version_links_pk', ['model_name', 'version'])
    .addForeignKeyConstraint(
      'tracking_version_links_fk',
      ['model_name', 'version'],
      'model_versions',
      ['model_name', 'version'],
      (fk) => fk.onDelete('cascade').onUpdate('cascade'),
    )
    .execute();
  await sql`create index tracking_version_links_model on tracking_version_links (model_id)`.execute(db);

  const now = Date.now();
  await sql`insert into tracking_experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
    values (0, 'Default', 'mlflow-artifacts:/0', 'active', ${now}, ${now})`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of [
    'tracking_version_links',
    'tracking_artifacts',
    'tracking_logged_model_metrics',
    'tracking_logged_model_tags',
    'tracking_logged_model_params',
    'tracking_logged_models',
    'tracking_run_models',
    'tracking_run_inputs',
    'tracking_datasets',
    'tracking_latest_metrics',
    'tracking_metrics',
    'tracking_tags',
    'tracking_params',
    'tracking_runs',
    'tracking_experiment_tags',
    'tracking_experiments',
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
