import { type DashboardStore, parseModelRef, type Slipway, type StoredResult } from '../../../index.js';
import { driftSummary } from './drift-views.js';
import { liveDeployments, placements, revisionSummary, revisionVersions } from './live-deployments.js';
import { trafficSeries } from './traffic-series.js';

/** Deployments needing a look first: drift or a firing alert, then server errors. */
const RANK = { attention: 0, errors: 1, ok: 2 } as const;

/** How far back the front page's health figures look. */
const HEALTH_WINDOW_MS = 15 * 60_000;

/**
 * The front page: counts, then every deployment with its live split, its health over the last 15
 * minutes, the newest drift verdict of each version it answers with, its firing alerts and where a
 * rollback would go; troubled deployments first. Also drift of versions no deployment serves.
 */
export async function overviewJson(slipway: Slipway, store: DashboardStore) {
  const now = slipway.config.clock.now();
  const [counts, deployments, latest, rules] = await Promise.all([
    store.counts(),
    liveDeployments(slipway),
    slipway.monitoring.latestResults(),
    slipway.monitoring.alerts.list(),
  ]);
  const drift = new Map<string, StoredResult>();
  const quality = new Map<string, StoredResult>();
  for (const r of latest) {
    if (r.kind === 'drift') drift.set(`${r.model}:${r.version}`, r);
    if (r.kind === 'quality') quality.set(`${r.model}:${r.version}`, r);
  }
  const firing = rules.filter((a) => a.state.firing).map(alertSummary);
  const range = { from: now - HEALTH_WINDOW_MS, until: now, stepMs: HEALTH_WINDOW_MS };

  const items = await Promise.all(
    deployments.map(async (d) => {
      const versions = revisionVersions(d.live);
      const health = await trafficSeries(store, versions, range, d.name);
      const names = new Set(versions.map((v) => v.model));
      const versionDrift = versions.flatMap((v) => {
        const r = drift.get(`${v.model}:${v.version}`);
        return r
          ? [{ model: v.model, version: v.version, at: r.at, rows: r.rows, ...driftSummary(r.result) }]
          : [];
      });
      const alerts = firing.filter((a) => names.has(a.model_name));
      const sum = health.series.reduce(
        (s, x) => ({
          requests: s.requests + x.summary.requests,
          errors: s.errors + x.summary.errors,
          p99: Math.max(s.p99, x.summary.p99_ms ?? 0),
        }),
        { requests: 0, errors: 0, p99: 0 },
      );
      // A drifted feature is worth a look even below the dataset-drift share (the badge says which).
      const drifted = versionDrift.some((v) => v.drifted_columns > 0);
      return {
        name: d.name,
        updated_at: d.updatedAt,
        live: revisionSummary(d.live),
        revisions: d.revisions,
        rollback_to: d.rollbackTo ? revisionSummary(d.rollbackTo) : null,
        rollout: d.rollout,
        health: {
          window_ms: HEALTH_WINDOW_MS,
          requests: sum.requests,
          rate_per_s: sum.requests / (HEALTH_WINDOW_MS / 1000),
          errors: sum.errors,
          error_rate: sum.requests > 0 ? sum.errors / sum.requests : null,
          p99_ms: sum.requests > 0 ? sum.p99 : null,
          versions: health.series.map((s) => ({ model: s.model, version: s.version, ...s.summary })),
        },
        drift: versionDrift,
        quality: versions.flatMap((v) => {
          const r = quality.get(`${v.model}:${v.version}`);
          return r
            ? [{ model: v.model, version: v.version, at: r.at, baseline: r.result.baseline ?? {} }]
            : [];
        }),
        alerts,
        status: (alerts.length > 0 || drifted
          ? 'attention'
          : sum.errors > 0
            ? 'errors'
            : 'ok') as keyof typeof RANK,
        drifted,
      };
    }),
  );
  items.sort((a, b) => RANK[a.status] - RANK[b.status] || (a.name < b.name ? -1 : 1));

  const placed = placements(deployments);
  const undeployedDrift = [...drift.values()]
    .filter((r) => !placed.has(`${r.model}:${r.version}`) && Boolean(r.result.dataset_drift))
    .map((r) => ({ model: r.model, version: r.version, at: r.at, ...driftSummary(r.result) }));
  return {
    at: now,
    counts: {
      models: counts.models,
      versions: counts.versions,
      deployments: counts.deployments,
      experiments: counts.experiments,
      runs: counts.runs,
      jobs: counts.jobs,
      firing_alerts: counts.firingAlerts,
    },
    deployments: items,
    firing_alerts: firing,
    undeployed_drift: undeployedDrift,
  };
}

export function alertSummary(a: Awaited<ReturnType<Slipway['monitoring']['alerts']['list']>>[number]) {
  const rule = a.rule as {
    name: string;
    model: string;
    metric: string;
    severity?: string;
    op?: string;
    threshold?: number;
  };
  let modelName = rule.model;
  try {
    modelName = parseModelRef(rule.model).name;
  } catch {
    // a rule written before a rename: show it under its text
  }
  return {
    name: rule.name,
    model: rule.model,
    model_name: modelName,
    metric: rule.metric,
    op: rule.op ?? null,
    threshold: rule.threshold ?? null,
    severity: rule.severity ?? null,
    firing: a.state.firing,
    last_value: a.state.last_value,
    last_fired_at: a.state.last_fired_at,
    last_evaluated_at: a.state.last_evaluated_at,
  };
}
