import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import { SlipwayError } from '../../core/errors.js';
import type {
  ChangeRecord,
  DatasetLineage,
  ModelQuery,
  ModelVersionRecord,
  NewModel,
  NewVersion,
  RegisteredModelRecord,
  RegistryStore,
  VersionCompletion,
  VersionStatus,
} from '../registry-store.js';
import type { Database, ModelVersionTable, RegisteredModelTable } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * RegistryStore over Kysely. Only portable SQL is used (ON CONFLICT upserts, RETURNING), so the
 * same class serves SQLite and PostgreSQL; a backend differs only in how it opens the connection.
 */
export class KyselyRegistryStore implements RegistryStore {
  readonly #db: Kysely<Database>;
  readonly #now: () => number;

  constructor(db: Kysely<Database>, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  async createModel(input: NewModel): Promise<RegisteredModelRecord> {
    await this.#db.transaction().execute(async (trx) => {
      await insertModel(trx, input, this.#now());
    });
    return (await this.getModel(input.name))!;
  }

  async getModel(name: string): Promise<RegisteredModelRecord | null> {
    const row = await this.#db
      .selectFrom('registered_models')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    if (!row) return null;
    const [withExtras] = await this.#withTagsAndAliases([row]);
    return withExtras;
  }

  async listModels(query: ModelQuery = {}): Promise<RegisteredModelRecord[]> {
    let q = this.#db.selectFrom('registered_models').selectAll().orderBy('name');
    if (query.nameContains) {
      // SQLite's LIKE has no default escape character and PostgreSQL's is case-sensitive: say both.
      const pattern = `%${escapeLike(query.nameContains.toLowerCase())}%`;
      q = q.where(sql<boolean>`lower(name) like ${pattern} escape '\\'`);
    }
    if (query.limit !== undefined) q = q.limit(query.limit);
    if (query.offset) q = q.offset(query.offset);
    return this.#withTagsAndAliases(await q.execute());
  }

  async updateModel(name: string, patch: { description?: string | null }): Promise<RegisteredModelRecord> {
    const res = await this.#db
      .updateTable('registered_models')
      .set({
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        updated_at: this.#now(),
      })
      .where('name', '=', name)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw modelNotFound(name);
    return (await this.getModel(name))!;
  }

  async renameModel(name: string, newName: string): Promise<RegisteredModelRecord> {
    await this.#db.transaction().execute(async (trx) => {
      const old = await trx
        .selectFrom('registered_models')
        .selectAll()
        .where('name', '=', name)
        .executeTakeFirst();
      if (!old) throw modelNotFound(name);
      const clash = await trx
        .selectFrom('registered_models')
        .select('name')
        .where('name', '=', newName)
        .executeTakeFirst();
      if (clash)
        throw new SlipwayError('REGISTRY_MODEL_EXISTS', `registered model "${newName}" already exists`);
      // Child rows reference the name through immediate foreign keys, so no row may point at a
      // parent that is not there yet: copy the model and its versions under the new name, move the
      // rows that hang off them, then drop the old versions and the old model.
      await trx
        .insertInto('registered_models')
        .values({ ...old, name: newName, updated_at: this.#now() })
        .execute();
      const versions = await trx
        .selectFrom('model_versions')
        .selectAll()
        .where('model_name', '=', name)
        .execute();
      for (const v of versions) {
        await trx
          .insertInto('model_versions')
          .values({ ...v, model_name: newName })
          .execute();
      }
      for (const table of ['model_tags', 'version_tags', 'aliases', 'version_datasets'] as const) {
        await trx.updateTable(table).set({ model_name: newName }).where('model_name', '=', name).execute();
      }
      await trx.deleteFrom('model_versions').where('model_name', '=', name).execute();
      await trx.deleteFrom('registered_models').where('name', '=', name).execute();
      await recordChange(trx, 'model', newName, this.#now());
    });
    return (await this.getModel(newName))!;
  }

  async deleteModel(name: string): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      for (const table of [
        'aliases',
        'version_tags',
        'version_datasets',
        'model_versions',
        'model_tags',
      ] as const) {
        await trx.deleteFrom(table).where('model_name', '=', name).execute();
      }
      const res = await trx.deleteFrom('registered_models').where('name', '=', name).executeTakeFirst();
      if (Number(res.numDeletedRows) === 0) throw modelNotFound(name);
      await recordChange(trx, 'model', name, this.#now());
    });
  }

  async setModelTag(name: string, key: string, value: string): Promise<void> {
    await this.#requireModel(this.#db, name);
    await this.#db
      .insertInto('model_tags')
      .values({ model_name: name, key, value })
      .onConflict((oc) => oc.columns(['model_name', 'key']).doUpdateSet({ value }))
      .execute();
  }

  async deleteModelTag(name: string, key: string): Promise<void> {
    await this.#requireModel(this.#db, name);
    await this.#db.deleteFrom('model_tags').where('model_name', '=', name).where('key', '=', key).execute();
  }

  async insertVersion(input: NewVersion): Promise<ModelVersionRecord> {
    const version = await this.#db.transaction().execute(async (trx) => {
      const exists = await trx
        .selectFrom('registered_models')
        .select('name')
        .where('name', '=', input.modelName)
        .executeTakeFirst();
      if (!exists) {
        if (!input.createModel) throw modelNotFound(input.modelName);
        await insertModel(trx, { name: input.modelName }, input.createdAt);
      }
      // One UPDATE ... RETURNING takes the next number: monotonic and race-free on both backends.
      const { latest_version: next } = await trx
        .updateTable('registered_models')
        .set((eb) => ({ latest_version: eb('latest_version', '+', 1), updated_at: input.createdAt }))
        .where('name', '=', input.modelName)
        .returning('latest_version')
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('model_versions')
        .values({
          model_name: input.modelName,
          version: next,
          description: input.description,
          created_at: input.createdAt,
          model_sha256: input.modelSha256,
          manifest_sha256: input.manifestSha256,
          source_format: input.sourceFormat,
          source_path: input.sourcePath,
          status: input.status,
          status_message: input.statusMessage,
          signature_json: JSON.stringify(input.signature),
          lineage_json: JSON.stringify(input.lineage),
          metadata_json: JSON.stringify(input.metadata),
          run_id: input.runId,
        })
        .execute();
      for (const [key, value] of Object.entries(input.tags)) {
        await trx
          .insertInto('version_tags')
          .values({ model_name: input.modelName, version: next, key, value })
          .execute();
      }
      for (const d of input.datasets) await linkDataset(trx, input.modelName, next, d, input.createdAt);
      for (const alias of input.aliases)
        await upsertAlias(trx, input.modelName, alias, next, input.createdAt);
      await recordChange(trx, 'version', `${input.modelName}:${next}`, input.createdAt);
      // An alias given at registration moves too; replicas following changes must hear of it.
      for (const alias of input.aliases)
        await recordChange(trx, 'alias', `${input.modelName}@${alias}`, input.createdAt);
      return next;
    });
    return (await this.getVersion(input.modelName, version))!;
  }

  async getVersion(name: string, version: number): Promise<ModelVersionRecord | null> {
    const row = await this.#db
      .selectFrom('model_versions')
      .selectAll()
      .where('model_name', '=', name)
      .where('version', '=', version)
      .executeTakeFirst();
    if (!row) return null;
    return (await this.#hydrateVersions([row]))[0];
  }

  async listVersions(name: string): Promise<ModelVersionRecord[]> {
    const rows = await this.#db
      .selectFrom('model_versions')
      .selectAll()
      .where('model_name', '=', name)
      .orderBy('version')
      .execute();
    return this.#hydrateVersions(rows);
  }

  async listAllVersions(query: { limit?: number } = {}): Promise<ModelVersionRecord[]> {
    let q = this.#db
      .selectFrom('model_versions')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('model_name')
      .orderBy('version', 'desc');
    if (query.limit !== undefined) q = q.limit(query.limit);
    return this.#hydrateVersions(await q.execute());
  }

  async latestVersion(name: string): Promise<ModelVersionRecord | null> {
    const row = await this.#db
      .selectFrom('model_versions')
      .selectAll()
      .where('model_name', '=', name)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? (await this.#hydrateVersions([row]))[0] : null;
  }

  async updateVersion(
    name: string,
    version: number,
    patch: { description?: string | null },
  ): Promise<ModelVersionRecord> {
    if (patch.description !== undefined) {
      const res = await this.#db
        .updateTable('model_versions')
        .set({ description: patch.description })
        .where('model_name', '=', name)
        .where('version', '=', version)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) throw versionNotFound(name, version);
    }
    const v = await this.getVersion(name, version);
    if (!v) throw versionNotFound(name, version);
    return v;
  }

  async deleteVersion(name: string, version: number): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      for (const table of ['aliases', 'version_tags', 'version_datasets'] as const) {
        await trx.deleteFrom(table).where('model_name', '=', name).where('version', '=', version).execute();
      }
      const res = await trx
        .deleteFrom('model_versions')
        .where('model_name', '=', name)
        .where('version', '=', version)
        .executeTakeFirst();
      if (Number(res.numDeletedRows) === 0) throw versionNotFound(name, version);
      await recordChange(trx, 'version', `${name}:${version}`, this.#now());
    });
  }

  async setVersionTag(name: string, version: number, key: string, value: string): Promise<void> {
    await this.#requireVersion(name, version);
    await this.#db
      .insertInto('version_tags')
      .values({ model_name: name, version, key, value })
      .onConflict((oc) => oc.columns(['model_name', 'version', 'key']).doUpdateSet({ value }))
      .execute();
  }

  async deleteVersionTag(name: string, version: number, key: string): Promise<void> {
    await this.#requireVersion(name, version);
    await this.#db
      .deleteFrom('version_tags')
      .where('model_name', '=', name)
      .where('version', '=', version)
      .where('key', '=', key)
      .execute();
  }

  async setAlias(name: string, alias: string, version: number): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await this.#requireModel(trx, name);
      const v = await trx
        .selectFrom('model_versions')
        .select('version')
        .where('model_name', '=', name)
        .where('version', '=', version)
        .executeTakeFirst();
      if (!v) throw versionNotFound(name, version);
      await upsertAlias(trx, name, alias, version, this.#now());
      await recordChange(trx, 'alias', `${name}@${alias}`, this.#now());
    });
  }

  async deleteAlias(name: string, alias: string): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      await this.#requireModel(trx, name);
      const res = await trx
        .deleteFrom('aliases')
        .where('model_name', '=', name)
        .where('alias', '=', alias)
        .executeTakeFirst();
      const deleted = Number(res.numDeletedRows) > 0;
      if (deleted) await recordChange(trx, 'alias', `${name}@${alias}`, this.#now());
      return deleted;
    });
  }

  async getAlias(name: string, alias: string): Promise<number | null> {
    const row = await this.#db
      .selectFrom('aliases')
      .select('version')
      .where('model_name', '=', name)
      .where('alias', '=', alias)
      .executeTakeFirst();
    return row ? Number(row.version) : null;
  }

  async changesSince(afterId: number): Promise<ChangeRecord[]> {
    const rows = await this.#db
      .selectFrom('change_log')
      .selectAll()
      .where('id', '>', afterId)
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ id: Number(r.id), topic: r.topic, subject: r.subject, at: Number(r.at) }));
  }

  async completeVersion(
    name: string,
    version: number,
    input: VersionCompletion,
  ): Promise<ModelVersionRecord> {
    await this.#db.transaction().execute(async (trx) => {
      const res = await trx
        .updateTable('model_versions')
        .set({
          model_sha256: input.modelSha256,
          manifest_sha256: input.manifestSha256,
          source_format: input.sourceFormat,
          source_path: input.sourcePath,
          status: input.status,
          status_message: input.statusMessage,
          signature_json: JSON.stringify(input.signature),
          lineage_json: JSON.stringify(input.lineage),
          metadata_json: JSON.stringify(input.metadata),
          run_id: input.runId,
        })
        .where('model_name', '=', name)
        .where('version', '=', version)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) throw versionNotFound(name, version);
      for (const [key, value] of Object.entries(input.tags)) {
        await trx
          .insertInto('version_tags')
          .values({ model_name: name, version, key, value })
          .onConflict((oc) => oc.columns(['model_name', 'version', 'key']).doUpdateSet({ value }))
          .execute();
      }
      const now = this.#now();
      for (const d of input.datasets) await linkDataset(trx, name, version, d, now);
      await recordChange(trx, 'version', `${name}:${version}`, now);
    });
    return (await this.getVersion(name, version))!;
  }

  async #requireModel(db: Db, name: string): Promise<void> {
    const row = await db
      .selectFrom('registered_models')
      .select('name')
      .where('name', '=', name)
      .executeTakeFirst();
    if (!row) throw modelNotFound(name);
  }

  async #requireVersion(name: string, version: number): Promise<void> {
    const row = await this.#db
      .selectFrom('model_versions')
      .select('version')
      .where('model_name', '=', name)
      .where('version', '=', version)
      .executeTakeFirst();
    if (!row) throw versionNotFound(name, version);
  }

  async #withTagsAndAliases(rows: Selectable<RegisteredModelTable>[]): Promise<RegisteredModelRecord[]> {
    if (rows.length === 0) return [];
    const names = rows.map((r) => r.name);
    const [tags, aliases] = await Promise.all([
      this.#db.selectFrom('model_tags').selectAll().where('model_name', 'in', names).execute(),
      this.#db.selectFrom('aliases').selectAll().where('model_name', 'in', names).orderBy('alias').execute(),
    ]);
    return rows.map((r) => ({
      name: r.name,
      description: r.description,
      createdAt: Number(r.created_at),
      updatedAt: Number(r.updated_at),
      latestVersion: Number(r.latest_version),
      tags: Object.fromEntries(tags.filter((t) => t.model_name === r.name).map((t) => [t.key, t.value])),
      aliases: Object.fromEntries(
        aliases.filter((a) => a.model_name === r.name).map((a) => [a.alias, Number(a.version)]),
      ),
    }));
  }

  async #hydrateVersions(rows: Selectable<ModelVersionTable>[]): Promise<ModelVersionRecord[]> {
    if (rows.length === 0) return [];
    const names = [...new Set(rows.map((r) => r.model_name))];
    const [tags, aliases, datasets] = await Promise.all([
      this.#db.selectFrom('version_tags').selectAll().where('model_name', 'in', names).execute(),
      this.#db.selectFrom('aliases').selectAll().where('model_name', 'in', names).orderBy('alias').execute(),
      this.#db
        .selectFrom('version_datasets')
        .innerJoin('datasets', 'datasets.sha256', 'version_datasets.dataset_sha256')
        .select([
          'version_datasets.model_name',
          'version_datasets.version',
          'version_datasets.role',
          'version_datasets.target',
          'datasets.sha256',
          'datasets.path',
          'datasets.rows',
          'datasets.columns_json',
        ])
        .where('version_datasets.model_name', 'in', names)
        .execute(),
    ]);
    return rows.map((r) => {
      const version = Number(r.version);
      const same = (x: { model_name: string; version: number }) =>
        x.model_name === r.model_name && Number(x.version) === version;
      return {
        name: r.model_name,
        version,
        description: r.description,
        createdAt: Number(r.created_at),
        modelSha256: r.model_sha256,
        manifestSha256: r.manifest_sha256,
        sourceFormat: r.source_format,
        sourcePath: r.source_path,
        status: r.status as VersionStatus,
        statusMessage: r.status_message,
        signature: JSON.parse(r.signature_json),
        lineage: JSON.parse(r.lineage_json),
        metadata: JSON.parse(r.metadata_json),
        runId: r.run_id,
        tags: Object.fromEntries(tags.filter(same).map((t) => [t.key, t.value])),
        aliases: aliases.filter(same).map((a) => a.alias),
        datasets: datasets.filter(same).map(
          (d): DatasetLineage => ({
            path: d.path,
            sha256: d.sha256,
            rows: Number(d.rows),
            columns: JSON.parse(d.columns_json),
            role: d.role,
            target: d.target,
          }),
        ),
      };
    });
  }
}

async function insertModel(db: Db, input: NewModel, now: number): Promise<void> {
  const clash = await db
    .selectFrom('registered_models')
    .select('name')
    .where('name', '=', input.name)
    .executeTakeFirst();
  if (clash)
    throw new SlipwayError('REGISTRY_MODEL_EXISTS', `registered model "${input.name}" already exists`);
  await db
    .insertInto('registered_models')
    .values({
      name: input.name,
      description: input.description ?? null,
      created_at: now,
      updated_at: now,
      latest_version: 0,
    })
    .execute();
  for (const [key, value] of Object.entries(input.tags ?? {})) {
    await db.insertInto('model_tags').values({ model_name: input.name, key, value }).execute();
  }
  await recordChange(db, 'model', input.name, now);
}

async function linkDataset(
  db: Db,
  model: string,
  version: number,
  d: DatasetLineage,
  now: number,
): Promise<void> {
  await db
    .insertInto('datasets')
    .values({
      sha256: d.sha256,
      path: d.path,
      rows: d.rows,
      columns_json: JSON.stringify(d.columns),
      created_at: now,
    })
    .onConflict((oc) => oc.column('sha256').doNothing())
    .execute();
  await db
    .insertInto('version_datasets')
    .values({ model_name: model, version, dataset_sha256: d.sha256, role: d.role, target: d.target })
    .onConflict((oc) => oc.columns(['model_name', 'version', 'dataset_sha256', 'role']).doNothing())
    .execute();
}

async function upsertAlias(
  db: Db,
  model: string,
  alias: string,
  version: number,
  now: number,
): Promise<void> {
  await db
    .insertInto('aliases')
    .values({ model_name: model, alias, version, updated_at: now })
    .onConflict((oc) => oc.columns(['model_name', 'alias']).doUpdateSet({ version, updated_at: now }))
    .execute();
}

async function recordChange(db: Db, topic: string, subject: string, at: number): Promise<void> {
  await db.insertInto('change_log').values({ topic, subject, at }).execute();
}

function escapeLike(s: string): string {
  return s.replace(/[%_\\]/g, (c) => `\\${c}`);
}

function modelNotFound(name: string): SlipwayError {
  return new SlipwayError('REGISTRY_MODEL_NOT_FOUND', `registered model "${name}" does not exist`);
}

function versionNotFound(name: string, version: number): SlipwayError {
  return new SlipwayError('REGISTRY_VERSION_NOT_FOUND', `model "${name}" has no version ${version}`);
}
