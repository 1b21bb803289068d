import type { Kysely, Selectable } from 'kysely';
import type {
  MonitoringStore,
  NewResult,
  ReferenceRecord,
  ResultKind,
  ResultQuery,
  ResultRecord,
  TrafficRow,
  TrafficTotals,
} from '../monitoring-store.js';
import type { Database, MonitoringResultTable } from '../schema.js';

/** MonitoringStore over Kysely. */
export class KyselyMonitoringStore implements MonitoringStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async putReference(input: ReferenceRecord): Promise<void> {
    await this.#db
      .insertInto('monitoring_references')
      .values({
        model: input.model,
        version: input.version,
        created_at: input.createdAt,
        source_json: input.sourceJson,
        profile_json: input.profileJson,
      })
      .onConflict((oc) =>
        oc.columns(['model', 'version']).doUpdateSet({
          created_at: input.createdAt,
          source_json: input.sourceJson,
          profile_json: input.profileJson,
        }),
      )
      .execute();
  }

  async getReference(model: string, version: number): Promise<ReferenceRecord | null> {
    const row = await this.#db
      .selectFrom('monitoring_references')
      .selectAll()
      .where('model', '=', model)
      .where('version', '=', version)
      .executeTakeFirst();
    return row
      ? {
          model: row.model,
          version: Number(row.version),
          createdAt: Number(row.created_at),
          sourceJson: row.source_json,
          profileJson: row.profile_json,
        }
      : null;
  }

  async listReferences(model: string | null): Promise<Omit<ReferenceRecord, 'profileJson'>[]> {
    let q = this.#db
      .selectFrom('monitoring_references')
      .select(['model', 'version', 'created_at', 'source_json']);
    if (model !== null) q = q.where('model', '=', model);
    const rows = await q.orderBy('model').orderBy('version').execute();
    return rows.map((r) => ({
      model: r.model,
      version: Number(r.version),
      createdAt: Number(r.created_at),
      sourceJson: r.source_json,
    }));
  }

  async appendResult(input: NewResult): Promise<ResultRecord> {
    const row = await this.#db
      .insertInto('monitoring_results')
      .values({
        at: input.at,
        model: input.model,
        version: input.version,
        kind: input.kind,
        window_start: input.windowStart,
        window_end: input.windowEnd,
        rows: input.rows,
        result_json: input.resultJson,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { ...input, id: Number(row.id) };
  }

  async listResults(query: ResultQuery): Promise<ResultRecord[]> {
    let q = this.#db.selectFrom('monitoring_results').selectAll();
    if (query.model != null) q = q.where('model', '=', query.model);
    if (query.version != null) q = q.where('version', '=', query.version);
    if (query.kind != null) q = q.where('kind', '=', query.kind);
    if (query.since != null) q = q.where('at', '>=', query.since);
    q = q.orderBy('id', 'desc');
    if (query.limit != null) q = q.limit(query.limit);
    return (await q.execute()).map(toResult);
  }

  async latestResults(): Promise<ResultRecord[]> {
    const latest = this.#db
      .selectFrom('monitoring_results')
      .select((eb) => eb.fn.max('id').as('id'))
      .groupBy(['model', 'version', 'kind']);
    const rows = await this.#db
      .selectFrom('monitoring_results')
      .selectAll()
      .where('id', 'in', latest)
      .orderBy('model')
      .orderBy('version')
      .orderBy('kind')
      .execute();
    return rows.map(toResult);
  }

  async deleteResultsBefore(cutoff: number): Promise<number> {
    const r = await this.#db.deleteFrom('monitoring_results').where('at', '<', cutoff).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async upsertTraffic(rows: readonly TrafficRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.#db.transaction().execute(async (trx) => {
      for (const r of rows) {
        const values = { requests: r.requests, errors: r.errors, client_errors: r.clientErrors };
        await trx
          .insertInto('monitoring_traffic')
          .values({ process: r.process, model: r.model, version: r.version, bucket: r.bucket, ...values })
          .onConflict((oc) => oc.columns(['process', 'model', 'version', 'bucket']).doUpdateSet(values))
          .execute();
      }
    });
  }

  async trafficSince(model: string, version: number | null, since: number): Promise<TrafficTotals> {
    let q = this.#db
      .selectFrom('monitoring_traffic')
      .select((eb) => [
        eb.fn.sum<number>('requests').as('requests'),
        eb.fn.sum<number>('errors').as('errors'),
        eb.fn.sum<number>('client_errors').as('client_errors'),
      ])
      .where('model', '=', model)
      .where('bucket', '>=', since);
    if (version !== null) q = q.where('version', '=', version);
    const row = await q.executeTakeFirstOrThrow();
    return {
      requests: Number(row.requests ?? 0),
      errors: Number(row.errors ?? 0),
      clientErrors: Number(row.client_errors ?? 0),
    };
  }

  async acquireLease(name: string, owner: string, until: number, now: number): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('monitoring_leases')
        .selectAll()
        .where('name', '=', name)
        .executeTakeFirst();
      if (!row) {
        await trx.insertInto('monitoring_leases').values({ name, owner, until }).execute();
        return true;
      }
      if (row.owner !== owner && Number(row.until) > now) return false;
      await trx.updateTable('monitoring_leases').set({ owner, until }).where('name', '=', name).execute();
      return true;
    });
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    await this.#db
      .deleteFrom('monitoring_leases')
      .where('name', '=', name)
      .where('owner', '=', owner)
      .execute();
  }
}

function toResult(r: Selectable<MonitoringResultTable>): ResultRecord {
  return {
    id: Number(r.id),
    at: Number(r.at),
    model: r.model,
    version: Number(r.version),
    kind: r.kind as ResultKind,
    windowStart: Number(r.window_start),
    windowEnd: Number(r.window_end),
    rows: Number(r.rows),
    resultJson: r.result_json,
  };
}
