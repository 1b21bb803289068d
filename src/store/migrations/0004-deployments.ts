import { type Kysely, sql } from 'kysely';

// Deployments, their revisions and rollouts, traffic statistics, gate results, the shadow log,
// and evaluations. Portable DDL only, like 0001.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('deployments')
    .addColumn('name', 'varchar(128)', (c) => c.primaryKey())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('live_revision', 'integer', (c) => c.notNull())
    .addColumn('config_json', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('deployment_revisions')
    .addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('deployment', 'varchar(128)', (c) =>
      c.notNull().references('deployments.name').onDelete('cascade'),
    )
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('actor', 'varchar(256)', (c) => c.notNull())
    .addColumn('action', 'varchar(32)', (c) => c.notNull())
    .addColumn('message', 'text')
    .addColumn('spec_json', 'text', (c) => c.notNull())
    .addColumn('resolved_json', 'text', (c) => c.notNull())
    .addColumn('details_json', 'text', (c) => c.notNull())
    .addUniqueConstraint('deployment_revisions_number', ['deployment', 'revision'])
    .execute();
  await db.schema
    .createTable('deployment_rollouts')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('deployment', 'varchar(128)', (c) =>
      c.notNull().references('deployments.name').onDelete('cascade'),
    )
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('spec_json', 'text', (c) => c.notNull())
    .addColumn('actor', 'varchar(256)', (c) => c.notNull())
    .addColumn('base_revision', 'integer', (c) => c.notNull())
    .addColumn('step_index', 'integer', (c) => c.notNull())
    .addColumn('step_revision', 'integer', (c) => c.notNull())
    .addColumn('step_started_at', 'bigint', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('lease_owner', 'varchar(64)')
    .addColumn('lease_until', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`create index deployment_rollouts_state on deployment_rollouts (state)`.execute(db);
  await db.schema
    .createTable('deployment_stats')
    .addColumn('deployment', 'varchar(128)', (c) =>
      c.notNull().references('deployments.name').onDelete('cascade'),
    )
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('process', 'varchar(64)', (c) => c.notNull())
    .addColumn('model', 'varchar(128)', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('role', 'varchar(16)', (c) => c.notNull())
    .addColumn('requests', 'bigint', (c) => c.notNull())
    .addColumn('errors', 'bigint', (c) => c.notNull())
    .addColumn('client_errors', 'bigint', (c) => c.notNull())
    .addColumn('latency_json', 'text', (c) => c.notNull())
    .addColumn('shadow_json', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('deployment_stats_pk', [
      'deployment',
      'revision',
      'process',
      'model',
      'version',
      'role',
    ])
    .execute();
  await db.schema
    .createTable('deployment_gate_results')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('deployment', 'varchar(128)', (c) =>
      c.notNull().references('deployments.name').onDelete('cascade'),
    )
    .addColumn('model', 'varchar(128)', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('passed', 'integer', (c) => c.notNull())
    .addColumn('report_json', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('deployment_shadow_log')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('deployment', 'varchar(128)', (c) =>
      c.notNull().references('deployments.name').onDelete('cascade'),
    )
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('request_id', 'varchar(128)', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('primary_model', 'varchar(128)', (c) => c.notNull())
    .addColumn('primary_version', 'integer', (c) => c.notNull())
    .addColumn('primary_ms', 'real', (c) => c.notNull())
    .addColumn('shadow_model', 'varchar(128)', (c) => c.notNull())
    .addColumn('shadow_version', 'integer', (c) => c.notNull())
    .addColumn('shadow_ms', 'real')
    .addColumn('agree', 'integer')
    .addColumn('max_delta', 'real')
    .addColumn('outputs_json', 'text')
    .addColumn('error', 'text')
    .execute();
  await sql`create index deployment_shadow_log_by_deployment on deployment_shadow_log (deployment, id)`.execute(
    db,
  );
  await db.schema
    .createTable('evaluations')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('model_name', 'varchar(128)', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('dataset_path', 'text', (c) => c.notNull())
    .addColumn('dataset_sha256', 'varchar(64)', (c) => c.notNull())
    .addColumn('target', 'varchar(250)', (c) => c.notNull())
    .addColumn('rows', 'bigint', (c) => c.notNull())
    .addColumn('task', 'varchar(32)', (c) => c.notNull())
    .addColumn('metrics_json', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await sql`create index evaluations_by_version on evaluations (model_name, version, dataset_sha256)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of [
    'evaluations',
    'deployment_shadow_log',
    'deployment_gate_results',
    'deployment_stats',
    'deployment_rollouts',
    'deployment_revisions',
    'deployments',
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
