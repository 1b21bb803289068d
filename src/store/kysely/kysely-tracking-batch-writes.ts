/** The writes of one log-batch transaction: params (immutable), metrics and their latest values, tags. */
import type { Transaction } from 'kysely';
import { SlipwayError } from '../../core/errors.js';
import type { Database } from '../schema.js';
import type { MetricRecord } from '../tracking-store.js';
import { type Db, INSERT_CHUNK, loggedModelNotFound } from './kysely-tracking-rows.js';

export async function writeParams(
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

export async function writeMetrics(
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

export async function writeModelMetrics(
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

export async function upsertTag(db: Db, runId: string, key: string, value: string): Promise<void> {
  await db
    .insertInto('tracking_tags')
    .values({ run_id: runId, key, value })
    .onConflict((oc) => oc.columns(['run_id', 'key']).doUpdateSet({ value }))
    .execute();
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

/** Python's repr of a str, as MLflow's messages print it. */
function pyRepr(s: string): string {
  if (s.includes("'") && !s.includes('"')) return `"${s}"`;
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
