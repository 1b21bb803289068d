/**
 * What one logged row costs, piece by piece, and the alternatives the design turned down — the
 * measurements behind the prediction log's storage (README.md "Why the log looks like this").
 *
 *   npx tsx bench/monitoring/row-costs.ts [--rows 200000]
 *
 * All on one thread, so each figure is CPU time per row: encoding a row (main thread), handing a
 * batch to the writer thread (structured clone through a MessagePort, both ends), and inserting
 * it into SQLite (writer thread) as the log stores it, as JSON with names, and with an index on
 * the random request id written row by row.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import Sqlite from 'better-sqlite3';
import type { PredictionEvent } from '../../src/index.js';
import { LogRowEncoder } from '../../src/monitoring/prediction-log/log-row-encoder.js';
import { rowsOf } from '../../src/store/prediction-log-store.js';

const args = process.argv.slice(2);
const total = Number(args[args.indexOf('--rows') + 1] || 200_000);
const BATCH = 1000;
const names = Array.from({ length: 30 }, (_, i) => `feature_number_${i}`);
const values = Float32Array.from({ length: 30 }, (_, i) => 10 + i * 1.37);

const event = (): PredictionEvent => ({
  requestId: randomUUID(),
  protocol: 'v2',
  model: 'breast-cancer',
  version: 1,
  deployment: null,
  receivedAt: Date.now(),
  latencyMs: 1.25,
  inputs: { features: { datatype: 'FP32', shape: [1, 30], data: values.slice() } },
  outputs: {
    label: { datatype: 'INT64', shape: [1], data: BigInt64Array.of(1n) },
    probabilities: { datatype: 'FP32', shape: [1, 2], data: Float32Array.of(0.2, 0.8) },
  },
  featureNames: names,
  predictionKey: null,
});

const events = Array.from({ length: BATCH }, event);
const times = events.map((e) => e.receivedAt);
const encoder = new LogRowEncoder();
const perRow = (ms: number, rows: number) => ((ms * 1000) / rows).toFixed(2);
const results: [string, string][] = [];

// Encoding (main thread).
for (let i = 0; i < 20; i++) encoder.encodeBatch(events, times);
let t = performance.now();
for (let i = 0; i < total / BATCH; i++) encoder.encodeBatch(events, times);
results.push(['encode a batch of rows (packed values)', perRow(performance.now() - t, total)]);

// JSON with names, the first design.
const jsonRow = () => {
  let s = '{';
  for (let j = 0; j < 30; j++) s += `${j ? ',' : ''}"${names[j]}":${values[j]}`;
  return `${s}}`;
};
t = performance.now();
for (let i = 0; i < total; i++) jsonRow();
results.push(['encode one row as JSON with names (turned down)', perRow(performance.now() - t, total)]);

// Handing a batch to the writer thread: columns vs row objects.
const batch = encoder.encodeBatch(events, times);
const rowObjects = [...rowsOf(batch)];
for (const [what, message] of [
  ['hand a batch to the writer thread, as columns', batch],
  ['hand a batch to the writer thread, as row objects (turned down)', rowObjects],
] as const) {
  const { port1, port2 } = new MessageChannel();
  let got = 0;
  port2.on('message', () => {
    got++;
  });
  const k = total / BATCH;
  t = performance.now();
  for (let i = 0; i < k; i++) port1.postMessage(message);
  await new Promise<void>((resolve) => {
    const check = () => (got >= k ? resolve() : setImmediate(check));
    check();
  });
  results.push([what, perRow(performance.now() - t, total)]);
  port1.close();
}

// SQLite inserts, one transaction per batch, on a table like prediction_log.
function table(extra: string, indexes: string[]): { insert: (rows: unknown[][]) => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-row-costs-'));
  const db = new Sqlite(path.join(dir, 'log.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(
    `create table log (id integer primary key autoincrement, request_id text not null, row_index integer not null, at integer not null, model text not null, version integer not null, protocol text not null, latency_ms real not null, ${extra})`,
  );
  for (const i of indexes) db.exec(i);
  const cols = extra.split(',').map((c) => c.trim().split(' ')[0]);
  const st = db.prepare(
    `insert into log (request_id, row_index, at, model, version, protocol, latency_ms, ${cols.join(', ')}) values (${Array(
      7 + cols.length,
    )
      .fill('?')
      .join(', ')})`,
  );
  const tx = db.transaction((rows: unknown[][]) => {
    for (const r of rows) st.run(...r);
  });
  return { insert: (rows) => tx.immediate(rows) };
}
const window = 'create index w on log (model, version, at)';
const packed = [...rowsOf(batch)].map((r) => [
  Buffer.from(r.features.buffer, r.features.byteOffset, r.features.byteLength),
  Buffer.from(r.outputs.buffer, r.outputs.byteOffset, r.outputs.byteLength),
]);
const json = jsonRow();
const contenders: [string, ReturnType<typeof table>, () => unknown[]][] = [
  [
    'insert a packed row (136 B), window index: as logged',
    table('layout_id integer, features blob, outputs blob', [window]),
    () => [1, ...packed[0]],
  ],
  [
    'insert a JSON row with names (~1.1 KB) (turned down)',
    table('features_json text, outputs_json text', [window]),
    () => [json, '{"label":1,"probabilities":[0.2,0.8]}'],
  ],
  [
    'insert a packed row + index on the random request id (turned down)',
    table('layout_id integer, features blob, outputs blob', [
      window,
      'create index r on log (request_id, row_index)',
    ]),
    () => [1, ...packed[0]],
  ],
];
for (const [what, tbl, extra] of contenders) {
  const make = () =>
    Array.from({ length: BATCH }, () => [
      randomUUID(),
      0,
      Date.now(),
      'breast-cancer',
      1,
      'v2',
      1.25,
      ...extra(),
    ]);
  for (let i = 0; i < 20; i++) tbl.insert(make());
  let spent = 0;
  for (let i = 0; i < total / BATCH; i++) {
    const rows = make();
    const s = performance.now();
    tbl.insert(rows);
    spent += performance.now() - s;
  }
  results.push([what, perRow(spent, total)]);
}

console.log(`\n${total} rows, batches of ${BATCH}; CPU µs per row on one thread\n`);
console.log('| step | µs/row |\n|---|---|');
for (const [what, us] of results) console.log(`| ${what} | ${us} |`);
