/**
 * Ground truth that arrives days after the predictions: labels posted through the API are joined
 * to the logged predictions by request id, and the live quality of the window they were answered
 * in comes out as a hand computation says it must. Unknown ids are reported back, not dropped.
 */
import fs from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import type { Slipway } from '../../../src/index.js';
import type { RunningServer } from '../../../src/server/index.js';
import {
  csvRows,
  DAY,
  HOLDOUT_CSV,
  infer,
  inferBody,
  ManualClock,
  openWithModel,
  serve,
} from '../helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const { rows } = csvRows(fs.readFileSync(HOLDOUT_CSV, 'utf8'), ['target']);

async function setup(clock: ManualClock): Promise<{ slipway: Slipway; server: RunningServer }> {
  const slipway = await openWithModel({ clock, metrics: { accuracy: 0.95, roc_auc: 0.99 } });
  cleanups.push(() => slipway.close());
  const server = await serve(slipway);
  cleanups.push(() => server.close());
  return { slipway, server };
}

it('joins labels posted days later and computes the window quality a hand computation gives', async () => {
  const clock = new ManualClock();
  const t0 = clock.now();
  const { slipway, server } = await setup(clock);

  // Day 0: every holdout row answered as its own request, each with its own id.
  const answers = await Promise.all(
    rows.map(async (row, i) => {
      const res = await infer(server, 'cancer', inferBody([row]), `day0-${i}`);
      const body = (await res.json()) as { outputs: { name: string; data: number[] }[] };
      const label = Number(body.outputs.find((o) => o.name === 'label')!.data[0]);
      const p1 = body.outputs.find((o) => o.name === 'probabilities')!.data[1];
      return { id: `day0-${i}`, label, p1 };
    }),
  );
  await server.predictionLog!.flush();

  // Ten predictions with distinct scores: five the model calls 0 (malignant), five it calls 1.
  const distinct = (xs: typeof answers) => xs.filter((a, i) => xs.findIndex((b) => b.p1 === a.p1) === i);
  const zeros = distinct(answers.filter((a) => a.label === 0)).slice(0, 5);
  const ones = distinct(answers.filter((a) => a.label === 1)).slice(0, 5);
  const ranked = [...zeros, ...ones].sort((a, b) => a.p1 - b.p1);
  expect(new Set(ranked.map((r) => r.p1)).size).toBe(10);
  expect(ranked.map((r) => r.label)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);

  // Day 3: the truth comes back. By rank of P(1): 0 0 1 0 1 | 0 1 1 1 1.
  clock.advance(3 * DAY);
  const truth = [0, 0, 1, 0, 1, 0, 1, 1, 1, 1];
  const items = ranked.map((r, i) => ({ request_id: r.id, label: truth[i] }));
  items.push({ request_id: 'never-answered', label: 1 }, { request_id: 'day0-1', row: 7, label: 0 } as never);
  const res = await fetch(`${server.url}/api/v1/feedback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ items }),
  });
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({
    received: 12,
    matched: 10,
    labelled_rows: 10,
    unknown_count: 2,
    unknown: [
      { index: 10, request_id: 'never-answered', row: 0 },
      { index: 11, request_id: 'day0-1', row: 7 },
    ],
  });

  // By hand: predicted 1 for ranks 6-10. Correct: ranks 1, 2, 4, 7, 8, 9, 10 → accuracy 7/10.
  // Positives (6) at ranks 3, 5, 7, 8, 9, 10; negatives (4) at 1, 2, 4, 6. Pairs ranked right:
  // 2 + 3 + 4 + 4 + 4 + 4 = 21 of 24 → ROC AUC 0.875. TP 4, FP 1 (rank 6), FN 2 (ranks 3, 5):
  // precision 0.8, recall 4/6, F1 2·0.8·(2/3)/(0.8 + 2/3) = 8/11.
  const week = await slipway.monitoring.quality('cancer', { since: '7d' });
  expect(week).toMatchObject({
    model: 'cancer',
    version: 1,
    task: 'classification',
    predictions: rows.length,
    labelled: 10,
  });
  expect(week.metrics.accuracy).toBeCloseTo(0.7, 12);
  expect(week.metrics.roc_auc).toBeCloseTo(0.875, 12);
  expect(week.metrics.precision).toBeCloseTo(0.8, 12);
  expect(week.metrics.recall).toBeCloseTo(4 / 6, 12);
  expect(week.metrics.f1).toBeCloseTo(8 / 11, 12);
  expect(week.baseline.accuracy).toMatchObject({ baseline: 0.95, worse: true });
  expect(week.baseline.accuracy!.delta).toBeCloseTo(-0.25, 12);
  expect(week.baseline.roc_auc).toMatchObject({ baseline: 0.99, worse: true });

  // The window is the time the predictions were answered, not the time the labels came.
  const lastDay = await slipway.monitoring.quality('cancer', { since: '1d' });
  expect(lastDay).toMatchObject({ predictions: 0, labelled: 0, metrics: {} });
  const range = await slipway.monitoring.quality('cancer', { from: t0 - DAY, until: t0 + DAY });
  expect(range.labelled).toBe(10);

  // The same over HTTP, and through the hook deployments read for `deploy status`.
  const http = (await (
    await fetch(`${server.url}/api/v1/monitoring/quality?model=cancer&since=7d`)
  ).json()) as {
    metrics: Record<string, number>;
  };
  expect(http.metrics.roc_auc).toBeCloseTo(0.875, 12);
  const hook = await slipway.deployments.hooks.quality!.liveQuality({
    deployment: 'none',
    model: 'cancer',
    version: 1,
    sinceMs: t0 - DAY,
  });
  expect(hook).toBeNull(); // no prediction came through a deployment named "none"
  const live = await slipway.monitoring.liveQuality('cancer', 1, { since: '7d' });
  expect(live.metrics.accuracy).toBeCloseTo(0.7, 12);
});

it('attaches labels by the caller prediction key and by row within a multi-row request', async () => {
  const clock = new ManualClock();
  const { slipway, server } = await setup(clock);
  const res = await infer(
    server,
    'cancer',
    inferBody(rows.slice(0, 4), { prediction_key: 'order-77' }),
    'batch-1',
  );
  expect(res.status).toBe(200);
  await server.predictionLog!.flush();
  clock.advance(DAY);
  const r = await slipway.monitoring.feedback([
    { prediction_key: 'order-77', row: 2, label: 1 },
    { request_id: 'batch-1', row: 3, label: 0 },
    { prediction_key: 'order-78', label: 1 },
  ]);
  expect(r).toMatchObject({
    received: 3,
    matched: 2,
    labelledRows: 2,
    unknown: [{ index: 2, prediction_key: 'order-78', row: 0 }],
  });
  const labelled = await slipway.monitoring.readLog({ labelled: true });
  expect(labelled.map((l) => [l.requestId, l.row, l.predictionKey, l.label, l.labelledAt])).toEqual([
    ['batch-1', 2, 'order-77', 1, clock.now()],
    ['batch-1', 3, 'order-77', 0, clock.now()],
  ]);
  // Malformed feedback is refused whole, naming the item.
  const bad = await fetch(`${server.url}/api/v1/feedback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([{ request_id: 'batch-1', label: 1 }, { label: 1 }]),
  });
  expect(bad.status).toBe(400);
  expect(await bad.json()).toMatchObject({
    code: 'MONITORING_INVALID_FEEDBACK',
    message: expect.stringContaining('item 1'),
  });
});
