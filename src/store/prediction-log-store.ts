/**
 * The prediction log's slice of the metadata store: one row per answered prediction row (a 64-row
 * request is 64 rows, named by the request id and the row's index), and the labels that feedback
 * attaches to them later.
 *
 * A row's features and outputs are packed values (monitoring's row codec) with the id of the
 * layout that names them: a 30-feature row is ~150 bytes instead of ~1.1 KB of JSON, which
 * bench/monitoring measured as the difference between logging at full serving load and not.
 * Layouts (JSON text, one per model version and tensor shapes) are stored once, in their own table.
 *
 * Contract (every backend passes `test/monitoring/store/prediction-log-store.test.ts`):
 * - `append` is one transaction: the batch's new layouts and all of its rows become visible
 *   together, or none do. Row ids increase in commit order, so `afterId` pages never skip or
 *   repeat a row.
 * - Reads are ordered by id ascending, except `newest`, which takes the last `limit` rows by id
 *   and still returns them ascending.
 * - `attachLabels` is one transaction; an item that matches no logged row is reported by its
 *   index, never dropped silently. An item matches every row with its request id (or key) and
 *   row index; a label given twice keeps the later one. Rows not yet in the id lookup (past its
 *   mark) are found all the same, by reading them.
 * - `indexIds` adds the request ids and keys of rows past the mark to the lookup, in id order,
 *   and moves the mark, in one transaction; running it again (or from two processes) is harmless.
 *   The lookup exists once something built it (`attachLabels` does, first); writers may keep it
 *   current from then on, and must not need it before.
 * - `deleteBefore` removes rows whose `at` is earlier than the cutoff, in chunks, so it never
 *   holds the write lock for long; it returns how many it removed.
 */
export interface PredictionLogStore {
  append(batch: LogBatch): Promise<void>;
  /** Indexes the ids of up to `maxRows` rows past the mark; returns how many it took. */
  indexIds(maxRows?: number): Promise<number>;
  /** The layout JSON of each id asked for (ids that do not exist are left out). */
  layouts(ids: readonly number[]): Promise<Map<number, string>>;
  read(query: PredictionLogQuery): Promise<PredictionLogRow[]>;
  count(query: PredictionLogQuery): Promise<number>;
  attachLabels(items: readonly LabelItem[], at: number): Promise<AttachResult>;
  deleteBefore(cutoff: number): Promise<number>;
  /** Request latencies (one per request: its row 0) in the window, for percentiles. */
  latencies(query: PredictionLogQuery): Promise<Float64Array>;
  /** The models and versions that have rows in the window, for scheduled evaluation. */
  activeVersions(since: number): Promise<{ model: string; version: number; rows: number }[]>;
}

/**
 * Rows to append, by columns: one entry per request (its rows share them), and the packed values
 * of every row in one buffer. Columns rather than row objects because a batch crosses to a
 * writer thread, and every string in it is copied twice on the way (written, then read back as a
 * new string): bench/monitoring (row-costs.ts) measured 1.6 µs a row to clone row objects, 0.2 µs
 * as columns with a string per request in five columns, 0.15 µs as below. The request ids are
 * bytes rather than strings because holding a generated id (a rope of string pieces) until the
 * batch is written cost the event loop more in garbage collection than copying it.
 */
export interface LogBatch {
  /** Layout JSON texts; requests name theirs by index. */
  layouts: string[];
  /** The model versions (and how they were called) that requests name by index. */
  streams: LogStream[];
  /** Per request: its entry of `streams`. */
  stream: Int32Array;
  /** Per request: its entry of `layouts`. */
  layout: Int32Array;
  /** When each request arrived (ms since the epoch). */
  at: Float64Array;
  latencyMs: Float64Array;
  /** Rows of each request. */
  rowCounts: Int32Array;
  /** The request ids as UTF-8, one after another: request q's ends at byte `requestIdEnds[q]` (see `requestIdOf`). */
  requestIds: Uint8Array;
  requestIdEnds: Uint32Array;
  /** Each request's prediction key; null when no request of the batch has one (the usual case). */
  predictionKeys: (string | null)[] | null;
  /** Packed values: row k's features are `data[offsets[2k] .. offsets[2k+1])`, its outputs up to `offsets[2k+2]`. */
  data: Uint8Array;
  offsets: Uint32Array;
}

/** A model version as it was called: through which deployment (if any) and protocol. */
export interface LogStream {
  model: string;
  version: number;
  deployment: string | null;
  protocol: string;
}

/** Rows in a batch. */
export function batchRows(batch: LogBatch): number {
  return (batch.offsets.length - 1) / 2;
}

/** Requests in a batch. */
export function batchRequests(batch: LogBatch): number {
  return batch.rowCounts.length;
}

/** The request id of request `q` of a batch (`ids`: the batch's `requestIds` as a Buffer, when reading many). */
export function requestIdOf(batch: LogBatch, q: number, ids = idBuffer(batch)): string {
  return ids.toString('utf8', q === 0 ? 0 : batch.requestIdEnds[q - 1], batch.requestIdEnds[q]);
}

/** A batch's request ids as a Buffer (a view, no copy), for `requestIdOf`. */
export function idBuffer(batch: LogBatch): Buffer {
  const ids = batch.requestIds;
  return Buffer.from(ids.buffer, ids.byteOffset, ids.byteLength);
}

/** One row of a batch, as a plain object (for backends that insert rows one by one). */
export interface NewPredictionLogRow {
  requestId: string;
  row: number;
  predictionKey: string | null;
  at: number;
  model: string;
  version: number;
  deployment: string | null;
  protocol: string;
  latencyMs: number;
  /** Index of the row's stream in the batch's `streams`. */
  stream: number;
  /** Index of the row's layout in the batch's `layouts`. */
  layout: number;
  features: Uint8Array;
  outputs: Uint8Array;
}

/** The rows of a batch, in order. */
export function* rowsOf(batch: LogBatch): Generator<NewPredictionLogRow> {
  let k = 0;
  const ids = idBuffer(batch);
  for (let q = 0; q < batch.rowCounts.length; q++) {
    const requestId = requestIdOf(batch, q, ids);
    const stream = batch.streams[batch.stream[q]];
    for (let r = 0; r < batch.rowCounts[q]; r++, k++) {
      yield {
        requestId,
        row: r,
        predictionKey: batch.predictionKeys?.[q] ?? null,
        at: batch.at[q],
        model: stream.model,
        version: stream.version,
        deployment: stream.deployment,
        protocol: stream.protocol,
        latencyMs: batch.latencyMs[q],
        stream: batch.stream[q],
        layout: batch.layout[q],
        features: batch.data.subarray(batch.offsets[2 * k], batch.offsets[2 * k + 1]),
        outputs: batch.data.subarray(batch.offsets[2 * k + 1], batch.offsets[2 * k + 2]),
      };
    }
  }
}

export interface PredictionLogRow extends Omit<NewPredictionLogRow, 'layout' | 'stream'> {
  id: number;
  layoutId: number;
  labelJson: string | null;
  labelledAt: number | null;
}

export interface PredictionLogQuery {
  model?: string | null;
  version?: number | null;
  deployment?: string | null;
  /** Inclusive lower bound on `at`. */
  since?: number | null;
  /** Exclusive upper bound on `at`. */
  until?: number | null;
  /** Only rows with (true) or without (false) a label. */
  labelled?: boolean | null;
  /** Rows with a larger id only (keyset paging). */
  afterId?: number | null;
  limit?: number | null;
  /** Take the last `limit` rows instead of the first (returned ascending all the same). */
  newest?: boolean;
}

export interface LabelItem {
  /** Match on `request_id` or on `prediction_key`. */
  by: 'request' | 'key';
  id: string;
  row: number;
  labelJson: string;
}

export interface AttachResult {
  /** Items that matched at least one row. */
  matched: number;
  /** Rows that got a label (an id may be logged more than once). */
  rows: number;
  /** Indexes into the items of those that matched nothing. */
  unknown: number[];
}

/**
 * Where the prediction-log writer hands its batches, one transaction each. A backend whose writes
 * block the calling thread (SQLite: better-sqlite3 is synchronous, and a 1,000-row insert holds the
 * thread for milliseconds) provides one that writes on its own thread; for the others the store's
 * `append` serves. `close` waits for what was handed over and releases the thread.
 */
export interface PredictionLogAppender {
  append(batch: LogBatch): Promise<void>;
  close(): Promise<void>;
}

/**
 * The 53-bit hash that request ids (`kind` 'r') and prediction keys ('k') are looked up by. An
 * index on random keys (UUIDs) dirties one page per insert wherever the key falls, and bench/monitoring
 * measured that as most of the cost of logging a row; so ids are not indexed as rows are written,
 * but in bulk afterwards (`indexIds`), sorted, into prediction_log_ids. Lookups check the text too,
 * so a collision only costs a second row read.
 */
export function idHash(kind: 'r' | 'k', text: string): number {
  // FNV-1a, two lanes (32 + 21 bits): a safe integer in every backend.
  let a = 0x811c9dc5;
  let b = 0x01000193;
  a = Math.imul(a ^ kind.charCodeAt(0), 16777619);
  b = Math.imul(b ^ kind.charCodeAt(0), 2246822507);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 16777619);
    b = Math.imul(b ^ c, 2246822507);
  }
  return (a >>> 0) * 2097152 + ((b >>> 11) & 0x1fffff);
}

/** Rows past the id mark that `indexIds` takes in one transaction. */
export const INDEX_IDS_CHUNK = 50_000;
