import { type Expression, type Kysely, type RawBuilder, type SqlBool, sql, type Transaction } from 'kysely';
import { SlipwayError } from '../../core/errors.js';
import type { Database } from '../schema.js';
import type {
  ArtifactEntry,
  BatchWrite,
  DatasetInputRecord,
  ExperimentQuery,
  ExperimentRecord,
  LifecycleStage,
  LoggedModelQuery,
  LoggedModelRecord,
  LoggedModelStatus,
  MetricRecord,
  NewExperiment,
  NewLoggedModel,
  NewRun,
  OrderClause,
  RunInfoRecord,
  RunPatch,
  RunQuery,
  RunRecord,
  RunStatus,
  SearchClause,
  StringOp,
  TrackingStore,
  VersionLink,
} from '../tracking-store.js';

type Db = Kysely<Database> | Transaction<Database>;

/** How the database spells a case-sensitive LIKE: a capability, not a database name check. */
export type LikeFlavour = 'glob' | 'like';

export interface KyselyTrackingStoreOptions {
  /**
   * `glob` for SQLite, whose LIKE ignores case (MLflow turns on `case_sensitive_like`; a pragma
   * would change the registry's own searches, so patterns become GLOB instead); `like` for
   * PostgreSQL, whose LIKE is case-sensitive and which has ILIKE.
   */
  like: LikeFlavour;
}

// Rows per multi-row INSERT: 1,000 × 6 bound values stays under SQLite's 32,766 and PG's 65,535.
const INSERT_CHUNK = 1000;
// Ids per `in (...)` list when hydrating: a search page may hold 50,000 rows (MLflow's cap), more
// values than one SQLite statement binds (32,766).
const IN_CHUNK = 10_000;

/**
 * TrackingStore over Kysely. Searches are compiled to one SQL query each (filters as EXISTS
 * subqueries, orderings as scalar subqueries) so the database does the work; a page of runs is
 * then hydrated with one query per child table.
 */
export class KyselyTrackingStore implements TrackingStore {
  readonly #db: Kysely<Database>;
  readonly #like: LikeFlavour;

  constructor(db: Kysely<Database>, options: KyselyTrackingStoreOptions) {
    this.#db = db;
    this.#like = options.like;
  }

  // ---------------------------------------------------------------- experiments

  async createExperiment(input: NewExperiment): Promise<string> {
    return this.#db.transaction().execute(async (trx) => {
      const clash = await trx
        .selectFrom('tracking_experiments')
        .select('experiment_id')
        .where('name', '=', input.name)
        .executeTakeFirst();
      if (clash) throw experimentExists(input.name);
      const { experiment_id } = await trx
        .insertInto('tracking_experiments')
        .values({
          name: input.name,
          artifact_location: input.artifactLocation ?? '',
          lifecycle_stage: 'active',
          creation_time: input.createdAt,
          last_update_time: input.createdAt,
        })
        .returning('experiment_id')
        .executeTakeFirstOrThrow();
      const id = Number(experiment_id);
      if (input.artifactLocation === null) {
        await trx
          .updateTable('tracking_experiments')
          .set({ artifact_location: `mlflow-artifacts:/${id}` })
          .where('experiment_id', '=', id)
          .execute();
      }
      for (const [key, value] of Object.entries(input.tags)) {
        await trx.insertInto('tracking_experiment_tags').values({ experiment_id: id, key, value }).execute();
      }
      return String(id);
    });
  }

  async getExperiment(id: string): Promise<ExperimentRecord | null> {
    const n = experimentNumber(id);
    if (n === null) return null;
    const row = await this.#db
      .selectFrom('tracking_experiments')
      .selectAll()
      .where('experiment_id', '=', n)
      .executeTakeFirst();
    return row ? (await this.#hydrateExperiments([row]))[0] : null;
  }

  async getExperimentByName(name: string): Promise<ExperimentRecord | null> {
    const row = await this.#db
      .selectFrom('tracking_experiments')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return row ? (await this.#hydrateExperiments([row]))[0] : null;
  }

  async searchExperiments(query: ExperimentQuery): Promise<ExperimentRecord[]> {
    let q = this.#db
      .selectFrom('tracking_experiments as e')
      .selectAll('e')
      .where('e.lifecycle_stage', 'in', query.stages);
    for (const c of query.clauses) {
      q = q.where(() => this.#experimentClause(c));
    }
    for (const o of query.orderBy) {
      const column = EXPERIMENT_ORDER_COLUMNS[o.key];
      q = q
        .orderBy(sql`${sql.ref(`e.${column}`)} is null`)
        .orderBy(sql.ref(`e.${column}`), o.ascending ? 'asc' : 'desc');
    }
    if (!query.orderBy.some((o) => o.key === 'experiment_id')) q = q.orderBy('e.experiment_id', 'desc');
    const rows = await q.limit(query.limit).offset(query.offset).execute();
    return this.#hydrateExperiments(rows);
  }

  async updateExperiment(
    id: string,
    patch: { name?: string; lifecycleStage?: LifecycleStage },
  ): Promise<void> {
    const n = experimentNumber(id);
    if (n === null) throw experimentNotFound(id);
    await this.#db.transaction().execute(async (trx) => {
      if (patch.name !== undefined) {
        const clash = await trx
          .selectFrom('tracking_experiments')
          .select('experiment_id')
          .where('name', '=', patch.name)
          .where('experiment_id', '!=', n)
          .executeTakeFirst();
        if (clash) throw experimentExists(patch.name);
      }
      const res = await trx
        .updateTable('tracking_experiments')
        .set({
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.lifecycleStage !== undefined ? { lifecycle_stage: patch.lifecycleStage } : {}),
          last_update_time: Date.now(),
        })
        .where('experiment_id', '=', n)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) throw experimentNotFound(id);
      if (patch.lifecycleStage !== undefined) {
        // MLflow deletes and restores the runs of an experiment with it.
        await trx
          .updateTable('tracking_runs')
          .set({
            lifecycle_stage: patch.lifecycleStage,
            deleted_time: patch.lifecycleStage === 'deleted' ? Date.now() : null,
          })
          .where('experiment_id', '=', n)
          .execute();
      }
    });
  }

  async setExperimentTag(id: string, key: string, value: string): Promise<void> {
    const n = experimentNumber(id);
    if (n === null) throw experimentNotFound(id);
    await this.#db
      .insertInto('tracking_experiment_tags')
      .values({ experiment_id: n, key, value })
      .onConflict((oc) => oc.columns(['experiment_id', 'key']).doUpdateSet({ value }))
      .execute();
  }

  async deleteExperimentTag(id: string, key: string): Promise<void> {
    const n = experimentNumber(id);
    if (n === null) throw experimentNotFound(id);
    await this.#db
      .deleteFrom('tracking_experiment_tags')
      .where('experiment_id', '=', n)
      .where('key', '=', key)
      .execute();
  }

  // ---------------------------------------------------------------- runs

  async createRun(input: NewRun): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await trx
        .insertInto('tracking_runs')
        .values({
          run_id: input.runId,
          experiment_id: Number(input.experimentId),
          name: input.name,
          user_id: input.userId,
          status: 'RUNNING',
          start_time: input.startTime,
          end_time: null,
          artifact_uri: input.artifactUri,
          lifecycle_stage: 'active',
          deleted_time: null,
        })
        .execute();
      const tags = Object.entries(input.tags).map(([key, value]) => ({ run_id: input.runId, key, value }));
      if (tags.length > 0) await trx.insertInto('tracking_tags').values(tags).execute();
    });
  }

  async getRunInfo(runId: string): Promise<RunInfoRecord | null> {
    const row = await this.#db
      .selectFrom('tracking_runs')
      .selectAll()
      .where('run_id', '=', runId)
      .executeTakeFirst();
    return row ? runInfoOf(row) : null;
  }

  async getRun(runId: string): Promise<RunRecord | null> {
    const row = await this.#db
      .selectFrom('tracking_runs')
      .selectAll()
      .where('run_id', '=', runId)
      .executeTakeFirst();
    if (!row) return null;
    return (await this.#hydrateRuns([row]))[0];
  }

  async updateRun(runId: string, patch: RunPatch): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const res = await trx
        .updateTable('tracking_runs')
        .set({
          ...(patch.status !== undefined ? { status: patch.status } : {}),
          ...(patch.endTime !== undefined ? { end_time: patch.endTime } : {}),
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.lifecycleStage !== undefined ? { lifecycle_stage: patch.lifecycleStage } : {}),
          ...(patch.deletedTime !== undefined ? { deleted_time: patch.deletedTime } : {}),
        })
        .where('run_id', '=', runId)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) throw runNotFound(runId);
      if (patch.name !== undefined) await upsertTag(trx, runId, 'mlflow.runName', patch.name);
    });
  }

  async searchRuns(query: RunQuery): Promise<RunRecord[]> {
    if (query.experimentIds.length === 0) return [];
    const ids = query.experimentIds.map(experimentNumber).filter((n): n is number => n !== null);
    if (ids.length === 0) return [];
    let q = this.#db
      .selectFrom('tracking_runs as r')
      .selectAll('r')
      .where('r.experiment_id', 'in', ids)
      .where('r.lifecycle_stage', 'in', query.stages);
    for (const c of query.clauses) q = q.where(() => this.#runClause(c));
    for (const o of query.orderBy) {
      for (const [expr, asc] of this.#runOrder(o)) q = q.orderBy(expr, asc ? 'asc' : 'desc');
    }
    if (!query.orderBy.some((o) => o.kind === 'attribute' && o.key === 'start_time')) {
      q = q.orderBy('r.start_time', 'desc');
    }
    q = q.orderBy('r.run_id', 'asc');
    const rows = await q.limit(query.limit).offset(query.offset).execute();
    return this.#hydrateRuns(rows);
  }

  async logBatch(runId: string, batch: BatchWrite): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await writeParams(trx, runId, batch.params);
      await writeMetrics(trx, runId, batch.metrics);
      await writeModelMetrics(trx, runId, batch.metrics);
      for (const [key, value] of Object.entries(batch.tags)) {
        await upsertTag(trx, runId, key, value);
        if (key === 'mlflow.runName') {
          await trx.updateTable('tracking_runs').set({ name: value }).where('run_id', '=', runId).execute();
        }
      }
    });
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    await this.#db.deleteFrom('tracking_tags').where('run_id', '=', runId).where('key', '=', key).execute();
  }

  async metricHistory(
    runId: string,
    key: string,
    page: { offset: number; limit: number },
  ): Promise<MetricRecord[]> {
    const rows = await this.#db
      .selectFrom('tracking_metrics')
      .selectAll()
      .where('run_id', '=', runId)
      .where('key', '=', key)
      .orderBy('timestamp')
      .orderBy('step')
      .orderBy('value')
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    return rows.map(metricOf);
  }

  async logInputs(
    runId: string,
    experimentId: string,
    inputs: DatasetInputRecord[],
    modelIds: string[],
  ): Promise<void> {
    const exp = Number(experimentId);
    await this.#db.transaction().execute(async (trx) => {
      for (const input of inputs) {
        const d = input.dataset;
        await trx
          .insertInto('tracking_datasets')
          .values({
            experiment_id: exp,
            name: d.name,
            digest: d.digest,
            source_type: d.sourceType,
            source: d.source,
            schema: d.schema,
            profile: d.profile,
          })
          .onConflict((oc) => oc.columns(['experiment_id', 'name', 'digest']).doNothing())
          .execute();
        const { dataset_id } = await trx
          .selectFrom('tracking_datasets')
          .select('dataset_id')
          .where('experiment_id', '=', exp)
          .where('name', '=', d.name)
          .where('digest', '=', d.digest)
          .executeTakeFirstOrThrow();
        await trx
          .insertInto('tracking_run_inputs')
          .values({
            run_id: runId,
            dataset_id: Number(dataset_id),
            tags_json: JSON.stringify(input.tags),
            context: input.tags['mlflow.data.context'] ?? null,
          })
          .onConflict((oc) => oc.columns(['run_id', 'dataset_id']).doNothing())
          .execute();
      }
      for (const modelId of modelIds) {
        await trx
          .insertInto('tracking_run_models')
          .values({ run_id: runId, model_id: modelId, direction: 'input', step: 0 })
          .onConflict((oc) => oc.columns(['run_id', 'model_id', 'direction']).doNothing())
          .execute();
      }
    });
  }

  async logOutputs(runId: string, outputs: { modelId: string; step: number }[]): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      for (const o of outputs) {
        await trx
          .insertInto('tracking_run_models')
          .values({ run_id: runId, model_id: o.modelId, direction: 'output', step: o.step })
          .onConflict((oc) => oc.columns(['run_id', 'model_id', 'direction']).doUpdateSet({ step: o.step }))
          .execute();
      }
    });
  }

  // ---------------------------------------------------------------- logged models

  async createLoggedModel(input: NewLoggedModel): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await trx
        .insertInto('tracking_logged_models')
        .values({
          model_id: input.modelId,
          experiment_id: Number(input.experimentId),
          name: input.name,
          artifact_uri: input.artifactUri,
          status: input.status,
          status_message: null,
          creation_time: input.createdAt,
          last_updated_time: input.createdAt,
          model_type: input.modelType,
          source_run_id: input.sourceRunId,
          creator_id: input.creatorId,
          lifecycle_stage: 'active',
        })
        .execute();
      await upsertModelKeyValues(trx, 'tracking_logged_model_params', input.modelId, input.params);
      await upsertModelKeyValues(trx, 'tracking_logged_model_tags', input.modelId, input.tags);
    });
  }

  async getLoggedModel(modelId: string): Promise<LoggedModelRecord | null> {
    const row = await this.#db
      .selectFrom('tracking_logged_models')
      .selectAll()
      .where('model_id', '=', modelId)
      .where('lifecycle_stage', '=', 'active')
      .executeTakeFirst();
    return row ? (await this.#hydrateLoggedModels([row]))[0] : null;
  }

  async updateLoggedModel(
    modelId: string,
    patch: { status?: LoggedModelStatus; statusMessage?: string | null; lifecycleStage?: LifecycleStage },
  ): Promise<void> {
    const res = await this.#db
      .updateTable('tracking_logged_models')
      .set({
        ...(patch.status !== undefined ? { status: patch.status } : {}),
        ...(patch.statusMessage !== undefined ? { status_message: patch.statusMessage } : {}),
        ...(patch.lifecycleStage !== undefined ? { lifecycle_stage: patch.lifecycleStage } : {}),
        last_updated_time: Date.now(),
      })
      .where('model_id', '=', modelId)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw loggedModelNotFound(modelId);
  }

  async setLoggedModelTags(modelId: string, tags: Record<string, string>): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await upsertModelKeyValues(trx, 'tracking_logged_model_tags', modelId, tags);
      await trx
        .updateTable('tracking_logged_models')
        .set({ last_updated_time: Date.now() })
        .where('model_id', '=', modelId)
        .execute();
    });
  }

  async deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    await this.#db
      .deleteFrom('tracking_logged_model_tags')
      .where('model_id', '=', modelId)
      .where('key', '=', key)
      .execute();
  }

  async logLoggedModelParams(modelId: string, params: Record<string, string>): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await upsertModelKeyValues(trx, 'tracking_logged_model_params', modelId, params);
    });
  }

  async searchLoggedModels(query: LoggedModelQuery): Promise<LoggedModelRecord[]> {
    const ids = query.experimentIds.map(experimentNumber).filter((n): n is number => n !== null);
    if (ids.length === 0) return [];
    let q = this.#db
      .selectFrom('tracking_logged_models as lm')
      .selectAll('lm')
      .where('lm.experiment_id', 'in', ids)
      .where('lm.lifecycle_stage', '=', 'active');
    for (const c of query.clauses) q = q.where(() => this.#loggedModelClause(c));
    for (const o of query.orderBy) {
      if (o.kind === 'metric') {
        const value = sql`(select max(mm.value) from tracking_logged_model_metrics mm where mm.model_id = lm.model_id and mm.key = ${o.key})`;
        q = q.orderBy(sql`${value} is null`).orderBy(value, o.ascending ? 'asc' : 'desc');
      } else {
        const column = LOGGED_MODEL_COLUMNS[o.key] ?? 'creation_time';
        q = q.orderBy(sql.ref(`lm.${column}`), o.ascending ? 'asc' : 'desc');
      }
    }
    if (query.orderBy.length === 0) q = q.orderBy('lm.creation_time', 'desc');
    q = q.orderBy('lm.model_id', 'asc');
    const rows = await q.limit(query.limit).offset(query.offset).execute();
    return this.#hydrateLoggedModels(rows);
  }

  // ---------------------------------------------------------------- artifact index

  async putArtifactEntry(entry: ArtifactEntry): Promise<void> {
    await this.#db
      .insertInto('tracking_artifacts')
      .values({ path: entry.path, sha256: entry.sha256, size: entry.size, updated_at: entry.updatedAt })
      .onConflict((oc) =>
        oc
          .column('path')
          .doUpdateSet({ sha256: entry.sha256, size: entry.size, updated_at: entry.updatedAt }),
      )
      .execute();
  }

  async getArtifactEntry(path: string): Promise<ArtifactEntry | null> {
    const row = await this.#db
      .selectFrom('tracking_artifacts')
      .selectAll()
      .where('path', '=', path)
      .executeTakeFirst();
    return row ? artifactOf(row) : null;
  }

  async listArtifactEntries(prefix: string): Promise<ArtifactEntry[]> {
    let q = this.#db.selectFrom('tracking_artifacts').selectAll().orderBy('path');
    // A range on the primary key: everything below `prefix/` ("/" + 1 = "0").
    if (prefix !== '') q = q.where('path', '>=', `${prefix}/`).where('path', '<', `${prefix}0`);
    return (await q.execute()).map(artifactOf);
  }

  async deleteArtifactEntries(path: string): Promise<number> {
    const res = await this.#db
      .deleteFrom('tracking_artifacts')
      .where((eb) =>
        path === ''
          ? eb.lit(true)
          : eb.or([
              eb('path', '=', path),
              eb.and([eb('path', '>=', `${path}/`), eb('path', '<', `${path}0`)]),
            ]),
      )
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  // ---------------------------------------------------------------- registry version links

  async putVersionLink(link: VersionLink): Promise<void> {
    const values = {
      model_name: link.name,
      version: link.version,
      source: link.source,
      storage_location: link.storageLocation,
      model_id: link.modelId,
      run_id: link.runId,
      run_link: link.runLink,
      user_id: link.userId,
      current_stage: link.currentStage,
      last_updated_at: link.lastUpdatedAt,
    };
    const { model_name: _n, version: _v, ...rest } = values;
    await this.#db
      .insertInto('tracking_version_links')
      .values(values)
      .onConflict((oc) => oc.columns(['model_name', 'version']).doUpdateSet(rest))
      .execute();
  }

  async getVersionLink(name: string, version: number): Promise<VersionLink | null> {
    const row = await this.#db
      .selectFrom('tracking_version_links')
      .selectAll()
      .where('model_name', '=', name)
      .where('version', '=', version)
      .executeTakeFirst();
    return row ? versionLinkOf(row) : null;
  }

  async listVersionLinks(filter: { modelId?: string; name?: string }): Promise<VersionLink[]> {
    let q = this.#db
      .selectFrom('tracking_version_links')
      .selectAll()
      .orderBy('model_name')
      .orderBy('version');
    if (filter.modelId !== undefined) q = q.where('model_id', '=', filter.modelId);
    if (filter.name !== undefined) q = q.where('model_name', '=', filter.name);
    return (await q.execute()).map(versionLinkOf);
  }

  async updateVersionLink(
    name: string,
    version: number,
    patch: Partial<Omit<VersionLink, 'name' | 'version'>>,
  ): Promise<void> {
    await this.#db
      .updateTable('tracking_version_links')
      .set({
        ...(patch.source !== undefined ? { source: patch.source } : {}),
        ...(patch.storageLocation !== undefined ? { storage_location: patch.storageLocation } : {}),
        ...(patch.modelId !== undefined ? { model_id: patch.modelId } : {}),
        ...(patch.runId !== undefined ? { run_id: patch.runId } : {}),
        ...(patch.runLink !== undefined ? { run_link: patch.runLink } : {}),
        ...(patch.userId !== undefined ? { user_id: patch.userId } : {}),
        ...(patch.currentStage !== undefined ? { current_stage: patch.currentStage } : {}),
        last_updated_at: patch.lastUpdatedAt ?? Date.now(),
      })
      .where('model_name', '=', name)
      .where('version', '=', version)
      .execute();
  }

  // ---------------------------------------------------------------- search compilation

  #runClause(c: SearchClause): Expression<SqlBool> {
    switch (c.kind) {
      case 'metric':
        return sql<SqlBool>`exists (select 1 from tracking_latest_metrics m where m.run_id = r.run_id and m.key = ${c.key} and m.is_nan = 0 and m.value ${sql.raw(c.op)} ${c.value})`;
      case 'param':
      case 'tag': {
        const table = c.kind === 'param' ? 'tracking_params' : 'tracking_tags';
        return sql<SqlBool>`exists (select 1 from ${sql.table(table)} kv where kv.run_id = r.run_id and kv.key = ${c.key} and ${this.#compare(sql.ref('kv.value'), c.op, c.value)})`;
      }
      case 'attribute': {
        const column = RUN_ATTRIBUTE_COLUMNS[c.key];
        if (typeof c.value === 'number') {
          return sql<SqlBool>`${sql.ref(`r.${column}`)} ${sql.raw(c.op)} ${c.value}`;
        }
        return this.#compare(sql.ref(`r.${column}`), c.op as StringOp, c.value);
      }
      case 'dataset': {
        const target = c.key === 'context' ? sql.ref('i.context') : sql.ref(`d.${c.key}`);
        return sql<SqlBool>`exists (select 1 from tracking_run_inputs i join tracking_datasets d on d.dataset_id = i.dataset_id where i.run_id = r.run_id and ${this.#compare(target, c.op, c.value)})`;
      }
    }
  }

  #runOrder(o: OrderClause): [RawBuilder<unknown>, boolean][] {
    if (o.kind === 'attribute') {
      const column = sql.ref(`r.${RUN_ATTRIBUTE_COLUMNS[o.key]}`);
      return [
        [sql`case when ${column} is null then 1 else 0 end`, true],
        [sql`${column}`, o.ascending],
      ];
    }
    if (o.kind === 'metric') {
      // Runs with the metric first, then NaN, then runs without it, in either direction (MLflow).
      return [
        [
          sql`coalesce((select m.is_nan from tracking_latest_metrics m where m.run_id = r.run_id and m.key = ${o.key}), 2)`,
          true,
        ],
        [
          sql`(select m.value from tracking_latest_metrics m where m.run_id = r.run_id and m.key = ${o.key})`,
          o.ascending,
        ],
      ];
    }
    const table = o.kind === 'param' ? 'tracking_params' : 'tracking_tags';
    const value = sql`(select kv.value from ${sql.table(table)} kv where kv.run_id = r.run_id and kv.key = ${o.key})`;
    return [
      [sql`case when ${value} is null then 1 else 0 end`, true],
      [value, o.ascending],
    ];
  }

  #experimentClause(c: SearchClause): Expression<SqlBool> {
    if (c.kind === 'tag') {
      return sql<SqlBool>`exists (select 1 from tracking_experiment_tags t where t.experiment_id = e.experiment_id and t.key = ${c.key} and ${this.#compare(sql.ref('t.value'), c.op, c.value)})`;
    }
    const column = sql.ref(`e.${EXPERIMENT_ORDER_COLUMNS[c.key] ?? 'name'}`);
    if (typeof c.value === 'number') return sql<SqlBool>`${column} ${sql.raw(c.op)} ${c.value}`;
    return this.#compare(column, c.op as StringOp, c.value);
  }

  #loggedModelClause(c: SearchClause): Expression<SqlBool> {
    switch (c.kind) {
      case 'metric':
        return sql<SqlBool>`exists (select 1 from tracking_logged_model_metrics mm where mm.model_id = lm.model_id and mm.key = ${c.key} and mm.is_nan = 0 and mm.value ${sql.raw(c.op)} ${c.value})`;
      case 'param':
      case 'tag': {
        const table = c.kind === 'param' ? 'tracking_logged_model_params' : 'tracking_logged_model_tags';
        return sql<SqlBool>`exists (select 1 from ${sql.table(table)} kv where kv.model_id = lm.model_id and kv.key = ${c.key} and ${this.#compare(sql.ref('kv.value'), c.op, c.value)})`;
      }
      default: {
        const column = sql.ref(`lm.${LOGGED_MODEL_COLUMNS[c.key] ?? 'name'}`);
        if (typeof c.value === 'number') return sql<SqlBool>`${column} ${sql.raw(c.op)} ${c.value}`;
        return this.#compare(column, c.op as StringOp, c.value);
      }
    }
  }

  #compare(column: RawBuilder<unknown>, op: StringOp, value: string | string[]): RawBuilder<SqlBool> {
    const values = Array.isArray(value) ? value : [value];
    switch (op) {
      case '=':
        return sql<SqlBool>`${column} = ${values[0]}`;
      case '!=':
        return sql<SqlBool>`${column} != ${values[0]}`;
      case 'IN':
        return values.length === 0 ? sql<SqlBool>`1 = 0` : sql<SqlBool>`${column} in (${sql.join(values)})`;
      case 'NOT IN':
        return values.length === 0
          ? sql<SqlBool>`1 = 1`
          : sql<SqlBool>`${column} not in (${sql.join(values)})`;
      case 'LIKE':
        return this.#like === 'glob'
          ? sql<SqlBool>`${column} glob ${likeToGlob(values[0])}`
          : sql<SqlBool>`${column} like ${values[0]}`;
      case 'ILIKE':
        return this.#like === 'glob'
          ? sql<SqlBool>`lower(${column}) like lower(${values[0]})`
          : sql<SqlBool>`${column} ilike ${values[0]}`;
    }
  }

  // ---------------------------------------------------------------- hydration

  async #hydrateExperiments(
    rows: {
      experiment_id: number;
      name: string;
      artifact_location: string;
      lifecycle_stage: string;
      creation_time: number;
      last_update_time: number;
    }[],
  ): Promise<ExperimentRecord[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => Number(r.experiment_id));
    const tags = await chunked(ids, (c) =>
      this.#db.selectFrom('tracking_experiment_tags').selectAll().where('experiment_id', 'in', c).execute(),
    );
    const byId = groupBy(tags, (t) => Number(t.experiment_id));
    return rows.map((r) => ({
      experimentId: String(r.experiment_id),
      name: r.name,
      artifactLocation: r.artifact_location,
      lifecycleStage: r.lifecycle_stage as LifecycleStage,
      creationTime: Number(r.creation_time),
      lastUpdateTime: Number(r.last_update_time),
      tags: Object.fromEntries((byId.get(Number(r.experiment_id)) ?? []).map((t) => [t.key, t.value])),
    }));
  }

  /**
   * The children of a page of runs, one query per child table for the whole page (never per run),
   * each selecting only the columns a RunRecord needs, filled straight into the records in the
   * database's order (no intermediate grouping): a page of 1,000 runs is ≈ 7,000 child rows.
   */
  async #hydrateRuns(rows: Parameters<typeof runInfoOf>[0][]): Promise<RunRecord[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.run_id);
    const [params, tags, metrics, inputs, models] = await Promise.all([
      chunked(ids, (c) =>
        this.#db
          .selectFrom('tracking_params')
          .select(['run_id', 'key', 'value'])
          .where('run_id', 'in', c)
          .execute(),
      ),
      chunked(ids, (c) =>
        this.#db
          .selectFrom('tracking_tags')
          .select(['run_id', 'key', 'value'])
          .where('run_id', 'in', c)
          .execute(),
      ),
      chunked(ids, (c) =>
        this.#db
          .selectFrom('tracking_latest_metrics')
          .select(['run_id', 'key', 'step', 'timestamp', 'value', 'is_nan'])
          .where('run_id', 'in', c)
          .execute(),
      ),
      chunked(ids, (c) =>
        this.#db
          .selectFrom('tracking_run_inputs as i')
          .innerJoin('tracking_datasets as d', 'd.dataset_id', 'i.dataset_id')
          .select([
            'i.run_id',
            'i.tags_json',
            'd.name',
            'd.digest',
            'd.source_type',
            'd.source',
            'd.schema',
            'd.profile',
            'd.dataset_id',
          ])
          .where('i.run_id', 'in', c)
          .orderBy('d.dataset_id')
          .execute(),
      ),
      chunked(ids, (c) =>
        this.#db
          .selectFrom('tracking_run_models')
          .select(['run_id', 'model_id', 'direction', 'step'])
          .where('run_id', 'in', c)
          .orderBy('model_id')
          .execute(),
      ),
    ]);
    const byId = new Map<string, RunRecord>();
    const runs = rows.map((row) => {
      const run: RunRecord = {
        info: runInfoOf(row),
        params: {},
        tags: {},
        metrics: [],
        datasetInputs: [],
        modelInputs: [],
        modelOutputs: [],
      };
      byId.set(row.run_id, run);
      return run;
    });
    for (const x of params) (byId.get(x.run_id) as RunRecord).params[x.key] = x.value;
    for (const x of tags) (byId.get(x.run_id) as RunRecord).tags[x.key] = x.value;
    for (const x of metrics) (byId.get(x.run_id) as RunRecord).metrics.push(metricOf(x));
    for (const x of inputs) {
      (byId.get(x.run_id) as RunRecord).datasetInputs.push({
        dataset: {
          name: x.name,
          digest: x.digest,
          sourceType: x.source_type,
          source: x.source,
          schema: x.schema,
          profile: x.profile,
        },
        tags: JSON.parse(x.tags_json) as Record<string, string>,
      });
    }
    for (const x of models) {
      const run = byId.get(x.run_id) as RunRecord;
      if (x.direction === 'input') run.modelInputs.push(x.model_id);
      else if (x.direction === 'output') run.modelOutputs.push({ modelId: x.model_id, step: Number(x.step) });
    }
    return runs;
  }

  async #hydrateLoggedModels(
    rows: {
      model_id: string;
      experiment_id: number;
      name: string;
      artifact_uri: string;
      status: string;
      status_message: string | null;
      creation_time: number;
      last_updated_time: number;
      model_type: string | null;
      source_run_id: string | null;
      creator_id: string | null;
      lifecycle_stage: string;
    }[],
  ): Promise<LoggedModelRecord[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.model_id);
    const [params, tags, metrics] = await Promise.all([
      chunked(ids, (c) =>
        this.#db.selectFrom('tracking_logged_model_params').selectAll().where('model_id', 'in', c).execute(),
      ),
      chunked(ids, (c) =>
        this.#db.selectFrom('tracking_logged_model_tags').selectAll().where('model_id', 'in', c).execute(),
      ),
      chunked(ids, (c) =>
        this.#db
          .selectFrom('tracking_logged_model_metrics')
          .selectAll()
          .where('model_id', 'in', c)
          .orderBy('id')
          .execute(),
      ),
    ]);
    const p = groupBy(params, (x) => x.model_id);
    const t = groupBy(tags, (x) => x.model_id);
    const m = groupBy(metrics, (x) => x.model_id);
    return rows.map((r) => ({
      modelId: r.model_id,
      experimentId: String(r.experiment_id),
      name: r.name,
      artifactUri: r.artifact_uri,
      status: r.status as LoggedModelStatus,
      statusMessage: r.status_message,
      creationTime: Number(r.creation_time),
      lastUpdatedTime: Number(r.last_updated_time),
      modelType: r.model_type,
      sourceRunId: r.source_run_id,
      creatorId: r.creator_id,
      lifecycleStage: r.lifecycle_stage as LifecycleStage,
      params: Object.fromEntries((p.get(r.model_id) ?? []).map((x) => [x.key, x.value])),
      tags: Object.fromEntries((t.get(r.model_id) ?? []).map((x) => [x.key, x.value])),
      metrics: (m.get(r.model_id) ?? []).map((x) => ({
        key: x.key,
        value: x.is_nan ? Number.NaN : Number(x.value),
        timestamp: Number(x.timestamp),
        step: Number(x.step),
        runId: x.run_id ?? undefined,
        modelId: x.model_id,
        datasetName: x.dataset_name,
        datasetDigest: x.dataset_digest,
      })),
    }));
  }
}

// ------------------------------------------------------------------ writes used by logBatch

async function writeParams(
  trx: Transaction<Database>,
  runId: string,
  params: Record<string, string>,
): Promise<void> {
  const keys = Object.keys(params);
  if (keys.length === 0) return;
  const existing = await trx
    .selectFrom('tracking_params')
    .select(['key', 'value'])
    .where('run_id', '=', runId)
    .where('key', 'in', keys)
    .execute();
  const conflicts = existing
    .filter((e) => e.value !== params[e.key])
    .map((e) => ({ key: e.key, oldValue: e.value, newValue: params[e.key] }));
  if (conflicts.length > 0) {
    // MLflow's text (sqlalchemy_store._log_params), with Python's repr of the list of dicts.
    const shown = conflicts
      .map(
        (c) =>
          `{'key': ${pyRepr(c.key)}, 'old_value': ${pyRepr(c.oldValue)}, 'new_value': ${pyRepr(c.newValue)}}`,
      )
      .join(', ');
    throw new SlipwayError(
      'TRACKING_PARAM_CHANGED',
      `Changing param values is not allowed. Params were already logged='[${shown}]' for run ID='${runId}'.`,
      { conflicts },
    );
  }
  const known = new Set(existing.map((e) => e.key));
  const fresh = keys.filter((k) => !known.has(k)).map((key) => ({ run_id: runId, key, value: params[key] }));
  if (fresh.length > 0) await trx.insertInto('tracking_params').values(fresh).execute();
}

async function writeMetrics(
  trx: Transaction<Database>,
  runId: string,
  metrics: MetricRecord[],
): Promise<void> {
  if (metrics.length === 0) return;
  const rows = metrics.map((m) => metricRow(runId, m));
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    await trx
      .insertInto('tracking_metrics')
      .values(rows.slice(i, i + INSERT_CHUNK))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
  // One row per key (PostgreSQL refuses to upsert the same key twice in one statement), the
  // greatest (step, timestamp, value) of the batch; the database keeps it only if it beats the stored one.
  const latest = new Map<string, ReturnType<typeof metricRow>>();
  for (const row of rows) {
    const seen = latest.get(row.key);
    if (!seen || newer(row, seen)) latest.set(row.key, row);
  }
  const values = [...latest.values()];
  for (let i = 0; i < values.length; i += INSERT_CHUNK) {
    await trx
      .insertInto('tracking_latest_metrics')
      .values(values.slice(i, i + INSERT_CHUNK))
      .onConflict((oc) =>
        oc
          .columns(['run_id', 'key'])
          .doUpdateSet((eb) => ({
            step: eb.ref('excluded.step'),
            timestamp: eb.ref('excluded.timestamp'),
            value: eb.ref('excluded.value'),
            is_nan: eb.ref('excluded.is_nan'),
          }))
          .where((eb) =>
            eb.or([
              eb('excluded.step', '>', eb.ref('tracking_latest_metrics.step')),
              eb.and([
                eb('excluded.step', '=', eb.ref('tracking_latest_metrics.step')),
                eb('excluded.timestamp', '>', eb.ref('tracking_latest_metrics.timestamp')),
              ]),
              eb.and([
                eb('excluded.step', '=', eb.ref('tracking_latest_metrics.step')),
                eb('excluded.timestamp', '=', eb.ref('tracking_latest_metrics.timestamp')),
                eb('excluded.value', '>', eb.ref('tracking_latest_metrics.value')),
              ]),
            ]),
          ),
      )
      .execute();
  }
}

async function writeModelMetrics(
  trx: Transaction<Database>,
  runId: string,
  metrics: MetricRecord[],
): Promise<void> {
  const withModel = metrics.filter((m) => m.modelId);
  if (withModel.length === 0) return;
  const modelIds = [...new Set(withModel.map((m) => m.modelId as string))];
  const found = await trx
    .selectFrom('tracking_logged_models')
    .select('model_id')
    .where('model_id', 'in', modelIds)
    .execute();
  const missing = modelIds.filter((id) => !found.some((f) => f.model_id === id));
  if (missing.length > 0) throw loggedModelNotFound(missing[0]);
  const rows = withModel.map((m) => {
    const nan = Number.isNaN(m.value);
    return {
      model_id: m.modelId as string,
      key: m.key,
      step: m.step,
      timestamp: m.timestamp,
      value: nan ? 0 : m.value,
      is_nan: nan ? 1 : 0,
      run_id: runId,
      dataset_name: m.datasetName ?? null,
      dataset_digest: m.datasetDigest ?? null,
    };
  });
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    await trx
      .insertInto('tracking_logged_model_metrics')
      .values(rows.slice(i, i + INSERT_CHUNK))
      .execute();
  }
}

async function upsertTag(db: Db, runId: string, key: string, value: string): Promise<void> {
  await db
    .insertInto('tracking_tags')
    .values({ run_id: runId, key, value })
    .onConflict((oc) => oc.columns(['run_id', 'key']).doUpdateSet({ value }))
    .execute();
}

async function upsertModelKeyValues(
  db: Db,
  table: 'tracking_logged_model_params' | 'tracking_logged_model_tags',
  modelId: string,
  values: Record<string, string>,
): Promise<void> {
  for (const [key, value] of Object.entries(values)) {
    await db
      .insertInto(table)
      .values({ model_id: modelId, key, value })
      .onConflict((oc) => oc.columns(['model_id', 'key']).doUpdateSet({ value }))
      .execute();
  }
}

// ------------------------------------------------------------------ row mapping

const RUN_ATTRIBUTE_COLUMNS: Record<string, string> = {
  run_id: 'run_id',
  run_name: 'name',
  status: 'status',
  user_id: 'user_id',
  artifact_uri: 'artifact_uri',
  start_time: 'start_time',
  end_time: 'end_time',
  experiment_id: 'experiment_id',
};

const EXPERIMENT_ORDER_COLUMNS: Record<string, string> = {
  name: 'name',
  experiment_id: 'experiment_id',
  creation_time: 'creation_time',
  last_update_time: 'last_update_time',
};

const LOGGED_MODEL_COLUMNS: Record<string, string> = {
  name: 'name',
  model_id: 'model_id',
  status: 'status',
  source_run_id: 'source_run_id',
  model_type: 'model_type',
  creation_timestamp: 'creation_time',
  creation_time: 'creation_time',
  last_updated_timestamp: 'last_updated_time',
  experiment_id: 'experiment_id',
};

function runInfoOf(row: {
  run_id: string;
  experiment_id: number;
  name: string;
  user_id: string;
  status: string;
  start_time: number;
  end_time: number | null;
  artifact_uri: string;
  lifecycle_stage: string;
}): RunInfoRecord {
  return {
    runId: row.run_id,
    experimentId: String(row.experiment_id),
    runName: row.name,
    userId: row.user_id,
    status: row.status as RunStatus,
    startTime: Number(row.start_time),
    endTime: row.end_time === null ? null : Number(row.end_time),
    artifactUri: row.artifact_uri,
    lifecycleStage: row.lifecycle_stage as LifecycleStage,
  };
}

function metricRow(runId: string, m: MetricRecord) {
  const nan = Number.isNaN(m.value);
  return {
    run_id: runId,
    key: m.key,
    step: m.step,
    timestamp: m.timestamp,
    value: nan ? 0 : m.value,
    is_nan: nan ? 1 : 0,
  };
}

function newer(a: ReturnType<typeof metricRow>, b: ReturnType<typeof metricRow>): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  return a.value > b.value;
}

function metricOf(row: {
  key: string;
  step: number;
  timestamp: number;
  value: number;
  is_nan: number;
  run_id: string;
}): MetricRecord {
  return {
    key: row.key,
    value: row.is_nan ? Number.NaN : Number(row.value),
    timestamp: Number(row.timestamp),
    step: Number(row.step),
    runId: row.run_id,
  };
}

function artifactOf(row: { path: string; sha256: string; size: number; updated_at: number }): ArtifactEntry {
  return { path: row.path, sha256: row.sha256, size: Number(row.size), updatedAt: Number(row.updated_at) };
}

function versionLinkOf(row: Database['tracking_version_links']): VersionLink {
  return {
    name: row.model_name,
    version: Number(row.version),
    source: row.source,
    storageLocation: row.storage_location,
    modelId: row.model_id,
    runId: row.run_id,
    runLink: row.run_link,
    userId: row.user_id,
    currentStage: row.current_stage,
    lastUpdatedAt: Number(row.last_updated_at),
  };
}

/** `query` over `ids` in lists of at most IN_CHUNK ids, the answers concatenated in order. */
async function chunked<K, T>(ids: K[], query: (chunk: K[]) => Promise<T[]>): Promise<T[]> {
  if (ids.length <= IN_CHUNK) return query(ids);
  const out: T[] = [];
  for (let i = 0; i < ids.length; i += IN_CHUNK) {
    for (const row of await query(ids.slice(i, i + IN_CHUNK))) out.push(row);
  }
  return out;
}

function groupBy<T, K>(items: T[], key: (t: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/** MLflow's LIKE (`%`, `_`, no escape) as a case-sensitive SQLite GLOB pattern. */
export function likeToGlob(pattern: string): string {
  let out = '';
  for (const ch of pattern) {
    if (ch === '%') out += '*';
    else if (ch === '_') out += '?';
    else if (ch === '*' || ch === '?' || ch === '[') out += `[${ch}]`;
    else out += ch;
  }
  return out;
}

/** Python's repr of a str, as MLflow's messages print it. */
function pyRepr(s: string): string {
  if (s.includes("'") && !s.includes('"')) return `"${s}"`;
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function experimentNumber(id: string): number | null {
  return /^\d{1,15}$/.test(id) ? Number(id) : null;
}

function experimentExists(name: string): SlipwayError {
  return new SlipwayError('TRACKING_EXPERIMENT_EXISTS', `Experiment(name=${name}) already exists.`);
}

function experimentNotFound(id: string): SlipwayError {
  return new SlipwayError('TRACKING_EXPERIMENT_NOT_FOUND', `No Experiment with id=${id} exists`);
}

function runNotFound(runId: string): SlipwayError {
  return new SlipwayError('TRACKING_RUN_NOT_FOUND', `Run with id=${runId} not found`);
}

function loggedModelNotFound(modelId: string): SlipwayError {
  return new SlipwayError('TRACKING_LOGGED_MODEL_NOT_FOUND', `Logged model with ID '${modelId}' not found.`);
}
