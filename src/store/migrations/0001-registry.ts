import { type Kysely, sql } from 'kysely';

// Portable DDL only (no SQLite- or PostgreSQL-only syntax): the same migration builds both stores.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('registered_models')
    .addColumn('name', 'varchar(128)', (c) => c.primaryKey())
    .addColumn('description', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('latest_version', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createTable('model_tags')
    .addColumn('model_name', 'varchar(128)', (c) =>
      c.notNull().references('registered_models.name').onDelete('cascade'),
    )
    .addColumn('key', 'varchar(250)', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_tags_pk', ['model_name', 'key'])
    .execute();
  await db.schema
    .createTable('model_versions')
    .addColumn('model_name', 'varchar(128)', (c) =>
      c.notNull().references('registered_models.name').onDelete('cascade'),
    )
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('model_sha256', 'varchar(64)')
    .addColumn('manifest_sha256', 'varchar(64)', (c) => c.notNull())
    .addColumn('source_format', 'varchar(32)', (c) => c.notNull())
    .addColumn('source_path', 'text')
    .addColumn('status', 'varchar(32)', (c) => c.notNull())
    .addColumn('status_message', 'text')
    .addColumn('signature_json', 'text', (c) => c.notNull())
    .addColumn('lineage_json', 'text', (c) => c.notNull())
    .addColumn('metadata_json', 'text', (c) => c.notNull())
    .addColumn('run_id', 'varchar(64)')
    .addPrimaryKeyConstraint('model_versions_pk', ['model_name', 'version'])
    .execute();
  await db.schema
    .createTable('version_tags')
    .addColumn('model_name', 'varchar(128)', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('key', 'varchar(250)', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('version_tags_pk', ['model_name', 'version', 'key'])
    .addForeignKeyConstraint(
      'version_tags_fk',
      ['model_name', 'version'],
      'model_versions',
      ['model_name', 'version'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();
  await db.schema
    .createTable('aliases')
    .addColumn('model_name', 'varchar(128)', (c) => c.notNull())
    .addColumn('alias', 'varchar(128)', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('aliases_pk', ['model_name', 'alias'])
    .addForeignKeyConstraint(
      'aliases_fk',
      ['model_name', 'version'],
      'model_versions',
      ['model_name', 'version'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();
  await db.schema
    .createTable('datasets')
    .addColumn('sha256', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('rows', 'bigint', (c) => c.notNull())
    .addColumn('columns_json', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('version_datasets')
    .addColumn('model_name', 'varchar(128)', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('dataset_sha256', 'varchar(64)', (c) => c.notNull().references('datasets.sha256'))
    .addColumn('role', 'varchar(32)', (c) => c.notNull())
    .addColumn('target', 'varchar(250)')
    .addPrimaryKeyConstraint('version_datasets_pk', ['model_name', 'version', 'dataset_sha256', 'role'])
    .addForeignKeyConstraint(
      'version_datasets_fk',
      ['model_name', 'version'],
      'model_versions',
      ['model_name', 'version'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();
  await db.schema
    .createTable('change_log')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('topic', 'varchar(64)', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .execute();
  await sql`create index model_versions_created on model_versions (created_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of [
    'change_log',
    'version_datasets',
    'datasets',
    'aliases',
    'version_tags',
    'model_versions',
    'model_tags',
    'registered_models',
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
