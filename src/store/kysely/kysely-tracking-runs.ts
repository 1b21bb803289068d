/** Runs: their rows, their logged data and a page's hydration (KyselyTrackingStore). */
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type {
  BatchWrite,
  DatasetInputRecord,
  MetricRecord,
  NewRun,
  RunInfoRecord,
  RunPatch,
  RunRecord,
} from '../tracking-store.js';
import { upsertTag, writeMetrics, writeModelMetrics, writeParams } from './kysely-tracking-batch-writes.js';
import { chunked, metricOf, runInfoOf, runNotFound } from './kysely-tracking-rows.js';

export async function createRun(db: Kysely<Database>, input: NewRun): Promise<void> {
  await db.transaction().execute(async (trx) => {
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

export async function getRunInfo(db: Kysely<Database>, runId: string): Promise<RunInfoRecord | null> {
  const row = await db.selectFrom('tracking_runs').selectAll().where('run_id', '=', runId).executeTakeFirst();
  return row ? runInfoOf(row) : null;
}

export async function getRun(db: Kysely<Database>, runId: string): Promise<RunRecord | null> {
  const row = await db.selectFrom('tracking_runs').selectAll().where('run_id', '=', runId).executeTakeFirst();
  if (!row) return null;
  return (await hydrateRuns(db, [row]))[0];
}

export async function updateRun(db: Kysely<Database>, runId: string, patch: RunPatch): Promise<void> {
  await db.transaction().execute(async (trx) => {
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

export async function logBatch(db: Kysely<Database>, runId: string, batch: BatchWrite): Promise<void> {
  await db.transaction().execute(async (trx) => {
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

export async function deleteTag(db: Kysely<Database>, runId: string, key: string): Promise<void> {
  await db.deleteFrom('tracking_tags').where('run_id', '=', runId).where('key', '=', key).execute();
}

export async function metricHistory(
  db: Kysely<Database>,
  runId: string,
  key: string,
  page: { offset: number; limit: number },
): Promise<MetricRecord[]> {
  const rows = await db
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

export async function logInputs(
  db: Kysely<Database>,
  runId: string,
  experimentId: string,
  inputs: DatasetInputRecord[],
  modelIds: string[],
): Promise<void> {
  const exp = Number(experimentId);
  await db.transaction().execute(async (trx) => {
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

export async function logOutputs(
  db: Kysely<Database>,
  runId: string,
  outputs: { modelId: string; step: number }[],
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const o of outputs) {
      await trx
        .insertInto('tracking_run_models')
        .values({ run_id: runId, model_id: o.modelId, direction: 'output', step: o.step })
        .onConflict((oc) => oc.columns(['run_id', 'model_id', 'direction']).doUpdateSet({ step: o.step }))
        .execute();
    }
  });
}

/**
 * The children of a page of runs, one query per child table for the whole page (never per run),
 * each selecting only the columns a RunRecord needs, filled straight into the records in the
 * database's order (no intermediate grouping): a page of 1,000 runs is ≈ 7,000 child rows.
 */
export async function hydrateRuns(
  db: Kysely<Database>,
  rows: Parameters<typeof runInfoOf>[0][],
): Promise<RunRecord[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.run_id);
  const [params, tags, metrics, inputs, models] = await Promise.all([
    chunked(ids, (c) =>
      db.selectFrom('tracking_params').select(['run_id', 'key', 'value']).where('run_id', 'in', c).execute(),
    ),
    chunked(ids, (c) =>
      db.selectFrom('tracking_tags').select(['run_id', 'key', 'value']).where('run_id', 'in', c).execute(),
    ),
    chunked(ids, (c) =>
      db
        .selectFrom('tracking_latest_metrics')
        .select(['run_id', 'key', 'step', 'timestamp', 'value', 'is_nan'])
        .where('run_id', 'in', c)
        .execute(),
    ),
    chunked(ids, (c) =>
      db
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
      db
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
