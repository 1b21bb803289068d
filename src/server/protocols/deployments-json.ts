import { SlipwayError } from '../../core/errors.js';
import {
  type DeploymentConfig,
  type DeploymentStatus,
  formatHold,
  type GateConfig,
  type GateReport,
  type RevisionRecord,
  type RolloutMargins,
  type RolloutRecord,
  type TrafficSummary,
  WEBHOOK_FORMATS,
  type WebhookConfig,
} from '../../index.js';

/**
 * The deployments API's wire format: records out as snake_case JSON like the rest of /api/v1,
 * request bodies in with one clear CORE_INVALID_ARGUMENT per bad field.
 */
export type Body = Record<string, unknown>;

export function revisionJson(r: RevisionRecord) {
  return {
    deployment: r.deployment,
    revision: r.revision,
    created_at: r.at,
    actor: r.actor,
    action: r.action,
    message: r.message,
    policy: r.spec.policy,
    targets: r.spec.targets.map((t) => ({
      model: t.model,
      role: t.role,
      weight: t.weight,
      version: r.resolved[t.model] ?? null,
    })),
    ab_key: r.spec.abKey,
    details: r.details,
  };
}

export function trafficJson(t: TrafficSummary) {
  return {
    requests: t.requests,
    errors: t.errors,
    client_errors: t.clientErrors,
    error_rate: t.errorRate,
    p50_ms: t.p50Ms,
    p99_ms: t.p99Ms,
    shadow: t.shadow
      ? {
          compared: t.shadow.compared,
          agreement_rate: t.shadow.agreementRate,
          mean_abs_delta: t.shadow.meanAbsDelta,
          max_abs_delta: t.shadow.maxAbsDelta,
          errors: t.shadow.errors,
          dropped: t.shadow.dropped,
        }
      : null,
  };
}

export function statusJson(s: DeploymentStatus) {
  return {
    name: s.name,
    live_revision: revisionJson(s.revision),
    description: s.description,
    targets: s.targets.map((t) => ({
      model: t.model,
      role: t.role,
      weight: t.weight,
      version: t.version,
      traffic: t.traffic.map((v) => ({ version: v.version, share: v.share, ...trafficJson(v) })),
      quality: t.quality,
    })),
    rollout: s.rollout ? rolloutJson(s.rollout) : null,
    config: configJson(s.config),
  };
}

export function rolloutJson(r: RolloutRecord) {
  return {
    id: r.id,
    deployment: r.deployment,
    state: r.state,
    candidate: r.spec.candidate,
    candidate_version: r.spec.candidateVersion,
    steps: r.spec.steps,
    step: r.stepIndex + 1,
    share: r.spec.steps[r.stepIndex],
    step_revision: r.stepRevision,
    step_started_at: r.stepStartedAt,
    hold: formatHold(r.spec.hold),
    margins: marginsJson(r.spec.margins),
    base_revision: r.baseRevision,
    reason: r.reason,
    actor: r.actor,
    created_at: r.at,
    updated_at: r.updatedAt,
  };
}

export function marginsJson(m: RolloutMargins) {
  return {
    min_requests: m.minRequests,
    error_rate: m.errorRate,
    client_error_rate: m.clientErrorRate,
    latency_ratio: m.latencyRatio,
    latency_slack_ms: m.latencySlackMs,
    quality: m.quality,
  };
}

export function configJson(c: DeploymentConfig) {
  return {
    gates: c.gates
      ? {
          signature: c.gates.signature,
          evaluation: c.gates.evaluation,
          latency: c.gates.latency
            ? {
                p99_ms: c.gates.latency.p99Ms,
                requests: c.gates.latency.requests,
                concurrency: c.gates.latency.concurrency,
              }
            : null,
        }
      : null,
    webhooks: c.webhooks,
  };
}

export function gateJson(g: GateReport) {
  return { candidate: g.candidate, current: g.current, passed: g.passed, checks: g.checks, at: g.at };
}

export function gateConfig(value: unknown): GateConfig {
  const g = bodyOf(value, 'gates');
  const evaluation =
    g.evaluation === undefined || g.evaluation === null ? null : bodyOf(g.evaluation, 'gates.evaluation');
  const latency = g.latency === undefined || g.latency === null ? null : bodyOf(g.latency, 'gates.latency');
  return {
    signature: g.signature !== false,
    evaluation: evaluation
      ? {
          dataset: requiredString(evaluation, 'dataset'),
          target: requiredString(evaluation, 'target'),
          min: numberMap(evaluation.min, 'gates.evaluation.min'),
          max: numberMap(evaluation.max, 'gates.evaluation.max'),
          margin: numberMap(evaluation.margin, 'gates.evaluation.margin'),
        }
      : null,
    latency: latency
      ? {
          p99Ms: requiredNumber(latency, 'p99_ms'),
          requests: latency.requests === undefined ? 200 : requiredNumber(latency, 'requests'),
          concurrency: latency.concurrency === undefined ? 8 : requiredNumber(latency, 'concurrency'),
        }
      : null,
  };
}

export function webhooks(value: unknown): WebhookConfig[] {
  if (!Array.isArray(value)) throw invalid('"webhooks" must be an array of {url, format}');
  return value.map((w, i) => {
    const o = bodyOf(w, `webhooks[${i}]`);
    const url = requiredString(o, 'url');
    const format = (o.format ?? 'json') as WebhookConfig['format'];
    if (!WEBHOOK_FORMATS.includes(format)) throw invalid(`webhooks[${i}].format must be "json" or "slack"`);
    return { url, format };
  });
}

export function margins(value: unknown): Partial<RolloutMargins> {
  const m = bodyOf(value, 'margins');
  const n = (key: string) => (m[key] === undefined ? undefined : requiredNumber(m, key));
  return {
    minRequests: n('min_requests'),
    errorRate: n('error_rate'),
    clientErrorRate: n('client_error_rate'),
    latencyRatio: n('latency_ratio'),
    latencySlackMs: n('latency_slack_ms'),
    quality: n('quality'),
  };
}

export function bodyOf(value: unknown, what = 'request body'): Body {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(`${what} must be a JSON object`);
  return value as Body;
}

export function requiredString(body: Body, key: string): string {
  const v = body[key];
  if (typeof v !== 'string' || v === '')
    throw invalid(`"${key}" is required: expected a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

export function optionalString(body: Body, key: string): string | null {
  const v = body[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw invalid(`"${key}" must be a string, got ${JSON.stringify(v)}`);
  return v;
}

export function requiredNumber(body: Body, key: string): number {
  const v = typeof body[key] === 'string' ? Number(body[key]) : body[key];
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw invalid(`"${key}" must be a number, got ${JSON.stringify(body[key])}`);
  return v;
}

export function positiveInt(value: unknown, what: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1)
    throw invalid(`"${what}" must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

export function numberMap(value: unknown, what: string): Record<string, number> {
  if (value === undefined || value === null) return {};
  const o = bodyOf(value, what);
  const out: Record<string, number> = {};
  for (const key of Object.keys(o)) out[key] = requiredNumber(o, key);
  return out;
}

export function invalid(message: string): SlipwayError {
  return new SlipwayError('CORE_INVALID_ARGUMENT', message);
}
