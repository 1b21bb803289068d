/**
 * The writer's policies: drop-and-count when the bounded queue is full (through a real server),
 * a graceful close writes everything queued, a store that is briefly unwritable loses nothing,
 * and sampling is per request and counted.
 */
import fs from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { openSlipway, type PredictionEvent } from '../../../src/index.js';
import { tempHome } from '../../helpers/fixtures.js';
import { csvRows, HOLDOUT_CSV, infer, inferBody, openWithModel, serve } from '../helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const { rows } = csvRows(fs.readFileSync(HOLDOUT_CSV, 'utf8'), ['target']);

function event(i: number, n = 1): PredictionEvent {
  return {
    requestId: `req-${i}`,
    protocol: 'v2',
    model: 'm',
    version: 1,
    deployment: null,
    receivedAt: 1_700_000_000_000 + i,
    latencyMs: 0.5,
    inputs: { x: { datatype: 'FP32', shape: [n, 2], data: new Float32Array(2 * n).fill(i) } },
    outputs: { y: { datatype: 'FP64', shape: [n], data: new Float64Array(n).fill(i / 2) } },
    featureNames: ['a', 'b'],
    predictionKey: null,
  };
}

it('drops whole requests when the bounded queue is full, and counts them in /metrics', async () => {
  const slipway = await openWithModel();
  cleanups.push(() => slipway.close());
  // A queue of 4 rows that is only written every 10 s: the first 4 rows fit, the rest are dropped.
  const server = await serve(slipway, {
    monitoring: { scheduler: false, log: { maxQueueRows: 4, flushIntervalMs: 10_000 } },
  });
  let closed = false;
  cleanups.push(async () => {
    if (!closed) await server.close();
  });
  const answered = await Promise.all(
    Array.from(
      { length: 20 },
      async (_, i) => (await infer(server, 'cancer', inferBody([rows[i]]), `q${i}`)).status,
    ),
  );
  expect(answered.every((s) => s === 200)).toBe(true);
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  expect(metrics).toMatch(/^slipway_prediction_log_dropped_total 16$/m);
  expect(metrics).toMatch(/^slipway_prediction_log_received_total 20$/m);
  expect(metrics).toMatch(/^slipway_prediction_log_queue_rows 4$/m);
  const writer = server.predictionLog!;
  closed = true;
  await server.close();
  expect(writer.stats()).toMatchObject({ received: 20, written: 4, dropped: 16, queued: 0 });
  expect(await slipway.predictionLogStore.count({})).toBe(4);
});

it('writes everything queued when closed, without waiting for the flush interval', async () => {
  const slipway = await openSlipway({ home: tempHome() });
  cleanups.push(() => slipway.close());
  const writer = slipway.monitoring.createPredictionLog({ flushIntervalMs: 60_000, maxBatchRows: 100_000 });
  for (let i = 0; i < 2500; i++) writer.record(event(i, i % 10 === 0 ? 4 : 1));
  const expected = 250 * 4 + 2250;
  expect(writer.stats()).toMatchObject({ received: expected, queued: expected, written: 0 });
  const started = Date.now();
  await writer.close();
  expect(Date.now() - started).toBeLessThan(30_000);
  expect(writer.stats()).toMatchObject({ written: expected, queued: 0, dropped: 0 });
  expect(await slipway.predictionLogStore.count({})).toBe(expected);
  // After close, rows are refused and counted, never silently lost.
  writer.record(event(9999));
  expect(writer.stats().dropped).toBe(1);
});

it('keeps and retries batches while the store cannot be written, losing nothing', async () => {
  const home = tempHome();
  const slipway = await openSlipway({ home });
  cleanups.push(() => slipway.close());
  const errors: unknown[] = [];
  const writer = slipway.monitoring.createPredictionLog({
    flushIntervalMs: 5,
    onError: (err) => errors.push(err),
  });
  // The store's directory goes away (an unmounted volume, say): every write fails meanwhile.
  const away = `${home}-away`;
  fs.renameSync(home, away);
  for (let i = 0; i < 300; i++) writer.record(event(i));
  for (let t = 0; t < 200 && errors.length < 2; t++) await new Promise((r) => setTimeout(r, 50));
  expect(writer.stats()).toMatchObject({ written: 0, queued: 300, dropped: 0 });
  expect(errors.length).toBeGreaterThan(0);
  // It comes back, and the queued rows go in, with the ones that came meanwhile.
  fs.renameSync(away, home);
  for (let i = 300; i < 400; i++) writer.record(event(i));
  await writer.close();
  expect(writer.stats()).toMatchObject({ received: 400, written: 400, dropped: 0 });
  expect(writer.stats().writeErrors).toBeGreaterThan(0);
  expect(await slipway.predictionLogStore.count({})).toBe(400);
});

it('samples whole requests at the configured rate and counts the rest', async () => {
  const slipway = await openSlipway({ home: tempHome() });
  cleanups.push(() => slipway.close());
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const writer = slipway.monitoring.createPredictionLog({ sampleRate: 0.25, random });
  for (let i = 0; i < 2000; i++) writer.record(event(i, 3));
  await writer.close();
  const s = writer.stats();
  expect(s.received).toBe(6000);
  expect(s.written + s.sampledOut).toBe(6000);
  expect(s.written % 3).toBe(0); // all of a request's rows or none
  expect(s.written / 6000).toBeGreaterThan(0.2);
  expect(s.written / 6000).toBeLessThan(0.3);
  expect(await slipway.predictionLogStore.count({})).toBe(s.written);
});

it('keeps each request its own id, key, model version, deployment and protocol within a batch', async () => {
  const slipway = await openSlipway({ home: tempHome() });
  cleanups.push(() => slipway.close());
  const writer = slipway.monitoring.createPredictionLog({ maxBatchRows: 5 });
  const calls = [
    { id: 'ascii-1', key: null, model: 'm', version: 1, deployment: null, protocol: 'v2' as const },
    { id: 'ünïcödé-😀', key: 'k-ü', model: 'm', version: 2, deployment: 'front', protocol: 'v2' as const },
    { id: '', key: '', model: 'other', version: 1, deployment: 'front', protocol: 'mlflow' as const },
    { id: 'ascii-4', key: null, model: 'm', version: 1, deployment: null, protocol: 'mlflow' as const },
  ];
  // 2 + 3 + 1 + 2 rows, batches of 5: the second request fills the first batch.
  const rowsOf = [2, 3, 1, 2];
  for (const [i, c] of calls.entries()) {
    writer.record({
      ...event(i, rowsOf[i]),
      requestId: c.id,
      predictionKey: c.key,
      model: c.model,
      version: c.version,
      deployment: c.deployment,
      protocol: c.protocol,
    });
  }
  await writer.close();
  const logged = await slipway.monitoring.readLog({});
  expect(
    logged.map((r) => [r.requestId, r.row, r.predictionKey, r.model, r.version, r.deployment, r.protocol]),
  ).toEqual(
    calls.flatMap((c, i) =>
      Array.from({ length: rowsOf[i] }, (_, r) => [
        c.id,
        r,
        c.key,
        c.model,
        c.version,
        c.deployment,
        c.protocol,
      ]),
    ),
  );
  expect(logged.map((r) => r.features)).toEqual(
    rowsOf.flatMap((n, i) => Array.from({ length: n }, () => ({ a: i, b: i }))),
  );
  expect(
    (await slipway.monitoring.readLog({ model: 'm', deployment: 'front' })).map((r) => r.requestId),
  ).toEqual(['ünïcödé-😀', 'ünïcödé-😀', 'ünïcödé-😀']);
});

it('keeps the id lookup current from the writer thread, beside another writer, once feedback is in use', async () => {
  const slipway = await openSlipway({ home: tempHome() });
  cleanups.push(() => slipway.close());
  const keyed = (i: number, n: number) => ({
    ...event(i, n),
    predictionKey: i % 3 === 0 ? `key-${i}` : null,
  });
  // Rows logged before feedback was in use, then the lookup built over them.
  const before = slipway.monitoring.createPredictionLog();
  for (let i = 0; i < 5; i++) before.record(keyed(i, 2));
  await before.close();
  expect((await slipway.monitoring.feedback({ request_id: 'req-0', row: 1, label: 'x' })).matched).toBe(1);
  // Two writers (two threads, two connections) interleave their batches.
  const a = slipway.monitoring.createPredictionLog({ maxBatchRows: 7 });
  const b = slipway.monitoring.createPredictionLog({ maxBatchRows: 5 });
  for (let i = 5; i < 205; i++) {
    const writer = Math.floor(i / 20) % 2 === 0 ? a : b;
    writer.record(keyed(i, 1 + (i % 3)));
    if (i % 20 === 19) await writer.flush();
  }
  await Promise.all([a.close(), b.close()]);
  // Each writer indexed what it wrote as it closed; what is left past the mark, if anything, is
  // what the other wrote after that.
  await slipway.predictionLogStore.indexIds();
  expect(await slipway.predictionLogStore.indexIds()).toBe(0);
  const items = Array.from({ length: 205 }, (_, i) =>
    i % 3 === 0
      ? { prediction_key: `key-${i}`, row: i % 3, label: i }
      : { request_id: `req-${i}`, row: i % 3, label: i },
  );
  const r = await slipway.monitoring.feedback(items.slice(5));
  expect(r).toMatchObject({ matched: 200, labelledRows: 200, unknown: [] });
  const first = await slipway.monitoring.feedback(items.slice(0, 5).map((it) => ({ ...it, row: 1 })));
  expect(first).toMatchObject({ matched: 5, labelledRows: 5, unknown: [] });
});
