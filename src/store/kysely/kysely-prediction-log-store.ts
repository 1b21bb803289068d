import type { Kysely, Selectable, SelectQueryBuilder } from 'kysely';
import {
  type AttachResult,
  INDEX_IDS_CHUNK,
  idHash,
  type LabelItem,
  type LogBatch,
  type LogStream,
  type NewPredictionLogRow,
  type PredictionLogQuery,
  type PredictionLogRow,
  type PredictionLogStore,
  rowsOf,
} from '../prediction-log-store.js';
import type { Database, PredictionLogStreamTable, PredictionLogTable } from '../schema.js';

/**
 * Rows per INSERT statement: 14 parameters a row stays under SQLite's 32,766 host parameters and
 * PostgreSQL's 65,535, and one prepared statement per chunk costs little next to its rows.
 */
const INSERT_CHUNK = 500;
/** Rows per DELETE of retention: short transactions, so serving's writer never waits long. */
const DELETE_CHUNK = 5000;
/**
 * Rows are written in the order they arrive, so `at` grows with `id` up to the writers' queueing
 * (milliseconds; seconds across replicas). Time bounds without a model become id bounds found by
 * binary search with this much slack, and the exact `at` test is kept on top: the table needs no
 * index on `at`, which bench/monitoring measured at about 1.3 µs a logged row.
 */
const ORDER_SLACK_MS = 60_000;

/** PredictionLogStore over Kysely: one append-mostly table. */
export class KyselyPredictionLogStore implements PredictionLogStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async append(batch: LogBatch): Promise<void> {
    const all = [...rowsOf(batch)];
    if (all.length === 0) return;
    await this.#db.transaction().execute(async (trx) => {
      const streams: number[] = [];
      for (const s of batch.streams) streams.push(await streamIdOf(trx, s));
      const ids: number[] = [];
      for (const json of batch.layouts) {
        await trx
          .insertInto('prediction_log_layouts')
          .values({ spec_json: json })
          .onConflict((oc) => oc.column('spec_json').doNothing())
          .execute();
        const row = await trx
          .selectFrom('prediction_log_layouts')
          .select('id')
          .where('spec_json', '=', json)
          .executeTakeFirstOrThrow();
        ids.push(Number(row.id));
      }
      for (let start = 0; start < all.length; start += INSERT_CHUNK) {
        const chunk = all.slice(start, start + INSERT_CHUNK);
        await trx
          .insertInto('prediction_log')
          .values(chunk.map((r) => toTable(r, ids[r.layout], streams[r.stream])))
          .execute();
      }
    });
  }

  async layouts(ids: readonly number[]): Promise<Map<number, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.#db
      .selectFrom('prediction_log_layouts')
      .select(['id', 'spec_json'])
      .where('id', 'in', [...ids])
      .execute();
    return new Map(rows.map((r) => [Number(r.id), r.spec_json]));
  }

  async read(query: PredictionLogQuery): Promise<PredictionLogRow[]> {
    let q = (await this.#bounded(query))
      .innerJoin('prediction_log_streams as s', 's.id', 'prediction_log.stream_id')
      .selectAll('prediction_log')
      .select(['s.model', 's.version', 's.deployment', 's.protocol']);
    if (query.newest) {
      q = q.orderBy('prediction_log.id', 'desc');
      if (query.limit != null) q = q.limit(query.limit);
      const rows = await q.execute();
      return rows.reverse().map(fromTable);
    }
    q = q.orderBy('prediction_log.id', 'asc');
    if (query.limit != null) q = q.limit(query.limit);
    return (await q.execute()).map(fromTable);
  }

  async count(query: PredictionLogQuery): Promise<number> {
    const row = await (await this.#bounded(query))
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async indexIds(maxRows = INDEX_IDS_CHUNK): Promise<number> {
    return this.#db.transaction().execute(async (trx) => {
      const mark = await markOf(trx);
      const rows = await trx
        .selectFrom('prediction_log')
        .select(['id', 'request_id', 'prediction_key'])
        .where('id', '>', mark)
        .orderBy('id')
        .limit(maxRows)
        .execute();
      if (rows.length === 0) {
        // The lookup is in use from now on, even over an empty log: writers keep it current.
        if (mark === 0) {
          await trx
            .insertInto('prediction_log_ids_mark')
            .values({ name: 'requests', log_id: 0 })
            .onConflict((oc) => oc.column('name').doNothing())
            .execute();
        }
        return 0;
      }
      const pairs: { hash: number; log_id: number }[] = [];
      for (const r of rows) {
        pairs.push({ hash: idHash('r', r.request_id), log_id: Number(r.id) });
        if (r.prediction_key !== null)
          pairs.push({ hash: idHash('k', r.prediction_key), log_id: Number(r.id) });
      }
      // Sorted, consecutive inserts touch each index page once.
      pairs.sort((x, y) => x.hash - y.hash);
      for (let start = 0; start < pairs.length; start += INSERT_CHUNK) {
        await trx
          .insertInto('prediction_log_ids')
          .values(pairs.slice(start, start + INSERT_CHUNK))
          .execute();
      }
      const last = Number(rows[rows.length - 1].id);
      await trx
        .insertInto('prediction_log_ids_mark')
        .values({ name: 'requests', log_id: last })
        .onConflict((oc) => oc.column('name').doUpdateSet({ log_id: last }))
        .execute();
      return rows.length;
    });
  }

  async attachLabels(items: readonly LabelItem[], at: number): Promise<AttachResult> {
    // Bring the id lookup up to date first, so the rows still read one by one are few.
    while ((await this.indexIds()) === INDEX_IDS_CHUNK) {}
    const unknown: number[] = [];
    let matched = 0;
    let rows = 0;
    await this.#db.transaction().execute(async (trx) => {
      const mark = await markOf(trx);
      // Rows written since (by a writer thread, say): looked up by reading them.
      const tail = new Map<string, number[]>();
      for (const r of await trx
        .selectFrom('prediction_log')
        .select(['id', 'request_id', 'prediction_key', 'row_index'])
        .where('id', '>', mark)
        .execute()) {
        const keys = [`r\u0000${r.request_id}\u0000${r.row_index}`];
        if (r.prediction_key !== null) keys.push(`k\u0000${r.prediction_key}\u0000${r.row_index}`);
        for (const k of keys) tail.set(k, [...(tail.get(k) ?? []), Number(r.id)]);
      }
      for (let i = 0; i < items.length; i++) {
        const item = items[i];
        const kind = item.by === 'request' ? 'r' : 'k';
        const found = await trx
          .selectFrom('prediction_log_ids as i')
          .innerJoin('prediction_log as p', 'p.id', 'i.log_id')
          .select('p.id')
          .where('i.hash', '=', idHash(kind, item.id))
          .where(item.by === 'request' ? 'p.request_id' : 'p.prediction_key', '=', item.id)
          .where('p.row_index', '=', item.row)
          .execute();
        const ids = [
          ...found.map((f) => Number(f.id)),
          ...(tail.get(`${kind}\u0000${item.id}\u0000${item.row}`) ?? []),
        ];
        if (ids.length === 0) {
          unknown.push(i);
          continue;
        }
        await trx
          .updateTable('prediction_log')
          .set({ label_json: item.labelJson, labelled_at: at })
          .where('id', 'in', ids)
          .execute();
        matched++;
        rows += ids.length;
      }
    });
    return { matched, rows, unknown };
  }

  async deleteBefore(cutoff: number): Promise<number> {
    let total = 0;
    const below = await this.#firstIdAt(cutoff + ORDER_SLACK_MS);
    for (;;) {
      const result = await this.#db
        .deleteFrom('prediction_log')
        .where(
          'id',
          'in',
          this.#db
            .selectFrom('prediction_log')
            .select('id')
            .where('id', '<', below)
            .where('at', '<', cutoff)
            .limit(DELETE_CHUNK),
        )
        .executeTakeFirst();
      const n = Number(result.numDeletedRows);
      total += n;
      if (n < DELETE_CHUNK) break;
    }
    // Lookup entries of deleted rows: every id below the oldest row left is gone.
    const oldest = await this.#db
      .selectFrom('prediction_log')
      .select((eb) => eb.fn.min('id').as('id'))
      .executeTakeFirst();
    const floor = oldest?.id == null ? Number.MAX_SAFE_INTEGER : Number(oldest.id);
    await this.#db.deleteFrom('prediction_log_ids').where('log_id', '<', floor).execute();
    return total;
  }

  async latencies(query: PredictionLogQuery): Promise<Float64Array> {
    const rows = await (await this.#bounded(query))
      .select('prediction_log.latency_ms')
      .where('prediction_log.row_index', '=', 0)
      .execute();
    return Float64Array.from(rows, (r) => Number(r.latency_ms));
  }

  async activeVersions(since: number): Promise<{ model: string; version: number; rows: number }[]> {
    const rows = await this.#db
      .selectFrom('prediction_log')
      .innerJoin('prediction_log_streams as s', 's.id', 'prediction_log.stream_id')
      .select(['s.model', 's.version', (eb) => eb.fn.countAll<number>().as('n')])
      .where('prediction_log.id', '>=', await this.#firstIdAt(since - ORDER_SLACK_MS))
      .where('prediction_log.at', '>=', since)
      .groupBy(['s.model', 's.version'])
      .orderBy('s.model')
      .orderBy('s.version')
      .execute();
    return rows.map((r) => ({ model: r.model, version: Number(r.version), rows: Number(r.n) }));
  }

  /** `#filtered`, with an id bound standing in for an index on `at` when no model is given. */
  async #bounded(query: PredictionLogQuery): Promise<SelectQueryBuilder<Database, 'prediction_log', object>> {
    let q = this.#filtered(query);
    if (query.model == null && query.since != null) {
      q = q.where('prediction_log.id', '>=', await this.#firstIdAt(query.since - ORDER_SLACK_MS));
    }
    return q;
  }

  /** The smallest id whose row is at or after `t` (one past the last id when none is). */
  async #firstIdAt(t: number): Promise<number> {
    const ends = await this.#db
      .selectFrom('prediction_log')
      .select((eb) => [eb.fn.min('id').as('lo'), eb.fn.max('id').as('hi')])
      .executeTakeFirst();
    if (ends?.lo == null || ends.hi == null) return 0;
    let lo = Number(ends.lo);
    let hi = Number(ends.hi) + 1;
    // Invariant: rows below `lo` are before `t`; the row at or after `hi` (if any) is not.
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const row = await this.#db
        .selectFrom('prediction_log')
        .select(['id', 'at'])
        .where('id', '>=', mid)
        .orderBy('id')
        .limit(1)
        .executeTakeFirst();
      if (!row || Number(row.id) >= hi) hi = mid;
      else if (Number(row.at) < t) lo = Number(row.id) + 1;
      else hi = mid;
    }
    return lo;
  }

  #filtered(query: PredictionLogQuery): SelectQueryBuilder<Database, 'prediction_log', object> {
    let q = this.#db.selectFrom('prediction_log');
    if (query.model != null || query.version != null || query.deployment != null) {
      // The streams (model versions as called) that match, then the window index on (stream, at).
      let streams = this.#db.selectFrom('prediction_log_streams').select('id');
      if (query.model != null) streams = streams.where('model', '=', query.model);
      if (query.version != null) streams = streams.where('version', '=', query.version);
      if (query.deployment != null) streams = streams.where('deployment', '=', query.deployment);
      q = q.where('prediction_log.stream_id', 'in', streams);
    }
    if (query.since != null) q = q.where('prediction_log.at', '>=', query.since);
    if (query.until != null) q = q.where('prediction_log.at', '<', query.until);
    if (query.labelled === true) q = q.where('prediction_log.label_json', 'is not', null);
    if (query.labelled === false) q = q.where('prediction_log.label_json', 'is', null);
    if (query.afterId != null) q = q.where('prediction_log.id', '>', query.afterId);
    return q;
  }
}

function toTable(r: NewPredictionLogRow, layoutId: number, streamId: number) {
  return {
    stream_id: streamId,
    request_id: r.requestId,
    row_index: r.row,
    prediction_key: r.predictionKey,
    at: r.at,
    latency_ms: r.latencyMs,
    layout_id: layoutId,
    features: r.features,
    outputs: r.outputs,
  };
}

function fromTable(
  r: Selectable<PredictionLogTable> & Omit<Selectable<PredictionLogStreamTable>, 'id'>,
): PredictionLogRow {
  return {
    id: Number(r.id),
    requestId: r.request_id,
    row: Number(r.row_index),
    predictionKey: r.prediction_key,
    at: Number(r.at),
    model: r.model,
    version: Number(r.version),
    deployment: r.deployment,
    protocol: r.protocol,
    latencyMs: Number(r.latency_ms),
    layoutId: Number(r.layout_id),
    features: r.features,
    outputs: r.outputs,
    labelJson: r.label_json,
    labelledAt: r.labelled_at === null ? null : Number(r.labelled_at),
  };
}

/** The id of a stream, added if new (under the transaction's write lock). */
async function streamIdOf(db: Kysely<Database>, s: LogStream): Promise<number> {
  let q = db
    .selectFrom('prediction_log_streams')
    .select('id')
    .where('model', '=', s.model)
    .where('version', '=', s.version)
    .where('protocol', '=', s.protocol);
  q = s.deployment === null ? q.where('deployment', 'is', null) : q.where('deployment', '=', s.deployment);
  const found = await q.orderBy('id').limit(1).executeTakeFirst();
  if (found) return Number(found.id);
  const added = await db
    .insertInto('prediction_log_streams')
    .values({ model: s.model, version: s.version, deployment: s.deployment, protocol: s.protocol })
    .executeTakeFirstOrThrow();
  return Number(added.insertId);
}

async function markOf(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('prediction_log_ids_mark')
    .select('log_id')
    .where('name', '=', 'requests')
    .executeTakeFirst();
  return row ? Number(row.log_id) : 0;
}
