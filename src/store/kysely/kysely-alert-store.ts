import type { Kysely, Selectable, Updateable } from 'kysely';
import type {
  AlertEventRecord,
  AlertRuleRecord,
  AlertRuleState,
  AlertStore,
  NewAlertEvent,
} from '../alert-store.js';
import type { AlertEventTable, AlertRuleTable, Database } from '../schema.js';

/** AlertStore over Kysely. */
export class KyselyAlertStore implements AlertStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async putRule(name: string, specJson: string, at: number): Promise<AlertRuleRecord> {
    await this.#db
      .insertInto('alert_rules')
      .values({ name, spec_json: specJson, created_at: at, updated_at: at, firing: 0 })
      .onConflict((oc) => oc.column('name').doUpdateSet({ spec_json: specJson, updated_at: at }))
      .execute();
    return (await this.getRule(name))!;
  }

  async getRule(name: string): Promise<AlertRuleRecord | null> {
    const row = await this.#db
      .selectFrom('alert_rules')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return row ? toRule(row) : null;
  }

  async listRules(): Promise<AlertRuleRecord[]> {
    return (await this.#db.selectFrom('alert_rules').selectAll().orderBy('name').execute()).map(toRule);
  }

  async deleteRule(name: string): Promise<boolean> {
    const r = await this.#db.deleteFrom('alert_rules').where('name', '=', name).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async claimFiring(name: string, expectedLastFiredAt: number | null, at: number): Promise<boolean> {
    let q = this.#db
      .updateTable('alert_rules')
      .set({ last_fired_at: at, firing: 1 })
      .where('name', '=', name);
    q =
      expectedLastFiredAt === null
        ? q.where('last_fired_at', 'is', null)
        : q.where('last_fired_at', '=', expectedLastFiredAt);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async updateState(
    name: string,
    state: Partial<AlertRuleState>,
    event: NewAlertEvent | null,
  ): Promise<void> {
    const set: Updateable<AlertRuleTable> = {};
    if (state.firing !== undefined) set.firing = state.firing ? 1 : 0;
    if (state.lastValue !== undefined) set.last_value = state.lastValue;
    if (state.lastEvaluatedAt !== undefined) set.last_evaluated_at = state.lastEvaluatedAt;
    if (state.lastFiredAt !== undefined) set.last_fired_at = state.lastFiredAt;
    await this.#db.transaction().execute(async (trx) => {
      if (Object.keys(set).length > 0)
        await trx.updateTable('alert_rules').set(set).where('name', '=', name).execute();
      if (event) {
        await trx
          .insertInto('alert_events')
          .values({
            rule: event.rule,
            at: event.at,
            kind: event.kind,
            value: event.value,
            message: event.message,
            details_json: event.detailsJson,
            deliveries_json: event.deliveriesJson,
          })
          .execute();
      }
    });
  }

  async listEvents(query: { rule?: string | null; limit?: number | null }): Promise<AlertEventRecord[]> {
    let q = this.#db.selectFrom('alert_events').selectAll();
    if (query.rule != null) q = q.where('rule', '=', query.rule);
    q = q.orderBy('id', 'desc');
    if (query.limit != null) q = q.limit(query.limit);
    return (await q.execute()).map(toEvent);
  }
}

function toRule(r: Selectable<AlertRuleTable>): AlertRuleRecord {
  return {
    name: r.name,
    specJson: r.spec_json,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    firing: Number(r.firing) === 1,
    lastValue: r.last_value === null ? null : Number(r.last_value),
    lastEvaluatedAt: r.last_evaluated_at === null ? null : Number(r.last_evaluated_at),
    lastFiredAt: r.last_fired_at === null ? null : Number(r.last_fired_at),
  };
}

function toEvent(r: Selectable<AlertEventTable>): AlertEventRecord {
  return {
    id: Number(r.id),
    rule: r.rule,
    at: Number(r.at),
    kind: r.kind as AlertEventRecord['kind'],
    value: r.value === null ? null : Number(r.value),
    message: r.message,
    detailsJson: r.details_json,
    deliveriesJson: r.deliveries_json,
  };
}
