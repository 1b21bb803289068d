/** Experiments and their tags (KyselyTrackingStore). */
import { type Expression, type Kysely, type SqlBool, sql } from 'kysely';
import type { Database } from '../schema.js';
import type {
  ExperimentQuery,
  ExperimentRecord,
  LifecycleStage,
  NewExperiment,
  SearchClause,
  StringOp,
} from '../tracking-store.js';
import {
  chunked,
  experimentExists,
  experimentNotFound,
  experimentNumber,
  groupBy,
} from './kysely-tracking-rows.js';
import { compare, type LikeFlavour } from './kysely-tracking-search.js';

export async function createExperiment(db: Kysely<Database>, input: NewExperiment): Promise<string> {
  return db.transaction().execute(async (trx) => {
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

export async function getExperiment(db: Kysely<Database>, id: string): Promise<ExperimentRecord | null> {
  const n = experimentNumber(id);
  if (n === null) return null;
  const row = await db
    .selectFrom('tracking_experiments')
    .selectAll()
    .where('experiment_id', '=', n)
    .executeTakeFirst();
  return row ? (await hydrateExperiments(db, [row]))[0] : null;
}

export async function getExperimentByName(
  db: Kysely<Database>,
  name: string,
): Promise<ExperimentRecord | null> {
  const row = await db
    .selectFrom('tracking_experiments')
    .selectAll()
    .where('name', '=', name)
    .executeTakeFirst();
  return row ? (await hydrateExperiments(db, [row]))[0] : null;
}

export async function searchExperiments(
  db: Kysely<Database>,
  like: LikeFlavour,
  query: ExperimentQuery,
): Promise<ExperimentRecord[]> {
  let q = db
    .selectFrom('tracking_experiments as e')
    .selectAll('e')
    .where('e.lifecycle_stage', 'in', query.stages);
  for (const c of query.clauses) {
    q = q.where(() => experimentClause(c, like));
  }
  for (const o of query.orderBy) {
    const column = EXPERIMENT_ORDER_COLUMNS[o.key];
    q = q
      .orderBy(sql`${sql.ref(`e.${column}`)} is null`)
      .orderBy(sql.ref(`e.${column}`), o.ascending ? 'asc' : 'desc');
  }
  if (!query.orderBy.some((o) => o.key === 'experiment_id')) q = q.orderBy('e.experiment_id', 'desc');
  const rows = await q.limit(query.limit).offset(query.offset).execute();
  return hydrateExperiments(db, rows);
}

export async function updateExperiment(
  db: Kysely<Database>,
  id: string,
  patch: { name?: string; lifecycleStage?: LifecycleStage },
): Promise<void> {
  const n = experimentNumber(id);
  if (n === null) throw experimentNotFound(id);
  await db.transaction().execute(async (trx) => {
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

export async function setExperimentTag(
  db: Kysely<Database>,
  id: string,
  key: string,
  value: string,
): Promise<void> {
  const n = experimentNumber(id);
  if (n === null) throw experimentNotFound(id);
  await db
    .insertInto('tracking_experiment_tags')
    .values({ experiment_id: n, key, value })
    .onConflict((oc) => oc.columns(['experiment_id', 'key']).doUpdateSet({ value }))
    .execute();
}

export async function deleteExperimentTag(db: Kysely<Database>, id: string, key: string): Promise<void> {
  const n = experimentNumber(id);
  if (n === null) throw experimentNotFound(id);
  await db
    .deleteFrom('tracking_experiment_tags')
    .where('experiment_id', '=', n)
    .where('key', '=', key)
    .execute();
}

export function experimentClause(c: SearchClause, like: LikeFlavour): Expression<SqlBool> {
  if (c.kind === 'tag') {
    return sql<SqlBool>`exists (select 1 from tracking_experiment_tags t where t.experiment_id = e.experiment_id and t.key = ${c.key} and ${compare(like, sql.ref('t.value'), c.op, c.value)})`;
  }
  const column = sql.ref(`e.${EXPERIMENT_ORDER_COLUMNS[c.key] ?? 'name'}`);
  if (typeof c.value === 'number') return sql<SqlBool>`${column} ${sql.raw(c.op)} ${c.value}`;
  return compare(like, column, c.op as StringOp, c.value);
}

export async function hydrateExperiments(
  db: Kysely<Database>,
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
    db.selectFrom('tracking_experiment_tags').selectAll().where('experiment_id', 'in', c).execute(),
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

const EXPERIMENT_ORDER_COLUMNS: Record<string, string> = {
  name: 'name',
  experiment_id: 'experiment_id',
  creation_time: 'creation_time',
  last_update_time: 'last_update_time',
};
