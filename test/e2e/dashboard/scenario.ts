/**
 * The story the dashboard's browser tests look at, made through slipway's real library and HTTP
 * API on a clock that runs three hours in a few seconds and ends at the real now:
 *
 * - An experiment of 40 runs; `cancer` v1 (MLP) and v2 (GBDT) registered from two of them with the
 *   training set as reference (`--dataset breast_cancer_train.csv --target target`); `digits` v1.
 * - Deployments `cancer-prod` (v1; a 30% canary of v2 at +60 min; v2 promoted at +90 min) and
 *   `digits-prod` (healthy).
 * - Traffic every 5 minutes: rows of drift_none.csv and labelled holdout rows until +120 min, then
 *   the rows of drift_mean_shift.csv (three features shifted); some malformed requests (4xx).
 * - Feedback for the labelled predictions, a drift and quality evaluation every 20 minutes, an
 *   alert rule on drift share that fires once the shift arrives, and one batch job.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Clock } from '../../../src/core/clock.js';
import { openSlipway, type Slipway } from '../../../src/index.js';
import { type RunningServer, startServer } from '../../../src/server/index.js';
import { FIXTURES, fixtureModelPath, fixtureSample, tempHome } from '../../helpers/fixtures.js';

export const TRAIN_CSV = path.join(FIXTURES, 'datasets/breast_cancer_train.csv');
export const HOLDOUT_CSV = path.join(FIXTURES, 'datasets/breast_cancer_holdout.csv');
export const SHIFT_CSV = path.join(FIXTURES, 'drift/drift_mean_shift.csv');
export const CALM_CSV = path.join(FIXTURES, 'drift/drift_none.csv');
const MINUTE = 60_000;

/** A clock the scenario moves by hand. */
export class ManualClock implements Clock {
  constructor(public at: number) {}
  now(): number {
    return this.at;
  }
}

export interface Scenario {
  slipway: Slipway;
  server: RunningServer;
  clock: ManualClock;
  home: string;
  /** Run ids behind cancer v1 and v2. */
  runs: { v1: string; v2: string; experimentId: string };
  /** Features drift_mean_shift.csv shifted, per its oracle. */
  shifted: string[];
  jobId: string;
  close(): Promise<void>;
}

export function csvRows(
  file: string,
  drop: string[] = [],
): { header: string[]; rows: number[][]; dropped: number[][] } {
  const lines = fs.readFileSync(file, 'utf8').trim().split(/\r?\n/);
  const all = lines[0].split(',');
  const keep = all.map((h, i) => (drop.includes(h) ? -1 : i)).filter((i) => i >= 0);
  const gone = drop.map((d) => all.indexOf(d)).filter((i) => i >= 0);
  const cells = lines.slice(1).map((l) => l.split(',').map(Number));
  return {
    header: keep.map((i) => all[i]),
    rows: cells.map((c) => keep.map((i) => c[i])),
    dropped: cells.map((c) => gone.map((i) => c[i])),
  };
}

function inferBody(rows: number[][]): string {
  return JSON.stringify({
    inputs: [{ name: 'features', datatype: 'FP32', shape: [rows.length, rows[0].length], data: rows.flat() }],
  });
}

async function post(
  server: RunningServer,
  route: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${server.url}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function trackingRuns(slipway: Slipway, clock: ManualClock) {
  const t = slipway.tracking;
  const experimentId = await t.createExperiment({ name: 'breast-cancer', tags: { team: 'risk' } });
  const ids: string[] = [];
  for (let i = 0; i < 40; i++) {
    const gbdt = i % 2 === 0;
    const lr = [0.03, 0.1, 0.3][i % 3];
    const depth = 2 + (i % 4);
    const acc = 0.9 + ((i * 7) % 11) / 200;
    const run = await t.createRun({
      experimentId,
      runName: `${gbdt ? 'gbdt' : 'mlp'}-${String(i).padStart(2, '0')}`,
      userId: i % 3 === 0 ? 'ana' : 'bo',
      startTime: clock.now() - (40 - i) * 10 * MINUTE,
    });
    const metrics = [];
    for (let step = 0; step < 20; step++) {
      const f = (step + 1) / 20;
      metrics.push({
        key: 'accuracy',
        value: 0.6 + (acc - 0.6) * Math.sqrt(f),
        step,
        timestamp: clock.now() - 1000 + step,
      });
      metrics.push({
        key: 'log_loss',
        value: 0.7 - (0.7 - (1 - acc)) * f,
        step,
        timestamp: clock.now() - 1000 + step,
      });
    }
    metrics.push({ key: 'roc_auc', value: acc + 0.03, step: 0, timestamp: clock.now() });
    await t.logBatch(run.info.runId, {
      params: [
        { key: 'model_type', value: gbdt ? 'gbdt' : 'mlp' },
        { key: 'learning_rate', value: String(lr) },
        { key: gbdt ? 'max_depth' : 'hidden_units', value: String(gbdt ? depth : depth * 16) },
        { key: 'train_rows', value: '398' },
      ],
      metrics,
      tags: [{ key: 'dataset', value: 'breast_cancer_train.csv' }],
    });
    await t.updateRun(run.info.runId, {
      status: 'FINISHED',
      endTime: clock.now() - (40 - i) * 10 * MINUTE + 95_000,
    });
    ids.push(run.info.runId);
  }
  return { experimentId, v1: ids[39], v2: ids[38] };
}

export async function buildScenario(): Promise<Scenario> {
  const end = Date.now();
  const t0 = end - 180 * MINUTE;
  const clock = new ManualClock(t0);
  const home = tempHome();
  const slipway = await openSlipway({ home, clock });
  const runs = await trackingRuns(slipway, clock);
  await slipway.registry.register({
    name: 'cancer',
    path: fixtureModelPath('breast_cancer_mlp'),
    dataset: TRAIN_CSV,
    target: 'target',
    aliases: ['champion'],
    description: 'Breast cancer classifier on the Wisconsin data',
    metrics: { accuracy: 0.95, roc_auc: 0.99 },
    runId: runs.v1,
    codeVersion: '4f2c9e1a7b3d',
    tags: { team: 'risk' },
  });
  await slipway.registry.register({
    name: 'cancer',
    path: fixtureModelPath('breast_cancer_gbdt'),
    dataset: TRAIN_CSV,
    target: 'target',
    description: '60-tree GBDT',
    metrics: { accuracy: 0.96, roc_auc: 0.99 },
    runId: runs.v2,
    codeVersion: '9d81b07c55e2',
  });
  await slipway.registry.register({
    name: 'digits',
    path: fixtureModelPath('digits_cnn'),
    description: 'Handwritten digits, small CNN (PyTorch)',
    aliases: ['champion'],
  });
  await slipway.monitoring.close(); // reference profiles, made at registration
  const who = { actor: 'ana' };
  await slipway.deployments.create('cancer-prod', {
    ...who,
    model: 'cancer:1',
    message: 'first release: the MLP',
  });
  await slipway.deployments.create('digits-prod', {
    actor: 'bo',
    model: 'digits:1',
    message: 'digits go live',
  });

  const server = await startServer(slipway, {
    port: 0,
    host: '127.0.0.1',
    selection: null,
    workers: 1,
    monitoring: { scheduler: false },
    deployments: { pollMs: 200 },
  });

  const holdout = csvRows(HOLDOUT_CSV, ['target']);
  const shift = csvRows(SHIFT_CSV);
  const calm = csvRows(CALM_CSV);
  const digits = fixtureSample('digits_cnn').inputs.image as unknown[];
  const digitsBody = JSON.stringify({
    inputs: [
      { name: 'image', datatype: 'FP32', shape: [1, 1, 8, 8], data: (digits[0] as unknown[]).flat(3) },
    ],
  });
  let cursor = 0;
  let labelled = 0;
  let labels: { request_id: string; row: number; label: number }[] = [];
  for (let m = 0; m <= 175; m += 5) {
    clock.at = t0 + m * MINUTE;
    if (m === 60) {
      await slipway.deployments.canary('cancer-prod', {
        actor: 'ana',
        model: 'cancer:2',
        weight: 30,
        message: 'try the GBDT on 30% of traffic',
      });
    }
    if (m === 90) {
      await slipway.deployments.promote('cancer-prod', {
        actor: 'bo',
        message: 'GBDT as good as the MLP on live traffic',
      });
    }
    if (m === 60 || m === 90) await new Promise((r) => setTimeout(r, 400)); // replicas follow within pollMs
    // Two requests a tick: 25 unlabelled rows (drift_none.csv: the training distribution, per its
    // oracle), then 10 labelled holdout rows; from +120 min, 35 rows of drift_mean_shift.csv.
    for (let k = 0; k < 2; k++) {
      const requestId = `req-${m}-${k}`;
      let rows: number[][];
      if (m >= 120) {
        rows = Array.from(
          { length: k === 0 ? 25 : 10 },
          (_, j) => shift.rows[(cursor + j) % shift.rows.length],
        );
      } else if (k === 0) {
        rows = Array.from({ length: 25 }, (_, j) => calm.rows[(cursor + j) % calm.rows.length]);
      } else {
        const at = (j: number) => (labelled + j) % holdout.rows.length;
        rows = Array.from({ length: 10 }, (_, j) => holdout.rows[at(j)]);
        for (let j = 0; j < 10; j++)
          labels.push({ request_id: requestId, row: j, label: holdout.dropped[at(j)][0] });
        labelled += 10;
      }
      cursor += rows.length;
      const res = await post(server, '/v2/models/cancer-prod/infer', inferBody(rows), {
        'x-request-id': requestId,
      });
      if (res.status !== 200)
        throw new Error(`cancer-prod answered ${res.status}: ${JSON.stringify(res.body)}`);
    }
    const d = await post(server, '/v2/models/digits-prod/infer', digitsBody);
    if (d.status !== 200) throw new Error(`digits-prod answered ${d.status}: ${JSON.stringify(d.body)}`);
    if (m % 15 === 0) await post(server, '/v2/models/cancer-prod/infer', inferBody([[1, 2, 3]])); // a 400
    if (m % 20 === 15) {
      await server.predictionLog!.flush();
      if (labels.length > 0) {
        const fb = await post(server, '/api/v1/feedback', { items: labels });
        if (fb.status !== 200) throw new Error(`feedback answered ${fb.status}: ${JSON.stringify(fb.body)}`);
        labels = [];
      }
      await slipway.monitoring.evaluate({ windowMs: 20 * MINUTE, qualityWindowMs: 60 * MINUTE });
      if (m === 95) {
        await post(server, '/api/v1/alerts', {
          name: 'cancer-drift',
          model: 'cancer',
          metric: 'drift_share',
          op: '>=',
          threshold: 0.05,
          window: '20m',
          severity: 'warning',
          description: 'a tenth of the features drifted',
        });
      }
      if (m >= 95) await post(server, '/api/v1/alerts/evaluate', {});
    }
  }
  clock.at = end;
  await server.predictionLog!.flush();

  const out = path.join(home, 'batch-out.csv');
  const job = await post(server, '/api/v1/jobs', {
    model: 'cancer@champion',
    input: HOLDOUT_CSV,
    output: out,
  });
  if (job.status !== 202) throw new Error(`job answered ${job.status}: ${JSON.stringify(job.body)}`);
  await waitForJob(server, job.body.id);
  // A second job over a file with unreadable rows, skipped and counted (on_error: skip).
  const lines = fs.readFileSync(HOLDOUT_CSV, 'utf8').trim().split(/\r?\n/);
  const dirty = path.join(home, 'holdout-dirty.csv');
  fs.writeFileSync(
    dirty,
    [...lines.slice(0, 60), lines[60].replace(/^[^,]+/, 'n/a'), ...lines.slice(61)].join('\n'),
  );
  const job2 = await post(server, '/api/v1/jobs', {
    model: 'cancer:1',
    input: dirty,
    output: path.join(home, 'batch-out-2.csv'),
    on_error: 'skip',
  });
  if (job2.status !== 202) throw new Error(`job answered ${job2.status}: ${JSON.stringify(job2.body)}`);
  await waitForJob(server, job2.body.id);
  const oracle = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'drift/drift_oracle.json'), 'utf8'));
  return {
    slipway,
    server,
    clock,
    home,
    runs,
    shifted: oracle.scenarios.mean_shift.drifted_columns,
    jobId: job.body.id,
    async close() {
      await server.close();
      await slipway.close();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

async function waitForJob(server: RunningServer, id: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const j = (await (await fetch(`${server.url}/api/v1/jobs/${id}`)).json()) as { status: string };
    if (j.status !== 'RUNNING') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`batch job ${id} still running after 20 s`);
}
