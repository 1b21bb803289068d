/**
 * Evaluates alert rules: measures each rule's metric for every model version it covers, and
 * decides — with the rule's state in the store — whether to fire, stay quiet, or resolve.
 *
 * Firing: the condition holds for at least one version (the worst one is reported). A rule fires
 * when it was not firing, or when its cooldown has passed since it last fired and the condition
 * still holds (a reminder); in between it stays quiet. The decision to fire is a compare-and-set
 * on the rule's last firing time (`AlertStore.claimFiring`), so two processes evaluating at once
 * never both notify. When the condition no longer holds anywhere, a firing rule resolves and its
 * notification targets hear so. With too few samples (rows, labels, requests) nothing changes.
 *
 * Every firing and resolution is kept in the rule's history with the result of each delivery.
 */
import type { Clock } from '../../core/clock.js';
import type { AlertRuleRecord, AlertStore } from '../../store/alert-store.js';
import { type AlertRule, breaches, parseAlertRule } from './alert-rule.js';
import type { Alert, NotifyResult, WebhookNotifier } from './webhook-notifier.js';

export interface AlertMeasurement {
  model: string;
  version: number;
  value: number;
  /** Rows, labels or requests the value stands on. */
  samples: number;
  details?: Record<string, unknown>;
}

/** Measures a rule's metric over `[since, until)` for each version the rule covers. */
export interface AlertMeasurer {
  measure(rule: AlertRule, since: number, until: number): Promise<AlertMeasurement[]>;
}

export const ALERT_OUTCOMES = ['fired', 'suppressed', 'resolved', 'ok', 'no_data', 'error'] as const;
export type AlertOutcomeStatus = (typeof ALERT_OUTCOMES)[number];

export interface AlertOutcome {
  rule: string;
  status: AlertOutcomeStatus;
  value: number | null;
  model: string | null;
  version: number | null;
  deliveries: NotifyResult[];
  error: string | null;
}

export class AlertEvaluator {
  readonly #store: AlertStore;
  readonly #measurer: AlertMeasurer;
  readonly #notifier: WebhookNotifier;
  readonly #clock: Clock;

  constructor(deps: { store: AlertStore; measurer: AlertMeasurer; notifier: WebhookNotifier; clock: Clock }) {
    this.#store = deps.store;
    this.#measurer = deps.measurer;
    this.#notifier = deps.notifier;
    this.#clock = deps.clock;
  }

  /** Every rule, one after another; a rule that fails to evaluate does not stop the others. */
  async evaluateAll(): Promise<AlertOutcome[]> {
    const out: AlertOutcome[] = [];
    for (const record of await this.#store.listRules()) out.push(await this.evaluate(record));
    return out;
  }

  async evaluate(record: AlertRuleRecord): Promise<AlertOutcome> {
    const now = this.#clock.now();
    let rule: AlertRule;
    let measured: AlertMeasurement[];
    try {
      rule = parseAlertRule(JSON.parse(record.specJson));
      measured = (await this.#measurer.measure(rule, now - rule.windowMs, now)).filter(
        (m) => Number.isFinite(m.value) && m.samples >= rule.minSamples,
      );
    } catch (err) {
      return outcome(record.name, 'error', null, { error: err instanceof Error ? err.message : String(err) });
    }
    if (measured.length === 0) {
      await this.#store.updateState(rule.name, { lastEvaluatedAt: now }, null);
      return outcome(rule.name, 'no_data', null);
    }
    const breaching = measured.filter((m) => breaches(rule, m.value));
    if (breaching.length > 0) {
      const worst = breaching.reduce((a, b) => (worse(rule, b.value, a.value) ? b : a));
      const due =
        !record.firing || record.lastFiredAt === null || now - record.lastFiredAt >= rule.cooldownMs;
      if (!due || !(await this.#store.claimFiring(rule.name, record.lastFiredAt, now))) {
        await this.#store.updateState(
          rule.name,
          { firing: true, lastEvaluatedAt: now, lastValue: worst.value },
          null,
        );
        return outcome(rule.name, 'suppressed', worst.value, { m: worst });
      }
      const alert = alertOf(rule, worst, 'fired', now);
      const deliveries = await this.#notifier.notify(
        alert,
        rule.action ? [...rule.notify, rule.action] : rule.notify,
      );
      await this.#store.updateState(
        rule.name,
        { firing: true, lastFiredAt: now, lastEvaluatedAt: now, lastValue: worst.value },
        {
          rule: rule.name,
          at: now,
          kind: 'fired',
          value: worst.value,
          message: alert.summary,
          detailsJson: JSON.stringify(alert.details),
          deliveriesJson: JSON.stringify(deliveries),
        },
      );
      return outcome(rule.name, 'fired', worst.value, { m: worst, deliveries });
    }
    const best = measured.reduce((a, b) => (worse(rule, b.value, a.value) ? b : a));
    const state = { lastEvaluatedAt: now, lastValue: best.value };
    if (!record.firing) {
      await this.#store.updateState(rule.name, state, null);
      return outcome(rule.name, 'ok', best.value, { m: best });
    }
    const alert = alertOf(rule, best, 'resolved', now);
    const deliveries = await this.#notifier.notify(alert, rule.notify);
    await this.#store.updateState(
      rule.name,
      { ...state, firing: false },
      {
        rule: rule.name,
        at: now,
        kind: 'resolved',
        value: best.value,
        message: alert.summary,
        detailsJson: JSON.stringify(alert.details),
        deliveriesJson: JSON.stringify(deliveries),
      },
    );
    return outcome(rule.name, 'resolved', best.value, { m: best, deliveries });
  }
}

/** True when `a` is further on the firing side than `b`. */
function worse(rule: AlertRule, a: number, b: number): boolean {
  return rule.op === '>' || rule.op === '>=' ? a > b : a < b;
}

function outcome(
  rule: string,
  status: AlertOutcomeStatus,
  value: number | null,
  extra: { m?: AlertMeasurement; deliveries?: NotifyResult[]; error?: string } = {},
): AlertOutcome {
  return {
    rule,
    status,
    value,
    model: extra.m?.model ?? null,
    version: extra.m?.version ?? null,
    deliveries: extra.deliveries ?? [],
    error: extra.error ?? null,
  };
}

export function metricText(rule: AlertRule): string {
  switch (rule.metric) {
    case 'feature_drift':
      return `drift of feature ${rule.feature}`;
    case 'quality':
      return `live ${rule.quality}`;
    case 'latency':
      return `p${rule.percentile} latency (ms)`;
    default:
      return rule.metric.replace(/_/g, ' ');
  }
}

function alertOf(rule: AlertRule, m: AlertMeasurement, event: 'fired' | 'resolved', at: number): Alert {
  const subject = `model ${m.model}:${m.version}`;
  const value = Number(m.value.toPrecision(6));
  const what = `${metricText(rule)} of ${m.model}:${m.version} is ${value}`;
  return {
    title:
      event === 'fired'
        ? `${rule.name}: ${what} (${rule.op} ${rule.threshold})`
        : `${rule.name} resolved: ${what}`,
    severity: event === 'fired' ? rule.severity : 'info',
    source: 'monitoring.alerts',
    subject,
    summary:
      event === 'fired'
        ? `${what}, over the last ${Math.round(rule.windowMs / 60_000)} min (${m.samples} samples): the rule fires when it is ${rule.op} ${rule.threshold}.`
        : `${what} over the last ${Math.round(rule.windowMs / 60_000)} min (${m.samples} samples), no longer ${rule.op} ${rule.threshold}.`,
    details: {
      event,
      rule: rule.name,
      metric: rule.metric,
      ...(rule.feature !== null ? { feature: rule.feature } : {}),
      ...(rule.quality !== null ? { quality: rule.quality } : {}),
      ...(rule.percentile !== null ? { percentile: rule.percentile } : {}),
      value: m.value,
      op: rule.op,
      threshold: rule.threshold,
      model: m.model,
      version: m.version,
      samples: m.samples,
      windowMs: rule.windowMs,
      cooldownMs: rule.cooldownMs,
      ...(m.details ?? {}),
    },
    at,
  };
}
