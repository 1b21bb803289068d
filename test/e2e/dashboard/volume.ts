/**
 * Real volumes for the dashboard's load-time test: 200 registered models, 10,000 runs, and a week
 * of per-minute monitoring points for a deployed model (request counts, one logged prediction a
 * minute, an hourly drift evaluation whose last day drifts).
 *
 * The served model and its week of predictions go through slipway's own code (registry,
 * deployments, the prediction log writer, a real drift report); the bulk rows the dashboard only
 * reads (199 more models, 10,000 runs, per-minute counters, hourly results) are written through
 * the store's public interfaces or, where none writes in bulk, with SQL through `slipway.db`,
 * in a few transactions, so the seed takes seconds rather than minutes.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { openSlipway, type Slipway } from '../../../src/index.js';
import { type RunningServer, startServer } from '../../../src/server/index.js';
import { fixtureModelPath, tempHome } from '../../helpers/fixtures.js';
import { csvRows, ManualClock, TRAIN_CSV } from './scenario.js';

const MINUTE = 60_000;
const WEEK_MINUTES = 7 * 24 * 60;

export interface Volume {
  slipway: Slipway;
  server: RunningServer;
  experimentId: string;
  close(): Promise<void>;
}

export async function buildVolume(): Promise<Volume> {
  const home = tempHome();
  const slipway = await openSlipway({ home });
  const now = Date.now();
  const weekAgo = Math.floor((now - 7 * 24 * 60 * MINUTE) / MINUTE) * MINUTE;

  const fraud = await slipway.registry.register({
    name: 'fraud',
    path: fixtureModelPath('breast_cancer_gbdt'),
    dataset: TRAIN_CSV,
    target: 'target',
    aliases: ['champion'],
    metrics: { accuracy: 0.95 },
  });
  await slipway.monitoring.close();
  // 199 more models, each a copy of fraud's version record (the registry store's own insert).
  for (let i = 1; i < 200; i++) {
    await slipway.registryStore.insertVersion({
      modelName: `model-${String(i).padStart(3, '0')}`,
      createModel: true,
      description: `model number ${i}`,
      createdAt: now - i * MINUTE,
      modelSha256: fraud.modelSha256,
      manifestSha256: fraud.manifestSha256,
      sourceFormat: fraud.sourceFormat,
      sourcePath: fraud.sourcePath,
      status: 'READY',
      statusMessage: null,
      signature: fraud.signature,
      lineage: fraud.lineage,
      metadata: fraud.metadata,
      runId: null,
      tags: {},
      datasets: fraud.datasets,
      aliases: [],
    });
  }
  await slipway.deployments.create('fraud-prod', { actor: 'ops', model: 'fraud:1', message: 'volume test' });

  // A week of one prediction a minute, through the prediction log writer.
  const train = csvRows(TRAIN_CSV, ['target']);
  // The writer stamps each row with its clock's now less the latency: a clock walking the week.
  const clock = new ManualClock(weekAgo);
  const log = slipway.monitoring.createPredictionLog({ clock });
  for (let m = 0; m < WEEK_MINUTES; m++) {
    const latencyMs = 2 + (m % 17) / 4;
    clock.at = weekAgo + m * MINUTE + 500 + latencyMs;
    const row = train.rows[m % train.rows.length];
    // The last day's rows are shifted: drift to find on the heat map.
    const features = m > WEEK_MINUTES - 24 * 60 ? row.map((v, j) => (j % 10 === 0 ? v * 1.5 : v)) : row;
    log.record({
      requestId: `vol-${m}`,
      protocol: 'v2',
      model: 'fraud',
      version: 1,
      deployment: 'fraud-prod',
      receivedAt: weekAgo + m * MINUTE + 500,
      latencyMs,
      inputs: { features: { datatype: 'FP32', shape: [1, 30], data: Float32Array.from(features) } },
      outputs: {
        label: { datatype: 'INT64', shape: [1], data: BigInt64Array.from([BigInt(m % 2)]) },
        probabilities: { datatype: 'FP32', shape: [1, 2], data: Float32Array.from([0.3, 0.7]) },
      },
      featureNames: train.header,
      predictionKey: null,
    });
  }
  await log.close();

  // Per-minute request counters (one serving process), in one transaction.
  await slipway.db.transaction().execute(async (trx) => {
    const rows = Array.from({ length: WEEK_MINUTES }, (_, m) => ({
      process: 'volume-seed',
      model: 'fraud',
      version: 1,
      bucket: weekAgo + m * MINUTE,
      requests: 40 + Math.round(20 * Math.sin((m / 1440) * 2 * Math.PI)) + (m % 7),
      errors: m % 97 === 0 ? 2 : 0,
      client_errors: m % 31 === 0 ? 1 : 0,
    }));
    for (let i = 0; i < rows.length; i += 500)
      await trx
        .insertInto('monitoring_traffic')
        .values(rows.slice(i, i + 500))
        .execute();
  });

  // An hourly drift evaluation: a real report on the last hour, repeated with the hour's time.
  const report = await slipway.monitoring.drift('fraud:1', { since: '1h' }, { predictions: false });
  const calm = await slipway.monitoring.drift(
    'fraud:1',
    { from: weekAgo, until: weekAgo + 6 * 60 * MINUTE },
    { predictions: false },
  );
  await slipway.db.transaction().execute(async (trx) => {
    const rows = Array.from({ length: 7 * 24 }, (_, h) => {
      const at = weekAgo + (h + 1) * 60 * MINUTE;
      const r = h >= 6 * 24 ? report : calm;
      return {
        at,
        model: 'fraud',
        version: 1,
        kind: 'drift',
        window_start: at - 60 * MINUTE,
        window_end: at,
        rows: 60,
        result_json: JSON.stringify(r),
      };
    });
    await trx.insertInto('monitoring_results').values(rows).execute();
  });

  // 10,000 runs with params, metrics and tags, in one transaction.
  const experimentId = await slipway.tracking.createExperiment({ name: 'big-sweep' });
  await slipway.db.transaction().execute(async (trx) => {
    const runs = [];
    const params = [];
    const metrics = [];
    const tags = [];
    for (let i = 0; i < 10_000; i++) {
      const runId = randomUUID().replace(/-/g, '');
      const start = now - (10_000 - i) * MINUTE;
      runs.push({
        run_id: runId,
        experiment_id: Number(experimentId),
        name: `sweep-${i}`,
        user_id: i % 2 ? 'ana' : 'bo',
        status: i % 50 === 0 ? 'FAILED' : 'FINISHED',
        start_time: start,
        end_time: start + 30_000,
        artifact_uri: `mlflow-artifacts:/${experimentId}/${runId}/artifacts`,
        lifecycle_stage: 'active',
        deleted_time: null,
      });
      tags.push({ run_id: runId, key: 'mlflow.runName', value: `sweep-${i}` });
      params.push(
        { run_id: runId, key: 'learning_rate', value: String([0.01, 0.03, 0.1, 0.3][i % 4]) },
        { run_id: runId, key: 'max_depth', value: String(2 + (i % 6)) },
        { run_id: runId, key: 'n_estimators', value: String(50 * (1 + (i % 8))) },
      );
      const acc = 0.8 + ((i * 7919) % 1000) / 5000;
      for (const [key, value] of [
        ['accuracy', acc],
        ['log_loss', 1 - acc],
      ] as const) {
        metrics.push({ run_id: runId, key, step: 0, timestamp: start + 1000, value, is_nan: 0 });
      }
    }
    for (let i = 0; i < runs.length; i += 500)
      await trx
        .insertInto('tracking_runs')
        .values(runs.slice(i, i + 500))
        .execute();
    for (let i = 0; i < tags.length; i += 1000)
      await trx
        .insertInto('tracking_tags')
        .values(tags.slice(i, i + 1000))
        .execute();
    for (let i = 0; i < params.length; i += 1000)
      await trx
        .insertInto('tracking_params')
        .values(params.slice(i, i + 1000))
        .execute();
    for (let i = 0; i < metrics.length; i += 1000) {
      await trx
        .insertInto('tracking_metrics')
        .values(metrics.slice(i, i + 1000))
        .execute();
      await trx
        .insertInto('tracking_latest_metrics')
        .values(metrics.slice(i, i + 1000))
        .execute();
    }
  });

  const server = await startServer(slipway, {
    port: 0,
    host: '127.0.0.1',
    selection: ['fraud'],
    workers: 1,
    monitoring: { scheduler: false },
  });
  return {
    slipway,
    server,
    experimentId,
    async close() {
      await server.close();
      await slipway.close();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}
