/**
 * Alert rules: what to measure for which model, the condition, how long to stay quiet after
 * firing, and where to say so. Rules come from the API (JSON), the CLI's flags, or YAML files:
 *
 * ```yaml
 * rules:
 *   - name: fraud-drift
 *     model: fraud            # every version with traffic; fraud:3 or fraud@champion for one
 *     metric: drift_share     # drift_share, feature_drift, prediction_drift_share, quality, latency, error_rate
 *     op: ">="
 *     threshold: 0.5
 *     window: 1h
 *     cooldown: 30m
 *     severity: warning
 *     notify:
 *       - { url: "https://hooks.slack.com/services/…", format: slack }
 *       - { url: "https://ops.example.com/hooks/slipway" }
 *     action: { url: "https://ci.example.com/retrain/fraud" }
 * ```
 */
import { parse as parseYaml } from 'yaml';
import { SlipwayError } from '../../core/errors.js';
import { isQualityMetric, type QualityMetric } from '../live-quality/quality-metrics.js';
import { formatDuration, parseDuration } from '../window/duration.js';
import {
  ALERT_SEVERITIES,
  type AlertSeverity,
  WEBHOOK_FORMATS,
  type WebhookTarget,
} from './webhook-notifier.js';

export const ALERT_METRICS = [
  /** Share of features that drifted (0 to 1). */
  'drift_share',
  /** One feature's drift statistic (`feature` names it). */
  'feature_drift',
  /** Share of output columns that drifted. */
  'prediction_drift_share',
  /** A live-quality metric (`quality` names it: accuracy, roc_auc, rmse…). */
  'quality',
  /** A percentile of request latency in milliseconds (`percentile`, default 99). */
  'latency',
  /** Share of requests answered with a 5xx status. */
  'error_rate',
] as const;
export type AlertMetric = (typeof ALERT_METRICS)[number];

export const ALERT_OPERATORS = ['>', '>=', '<', '<='] as const;
export type AlertOperator = (typeof ALERT_OPERATORS)[number];

export interface AlertRule {
  name: string;
  /** A model reference: a bare name covers every version with traffic in the window. */
  model: string;
  metric: AlertMetric;
  feature: string | null;
  quality: QualityMetric | null;
  percentile: number | null;
  op: AlertOperator;
  threshold: number;
  /** How far back each evaluation looks (ms). */
  windowMs: number;
  /** Fewer rows (or labels, or requests) than this in the window: no verdict. */
  minSamples: number;
  /** After firing, the rule stays quiet this long (ms) while the condition holds. */
  cooldownMs: number;
  severity: AlertSeverity;
  notify: WebhookTarget[];
  /** A webhook called when the rule fires (to start retraining, say), beside the notifications. */
  action: WebhookTarget | null;
  description: string | null;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Checks and normalises a rule given as JSON or YAML (snake_case or camelCase keys). */
export function parseAlertRule(raw: unknown, where = 'alert rule'): AlertRule {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw invalid(`${where}: expected an object`);
  const r = raw as Record<string, unknown>;
  const get = (snake: string, camel = snake.replace(/_(.)/g, (_, c: string) => c.toUpperCase())) =>
    r[snake] ?? r[camel];
  const name = String(get('name') ?? '');
  if (!NAME.test(name))
    throw invalid(`${where}: "name" must be 1-128 letters, digits, "-", "_" or ".", got "${name}"`);
  const at = `alert rule "${name}"`;
  const model = get('model');
  if (typeof model !== 'string' || model === '')
    throw invalid(`${at}: "model" must be a model reference (name, name:3, name@alias)`);
  const metric = get('metric');
  if (!ALERT_METRICS.includes(metric as AlertMetric)) {
    throw invalid(
      `${at}: "metric" must be one of ${ALERT_METRICS.join(', ')}, got ${JSON.stringify(metric)}`,
    );
  }
  const op = get('op') ?? get('operator') ?? '>';
  if (!ALERT_OPERATORS.includes(op as AlertOperator)) {
    throw invalid(`${at}: "op" must be one of ${ALERT_OPERATORS.join(' ')}, got ${JSON.stringify(op)}`);
  }
  const threshold = Number(get('threshold'));
  if (get('threshold') === undefined || !Number.isFinite(threshold)) {
    throw invalid(`${at}: "threshold" must be a number, got ${JSON.stringify(get('threshold'))}`);
  }
  const feature = get('feature');
  if (metric === 'feature_drift' && (typeof feature !== 'string' || feature === '')) {
    throw invalid(`${at}: metric feature_drift needs "feature", the column to watch`);
  }
  const quality = get('quality') ?? (metric === 'quality' ? get('quality_metric') : undefined);
  if (metric === 'quality' && !(typeof quality === 'string' && isQualityMetric(quality))) {
    throw invalid(
      `${at}: metric quality needs "quality", one of accuracy, precision, recall, f1, roc_auc, log_loss, mae, rmse, mape, r2`,
    );
  }
  const percentile = metric === 'latency' ? Number(get('percentile') ?? 99) : null;
  if (percentile !== null && !(percentile > 0 && percentile <= 100)) {
    throw invalid(`${at}: "percentile" must be above 0 and at most 100, got ${get('percentile')}`);
  }
  const severity = get('severity') ?? 'warning';
  if (!ALERT_SEVERITIES.includes(severity as AlertSeverity)) {
    throw invalid(`${at}: "severity" must be one of ${ALERT_SEVERITIES.join(', ')}`);
  }
  const minSamples = Number(get('min_samples') ?? defaultMinSamples(metric as AlertMetric));
  if (!Number.isSafeInteger(minSamples) || minSamples < 1) {
    throw invalid(`${at}: "min_samples" must be a whole number ≥ 1`);
  }
  const notifyRaw = get('notify') ?? [];
  if (!Array.isArray(notifyRaw)) throw invalid(`${at}: "notify" must be a list of webhooks`);
  const actionRaw = get('action') ?? null;
  return {
    name,
    model,
    metric: metric as AlertMetric,
    feature: metric === 'feature_drift' ? (feature as string) : null,
    quality: metric === 'quality' ? (quality as QualityMetric) : null,
    percentile,
    op: op as AlertOperator,
    threshold,
    windowMs: durationOf(get('window') ?? '1h', `${at} "window"`),
    minSamples,
    cooldownMs: durationOf(get('cooldown') ?? '1h', `${at} "cooldown"`),
    severity: severity as AlertSeverity,
    notify: notifyRaw.map((t, i) => webhookOf(t, `${at} notify[${i}]`)),
    action: actionRaw === null ? null : webhookOf(actionRaw, `${at} action`),
    description: typeof get('description') === 'string' ? (get('description') as string) : null,
  };
}

/** A YAML (or JSON) document of rules: a list, `{rules: [...]}`, or one rule. */
export function parseAlertRules(text: string, where = 'alert rules'): AlertRule[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw invalid(`${where}: not YAML (${err instanceof Error ? err.message : String(err)})`);
  }
  const list = Array.isArray(doc)
    ? doc
    : typeof doc === 'object' && doc !== null && Array.isArray((doc as { rules?: unknown }).rules)
      ? (doc as { rules: unknown[] }).rules
      : [doc];
  return list.map((r, i) => parseAlertRule(r, `${where}[${i}]`));
}

/**
 * The rule as it is stored (`redact` false) and shown (header values, which carry receivers'
 * secrets, replaced by "***"), durations back in their short form.
 */
export function alertRuleJson(rule: AlertRule, options: { redact?: boolean } = {}): Record<string, unknown> {
  const hide = (t: WebhookTarget): WebhookTarget =>
    options.redact && t.headers
      ? { ...t, headers: Object.fromEntries(Object.keys(t.headers).map((k) => [k, '***'])) }
      : t;
  return {
    name: rule.name,
    model: rule.model,
    metric: rule.metric,
    ...(rule.feature !== null ? { feature: rule.feature } : {}),
    ...(rule.quality !== null ? { quality: rule.quality } : {}),
    ...(rule.percentile !== null ? { percentile: rule.percentile } : {}),
    op: rule.op,
    threshold: rule.threshold,
    window: formatDuration(rule.windowMs),
    min_samples: rule.minSamples,
    cooldown: formatDuration(rule.cooldownMs),
    severity: rule.severity,
    notify: rule.notify.map(hide),
    action: rule.action === null ? null : hide(rule.action),
    description: rule.description,
  };
}

export function breaches(rule: Pick<AlertRule, 'op' | 'threshold'>, value: number): boolean {
  switch (rule.op) {
    case '>':
      return value > rule.threshold;
    case '>=':
      return value >= rule.threshold;
    case '<':
      return value < rule.threshold;
    case '<=':
      return value <= rule.threshold;
  }
}

function defaultMinSamples(metric: AlertMetric): number {
  return metric === 'quality' || metric === 'latency' || metric === 'error_rate' ? 20 : 1;
}

function durationOf(v: unknown, what: string): number {
  try {
    return parseDuration(typeof v === 'number' ? v : String(v), what);
  } catch (err) {
    throw invalid((err as Error).message);
  }
}

function webhookOf(raw: unknown, where: string): WebhookTarget {
  const t = typeof raw === 'string' ? { url: raw } : raw;
  if (typeof t !== 'object' || t === null) throw invalid(`${where}: expected {url, format?, headers?}`);
  const { url, format = 'json', headers } = t as Record<string, unknown>;
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    throw invalid(`${where}: "url" must be an http(s) URL, got ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw invalid(`${where}: "url" must be http or https, got ${parsed.protocol}`);
  }
  if (!WEBHOOK_FORMATS.includes(format as never)) {
    throw invalid(`${where}: "format" must be one of ${WEBHOOK_FORMATS.join(', ')}`);
  }
  if (
    headers !== undefined &&
    (typeof headers !== 'object' ||
      headers === null ||
      Object.values(headers).some((h) => typeof h !== 'string'))
  ) {
    throw invalid(`${where}: "headers" must map names to strings`);
  }
  return {
    url: parsed.href,
    format: format as WebhookTarget['format'],
    ...(headers ? { headers: headers as Record<string, string> } : {}),
  };
}

function invalid(message: string): SlipwayError {
  return new SlipwayError('MONITORING_INVALID_ALERT', message);
}
