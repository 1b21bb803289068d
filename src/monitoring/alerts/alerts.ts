/**
 * Alert rules as a library: add (from JSON, flags or YAML), list, remove, history and evaluate.
 * The CLI (`slipway alerts ...`) and the HTTP API (`/api/v1/alerts`) are translations of these calls.
 */
import type { Clock } from '../../core/clock.js';
import { SlipwayError } from '../../core/errors.js';
import type { AlertEventRecord, AlertRuleRecord, AlertStore } from '../../store/alert-store.js';
import type { AlertEvaluator, AlertOutcome } from './alert-evaluator.js';
import { type AlertRule, alertRuleJson, parseAlertRule, parseAlertRules } from './alert-rule.js';

export interface AlertView {
  rule: Record<string, unknown>;
  state: {
    firing: boolean;
    last_value: number | null;
    last_evaluated_at: number | null;
    last_fired_at: number | null;
  };
  created_at: number;
  updated_at: number;
}

export interface AlertEventView {
  id: number;
  rule: string;
  at: number;
  kind: 'fired' | 'resolved';
  value: number | null;
  message: string;
  details: Record<string, unknown>;
  deliveries: unknown[];
}

export class Alerts {
  readonly #store: AlertStore;
  readonly #evaluator: AlertEvaluator;
  readonly #clock: Clock;

  constructor(deps: { store: AlertStore; evaluator: AlertEvaluator; clock: Clock }) {
    this.#store = deps.store;
    this.#evaluator = deps.evaluator;
    this.#clock = deps.clock;
  }

  /** Adds or replaces a rule (its firing state is kept when it existed). */
  async put(raw: unknown): Promise<AlertView> {
    const rule = parseAlertRule(raw);
    return this.#put(rule);
  }

  /** Every rule of a YAML (or JSON) document, checked all before any is stored. */
  async putYaml(text: string, where?: string): Promise<AlertView[]> {
    const rules = parseAlertRules(text, where);
    const names = rules.map((r) => r.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup !== undefined)
      throw new SlipwayError(
        'MONITORING_INVALID_ALERT',
        `${where ?? 'alert rules'}: rule "${dup}" is given twice`,
      );
    const out: AlertView[] = [];
    for (const rule of rules) out.push(await this.#put(rule));
    return out;
  }

  async list(): Promise<AlertView[]> {
    return (await this.#store.listRules()).map(view);
  }

  async get(name: string): Promise<AlertView> {
    const record = await this.#store.getRule(name);
    if (!record) throw notFound(name);
    return view(record);
  }

  async remove(name: string): Promise<void> {
    if (!(await this.#store.deleteRule(name))) throw notFound(name);
  }

  /** Firings and resolutions, newest first. */
  async history(query: { rule?: string | null; limit?: number | null } = {}): Promise<AlertEventView[]> {
    return (await this.#store.listEvents({ rule: query.rule ?? null, limit: query.limit ?? 100 })).map(
      eventView,
    );
  }

  /** Evaluates every rule now (the scheduler does this each interval). */
  evaluate(): Promise<AlertOutcome[]> {
    return this.#evaluator.evaluateAll();
  }

  async #put(rule: AlertRule): Promise<AlertView> {
    return view(await this.#store.putRule(rule.name, JSON.stringify(alertRuleJson(rule)), this.#clock.now()));
  }
}

function view(record: AlertRuleRecord): AlertView {
  return {
    rule: alertRuleJson(parseAlertRule(JSON.parse(record.specJson)), { redact: true }),
    state: {
      firing: record.firing,
      last_value: record.lastValue,
      last_evaluated_at: record.lastEvaluatedAt,
      last_fired_at: record.lastFiredAt,
    },
    created_at: record.createdAt,
    updated_at: record.updatedAt,
  };
}

function eventView(e: AlertEventRecord): AlertEventView {
  return {
    id: e.id,
    rule: e.rule,
    at: e.at,
    kind: e.kind,
    value: e.value,
    message: e.message,
    details: JSON.parse(e.detailsJson),
    deliveries: JSON.parse(e.deliveriesJson),
  };
}

function notFound(name: string): SlipwayError {
  return new SlipwayError('MONITORING_ALERT_NOT_FOUND', `no alert rule is named "${name}"`);
}
