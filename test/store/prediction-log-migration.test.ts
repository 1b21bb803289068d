/**
 * Migration 0006 (prediction-log streams) on a store written before it: every row keeps its id,
 * its model version, deployment, protocol, values and label; the id lookup still finds it; and
 * ids handed out afterwards stay above every id handed out before, even those retention deleted.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, type Migration, Migrator, SqliteDialect } from 'kysely';
import { afterEach, expect, it } from 'vitest';
import { openSlipway, type PredictionEvent, type Slipway } from '../../src/index.js';
import * as registry from '../../src/store/migrations/0001-registry.js';
import * as tracking from '../../src/store/migrations/0002-tracking.js';
import * as batchJobs from '../../src/store/migrations/0003-batch-jobs.js';
import * as deployments from '../../src/store/migrations/0004-deployments.js';
import * as monitoring from '../../src/store/migrations/0005-monitoring.js';
import { idHash } from '../../src/store/prediction-log-store.js';

const homes: string[] = [];
const opened: Slipway[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true });
});

/** A home whose store is at migration 0005, with `rows` rows logged and the last `deleted` removed. */
async function storeAt0005(rows: number, deleted: number): Promise<string> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-0005-'));
  homes.push(home);
  const file = path.join(home, 'slipway.db');
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Sqlite(file) }) });
  const migrations: Record<string, Migration> = {
    '0001-registry': registry,
    '0002-tracking': tracking,
    '0003-batch-jobs': batchJobs,
    '0004-deployments': deployments,
    '0005-monitoring': monitoring,
  };
  const { error } = await new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
  }).migrateToLatest();
  expect(error).toBeUndefined();
  await db.destroy();
  const raw = new Sqlite(file);
  raw.pragma('journal_mode = WAL');
  raw
    .prepare('insert into prediction_log_layouts (spec_json) values (?)')
    .run(JSON.stringify({ v: 1, features: [{ name: 'a', type: 'f8', width: 1, list: false }], outputs: [] }));
  const insert = raw.prepare(
    'insert into prediction_log (request_id, row_index, prediction_key, at, model, version, deployment, protocol, latency_ms, layout_id, features, outputs, label_json, labelled_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)',
  );
  const value = (x: number) => Buffer.from(Float64Array.of(x).buffer);
  for (let i = 1; i <= rows; i++) {
    insert.run(
      `req-${i}`,
      0,
      i % 3 === 0 ? `key-${i}` : null,
      1_700_000_000_000 + i,
      i % 2 === 0 ? 'even' : 'odd',
      1 + (i % 4 < 2 ? 0 : 1),
      i % 5 === 0 ? 'endpoint' : null,
      i % 7 === 0 ? 'mlflow' : 'v2',
      i / 10,
      value(i),
      Buffer.alloc(0),
      i === 2 ? '"yes"' : null,
      i === 2 ? 1_700_000_100_000 : null,
    );
  }
  // The lookup covers the first half, as feedback would have built it.
  const half = Math.floor(rows / 2);
  const insertId = raw.prepare('insert into prediction_log_ids (hash, log_id) values (?, ?)');
  for (let i = 1; i <= half; i++) {
    insertId.run(idHash('r', `req-${i}`), i);
    if (i % 3 === 0) insertId.run(idHash('k', `key-${i}`), i);
  }
  raw.prepare("insert into prediction_log_ids_mark (name, log_id) values ('requests', ?)").run(half);
  raw.prepare('delete from prediction_log where id > ?').run(rows - deleted);
  raw.close();
  return home;
}

function event(id: string, model: string): PredictionEvent {
  return {
    requestId: id,
    protocol: 'v2',
    model,
    version: 1,
    deployment: null,
    receivedAt: 1_700_000_001_000,
    latencyMs: 1,
    inputs: { a: { datatype: 'FP64', shape: [1], data: Float64Array.of(0.5) } },
    outputs: {},
    featureNames: null,
    predictionKey: null,
  };
}

it('keeps every row, id, label and lookup entry of a store written before it', async () => {
  const home = await storeAt0005(40, 5);
  const slipway = await openSlipway({ home });
  opened.push(slipway);
  const rows = await slipway.predictionLogStore.read({});
  expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 35 }, (_, i) => i + 1));
  for (const r of rows) {
    const i = r.id;
    expect(r).toMatchObject({
      requestId: `req-${i}`,
      row: 0,
      predictionKey: i % 3 === 0 ? `key-${i}` : null,
      at: 1_700_000_000_000 + i,
      model: i % 2 === 0 ? 'even' : 'odd',
      version: 1 + (i % 4 < 2 ? 0 : 1),
      deployment: i % 5 === 0 ? 'endpoint' : null,
      protocol: i % 7 === 0 ? 'mlflow' : 'v2',
      latencyMs: i / 10,
      layoutId: 1,
      labelJson: i === 2 ? '"yes"' : null,
    });
    expect(new Float64Array(Uint8Array.from(r.features).buffer)[0]).toBe(i);
  }
  // Filters by model version and deployment read through the streams.
  const even2 = await slipway.predictionLogStore.read({ model: 'even', version: 2 });
  expect(even2.map((r) => r.id)).toEqual(
    rows.filter((r) => r.model === 'even' && r.version === 2).map((r) => r.id),
  );
  expect(await slipway.predictionLogStore.count({ deployment: 'endpoint' })).toBe(7);
  const versions = ['even:1', 'even:2', 'odd:1', 'odd:2'].map((v) => {
    const [model, version] = v.split(':');
    const n = rows.filter((r) => r.model === model && r.version === Number(version)).length;
    return { model, version: Number(version), rows: n };
  });
  expect(await slipway.predictionLogStore.activeVersions(0)).toEqual(versions);
  // Labels find rows through the migrated lookup (below its mark) and past it.
  const r = await slipway.monitoring.feedback([
    { request_id: 'req-4', label: 'a' },
    { prediction_key: 'key-9', label: 'b' },
    { request_id: 'req-30', label: 'c' },
  ]);
  expect(r).toMatchObject({ matched: 3, labelledRows: 3, unknown: [] });
  // New rows get ids above every id handed out before, the deleted ones included.
  const writer = slipway.monitoring.createPredictionLog();
  writer.record(event('new-1', 'odd'));
  await writer.close();
  const newest = await slipway.predictionLogStore.read({ newest: true, limit: 1 });
  expect(newest).toMatchObject([{ id: 41, requestId: 'new-1', model: 'odd', version: 1 }]);
});

it('never hands out an id again, even when retention had deleted every row', async () => {
  const home = await storeAt0005(12, 12);
  const slipway = await openSlipway({ home });
  opened.push(slipway);
  expect(await slipway.predictionLogStore.count({})).toBe(0);
  const writer = slipway.monitoring.createPredictionLog();
  writer.record(event('after', 'm'));
  await writer.close();
  expect((await slipway.predictionLogStore.read({})).map((r) => [r.id, r.requestId])).toEqual([
    [13, 'after'],
  ]);
});
