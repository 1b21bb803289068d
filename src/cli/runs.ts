import type { Command } from 'commander';
import type { ExperimentRecord, RunRecord, Slipway } from '../index.js';
import { withSlipway } from './context.js';
import { fields, formatTime, table } from './output.js';

/** `slipway runs list|show` and `slipway experiments list`: the tracking store, read-only. */
export function registerRunCommands(program: Command): void {
  const runs = program
    .command('runs')
    .description('tracked runs (MLflow-compatible): params, metrics, datasets');

  runs
    .command('list')
    .description('runs of an experiment, newest first (MLflow search filter and order)')
    .option(
      '-e, --experiment <id-or-name>',
      'experiment id or name (repeatable; default: all active)',
      collect,
      [],
    )
    .option('-f, --filter <expr>', `MLflow filter, e.g. "metrics.rmse < 1 and params.alpha = '0.5'"`)
    .option('-o, --order-by <clause>', 'e.g. "metrics.rmse ASC" (repeatable)', collect, [])
    .option('-n, --max <count>', 'at most this many runs', '50')
    .option('--all', 'include deleted runs')
    .action(async (o, cmd: Command) => {
      await withSlipway(cmd, async (s, out) => {
        const experiments = await experimentIds(s, o.experiment);
        const page = await s.tracking.searchRuns({
          experimentIds: experiments,
          filter: o.filter ?? null,
          orderBy: o.orderBy,
          maxResults: Number(o.max),
          viewType: o.all ? 'ALL' : 'ACTIVE_ONLY',
        });
        out.emit(
          { runs: page.items.map(runJson), next_page_token: page.nextPageToken },
          () =>
            table(
              ['RUN ID', 'NAME', 'EXPERIMENT', 'STATUS', 'STARTED', 'METRICS'],
              page.items.map((r) => [
                r.info.runId,
                r.info.runName,
                r.info.experimentId,
                r.info.status,
                formatTime(r.info.startTime),
                r.metrics
                  .slice(0, 4)
                  .map((m) => `${m.key}=${formatNumber(m.value)}`)
                  .join(' '),
              ]),
            ) + (page.nextPageToken ? '\n(more runs: raise --max)' : ''),
        );
      });
    });

  runs
    .command('show <run-id>')
    .description('one run: params, latest metrics, tags, datasets, logged models, artifacts')
    .action(async (runId: string, _o, cmd: Command) => {
      await withSlipway(cmd, async (s, out) => {
        const run = await s.tracking.getRun(runId);
        const artifacts = await s.tracking.listRunArtifacts(runId, null);
        out.emit({ ...runJson(run), artifacts: artifacts.files }, () =>
          describeRun(
            run,
            artifacts.files.map((f) => f.name),
          ),
        );
      });
    });

  const experiments = program.command('experiments').description('tracking experiments');
  experiments
    .command('list')
    .description('experiments, newest first')
    .option('--all', 'include deleted experiments')
    .action(async (o, cmd: Command) => {
      await withSlipway(cmd, async (s, out) => {
        const page = await s.tracking.searchExperiments({
          viewType: o.all ? 'ALL' : 'ACTIVE_ONLY',
          maxResults: 50_000,
        });
        out.emit(page.items.map(experimentJson), () =>
          table(
            ['ID', 'NAME', 'STAGE', 'CREATED', 'ARTIFACTS'],
            page.items.map((e) => [
              e.experimentId,
              e.name,
              e.lifecycleStage,
              formatTime(e.creationTime),
              e.artifactLocation,
            ]),
          ),
        );
      });
    });
}

async function experimentIds(s: Slipway, given: string[]): Promise<string[]> {
  if (given.length === 0) {
    const all = await s.tracking.searchExperiments({ viewType: 'ALL', maxResults: 50_000 });
    return all.items.map((e) => e.experimentId);
  }
  const ids: string[] = [];
  for (const g of given) {
    if (/^\d+$/.test(g)) ids.push((await s.tracking.getExperiment(g)).experimentId);
    else ids.push((await s.tracking.getExperimentByName(g)).experimentId);
  }
  return ids;
}

function describeRun(run: RunRecord, artifacts: string[]): string {
  const i = run.info;
  const kv = (r: Record<string, string>) =>
    Object.entries(r)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ') || '-';
  return fields([
    ['run', i.runId],
    ['name', i.runName],
    ['experiment', i.experimentId],
    ['status', i.lifecycleStage === 'deleted' ? `${i.status} (deleted)` : i.status],
    ['user', i.userId || '-'],
    ['started', formatTime(i.startTime)],
    ['ended', i.endTime ? formatTime(i.endTime) : '-'],
    ['code', run.tags['mlflow.source.git.commit'] ?? '-'],
    ['source', run.tags['mlflow.source.name'] ?? '-'],
    ['params', kv(run.params)],
    [
      'metrics',
      run.metrics.map((m) => `${m.key}=${formatNumber(m.value)} (step ${m.step})`).join(' ') || '-',
    ],
    [
      'datasets',
      run.datasetInputs
        .map(
          (d) =>
            `${d.dataset.name} (digest ${d.dataset.digest}, ${d.tags['mlflow.data.context'] ?? 'no context'})`,
        )
        .join('; ') || '-',
    ],
    ['models', run.modelOutputs.map((m) => m.modelId).join(' ') || '-'],
    ['tags', kv(Object.fromEntries(Object.entries(run.tags).filter(([k]) => !k.startsWith('mlflow.'))))],
    ['artifacts', artifacts.join(' ') || '-'],
    ['artifact uri', i.artifactUri],
  ]);
}

function runJson(r: RunRecord) {
  return {
    run_id: r.info.runId,
    run_name: r.info.runName,
    experiment_id: r.info.experimentId,
    status: r.info.status,
    lifecycle_stage: r.info.lifecycleStage,
    user_id: r.info.userId,
    start_time: r.info.startTime,
    end_time: r.info.endTime,
    artifact_uri: r.info.artifactUri,
    params: r.params,
    metrics: Object.fromEntries(
      r.metrics.map((m) => [m.key, Number.isFinite(m.value) ? m.value : String(m.value)]),
    ),
    tags: r.tags,
    datasets: r.datasetInputs.map((d) => ({ ...d.dataset, tags: d.tags })),
    model_outputs: r.modelOutputs,
  };
}

function experimentJson(e: ExperimentRecord) {
  return {
    experiment_id: e.experimentId,
    name: e.name,
    lifecycle_stage: e.lifecycleStage,
    artifact_location: e.artifactLocation,
    creation_time: e.creationTime,
    last_update_time: e.lastUpdateTime,
    tags: e.tags,
  };
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(4);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
