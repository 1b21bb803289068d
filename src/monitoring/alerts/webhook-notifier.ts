/**
 * Posts alerts to HTTP webhooks: a generic JSON body for any receiver (Alertmanager-style
 * automations, PagerDuty Events proxies, your own service) or Slack's incoming-webhook body
 * (`text` plus Block Kit `blocks`, https://api.slack.com/messaging/webhooks), which Mattermost and
 * Discord's Slack-compatible endpoints accept too.
 *
 * Delivery never throws and never blocks the caller's decision: each target gets a bounded number
 * of attempts with a timeout each, retried on network errors, 429 and 5xx (not on other 4xx, which
 * a retry will not fix), and the result of every target is returned for the caller to record.
 */

export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export interface Alert {
  /** One line: what happened (`rollout of fraud rolled back`). */
  title: string;
  severity: AlertSeverity;
  /** The part of slipway that raised it (`deployments`, `monitoring.drift`). */
  source: string;
  /** What it is about (`deployment fraud`, `model fraud:4`). */
  subject: string;
  /** A sentence or two: why, with the numbers. */
  summary: string;
  /** Anything structured a receiver may use (ids, versions, measured values). */
  details: Record<string, unknown>;
  /** Milliseconds since the epoch. */
  at: number;
}

export const WEBHOOK_FORMATS = ['json', 'slack'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export interface WebhookTarget {
  url: string;
  format: WebhookFormat;
  /** Extra request headers (an Authorization for the receiver, say). */
  headers?: Record<string, string>;
}

export interface NotifyResult {
  url: string;
  ok: boolean;
  /** The last HTTP status, or null when no answer came. */
  status: number | null;
  error: string | null;
  attempts: number;
}

export interface WebhookNotifierOptions {
  /** Per attempt (default 5000). */
  timeoutMs?: number;
  /** Attempts after the first (default 2). */
  retries?: number;
  /** Wait before the first retry, doubled for each next one (default 250). */
  backoffMs?: number;
  /** Only for receivers that need another client; defaults to the global fetch. */
  fetch?: typeof fetch;
}

export class WebhookNotifier {
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #backoffMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: WebhookNotifierOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#retries = options.retries ?? 2;
    this.#backoffMs = options.backoffMs ?? 250;
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  /** Sends `alert` to every target at once; resolves when each has succeeded or given up. */
  notify(alert: Alert, targets: readonly WebhookTarget[]): Promise<NotifyResult[]> {
    return Promise.all(targets.map((t) => this.#deliver(alert, t)));
  }

  async #deliver(alert: Alert, target: WebhookTarget): Promise<NotifyResult> {
    const body = JSON.stringify(target.format === 'slack' ? slackAlertBody(alert) : jsonAlertBody(alert));
    let status: number | null = null;
    let error: string | null = null;
    let attempts = 0;
    for (let attempt = 0; attempt <= this.#retries; attempt++) {
      if (attempt > 0) await sleep(this.#backoffMs * 2 ** (attempt - 1));
      attempts++;
      try {
        const res = await this.#fetch(target.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...target.headers },
          body,
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
        status = res.status;
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return { url: target.url, ok: true, status, error: null, attempts };
        error = `HTTP ${res.status}`;
        if (res.status !== 429 && res.status < 500) break;
      } catch (err) {
        status = null;
        error = err instanceof Error ? err.message : String(err);
      }
    }
    return { url: target.url, ok: false, status, error, attempts };
  }
}

/** The generic body: the alert as it is, under a versioned envelope. */
export function jsonAlertBody(alert: Alert): Record<string, unknown> {
  return {
    version: 1,
    kind: 'slipway.alert',
    alert: { ...alert, atIso: new Date(alert.at).toISOString() },
  };
}

const SEVERITY_MARK: Record<AlertSeverity, string> = {
  info: ':information_source:',
  warning: ':warning:',
  critical: ':rotating_light:',
};

/** Slack's incoming-webhook body: `text` is the notification fallback, `blocks` the message. */
export function slackAlertBody(alert: Alert): Record<string, unknown> {
  const text = `${SEVERITY_MARK[alert.severity]} [${alert.severity}] ${alert.title}`;
  const facts = Object.entries(alert.details)
    .filter(([, v]) => v === null || ['string', 'number', 'boolean'].includes(typeof v))
    .slice(0, 10)
    .map(([k, v]) => ({ type: 'mrkdwn', text: `*${k}*\n${String(v)}` }));
  const blocks: Record<string, unknown>[] = [
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `*${escapeSlack(text)}*\n${escapeSlack(alert.summary)}` },
    },
  ];
  if (facts.length > 0) blocks.push({ type: 'section', fields: facts });
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `${escapeSlack(alert.source)} · ${escapeSlack(alert.subject)} · ${new Date(alert.at).toISOString()}`,
      },
    ],
  });
  return { text: `${text}: ${alert.summary}`, blocks };
}

/** Slack mrkdwn treats &, < and > as control characters (https://api.slack.com/reference/surfaces/formatting#escaping). */
function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
