import type { FastifyInstance } from 'fastify';
import { SlipwayError } from '../../core/errors.js';
import { openDashboardStore, parseModelRef, type VersionFilter, versionView } from '../../index.js';
import { normaliseError } from '../error-mapping.js';
import type { ServingContext } from '../serving-context.js';
import { distributionJson, driftSummary, heatmapJson } from './dashboard/drift-views.js';
import {
  liveDeployments,
  placements,
  revisionSummary,
  revisionVersions,
} from './dashboard/live-deployments.js';
import { metricHistories } from './dashboard/metric-histories.js';
import { overviewJson } from './dashboard/overview.js';
import { timeRangeOf } from './dashboard/time-range.js';
import { trafficSeries } from './dashboard/traffic-series.js';

type Query = Record<string, string | undefined>;

/**
 * What the web dashboard needs that the other APIs do not give in one piece, under
 * /api/v1/dashboard: the front page, model summaries with paging, request rate / errors /
 * latency percentiles per version over time, the drift heat map and a feature's distributions,
 * experiment summaries. Every figure is aggregated here or in the store (SQL); the browser only
 * draws. Read-only: changes go through the deployments API. Errors are `{code, message, details}`.
 */
export async function dashboardApiPlugin(app: FastifyInstance, ctx: ServingContext): Promise<void> {
  app.setErrorHandler((err, request, reply) => {
    const { error, status } = normaliseError(err, request);
    reply.code(status).send({ code: error.code, message: error.message, details: error.details ?? {} });
  });
  const { slipway } = ctx;
  const store = openDashboardStore(slipway);
  const now = () => slipway.config.clock.now();
  const tags = ['slipway dashboard'];

  app.get(
    '/api/v1/dashboard/overview',
    {
      schema: {
        tags,
        summary: 'The front page: counts, deployments with health, drift, alerts, rollback target',
      },
    },
    async () => overviewJson(slipway, store),
  );

  app.get<{ Querystring: Query }>(
    '/api/v1/dashboard/models',
    {
      schema: { tags, summary: 'Registered models with version counts, aliases, status, deployments; paged' },
    },
    async (request) => {
      const q = request.query;
      const limit = clampInt(q.limit, 50, 1, 500);
      const offset = clampInt(q.offset, 0, 0, Number.MAX_SAFE_INTEGER);
      const [page, deployments, latest] = await Promise.all([
        store.listModels({ nameContains: q.q || null, limit, offset }),
        liveDeployments(slipway),
        slipway.monitoring.latestResults(),
      ]);
      const placed = placements(deployments);
      return {
        total: page.total,
        offset,
        limit,
        models: page.models.map((m) => ({
          name: m.name,
          description: m.description,
          updated_at: m.updatedAt,
          versions: m.versions,
          latest_version: m.latestVersion,
          latest_status: m.latestStatus,
          latest_created_at: m.latestCreatedAt,
          aliases: m.aliases,
          deployments: [...placed.entries()]
            .filter(([key]) => key.slice(0, key.lastIndexOf(':')) === m.name)
            .flatMap(([key, list]) =>
              list.map((p) => ({ ...p, version: Number(key.slice(key.lastIndexOf(':') + 1)) })),
            ),
          // The newest drift verdict of each version that has one, drifted ones first.
          drift: latest
            .filter((r) => r.model === m.name && r.kind === 'drift')
            .map((r) => ({ version: r.version, at: r.at, ...driftSummary(r.result, 0) }))
            .sort((a, b) => b.drifted_columns - a.drifted_columns || b.version - a.version),
        })),
      };
    },
  );

  app.get<{ Params: { name: string } }>(
    '/api/v1/dashboard/models/:name',
    {
      schema: {
        tags,
        summary:
          'A model, each version with its lineage run (params, metrics), deployments, newest drift and quality',
      },
    },
    async (request) => {
      const model = await slipway.registry.getModel(request.params.name);
      const [versions, deployments, latest] = await Promise.all([
        slipway.registry.listVersions(model.name),
        liveDeployments(slipway),
        slipway.monitoring.latestResults(),
      ]);
      const placed = placements(deployments);
      const runs = new Map<string, unknown>();
      for (const runId of new Set(versions.map((v) => v.runId).filter((r): r is string => r !== null))) {
        runs.set(runId, await runSummary(runId));
      }
      return {
        name: model.name,
        description: model.description,
        created_at: model.createdAt,
        updated_at: model.updatedAt,
        latest_version: model.latestVersion,
        tags: model.tags,
        aliases: model.aliases,
        versions: versions
          .sort((a, b) => b.version - a.version)
          .map((v) => {
            const mine = latest.filter((r) => r.model === v.name && r.version === v.version);
            const drift = mine.find((r) => r.kind === 'drift');
            const quality = mine.find((r) => r.kind === 'quality');
            return {
              ...versionView(v),
              deployments: placed.get(`${v.name}:${v.version}`) ?? [],
              run: v.runId ? (runs.get(v.runId) ?? null) : null,
              drift: drift ? { at: drift.at, rows: drift.rows, ...driftSummary(drift.result) } : null,
              quality: quality
                ? {
                    at: quality.at,
                    labelled: quality.rows,
                    metrics: quality.result.metrics ?? {},
                    baseline: quality.result.baseline ?? {},
                  }
                : null,
            };
          }),
      };
    },
  );

  app.get<{ Params: { name: string } }>(
    '/api/v1/dashboard/deployments/:name',
    {
      schema: {
        tags,
        summary: 'A deployment: live revision, rollback target, revision timeline, drift per live version',
      },
    },
    async (request) => {
      const name = request.params.name;
      const [history, latest, rules] = await Promise.all([
        slipway.deployments.history(name),
        slipway.monitoring.latestResults(),
        slipway.monitoring.alerts.list(),
      ]);
      const live = (await liveDeployments(slipway)).find((d) => d.name === name);
      if (!live) throw new SlipwayError('DEPLOYMENTS_NOT_FOUND', `no deployment "${name}"`);
      const versions = revisionVersions(live.live);
      const names = new Set(versions.map((v) => v.model));
      return {
        name,
        live: revisionSummary(live.live),
        rollback_to: live.rollbackTo ? revisionSummary(live.rollbackTo) : null,
        rollout: live.rollout,
        revisions: history.map(revisionSummary).reverse(),
        drift: versions.flatMap((v) => {
          const r = latest.find((x) => x.kind === 'drift' && x.model === v.model && x.version === v.version);
          return r
            ? [{ model: v.model, version: v.version, at: r.at, rows: r.rows, ...driftSummary(r.result) }]
            : [];
        }),
        models: [...names],
        alerts: rules
          .filter((a) => {
            try {
              return names.has(parseModelRef(String(a.rule.model)).name);
            } catch {
              return false;
            }
          })
          .map((a) => ({ name: String(a.rule.name), firing: a.state.firing, metric: String(a.rule.metric) })),
      };
    },
  );

  app.get<{ Querystring: Query }>(
    '/api/v1/dashboard/traffic',
    {
      schema: {
        tags,
        summary:
          'Requests/s, error rate, latency p50/p90/p99 per version over time: ?deployment=d | model=name[:v], since=1h | from&until, points',
      },
    },
    async (request) => {
      const q = request.query;
      const range = timeRangeOf(q, now(), '1h');
      const deployment = q.deployment || null;
      let versions: VersionFilter[];
      if (deployment !== null) {
        // Every version any revision of the deployment routed to, so a rollback's before and after both show.
        const history = await slipway.deployments.history(deployment);
        const seen = new Map<string, VersionFilter>();
        for (const r of history) for (const v of revisionVersions(r)) seen.set(`${v.model}:${v.version}`, v);
        versions = [...seen.values()];
      } else {
        versions = [await versionFilterOf(required(q.model, 'model or deployment'))];
      }
      return trafficSeries(store, versions, range, deployment);
    },
  );

  app.get<{ Querystring: Query }>(
    '/api/v1/dashboard/drift/heatmap',
    {
      schema: {
        tags,
        summary:
          'Drift score per feature × stored evaluation window (newest per bucket): ?model=name:v, since=7d | from&until, points=48, kind=drift|prediction_drift',
      },
    },
    async (request) => {
      const q = request.query;
      const record = await slipway.registry.resolve(required(q.model, 'model'));
      const range = timeRangeOf(q, now(), '7d', 48);
      const kind = q.kind === 'prediction_drift' ? 'prediction_drift' : 'drift';
      const results = await store.resultsPerBucket({
        model: record.name,
        version: record.version,
        kind,
        from: range.from,
        until: range.until,
        stepMs: range.stepMs,
      });
      return {
        model: record.name,
        version: record.version,
        kind,
        from: range.from,
        until: range.until,
        step_ms: range.stepMs,
        ...heatmapJson(results),
      };
    },
  );

  app.get<{ Querystring: Query }>(
    '/api/v1/dashboard/drift/distribution',
    {
      schema: {
        tags,
        summary:
          "A feature's reference and current distributions on common bins: ?model=name:v&feature=f&from&until[&newest=N][&deployment=d]",
      },
    },
    async (request) => {
      const q = request.query;
      // The window as the heat map gave it (a stored result's), not rounded to buckets.
      const until = q.until ? clampInt(q.until, 0, 0, Number.MAX_SAFE_INTEGER) : now();
      const from = q.from ? clampInt(q.from, 0, 0, until) : until - 3_600_000;
      return distributionJson(slipway, {
        ref: required(q.model, 'model'),
        feature: required(q.feature, 'feature'),
        from,
        until,
        newest: q.newest ? clampInt(q.newest, 10_000, 1, 1_000_000) : null,
        deployment: q.deployment || null,
      });
    },
  );

  app.get(
    '/api/v1/dashboard/experiments',
    { schema: { tags, summary: 'Active experiments with their run counts and newest run time' } },
    async () => ({
      experiments: (await store.experimentSummaries()).map((e) => ({
        experiment_id: e.experimentId,
        name: e.name,
        runs: e.runs,
        last_run_at: e.lastRunAt,
        creation_time: e.creationTime,
      })),
    }),
  );

  app.get<{ Querystring: Query }>(
    '/api/v1/dashboard/runs/columns',
    {
      schema: { tags, summary: 'Param, metric and tag keys of the runs of experiments: ?experiment_ids=1,2' },
    },
    async (request) => {
      const ids = required(request.query.experiment_ids, 'experiment_ids').split(',').filter(Boolean);
      return store.runColumns(ids, 200);
    },
  );

  app.get<{ Querystring: Query }>(
    '/api/v1/dashboard/runs/metric-history',
    {
      schema: {
        tags,
        summary: 'Metric histories of runs on one step axis per metric: ?run_ids=a,b[&keys=loss,accuracy]',
      },
    },
    async (request) => {
      const ids = required(request.query.run_ids, 'run_ids').split(',').filter(Boolean).slice(0, 20);
      const keys = (request.query.keys ?? '').split(',').filter(Boolean);
      return metricHistories(slipway, ids, keys);
    },
  );

  async function runSummary(runId: string) {
    try {
      const run = await slipway.tracking.getRun(runId);
      const experiment = await slipway.tracking.getExperiment(run.info.experimentId);
      return {
        run_id: run.info.runId,
        run_name: run.info.runName,
        experiment_id: run.info.experimentId,
        experiment_name: experiment.name,
        status: run.info.status,
        start_time: run.info.startTime,
        end_time: run.info.endTime,
        user_id: run.info.userId,
        params: run.params,
        metrics: Object.fromEntries(run.metrics.map((m) => [m.key, m.value])),
        tags: Object.fromEntries(Object.entries(run.tags).filter(([k]) => !k.startsWith('mlflow.log-model'))),
        datasets: run.datasetInputs.map((d) => ({
          name: d.dataset.name,
          digest: d.dataset.digest,
          source: d.dataset.source,
          context: d.tags['mlflow.data.context'] ?? null,
        })),
      };
    } catch (err) {
      if (err instanceof SlipwayError && err.httpStatus === 404) return { run_id: runId, missing: true };
      throw err;
    }
  }

  async function versionFilterOf(ref: string): Promise<VersionFilter> {
    const r = parseModelRef(ref);
    if (r.kind === 'default') {
      await slipway.registry.getModel(r.name);
      return { model: r.name, version: null };
    }
    const record = await slipway.registry.resolve(r);
    return { model: record.name, version: record.version };
  }
}

function required(v: string | undefined, name: string): string {
  if (!v) throw new SlipwayError('CORE_INVALID_ARGUMENT', `"${name}" is required`);
  return v;
}

function clampInt(text: string | undefined, fallback: number, min: number, max: number): number {
  const n = text === undefined ? fallback : Number(text);
  if (!Number.isFinite(n)) return fallback;
  return Math.min(max, Math.max(min, Math.trunc(n)));
}
