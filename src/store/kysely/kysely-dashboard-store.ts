import { type Expression, type ExpressionBuilder, type Kysely, type SqlBool, sql } from 'kysely';
import type {
  BucketResult,
  DashboardCounts,
  DashboardStore,
  ExperimentSummary,
  LatencyBucket,
  ModelSummary,
  ModelSummaryQuery,
  ResultBucketQuery,
  RunColumns,
  SeriesQuery,
  TrafficBucket,
  VersionFilter,
} from '../dashboard-store.js';
import type { Database } from '../schema.js';

/** DashboardStore over Kysely: every aggregation is one SQL statement. */
export class KyselyDashboardStore implements DashboardStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async counts(): Promise<DashboardCounts> {
    // One scalar subquery per table, all in one statement.
    const row = await this.#db
      .selectNoFrom((eb) => [
        eb.selectFrom('registered_models').select(eb.fn.countAll<number>().as('n')).as('models'),
        eb.selectFrom('model_versions').select(eb.fn.countAll<number>().as('n')).as('versions'),
        eb.selectFrom('deployments').select(eb.fn.countAll<number>().as('n')).as('deployments'),
        eb
          .selectFrom('tracking_experiments')
          .select(eb.fn.countAll<number>().as('n'))
          .where('lifecycle_stage', '=', 'active')
          .as('experiments'),
        eb
          .selectFrom('tracking_runs')
          .select(eb.fn.countAll<number>().as('n'))
          .where('lifecycle_stage', '=', 'active')
          .as('runs'),
        eb
          .selectFrom('alert_rules')
          .select(eb.fn.countAll<number>().as('n'))
          .where('firing', '=', 1)
          .as('firing'),
      ])
      .executeTakeFirstOrThrow();
    const jobs = await this.#db
      .selectFrom('batch_jobs')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('status')
      .execute();
    return {
      models: Number(row.models),
      versions: Number(row.versions),
      deployments: Number(row.deployments),
      experiments: Number(row.experiments),
      runs: Number(row.runs),
      jobs: Object.fromEntries(jobs.map((j) => [j.status, Number(j.n)])),
      firingAlerts: Number(row.firing),
    };
  }

  async listModels(query: ModelSummaryQuery): Promise<{ total: number; models: ModelSummary[] }> {
    let base = this.#db.selectFrom('registered_models as m');
    if (query.nameContains) {
      base = base.where(sql<SqlBool>`m.name like ${`%${escapeLike(query.nameContains)}%`} escape '\\'`);
    }
    const total = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = await base
      .select((eb) => [
        'm.name',
        'm.description',
        'm.updated_at',
        eb
          .selectFrom('model_versions as v')
          .select(eb.fn.countAll<number>().as('n'))
          .whereRef('v.model_name', '=', 'm.name')
          .as('versions'),
        eb
          .selectFrom('model_versions as v')
          .select('v.version')
          .whereRef('v.model_name', '=', 'm.name')
          .orderBy('v.version', 'desc')
          .limit(1)
          .as('latest_version'),
        eb
          .selectFrom('model_versions as v')
          .select('v.status')
          .whereRef('v.model_name', '=', 'm.name')
          .orderBy('v.version', 'desc')
          .limit(1)
          .as('latest_status'),
        eb
          .selectFrom('model_versions as v')
          .select('v.created_at')
          .whereRef('v.model_name', '=', 'm.name')
          .orderBy('v.version', 'desc')
          .limit(1)
          .as('latest_created_at'),
      ])
      .orderBy('m.name')
      .limit(query.limit)
      .offset(query.offset)
      .execute();
    const names = rows.map((r) => r.name);
    const aliases =
      names.length === 0
        ? []
        : await this.#db
            .selectFrom('aliases')
            .select(['model_name', 'alias', 'version'])
            .where('model_name', 'in', names)
            .orderBy('alias')
            .execute();
    return {
      total: Number(total.n),
      models: rows.map((r) => ({
        name: r.name,
        description: r.description,
        updatedAt: Number(r.updated_at),
        versions: Number(r.versions ?? 0),
        latestVersion: r.latest_version == null ? null : Number(r.latest_version),
        latestStatus: r.latest_status ?? null,
        latestCreatedAt: r.latest_created_at == null ? null : Number(r.latest_created_at),
        aliases: Object.fromEntries(
          aliases.filter((a) => a.model_name === r.name).map((a) => [a.alias, Number(a.version)]),
        ),
      })),
    };
  }

  async trafficSeries(query: SeriesQuery): Promise<TrafficBucket[]> {
    if (query.versions.length === 0) return [];
    const bucket = bucketOf(sql.ref('bucket'), query);
    let q = this.#db
      .selectFrom('monitoring_traffic')
      .select((eb) => [
        bucket.as('b'),
        'model',
        'version',
        eb.fn.sum<number>('requests').as('requests'),
        eb.fn.sum<number>('errors').as('errors'),
        eb.fn.sum<number>('client_errors').as('client_errors'),
      ])
      .where((eb) => versionsWhere(eb, query.versions))
      .where('bucket', '>=', query.from)
      .where('bucket', '<', query.until)
      .groupBy(['model', 'version']);
    if (query.stepMs !== null) q = q.groupBy(bucket);
    const rows = await q.orderBy('b').orderBy('model').orderBy('version').execute();
    return rows.map((r) => ({
      bucket: Number(r.b),
      model: r.model,
      version: Number(r.version),
      requests: Number(r.requests),
      errors: Number(r.errors),
      clientErrors: Number(r.client_errors),
    }));
  }

  async latencySeries(query: SeriesQuery & { deployment?: string | null }): Promise<LatencyBucket[]> {
    if (query.versions.length === 0) return [];
    // Rows name their model version by stream (migration 0006): the matching streams drive the
    // window index on (stream_id, at).
    let inner = this.#db
      .selectFrom('prediction_log_streams')
      .innerJoin('prediction_log', 'prediction_log.stream_id', 'prediction_log_streams.id')
      .select([
        bucketOf(sql.ref('prediction_log.at'), query).as('b'),
        'prediction_log_streams.model',
        'prediction_log_streams.version',
        'prediction_log.latency_ms as l',
      ])
      .where('prediction_log.row_index', '=', 0)
      .where('prediction_log.at', '>=', query.from)
      .where('prediction_log.at', '<', query.until)
      .where((eb) => versionsWhere(eb, query.versions));
    if (query.deployment) inner = inner.where('prediction_log_streams.deployment', '=', query.deployment);
    // Rank each request's latency within its bucket, then pick the ranks of the percentiles.
    const ranked = this.#db.selectFrom(inner.as('r')).select((eb) => [
      'r.b',
      'r.model',
      'r.version',
      'r.l',
      eb.fn
        .agg<number>('row_number')
        .over((ob) => ob.partitionBy(['r.b', 'r.model', 'r.version']).orderBy('r.l'))
        .as('rn'),
      eb.fn
        .countAll<number>()
        .over((ob) => ob.partitionBy(['r.b', 'r.model', 'r.version']))
        .as('n'),
    ]);
    // Nearest rank: the smallest rank r with r >= p × n, i.e. ceil(p × n), without ceil() (the
    // nudge keeps 0.99 × 100 at rank 99 however the product rounds).
    const at = (p: number) => {
      const pn = sql`(${p} * n - 1e-9)`;
      return sql<number>`max(case when rn >= ${pn} and rn - 1 < ${pn} then l end)`;
    };
    const rows = await this.#db
      .selectFrom(ranked.as('k'))
      .select((eb) => [
        'k.b',
        'k.model',
        'k.version',
        'k.n',
        eb.fn.avg<number>('k.l').as('mean'),
        eb.fn.max<number>('k.l').as('max'),
        at(0.5).as('p50'),
        at(0.9).as('p90'),
        at(0.99).as('p99'),
      ])
      .groupBy(['k.b', 'k.model', 'k.version', 'k.n'])
      .orderBy('k.b')
      .orderBy('k.model')
      .orderBy('k.version')
      .execute();
    return rows.map((r) => ({
      bucket: Number(r.b),
      model: r.model,
      version: Number(r.version),
      requests: Number(r.n),
      meanMs: Number(r.mean),
      p50Ms: Number(r.p50),
      p90Ms: Number(r.p90),
      p99Ms: Number(r.p99),
      maxMs: Number(r.max),
    }));
  }

  async resultsPerBucket(query: ResultBucketQuery): Promise<BucketResult[]> {
    let ids = this.#db
      .selectFrom('monitoring_results')
      .select((eb) => eb.fn.max<number>('id').as('id'))
      .where('model', '=', query.model)
      .where('kind', '=', query.kind)
      .where('at', '>=', query.from)
      .where('at', '<', query.until)
      .groupBy(bucketOf(sql.ref('at'), query));
    if (query.version !== null) ids = ids.where('version', '=', query.version);
    const rows = await this.#db
      .selectFrom('monitoring_results')
      .select(['id', 'at', 'version', 'window_start', 'window_end', 'rows', 'result_json'])
      .where('id', 'in', ids)
      .orderBy('at')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      id: Number(r.id),
      at: Number(r.at),
      version: Number(r.version),
      windowStart: Number(r.window_start),
      windowEnd: Number(r.window_end),
      rows: Number(r.rows),
      resultJson: r.result_json,
    }));
  }

  async experimentSummaries(): Promise<ExperimentSummary[]> {
    const rows = await this.#db
      .selectFrom('tracking_experiments as e')
      .leftJoin('tracking_runs as r', (j) =>
        j.onRef('r.experiment_id', '=', 'e.experiment_id').on('r.lifecycle_stage', '=', 'active'),
      )
      .select((eb) => [
        'e.experiment_id',
        'e.name',
        'e.creation_time',
        eb.fn.count<number>('r.run_id').as('runs'),
        eb.fn.max<number | null>('r.start_time').as('last_run_at'),
      ])
      .where('e.lifecycle_stage', '=', 'active')
      .groupBy(['e.experiment_id', 'e.name', 'e.creation_time'])
      .orderBy('e.experiment_id')
      .execute();
    return rows.map((r) => ({
      experimentId: String(r.experiment_id),
      name: r.name,
      runs: Number(r.runs),
      lastRunAt: r.last_run_at == null ? null : Number(r.last_run_at),
      creationTime: Number(r.creation_time),
    }));
  }

  async runColumns(experimentIds: readonly string[], limit: number): Promise<RunColumns> {
    const ids = experimentIds.map(Number).filter((n) => Number.isSafeInteger(n));
    if (ids.length === 0) return { params: [], metrics: [], tags: [] };
    const runs = this.#db
      .selectFrom('tracking_runs')
      .select('run_id')
      .where('experiment_id', 'in', ids)
      .where('lifecycle_stage', '=', 'active');
    const keys = async (table: 'tracking_params' | 'tracking_latest_metrics' | 'tracking_tags') =>
      (
        await this.#db
          .selectFrom(table)
          .select('key')
          .distinct()
          .where('run_id', 'in', runs)
          .orderBy('key')
          .limit(limit)
          .execute()
      ).map((r) => r.key);
    return {
      params: await keys('tracking_params'),
      metrics: await keys('tracking_latest_metrics'),
      tags: await keys('tracking_tags'),
    };
  }
}

/**
 * `floor(t / step) * step` for non-negative times, the same on SQLite and PostgreSQL; with no
 * step, `from` (one bucket for the whole range: callers leave it out of GROUP BY).
 */
function bucketOf(column: Expression<unknown>, range: { from: number; stepMs: number | null }) {
  if (range.stepMs === null) return sql<number>`${sql.lit(Math.trunc(range.from))}`;
  // The step is a literal, not a parameter, so GROUP BY and SELECT hold the same expression.
  const step = sql.lit(Math.max(1, Math.trunc(range.stepMs)));
  return sql<number>`(cast(${column} / ${step} as bigint) * ${step})`;
}

/** `model` and `version` are those of monitoring_traffic, or of prediction_log_streams (joined to the log). */
function versionsWhere<TB extends keyof Database>(
  eb: ExpressionBuilder<Database, TB>,
  versions: readonly VersionFilter[],
): Expression<SqlBool> {
  const model = sql.ref<string>('model');
  const version = sql.ref<number>('version');
  return eb.or(
    versions.map((v) =>
      v.version === null
        ? eb(model, '=', v.model)
        : eb.and([eb(model, '=', v.model), eb(version, '=', v.version)]),
    ),
  );
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
