/**
 * The worker thread of `SqlitePredictionLogAppender` (a one-thread piscina pool): its own
 * connection to the store's file, prepared statements, and one immediate transaction per batch
 * (its new layouts and its rows). The main thread never waits on SQLite for the prediction log.
 *
 * Once feedback is in use (the id lookup has a mark: the first `attachLabels` builds it), every
 * 50,000 rows or 5 seconds (and on close) it also adds the new rows' request ids and keys to the
 * lookup, sorted, in one transaction (`indexIds` of the contract): indexing them row by row as
 * they come would dirty one random index page per row. Until then a log nobody labels costs no
 * lookup at all.
 */
import { workerData } from 'node:worker_threads';
import Sqlite from 'better-sqlite3';
import { batchRows, INDEX_IDS_CHUNK, idHash, type LogBatch, requestIdOf } from '../prediction-log-store.js';

export type AppendTask = { batch: LogBatch } | { close: true };

interface Connection {
  db: Sqlite.Database;
  append: Sqlite.Transaction<(batch: LogBatch) => void>;
  indexIds: Sqlite.Transaction<(maxRows: number) => number>;
  /** Rows appended since the ids were last indexed, and when that was. */
  unindexed: number;
  indexedAt: number;
  /** Whether the id lookup is in use (has a mark), checked every INDEX_EVERY_MS. */
  inUse: boolean;
  checkedAt: number;
  hasMark: () => boolean;
}

const INDEX_EVERY_MS = 5000;

// One connection per thread, opened on the first batch (this module is the thread's entry).
let connection: Connection | null = null;

/**
 * Rows per INSERT statement. One statement per row crosses into SQLite (and updates the
 * AUTOINCREMENT counter) once per row; bench/monitoring measured 3.2 µs a row that way and
 * 2.1–2.3 µs in statements of 10 to 250 rows.
 */
const ROWS_PER_INSERT = 64;
const LOG_COLUMNS = 9;

function open(): Connection {
  const db = new Sqlite((workerData as { file: string }).file);
  db.pragma('busy_timeout = 10000');
  db.pragma('synchronous = NORMAL');
  const insertLayout = db.prepare(
    'insert into prediction_log_layouts (spec_json) values (?) on conflict (spec_json) do nothing',
  );
  const layoutId = db.prepare('select id from prediction_log_layouts where spec_json = ?').pluck();
  // Streams are looked up and added under the write lock, so writers do not race; a duplicate
  // (a backend without that lock) would only give one stream two ids, which readers join alike.
  const streamId = db
    .prepare(
      'select id from prediction_log_streams where model = ? and version = ? and deployment is ? and protocol = ? order by id limit 1',
    )
    .pluck();
  const insertStream = db.prepare(
    'insert into prediction_log_streams (model, version, deployment, protocol) values (?, ?, ?, ?)',
  );
  const insertRows = (n: number) =>
    db.prepare(
      `insert into prediction_log (stream_id, request_id, row_index, prediction_key, at, latency_ms, layout_id, features, outputs) values ${Array(
        n,
      )
        .fill(`(${Array(LOG_COLUMNS).fill('?').join(', ')})`)
        .join(', ')}`,
    );
  const insertOne = insertRows(1);
  const insertMany = insertRows(ROWS_PER_INSERT);
  const params: unknown[] = new Array(LOG_COLUMNS * ROWS_PER_INSERT);
  // Ids of layouts and streams, kept while the connection lives: a failed batch closes it.
  const layoutIds = new Map<string, number>();
  const streamIds = new Map<string, number>();
  const append = db.transaction((batch: LogBatch) => {
    const layouts = batch.layouts.map((json) => {
      let id = layoutIds.get(json);
      if (id === undefined) {
        insertLayout.run(json);
        id = Number(layoutId.get(json));
        layoutIds.set(json, id);
      }
      return id;
    });
    const streams = batch.streams.map((s) => {
      const key = `${s.model}\u0000${s.version}\u0000${s.deployment === null ? '\u0001' : `\u0002${s.deployment}`}\u0000${s.protocol}`;
      let id = streamIds.get(key);
      if (id === undefined) {
        const found = streamId.get(s.model, s.version, s.deployment, s.protocol);
        id = Number(found ?? insertStream.run(s.model, s.version, s.deployment, s.protocol).lastInsertRowid);
        streamIds.set(key, id);
      }
      return id;
    });
    const { data, offsets } = batch;
    // One Buffer over the batch's bytes; each row binds a view of its part.
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const rows = batchRows(batch);
    // Full statements of ROWS_PER_INSERT rows first, then the rest one by one.
    const inMany = rows - (rows % ROWS_PER_INSERT);
    let k = 0;
    let p = 0;
    for (let q = 0; q < batch.rowCounts.length; q++) {
      const stream = streams[batch.stream[q]];
      const requestId = requestIdOf(batch, q);
      const key = batch.predictionKeys?.[q] ?? null;
      const at = batch.at[q];
      const latency = batch.latencyMs[q];
      const layout = layouts[batch.layout[q]];
      for (let r = 0; r < batch.rowCounts[q]; r++, k++) {
        const features = bytes.subarray(offsets[2 * k], offsets[2 * k + 1]);
        const outputs = bytes.subarray(offsets[2 * k + 1], offsets[2 * k + 2]);
        if (k >= inMany) {
          insertOne.run(stream, requestId, r, key, at, latency, layout, features, outputs);
          continue;
        }
        params[p++] = stream;
        params[p++] = requestId;
        params[p++] = r;
        params[p++] = key;
        params[p++] = at;
        params[p++] = latency;
        params[p++] = layout;
        params[p++] = features;
        params[p++] = outputs;
        if (p === params.length) {
          insertMany.run(params);
          p = 0;
        }
      }
    }
  });
  const mark = db.prepare("select log_id from prediction_log_ids_mark where name = 'requests'").pluck();
  const pending = db.prepare(
    'select id, request_id, prediction_key from prediction_log where id > ? order by id limit ?',
  );
  const insertIds = (n: number) =>
    db.prepare(
      `insert into prediction_log_ids (hash, log_id) values ${Array(n).fill('(?, ?)').join(', ')} on conflict do nothing`,
    );
  const insertId = insertIds(1);
  const insertIdsMany = insertIds(ROWS_PER_INSERT);
  const setMark = db.prepare(
    "insert into prediction_log_ids_mark (name, log_id) values ('requests', ?) on conflict (name) do update set log_id = excluded.log_id",
  );
  const indexIds = db.transaction((maxRows: number) => {
    const from = Number(mark.get() ?? 0);
    const rows = pending.raw(true).all(from, maxRows) as [number, string, string | null][];
    if (rows.length === 0) return 0;
    // Sorted by hash, so consecutive inserts touch each index page once: the hashes are sorted
    // as a Float64Array (native, no comparator) and mapped back to their rows.
    const byHash = new Map<number, number | number[]>();
    const hashes: number[] = [];
    const add = (hash: number, id: number) => {
      const seen = byHash.get(hash);
      if (seen === undefined) {
        byHash.set(hash, id);
        hashes.push(hash);
      } else byHash.set(hash, Array.isArray(seen) ? [...seen, id] : [seen, id]);
    };
    for (const [id, requestId, key] of rows) {
      add(idHash('r', requestId), id);
      if (key !== null) add(idHash('k', key), id);
    }
    const pairs: number[] = [];
    for (const hash of Float64Array.from(hashes).sort()) {
      const ids = byHash.get(hash)!;
      if (Array.isArray(ids)) for (const id of ids) pairs.push(hash, id);
      else pairs.push(hash, ids);
    }
    const whole = pairs.length - (pairs.length % (2 * ROWS_PER_INSERT));
    for (let i = 0; i < whole; i += 2 * ROWS_PER_INSERT)
      insertIdsMany.run(pairs.slice(i, i + 2 * ROWS_PER_INSERT));
    for (let i = whole; i < pairs.length; i += 2) insertId.run(pairs[i], pairs[i + 1]);
    setMark.run(rows[rows.length - 1][0]);
    return rows.length;
  });
  const hasMark = () => mark.get() !== undefined;
  const now = Date.now();
  return { db, append, indexIds, unindexed: 0, indexedAt: now, inUse: hasMark(), checkedAt: now, hasMark };
}

function catchUp(c: Connection): void {
  while (c.indexIds.immediate(INDEX_IDS_CHUNK) === INDEX_IDS_CHUNK) {}
  c.unindexed = 0;
  c.indexedAt = Date.now();
}

export default function run(task: AppendTask): number {
  if ('close' in task) {
    if (connection) {
      if (connection.inUse || connection.hasMark()) catchUp(connection);
      connection.db.close();
    }
    connection = null;
    return 0;
  }
  connection ??= open();
  try {
    connection.append.immediate(task.batch);
    const c = connection;
    c.unindexed += batchRows(task.batch);
    const now = Date.now();
    if (!c.inUse && now - c.checkedAt >= INDEX_EVERY_MS) {
      c.inUse = c.hasMark();
      c.checkedAt = now;
    }
    if (c.inUse && (c.unindexed >= INDEX_IDS_CHUNK || now - c.indexedAt >= INDEX_EVERY_MS)) catchUp(c);
  } catch (err) {
    // A connection opened while the store was unreachable may be unusable: open afresh next time.
    connection.db.close();
    connection = null;
    throw err;
  }
  return batchRows(task.batch);
}
