/** Logged models (MLflow 3): rows, params, tags, metrics and their search (KyselyTrackingStore). */
import { type Expression, type Kysely, type SqlBool, sql } from 'kysely';
import type { Database, TrackingLoggedModelTable } from '../schema.js';
import type {
  LifecycleStage,
  LoggedModelQuery,
  LoggedModelRecord,
  LoggedModelStatus,
  NewLoggedModel,
  SearchClause,
  StringOp,
} from '../tracking-store.js';
import { chunked, type Db, experimentNumber, groupBy, loggedModelNotFound } from './kysely-tracking-rows.js';
import { compare, type LikeFlavour } from './kysely-tracking-search.js';

export async function createLoggedModel(db: Kysely<Database>, input: NewLoggedModel): Promise<void> {
  await db.transaction().execute(async (trx) => {
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

export async function getLoggedModel(
  db: Kysely<Database>,
  modelId: string,
): Promise<LoggedModelRecord | null> {
  const row = await db
    .selectFrom('tracking_logged_models')
    .selectAll()
    .where('model_id', '=', modelId)
    .where('lifecycle_stage', '=', 'active')
    .executeTakeFirst();
  return row ? (await hydrateLoggedModels(db, [row]))[0] : null;
}

export async function updateLoggedModel(
  db: Kysely<Database>,
  modelId: string,
  patch: { status?: LoggedModelStatus; statusMessage?: string | null; lifecycleStage?: LifecycleStage },
): Promise<void> {
  const res = await db
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

export async function setLoggedModelTags(
  db: Kysely<Database>,
  modelId: string,
  tags: Record<string, string>,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await upsertModelKeyValues(trx, 'tracking_logged_model_tags', modelId, tags);
    await trx
      .updateTable('tracking_logged_models')
      .set({ last_updated_time: Date.now() })
      .where('model_id', '=', modelId)
      .execute();
  });
}

export async function deleteLoggedModelTag(
  db: Kysely<Database>,
  modelId: string,
  key: string,
): Promise<void> {
  await db
    .deleteFrom('tracking_logged_model_tags')
    .where('model_id', '=', modelId)
    .where('key', '=', key)
    .execute();
}

export async function logLoggedModelParams(
  db: Kysely<Database>,
  modelId: string,
  params: Record<string, string>,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await upsertModelKeyValues(trx, 'tracking_logged_model_params', modelId, params);
  });
}

export async function searchLoggedModels(
  db: Kysely<Database>,
  like: LikeFlavour,
  query: LoggedModelQuery,
): Promise<LoggedModelRecord[]> {
  const ids = query.experimentIds.map(experimentNumber).filter((n): n is number => n !== null);
  if (ids.length === 0) return [];
  let q = db
    .selectFrom('tracking_logged_models as lm')
    .selectAll('lm')
    .where('lm.experiment_id', 'in', ids)
    .where('lm.lifecycle_stage', '=', 'active');
  for (const c of query.clauses) q = q.where(() => loggedModelClause(c, like));
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
  return hydrateLoggedModels(db, rows);
}

export function loggedModelClause(c: SearchClause, like: LikeFlavour): Expression<SqlBool> {
  switch (c.kind) {
    case 'metric':
      return sql<SqlBool>`exists (select 1 from tracking_logged_model_metrics mm where mm.model_id = lm.model_id and mm.key = ${c.key} and mm.is_nan = 0 and mm.value ${sql.raw(c.op)} ${c.value})`;
    case 'param':
    case 'tag': {
      const table = c.kind === 'param' ? 'tracking_logged_model_params' : 'tracking_logged_model_tags';
      return sql<SqlBool>`exists (select 1 from ${sql.table(table)} kv where kv.model_id = lm.model_id and kv.key = ${c.key} and ${compare(like, sql.ref('kv.value'), c.op, c.value)})`;
    }
    default: {
      const column = sql.ref(`lm.${LOGGED_MODEL_COLUMNS[c.key] ?? 'name'}`);
      if (typeof c.value === 'number') return sql<SqlBool>`${column} ${sql.raw(c.op)} ${c.value}`;
      return compare(like, column, c.op as StringOp, c.value);
    }
  }
}

export async function hydrateLoggedModels(
  db: Kysely<Database>,
  rows: readonly TrackingLoggedModelTable[],
): Promise<LoggedModelRecord[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.model_id);
  const [params, tags, metrics] = await Promise.all([
    chunked(ids, (c) =>
      db.selectFrom('tracking_logged_model_params').selectAll().where('model_id', 'in', c).execute(),
    ),
    chunked(ids, (c) =>
      db.selectFrom('tracking_logged_model_tags').selectAll().where('model_id', 'in', c).execute(),
    ),
    chunked(ids, (c) =>
      db
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
