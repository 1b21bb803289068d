/**
 * The prediction-log store's contract on SQLite: batches append atomically with their layouts,
 * labels find rows whether or not the id lookup has reached them yet, time bounds without a model
 * (id ranges instead of an index on time) are exact, and retention removes rows and lookups.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openSlipway, type PredictionEvent, type Slipway } from '../../../src/index.js';
import { tempHome } from '../../helpers/fixtures.js';
import { ManualClock } from '../helpers.js';

const clock = new ManualClock();
let slipway: Slipway;

function event(id: string, rows: number, key: string | null = null, model = 'm'): PredictionEvent {
  return {
    requestId: id,
    protocol: 'v2',
    model,
    version: 1,
    deployment: null,
    receivedAt: clock.now(),
    latencyMs: 2,
    inputs: {
      a: { datatype: 'FP64', shape: [rows], data: Float64Array.from({ length: rows }, (_, i) => i + 0.5) },
      c: { datatype: 'BYTES', shape: [rows], data: Array.from({ length: rows }, (_, i) => `cat-${i}`) },
    },
    outputs: {
      y: { datatype: 'INT32', shape: [rows], data: Int32Array.from({ length: rows }, (_, i) => i) },
    },
    featureNames: null,
    predictionKey: key,
  };
}

async function log(events: PredictionEvent[]) {
  const writer = slipway.monitoring.createPredictionLog();
  for (const e of events) writer.record(e);
  await writer.close();
}

beforeAll(async () => {
  slipway = await openSlipway({ home: tempHome(), clock });
});
afterAll(async () => {
  await slipway?.close();
});

it('keeps every type of value and names it by its input', async () => {
  await log([event('first', 3, 'k-1')]);
  const rows = await slipway.monitoring.readLog({});
  expect(rows.map((r) => [r.requestId, r.row, r.predictionKey, r.features, r.outputs])).toEqual([
    ['first', 0, 'k-1', { a: 0.5, c: 'cat-0' }, { y: 0 }],
    ['first', 1, 'k-1', { a: 1.5, c: 'cat-1' }, { y: 1 }],
    ['first', 2, 'k-1', { a: 2.5, c: 'cat-2' }, { y: 2 }],
  ]);
});

it('finds rows for labels both through the id lookup and past its mark', async () => {
  // The first feedback builds the lookup over what is logged so far.
  expect(await slipway.monitoring.feedback({ request_id: 'first', row: 2, label: 'yes' })).toMatchObject({
    matched: 1,
  });
  // Rows logged since are past the mark until a writer indexes them: still found.
  clock.advance(1000);
  await log([event('second', 2), event('third', 1, 'k-3')]);
  const r = await slipway.monitoring.feedback([
    { request_id: 'second', row: 1, label: 'no' },
    { prediction_key: 'k-3', label: 'maybe' },
    { prediction_key: 'k-1', row: 0, label: 'yes' },
    { request_id: 'second', row: 5, label: 'no' },
  ]);
  expect(r).toMatchObject({
    received: 4,
    matched: 3,
    labelledRows: 3,
    unknown: [{ index: 3, request_id: 'second', row: 5 }],
  });
  const labelled = await slipway.monitoring.readLog({ labelled: true });
  expect(labelled.map((x) => [x.requestId, x.row, x.label])).toEqual([
    ['first', 0, 'yes'],
    ['first', 2, 'yes'],
    ['second', 1, 'no'],
    ['third', 0, 'maybe'],
  ]);
  // Indexing again is harmless and changes no answer.
  await slipway.predictionLogStore.indexIds();
  await slipway.predictionLogStore.indexIds();
  expect(
    (await slipway.monitoring.feedback({ request_id: 'second', row: 1, label: 'no' })).labelledRows,
  ).toBe(1);
});

it('bounds time without a model exactly, by id ranges', async () => {
  const t = clock.now();
  const writer = slipway.monitoring.createPredictionLog();
  for (let i = 0; i < 40; i++) {
    clock.advance(60_000);
    writer.record(event(`t${i}`, 1, null, i % 2 ? 'm' : 'other')); // logged at the clock's time
  }
  await writer.close();
  const since = t + 20 * 60_000 + 1;
  const store = slipway.predictionLogStore;
  expect(await store.count({ since })).toBe(20);
  expect(await store.count({ since, until: since + 10 * 60_000 })).toBe(10);
  expect(await store.count({ since, model: 'other' })).toBe(10);
  expect((await store.activeVersions(since)).map((v) => [v.model, v.rows])).toEqual([
    ['m', 10],
    ['other', 10],
  ]);
  // Retention: everything before the cutoff goes, with its id-lookup entries.
  const deleted = await store.deleteBefore(since);
  expect(deleted).toBe(6 + 20);
  expect(await store.count({})).toBe(20);
  expect((await slipway.monitoring.feedback({ request_id: 'first', label: 1 })).unknown).toHaveLength(1);
  expect((await slipway.monitoring.feedback({ request_id: 't39', label: 1 })).matched).toBe(1);
});
