/**
 * The worker thread of `SqlitePredictionLogAppender` (a one-thread piscina pool): its own
 * connection to the store's file, prepared statements, and one immediate transaction per batch
 * (its new layouts and its rows). The main thread never waits on SQLite for the prediction log.
 *
 * Once feedback is in use (the id lookup has a mark: the first `attachLabels` builds it), every
 * 50,000 rows or 5 seconds (and on close) it also adds the new rows' request ids and keys to the
 * lookup, in hash order, in one transaction (`indexIds` of the contract): indexing them row by row
 * as they come would dirty one random index page per row. It hashes the ids of the batches it
 * wrote itself as it commits them, rather than reading the rows back (bench/monitoring measured
 * the read-back at 0.6 µs a row); rows it did not write (another process's, or those from before
 * the lookup was in use) are read back as before. Until then a log nobody labels costs no lookup
 * at all.
 */
import { workerData } from 'node:worker_threads';
import Sqlite from 'better-sqlite3';
import {
  batchRows,
  INDEX_IDS_CHUNK,
  idBuffer,
  idHash,
  type LogBatch,
  requestIdOf,
} from '../prediction-log-store.js';

export type AppendTask = { batch: LogBatch } | { close: true };

interface Connection {
  db: Sqlite.Database;
  /** Appends a batch; returns the id of its last row (its rows have consecutive ids). */
  append: Sqlite.Transaction<(batch: LogBatch) => number>;
  indexIds: Sqlite.Transaction<(maxRows: number) => number>;
  /** Hashes of the rows this connection wrote and has not indexed yet, in id order. */
  hashed: HashedRows;
  /** Rows appended since the ids were last indexed, and when that was. */
  unindexed: number;
  indexedAt: number;
  /** Whether the id lookup is in use (has a mark), checked every INDEX_EVERY_MS. */
  inUse: boolean;
  checkedAt: number;
  hasMark: () => boolean;
}

const INDEX_EVERY_MS = 5000;

/** Row ids with the hashes of their request id and key (NaN for none), in id order. */
class HashedRows {
  ids = new Float64Array(4096);
  requests = new Float64Array(4096);
  keys = new Float64Array(4096);
  length = 0;

  push(id: number, request: number, key: number): void {
    if (this.length === this.ids.length) {
      const grow = (a: Float64Array) => {
        const next = new Float64Array(2 * a.length);
        next.set(a);
        return next;
      };
      this.ids = grow(this.ids);
      this.requests = grow(this.requests);
      this.keys = grow(this.keys);
    }
    this.ids[this.length] = id;
    this.requests[this.length] = request;
    this.keys[this.length] = key;
    this.length++;
  }

  clear(): void {
    this.length = 0;
  }
}

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
    const ids = idBuffer(batch);
    let last = 0;
    let k = 0;
    let p = 0;
    for (let q = 0; q < batch.rowCounts.length; q++) {
      const stream = streams[batch.stream[q]];
      const requestId = requestIdOf(batch, q, ids);
      const key = batch.predictionKeys?.[q] ?? null;
      const at = batch.at[q];
      const latency = batch.latencyMs[q];
      const layout = layouts[batch.layout[q]];
      for (let r = 0; r < batch.rowCounts[q]; r++, k++) {
        const features = bytes.subarray(offsets[2 * k], offsets[2 * k + 1]);
        const outputs = bytes.subarray(offsets[2 * k + 1], offsets[2 * k + 2]);
        if (k >= inMany) {
          last = Number(
            insertOne.run(stream, requestId, r, key, at, latency, layout, features, outputs).lastInsertRowid,
          );
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
          last = Number(insertMany.run(params).lastInsertRowid);
          p = 0;
        }
      }
    }
    // The rows have consecutive ids, ending at `last`: the transaction holds the write lock, and
    // AUTOINCREMENT gives each row one more than the largest id ever used.
    return last;
  });
  const mark = db.prepare("select log_id from prediction_log_ids_mark where name = 'requests'").pluck();
  const pending = db.prepare(
    'select id, request_id, prediction_key from prediction_log where id > ? order by id limit ?',
  );
  const rowsBetween = db.prepare('select count(*) from prediction_log where id > ? and id <= ?').pluck();
  const insertIds = (n: number) =>
    db.prepare(
      `insert into prediction_log_ids (hash, log_id) values ${Array(n).fill('(?, ?)').join(', ')} on conflict do nothing`,
    );
  const insertId = insertIds(1);
  const insertIdsMany = insertIds(ROWS_PER_INSERT);
  const setMark = db.prepare(
    "insert into prediction_log_ids_mark (name, log_id) values ('requests', ?) on conflict (name) do update set log_id = excluded.log_id",
  );
  const hashed = new HashedRows();
  const insertPairs = (pairs: Float64Array, n: number) => {
    const chunk = 2 * ROWS_PER_INSERT;
    const whole = n - (n % chunk);
    for (let i = 0; i < whole; i += chunk) insertIdsMany.run(...pairs.subarray(i, i + chunk));
    for (let i = whole; i < n; i += 2) insertId.run(pairs[i], pairs[i + 1]);
  };
  const indexIds = db.transaction((maxRows: number) => {
    const from = Number(mark.get() ?? 0);
    // The rows this connection hashed as it wrote them, when they are exactly the rows past the
    // mark (up to the last of them): otherwise someone else wrote or indexed rows meanwhile.
    let start = 0;
    while (start < hashed.length && hashed.ids[start] <= from) start++;
    const n = hashed.length - start;
    if (n > 0 && Number(rowsBetween.get(from, hashed.ids[hashed.length - 1])) === n) {
      const pairs = inHashOrder(
        hashed.ids.subarray(start, hashed.length),
        hashed.requests.subarray(start, hashed.length),
        hashed.keys.subarray(start, hashed.length),
      );
      insertPairs(pairs, pairs.length);
      setMark.run(hashed.ids[hashed.length - 1]);
      hashed.clear();
      return n;
    }
    hashed.clear();
    const rows = pending.raw(true).all(from, maxRows) as [number, string, string | null][];
    if (rows.length === 0) return 0;
    const ids = new Float64Array(rows.length);
    const requests = new Float64Array(rows.length);
    const keys = new Float64Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const [id, requestId, key] = rows[i];
      ids[i] = id;
      requests[i] = idHash('r', requestId);
      keys[i] = key === null ? Number.NaN : idHash('k', key);
    }
    const pairs = inHashOrder(ids, requests, keys);
    insertPairs(pairs, pairs.length);
    setMark.run(rows[rows.length - 1][0]);
    return rows.length;
  });
  const hasMark = () => mark.get() !== undefined;
  const now = Date.now();
  return {
    db,
    append,
    indexIds,
    hashed,
    unindexed: 0,
    indexedAt: now,
    inUse: hasMark(),
    checkedAt: now,
    hasMark,
  };
}

/**
 * (hash, id) pairs of the rows' request ids and keys, ordered by the hash's top 16 bits (a
 * counting sort): consecutive inserts then land on the same or the next page of the lookup,
 * which is all the order is for; an exact sort through a Map of hashes cost 0.4 µs a row.
 */
function inHashOrder(ids: Float64Array, requests: Float64Array, keys: Float64Array): Float64Array {
  const BUCKETS = 1 << 16;
  const TOP = 2 ** 37; // hashes are below 2^53
  const counts = new Uint32Array(BUCKETS + 1);
  let entries = 0;
  for (let i = 0; i < ids.length; i++) {
    counts[Math.floor(requests[i] / TOP) + 1]++;
    entries++;
    if (!Number.isNaN(keys[i])) {
      counts[Math.floor(keys[i] / TOP) + 1]++;
      entries++;
    }
  }
  for (let b = 1; b <= BUCKETS; b++) counts[b] += counts[b - 1];
  const pairs = new Float64Array(2 * entries);
  const put = (hash: number, id: number) => {
    const at = 2 * counts[Math.floor(hash / TOP)]++;
    pairs[at] = hash;
    pairs[at + 1] = id;
  };
  for (let i = 0; i < ids.length; i++) {
    put(requests[i], ids[i]);
    if (!Number.isNaN(keys[i])) put(keys[i], ids[i]);
  }
  return pairs;
}

/** Hashes a batch's request ids and keys, row by row, once it is committed with ids up to `last`. */
function hashBatch(hashed: HashedRows, batch: LogBatch, last: number): void {
  const ids = idBuffer(batch);
  let id = last - batchRows(batch) + 1;
  for (let q = 0; q < batch.rowCounts.length; q++) {
    const request = idHash('r', requestIdOf(batch, q, ids));
    const key = batch.predictionKeys?.[q] ?? null;
    const keyHash = key === null ? Number.NaN : idHash('k', key);
    for (let r = 0; r < batch.rowCounts[q]; r++) hashed.push(id++, request, keyHash);
  }
}

function catchUp(c: Connection): void {
  while (c.indexIds.immediate(INDEX_IDS_CHUNK) === INDEX_IDS_CHUNK) {}
  c.unindexed = 0;
  c.indexedAt = Date.now();
}

export default function run(task: AppendTask): number {
  if ('close' in task) {
    if (connection) {
      try {
        if (connection.inUse || connection.hasMark()) catchUp(connection);
      } finally {
        connection.db.close();
        connection = null;
      }
    }
    return 0;
  }
  connection ??= open();
  const c = connection;
  try {
    const last = c.append.immediate(task.batch);
    if (c.inUse) hashBatch(c.hashed, task.batch, last);
  } catch (err) {
    // A connection opened while the store was unreachable may be unusable: open afresh next time.
    c.db.close();
    connection = null;
    throw err;
  }
  // The batch is committed: from here on nothing may fail the task, or the writer would retry it
  // and log its rows twice. The lookup is kept current on a best-effort basis (feedback finds the
  // rows past its mark all the same).
  try {
    c.unindexed += batchRows(task.batch);
    const now = Date.now();
    if (!c.inUse && now - c.checkedAt >= INDEX_EVERY_MS) {
      c.inUse = c.hasMark();
      c.checkedAt = now;
    }
    if (c.inUse && (c.unindexed >= INDEX_IDS_CHUNK || now - c.indexedAt >= INDEX_EVERY_MS)) catchUp(c);
  } catch {
    c.hashed.clear();
  }
  return batchRows(task.batch);
}
