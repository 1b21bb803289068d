/**
 * What one logged row costs, piece by piece, and the alternatives the design turned down — the
 * measurements behind the prediction log's storage (README.md "Why the log looks like this").
 *
 *   npx tsx bench/monitoring/row-costs.ts [--rows 200000]
 *
 * All on one thread, so each figure is CPU time per row: packing a row (main thread), handing a
 * batch to the writer thread (structured clone through a MessagePort, both ends), inserting it
 * into SQLite (writer thread) as the log stores it and in the shapes it stored or could store
 * it, and, once feedback is in use, adding its request id to the id lookup.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import Sqlite from 'better-sqlite3';
import type { PredictionEvent } from '../../src/index.js';
import { LogRowEncoder } from '../../src/monitoring/prediction-log/log-row-encoder.js';
import { idHash, rowsOf } from '../../src/store/prediction-log-store.js';

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

const encoder = new LogRowEncoder();
const perRow = (ms: number, rows: number) => ((ms * 1000) / rows).toFixed(2);
const results: [string, string][] = [];

// Packing (main thread): each request as it is recorded, the batch taken whole. Fresh request
// ids each time: a generated id is a rope of string pieces until something flattens it.
let spent = 0;
for (let i = 0; i < 20 + total / BATCH; i++) {
  const events = Array.from({ length: BATCH }, event);
  const t = performance.now();
  for (const e of events) encoder.add(e, e.receivedAt);
  encoder.take();
  if (i >= 20) spent += performance.now() - t;
}
results.push(['pack a request as it is recorded (packed values), take the batch', perRow(spent, total)]);

// JSON with names, the first design.
const jsonRow = () => {
  let s = '{';
  for (let j = 0; j < 30; j++) s += `${j ? ',' : ''}"${names[j]}":${values[j]}`;
  return `${s}}`;
};
let t = performance.now();
for (let i = 0; i < total; i++) jsonRow();
results.push(['encode one row as JSON with names (turned down)', perRow(performance.now() - t, total)]);

// Handing a batch to the writer thread: the batch as sent, the earlier columns with a string per
// request in five columns, and row objects.
const events = Array.from({ length: BATCH }, event);
const batch = encoder.encodeBatch(
  events,
  events.map((e) => e.receivedAt),
);
const rowObjects = [...rowsOf(batch)];
const stringColumns = {
  layouts: batch.layouts,
  requestIds: events.map((e) => e.requestId),
  predictionKeys: events.map(() => null),
  models: events.map((e) => e.model),
  versions: new Int32Array(BATCH).fill(1),
  deployments: events.map(() => null),
  protocols: events.map(() => 'v2'),
  at: batch.at,
  latencyMs: batch.latencyMs,
  layout: batch.layout,
  rowCounts: batch.rowCounts,
  data: batch.data,
  offsets: batch.offsets,
};
for (const [what, message] of [
  ['hand a batch to the writer thread: typed columns, ids as bytes, streams', batch],
  ['hand a batch to the writer thread: a string per request in 5 columns (before)', stringColumns],
  ['hand a batch to the writer thread: row objects (turned down)', rowObjects],
] as const) {
  const { port1, port2 } = new MessageChannel();
  const k = total / BATCH;
  for (let i = 0; i < 20; i++) {
    port1.postMessage(message);
    receiveMessageOnPort(port2);
  }
  t = performance.now();
  for (let i = 0; i < k; i++) {
    port1.postMessage(message);
    receiveMessageOnPort(port2);
  }
  results.push([what, perRow(performance.now() - t, total)]);
  port1.close();
}

// SQLite inserts, one transaction per batch of BATCH rows.
/** Temporary stores, removed at the end (the id-lookup ones hold a million entries). */
const dirs: string[] = [];
function open(): Sqlite.Database {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-row-costs-'));
  dirs.push(dir);
  const db = new Sqlite(path.join(dir, 'log.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  return db;
}

interface Shape {
  /** Columns after the id, with their types. */
  columns: string;
  indexes: string[];
  autoincrement: boolean;
  /** Rows per INSERT statement. */
  perStatement: number;
  /** One row's values. */
  row: (requestId: string) => unknown[];
}

function table(shape: Shape): (rows: unknown[][]) => void {
  const db = open();
  db.exec(
    `create table log (id integer primary key${shape.autoincrement ? ' autoincrement' : ''}, ${shape.columns})`,
  );
  for (const i of shape.indexes) db.exec(i);
  // The columns a row gives values for: the first ones (labels come later, by update).
  const names = shape.columns
    .split(',')
    .map((c) => c.trim().split(' ')[0])
    .slice(0, shape.row('').length);
  const one = `(${names.map(() => '?').join(', ')})`;
  const insert = (n: number) =>
    db.prepare(`insert into log (${names.join(', ')}) values ${Array(n).fill(one).join(', ')}`);
  const single = insert(1);
  const many = insert(shape.perStatement);
  // One parameter array, refilled, as the writer thread does.
  const params: unknown[] = new Array(names.length * shape.perStatement);
  const tx = db.transaction((rows: unknown[][]) => {
    const whole = rows.length - (rows.length % shape.perStatement);
    for (let i = 0; i < whole; i += shape.perStatement) {
      let p = 0;
      for (let r = i; r < i + shape.perStatement; r++) for (const v of rows[r]) params[p++] = v;
      many.run(params);
    }
    for (let i = whole; i < rows.length; i++) single.run(rows[i]);
  });
  return (rows) => tx.immediate(rows);
}

const features = Buffer.from(rowObjects[0].features);
const outputs = Buffer.from(rowObjects[0].outputs);
const json = jsonRow();
const now = Date.now();
const before0006 =
  'request_id text not null, row_index integer not null, prediction_key text, at integer not null, model text not null, version integer not null, deployment text, protocol text not null, latency_ms real not null, layout_id integer not null, features blob not null, outputs blob not null, label_json text, labelled_at integer';
const rowBefore0006 = (id: string) => [
  id,
  0,
  null,
  now,
  'breast-cancer',
  1,
  null,
  'v2',
  1.25,
  1,
  features,
  outputs,
];
const since0006 =
  'stream_id integer not null, request_id text not null, row_index integer not null, prediction_key text, at integer not null, latency_ms real not null, layout_id integer not null, features blob not null, outputs blob not null, label_json text, labelled_at integer';
const rowSince0006 = (id: string) => [1, id, 0, null, now, 1.25, 1, features, outputs];
const oldWindow = 'create index w on log (model, version, at)';
const streamWindow = 'create index w on log (stream_id, at)';
const contenders: [string, Shape][] = [
  [
    'insert: a row per statement, 4 columns naming the version, window index (before)',
    { columns: before0006, indexes: [oldWindow], autoincrement: true, perStatement: 1, row: rowBefore0006 },
  ],
  [
    'insert: 64 rows per statement, 4 columns naming the version, window index',
    { columns: before0006, indexes: [oldWindow], autoincrement: true, perStatement: 64, row: rowBefore0006 },
  ],
  [
    'insert: a row per statement, stream id, window index on (stream, at)',
    { columns: since0006, indexes: [streamWindow], autoincrement: true, perStatement: 1, row: rowSince0006 },
  ],
  [
    'insert: 64 rows per statement, stream id, window index on (stream, at): as logged',
    { columns: since0006, indexes: [streamWindow], autoincrement: true, perStatement: 64, row: rowSince0006 },
  ],
  [
    'insert: as logged, without AUTOINCREMENT (turned down: ids reused after retention)',
    {
      columns: since0006,
      indexes: [streamWindow],
      autoincrement: false,
      perStatement: 64,
      row: rowSince0006,
    },
  ],
  [
    'insert: as logged, without the window index (turned down: windows read every model)',
    { columns: since0006, indexes: [], autoincrement: true, perStatement: 64, row: rowSince0006 },
  ],
  [
    'insert: a JSON row with names (~1.1 KB) (turned down)',
    {
      columns:
        'request_id text not null, row_index integer not null, at integer not null, model text not null, version integer not null, protocol text not null, latency_ms real not null, features_json text, outputs_json text',
      indexes: [oldWindow],
      autoincrement: true,
      perStatement: 1,
      row: (id) => [
        id,
        0,
        now,
        'breast-cancer',
        1,
        'v2',
        1.25,
        json,
        '{"label":1,"probabilities":[0.2,0.8]}',
      ],
    },
  ],
  [
    'insert: a row per statement + index on the random request id (turned down)',
    {
      columns: before0006,
      indexes: [oldWindow, 'create index r on log (request_id, row_index)'],
      autoincrement: true,
      perStatement: 1,
      row: rowBefore0006,
    },
  ],
];
// Three rounds, each contender once per round on a table that keeps growing; the median round.
const inserts = contenders.map(([, shape]) => table(shape));
const rounds: number[][] = contenders.map(() => []);
for (let round = 0; round < 3; round++) {
  for (const [c, [, shape]] of contenders.entries()) {
    const make = () => Array.from({ length: BATCH }, () => shape.row(randomUUID()));
    for (let i = 0; i < 5; i++) inserts[c](make());
    spent = 0;
    for (let i = 0; i < total / BATCH / 3; i++) {
      const rows = make();
      const s = performance.now();
      inserts[c](rows);
      spent += performance.now() - s;
    }
    rounds[c].push(spent / (total / 3));
  }
}
for (const [c, [what]] of contenders.entries()) {
  const sorted = [...rounds[c]].sort((x, y) => x - y);
  results.push([what, perRow(sorted[1], 1)]);
}

// One SQLite row per batch (a "segment" of the batch's packed rows): the thorough option, not
// taken while per-row rows meet the goal, since every reader of the log would change.
{
  const db = open();
  db.exec(
    'create table segments (id integer primary key autoincrement, first_id integer not null, rows integer not null, stream_id integer not null, at_min integer not null, at_max integer not null, request_ids blob not null, columns blob not null, offsets blob not null, data blob not null)',
  );
  db.exec('create index s on segments (stream_id, at_max)');
  const insert = db.prepare(
    'insert into segments (first_id, rows, stream_id, at_min, at_max, request_ids, columns, offsets, data) values (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const view = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const tx = db.transaction((b: typeof batch, first: number) => {
    insert.run(
      first,
      BATCH,
      1,
      b.at[0],
      b.at[b.at.length - 1],
      view(b.requestIds),
      view(b.latencyMs),
      view(b.offsets),
      view(b.data),
    );
  });
  spent = 0;
  for (let i = 0; i < 20 + total / BATCH; i++) {
    const s = performance.now();
    tx.immediate(batch, 1 + i * BATCH);
    if (i >= 20) spent += performance.now() - s;
  }
  results.push(['insert: one row per batch, its rows packed (not taken)', perRow(spent, total)]);
}

// The id lookup (feedback in use): three chunks of CHUNK rows' request ids into (hash, log_id),
// after PREFILL entries are already there; the median chunk.
const CHUNK = 50_000;
for (const prefill of [0, 1_000_000]) {
  for (const [what, ddl, perStatement, readBack] of [
    [
      'id lookup: read rows back, hash, sort through a Map, table + index, a row per statement (before)',
      ['create table ids (hash integer not null, log_id integer not null)', 'create index h on ids (hash)'],
      1,
      true,
    ],
    [
      'id lookup: hashed as written, counting sort, one B-tree, 64 rows per statement: as logged',
      [
        'create table ids (hash integer not null, log_id integer not null, primary key (hash, log_id)) without rowid',
      ],
      64,
      false,
    ],
  ] as const) {
    const db = open();
    for (const d of ddl) db.exec(d);
    db.exec('create table log (id integer primary key, request_id text not null)');
    const addLog = db.prepare('insert into log (id, request_id) values (?, ?)');
    const one = db.prepare('insert into ids (hash, log_id) values (?, ?)');
    const many = db.prepare(`insert into ids (hash, log_id) values ${Array(64).fill('(?, ?)').join(', ')}`);
    const firstId = prefill + 1;
    if (prefill > 0) {
      db.transaction(() => {
        for (let i = 1; i <= prefill; i++) one.run(Math.floor(Math.random() * 2 ** 53), i);
      })();
    }
    const readRows = db.prepare('select id, request_id from log where id >= ? order by id').raw(true);
    const chunks: number[] = [];
    for (let chunk = 0; chunk < 3; chunk++) {
      const from = firstId + chunk * CHUNK;
      const ids = Array.from({ length: CHUNK }, () => randomUUID());
      db.transaction(() => {
        for (const [i, id] of ids.entries()) addLog.run(from + i, id);
      })();
      const s = performance.now();
      db.transaction(() => {
        let pairs: number[];
        if (readBack) {
          const byHash = new Map<number, number>();
          const hashes: number[] = [];
          for (const [id, requestId] of readRows.all(from) as [number, string][]) {
            const h = idHash('r', requestId);
            byHash.set(h, id);
            hashes.push(h);
          }
          pairs = [];
          for (const h of Float64Array.from(hashes).sort()) pairs.push(h, byHash.get(h)!);
        } else {
          // As the writer thread does it: hashes of the batch in hand, ordered by their top 16 bits.
          const hashes = ids.map((id) => idHash('r', id));
          const counts = new Uint32Array(65537);
          for (const h of hashes) counts[Math.floor(h / 2 ** 37) + 1]++;
          for (let b = 1; b <= 65536; b++) counts[b] += counts[b - 1];
          pairs = new Array(2 * CHUNK);
          for (const [i, h] of hashes.entries()) {
            const at = 2 * counts[Math.floor(h / 2 ** 37)]++;
            pairs[at] = h;
            pairs[at + 1] = from + i;
          }
        }
        const whole = pairs.length - (pairs.length % (2 * perStatement));
        for (let i = 0; i < whole; i += 2 * perStatement)
          (perStatement === 1 ? one : many).run(pairs.slice(i, i + 2 * perStatement));
        for (let i = whole; i < pairs.length; i += 2) one.run(pairs[i], pairs[i + 1]);
      }).immediate();
      chunks.push(performance.now() - s);
    }
    const where = prefill > 0 ? `, lookup of ${prefill / 1_000_000}M entries` : ', empty lookup';
    results.push([`${what}${where}`, perRow(chunks.sort((x, y) => x - y)[1], CHUNK)]);
    db.close();
  }
}

console.log(`\n${total} rows, batches of ${BATCH}; CPU µs per row on one thread\n`);
console.log('| step | µs/row |\n|---|---|');
for (const [what, us] of results) console.log(`| ${what} | ${us} |`);
for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
