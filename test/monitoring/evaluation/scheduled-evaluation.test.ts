/**
 * Scheduled evaluation: one replica at a time (a lease row in the store) evaluates drift and live
 * quality of active versions, stores each result as a time series, and `/metrics` exports the
 * latest as gauges. Retention runs on the same schedule; traffic counts reach the store.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Slipway } from '../../../src/index.js';
import type { RunningServer } from '../../../src/server/index.js';
import { csvRows, DAY, DRIFT_DIR, infer, inferBody, ManualClock, openWithModel, serve } from '../helpers.js';

const clock = new ManualClock();
let slipway: Slipway;
let server: RunningServer;
const shifted = csvRows(fs.readFileSync(`${DRIFT_DIR}/drift_mean_shift.csv`, 'utf8')).rows;

beforeAll(async () => {
  slipway = await openWithModel({ clock, metrics: { accuracy: 0.9 } });
  server = await serve(slipway);
  for (let i = 0; i < 20; i++) {
    const res = await infer(server, 'cancer', inferBody(shifted.slice(i * 25, i * 25 + 25)), `s${i}`);
    expect(res.status).toBe(200);
  }
  await server.predictionLog!.flush();
  clock.advance(60_000);
  await slipway.monitoring.feedback(
    Array.from({ length: 20 }, (_, i) => ({ request_id: `s${i}`, label: i % 2 })),
  );
}, 60_000);

afterAll(async () => {
  await server?.close();
  await slipway?.close();
});

it('evaluates on one replica at a time and stores the results as a time series', async () => {
  const a = slipway.monitoring.createScheduler({ intervalMs: 60_000 });
  const b = slipway.monitoring.createScheduler({ intervalMs: 60_000 });
  const first = await a.runOnce();
  expect(first).toMatchObject({ leader: true, error: null });
  expect(first.evaluated).toEqual([
    { model: 'cancer', version: 1, kinds: ['drift', 'prediction_drift', 'quality'], error: null },
  ]);
  expect((await b.runOnce()).leader).toBe(false); // a holds the lease
  clock.advance(60_000);
  expect((await a.runOnce()).leader).toBe(true); // the holder renews it
  await a.close(); // released on close: b takes over at once
  expect((await b.runOnce()).leader).toBe(true);
  await b.close();

  const drift = await slipway.monitoring.results({ model: 'cancer', kind: 'drift' });
  expect(drift).toHaveLength(3);
  expect(drift[0].at).toBeGreaterThan(drift[2].at);
  expect(drift[0].result).toMatchObject({ current_rows: 500, drifted_columns: 3 });
  const quality = await slipway.monitoring.results({ kind: 'quality', limit: 1 });
  expect(quality[0].rows).toBe(20);
  expect(quality[0].result).toMatchObject({ labelled: 20, baseline: { accuracy: { baseline: 0.9 } } });
});

it('exports the latest results as gauges on /metrics', async () => {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const gauge = (re: RegExp) => Number(re.exec(text)?.[1]);
  const latest = (await slipway.monitoring.results({ kind: 'drift', limit: 1 }))[0].result as {
    columns: Record<string, { statistic: number }>;
  };
  expect(
    gauge(
      /^slipway_feature_drift_score\{model="cancer",version="1",feature="area_error",method="ks"\} (\S+)$/m,
    ),
  ).toBeCloseTo(latest.columns.area_error.statistic, 12);
  expect(text).toMatch(
    /^slipway_feature_drift_score\{model="cancer",version="1",feature="probabilities\[1\]",method="ks"\} /m,
  );
  expect(gauge(/^slipway_drift_share\{model="cancer",version="1",kind="features"\} (\S+)$/m)).toBeCloseTo(
    0.1,
    12,
  );
  expect(
    gauge(/^slipway_model_quality\{model="cancer",version="1",metric="accuracy"\} (\S+)$/m),
  ).toBeGreaterThan(0);
  expect(text).toMatch(/^slipway_model_quality\{model="cancer",version="1",metric="roc_auc"\} /m);
  expect(text).toMatch(/^slipway_prediction_log_written_total 500$/m);
});

it('applies retention on schedule', async () => {
  const c = slipway.monitoring.createScheduler({ intervalMs: 60_000, retentionDays: 7 });
  clock.advance(8 * DAY);
  const run = await c.runOnce();
  await c.close();
  expect(run.retention).toMatchObject({ deletedRows: 500 });
  expect(await slipway.predictionLogStore.count({})).toBe(0);
});

it("records the server's request counts in the store, for error-rate rules", async () => {
  await server.close(); // the last counts are written at shutdown
  await slipway.monitoring.alerts.put({
    name: 'any-errors',
    model: 'cancer:1',
    metric: 'error_rate',
    op: '>=',
    threshold: 0,
    window: '30d',
    min_samples: 1,
  });
  const [outcome] = await slipway.monitoring.alerts.evaluate();
  expect(outcome).toMatchObject({ rule: 'any-errors', status: 'fired', value: 0 });
  const [event] = await slipway.monitoring.alerts.history({ rule: 'any-errors' });
  expect(event.details).toMatchObject({ requests: 20, errors: 0 });
});
