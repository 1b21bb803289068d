import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge } from 'prom-client';
import { SlipwayError } from '../../core/errors.js';
import {
  type DriftOptions,
  type FeedbackResult,
  PredictionLogWriter,
  parseDuration,
  type RequestCount,
  type WindowSpec,
} from '../../index.js';
import { normaliseError } from '../error-mapping.js';
import type { ServingContext } from '../serving-context.js';

/** How often this process's request counters go to the store (error-rate alerts read them). */
const TRAFFIC_FLUSH_MS = 15_000;

/**
 * Monitoring over HTTP, under /api/v1 (slipway's own API: no standard covers it): feedback,
 * drift and its HTML report, live quality, references, stored results, alert rules. Every route
 * decodes, calls `slipway.monitoring`, encodes. Errors are `{code, message, details}`.
 *
 * Also registers on the app's Prometheus registry the prediction log's counters and the latest
 * stored drift and quality results as gauges, and records this process's request counts.
 */
export async function monitoringPlugin(app: FastifyInstance, ctx: ServingContext): Promise<void> {
  app.setErrorHandler((err, request, reply) => {
    const { error, status } = normaliseError(err, request);
    reply.code(status).send({ code: error.code, message: error.message, details: error.details ?? {} });
  });
  const monitoring = ctx.slipway.monitoring;
  const tags = ['slipway monitoring'];
  registerMetrics(ctx);
  startTrafficRecorder(app, ctx);

  app.post(
    '/api/v1/feedback',
    {
      schema: {
        tags,
        summary:
          'Attach labels to logged predictions: {request_id | prediction_key, row?, label}, or {items: [...]} / an array of them',
      },
    },
    async (request) => feedbackJson(await monitoring.feedback(request.body)),
  );

  app.get<{ Querystring: Record<string, string | undefined> }>(
    '/api/v1/monitoring/drift',
    {
      schema: {
        tags,
        summary: 'Drift of a model version: ?model=ref&since=1h (or last=N), method, threshold, columns',
      },
    },
    async (request) => {
      const q = request.query;
      return monitoring.drift(required(q.model, 'model'), windowOf(q), driftOptionsOf(q));
    },
  );

  app.post<{ Body: Record<string, unknown> | null }>(
    '/api/v1/monitoring/drift',
    { schema: { tags, summary: 'Drift of a model version; the body gives model, window and options' } },
    async (request) => {
      const b = request.body ?? {};
      return monitoring.drift(required(b.model, 'model'), windowOf(b), driftOptionsOf(b));
    },
  );

  app.get<{ Querystring: Record<string, string | undefined> }>(
    '/api/v1/monitoring/report',
    { schema: { tags, summary: 'The drift report as a self-contained HTML page' } },
    async (request, reply) => {
      const q = request.query;
      const { html } = await monitoring.driftReport(
        required(q.model, 'model'),
        windowOf(q),
        driftOptionsOf(q),
      );
      return reply.type('text/html; charset=utf-8').send(html);
    },
  );

  app.get<{ Querystring: Record<string, string | undefined> }>(
    '/api/v1/monitoring/quality',
    {
      schema: {
        tags,
        summary:
          'Live quality of a model version over a window (?model=ref&since=7d); versions=all for each version',
      },
    },
    async (request) => {
      const q = request.query;
      const model = required(q.model, 'model');
      if (q.versions === 'all') return { versions: await monitoring.qualityByVersion(model, windowOf(q)) };
      return monitoring.quality(model, windowOf(q));
    },
  );

  app.get<{ Querystring: { model?: string } }>(
    '/api/v1/monitoring/references',
    { schema: { tags, summary: 'Stored reference profiles (summaries)' } },
    async (request) => ({ references: await monitoring.references.list(request.query.model ?? null) }),
  );

  app.post<{
    Body: { model?: string; dataset?: string; target?: string | null; predictions?: boolean } | null;
  }>(
    '/api/v1/monitoring/references',
    { schema: { tags, summary: 'Compute a reference profile from a dataset file on the server' } },
    async (request) => {
      const b = request.body ?? {};
      return monitoring.computeReference(required(b.model, 'model'), {
        dataset: required(b.dataset, 'dataset'),
        target: b.target ?? null,
        predictions: b.predictions,
      });
    },
  );

  app.get<{ Querystring: Record<string, string | undefined> }>(
    '/api/v1/monitoring/results',
    { schema: { tags, summary: 'Stored evaluation results (the time series), newest first' } },
    async (request) => {
      const q = request.query;
      let model: string | null = null;
      let version: number | null = null;
      if (q.model) {
        const ref = q.model;
        model = ref.split(/[:@]/)[0];
        if (/[:@]/.test(ref)) version = (await ctx.slipway.registry.resolve(ref)).version;
      }
      return {
        results: await monitoring.results({
          model,
          version,
          kind: (q.kind as 'drift' | 'prediction_drift' | 'quality' | undefined) ?? null,
          since: q.since ? ctx.slipway.config.clock.now() - parseDuration(q.since, 'since') : null,
          limit: q.limit ? intOf(q.limit, 'limit') : 100,
        }),
      };
    },
  );

  app.post(
    '/api/v1/monitoring/evaluate',
    {
      schema: { tags, summary: 'Run one evaluation pass now (drift and quality of active versions, stored)' },
    },
    async () => ({ evaluated: await monitoring.evaluate() }),
  );

  app.get(
    '/api/v1/monitoring/log',
    { schema: { tags, summary: "This server's prediction log writer counters" } },
    async () => ({ writer: ctx.predictions instanceof PredictionLogWriter ? ctx.predictions.stats() : null }),
  );

  // ---- alerts ----

  app.get('/api/v1/alerts', { schema: { tags, summary: 'Alert rules with their state' } }, async () => ({
    rules: await monitoring.alerts.list(),
  }));

  app.post<{ Body: unknown }>(
    '/api/v1/alerts',
    {
      schema: {
        tags,
        summary: 'Add or replace alert rules: one rule, {rules: [...]}, or a YAML document (text body)',
      },
    },
    async (request) => {
      const body = request.body;
      if (typeof body === 'string') return { rules: await monitoring.alerts.putYaml(body, 'request body') };
      if (body && typeof body === 'object' && Array.isArray((body as { rules?: unknown }).rules)) {
        return { rules: await monitoring.alerts.putYaml(JSON.stringify(body), 'request body') };
      }
      return { rules: [await monitoring.alerts.put(body)] };
    },
  );

  app.get<{ Querystring: { rule?: string; limit?: string } }>(
    '/api/v1/alerts/history',
    { schema: { tags, summary: 'Alert firings and resolutions, newest first' } },
    async (request) => ({
      events: await monitoring.alerts.history({
        rule: request.query.rule ?? null,
        limit: request.query.limit ? intOf(request.query.limit, 'limit') : 100,
      }),
    }),
  );

  app.post(
    '/api/v1/alerts/evaluate',
    { schema: { tags, summary: 'Evaluate every alert rule now' } },
    async () => ({
      outcomes: await monitoring.alerts.evaluate(),
    }),
  );

  app.get<{ Params: { name: string } }>(
    '/api/v1/alerts/:name',
    { schema: { tags, summary: 'One alert rule with its state' } },
    async (request) => monitoring.alerts.get(request.params.name),
  );

  app.delete<{ Params: { name: string } }>(
    '/api/v1/alerts/:name',
    { schema: { tags, summary: 'Remove an alert rule (its history stays)' } },
    async (request, reply) => {
      await monitoring.alerts.remove(request.params.name);
      return reply.code(204).send();
    },
  );

  // YAML rule files as request bodies.
  app.addContentTypeParser(
    ['application/yaml', 'application/x-yaml', 'text/yaml'],
    { parseAs: 'string' },
    (_req, body, done) => done(null, body),
  );
}

function feedbackJson(r: FeedbackResult) {
  return {
    received: r.received,
    matched: r.matched,
    labelled_rows: r.labelledRows,
    unknown_count: r.unknown.length,
    unknown: r.unknown,
  };
}

/** The window of a query string or body: since / from / until / last / deployment. */
function windowOf(q: Record<string, unknown>): WindowSpec {
  const num = (v: unknown, what: string) =>
    v === undefined || v === null || v === '' ? null : intOf(v, what);
  return {
    since: (q.since as string | undefined) ?? null,
    from: num(q.from, 'from'),
    until: num(q.until, 'until'),
    last: num(q.last, 'last'),
    deployment: (q.deployment as string | undefined) ?? null,
  };
}

function driftOptionsOf(q: Record<string, unknown>): DriftOptions {
  const columns =
    typeof q.columns === 'string'
      ? q.columns.split(',').filter(Boolean)
      : Array.isArray(q.columns)
        ? (q.columns as string[])
        : undefined;
  const threshold = q.threshold === undefined || q.threshold === '' ? undefined : Number(q.threshold);
  const share =
    q.share_threshold === undefined || q.share_threshold === '' ? undefined : Number(q.share_threshold);
  for (const [name, v] of [
    ['threshold', threshold],
    ['share_threshold', share],
  ] as const) {
    if (v !== undefined && !Number.isFinite(v))
      throw new SlipwayError('CORE_INVALID_ARGUMENT', `"${name}" must be a number`);
  }
  return {
    columns,
    method: q.method as DriftOptions['method'],
    threshold,
    shareThreshold: share,
    perColumn: q.per_column as DriftOptions['perColumn'],
    predictions:
      q.predictions === undefined ? undefined : q.predictions !== false && q.predictions !== 'false',
  };
}

function required(v: unknown, name: string): string {
  if (typeof v !== 'string' || v === '')
    throw new SlipwayError('CORE_INVALID_ARGUMENT', `"${name}" is required`);
  return v;
}

function intOf(v: unknown, name: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n))
    throw new SlipwayError(
      'CORE_INVALID_ARGUMENT',
      `"${name}" must be a whole number, got ${JSON.stringify(v)}`,
    );
  return n;
}

/**
 * The prediction log writer's counters (when the sink is one) and the latest stored drift and
 * quality results, as Prometheus metrics read at scrape time (every replica exports the same
 * latest results: take max or avg across replicas, not sum).
 */
function registerMetrics(ctx: ServingContext): void {
  const registers = [ctx.metrics.registry];
  const writer = ctx.predictions instanceof PredictionLogWriter ? ctx.predictions : null;
  if (writer !== null) {
    const counter = (
      name: string,
      help: string,
      pick: (s: ReturnType<PredictionLogWriter['stats']>) => number,
    ) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(pick(writer.stats()));
        },
      });
    counter(
      'slipway_prediction_log_received_total',
      'Prediction rows handed to the prediction log.',
      (s) => s.received,
    );
    counter(
      'slipway_prediction_log_written_total',
      'Prediction rows committed to the prediction log.',
      (s) => s.written,
    );
    counter(
      'slipway_prediction_log_dropped_total',
      'Prediction rows not logged because the queue was full (overload policy: drop and count).',
      (s) => s.dropped,
    );
    counter(
      'slipway_prediction_log_sampled_out_total',
      'Prediction rows left out by the sampling rate.',
      (s) => s.sampledOut,
    );
    counter(
      'slipway_prediction_log_write_errors_total',
      'Failed prediction-log writes (each retried).',
      (s) => s.writeErrors,
    );
    new Gauge({
      name: 'slipway_prediction_log_queue_rows',
      help: 'Prediction rows waiting to be written (queue depth).',
      registers,
      collect() {
        this.set(writer.stats().queued);
      },
    });
  }
  const monitoring = ctx.slipway.monitoring;
  // One store read per scrape, shared by the three gauges (each collects on its own).
  let cached: { at: number; results: Promise<Awaited<ReturnType<typeof monitoring.latestResults>>> } | null =
    null;
  const latest = () => {
    const now = Date.now();
    if (cached === null || now - cached.at > 1000) {
      cached = { at: now, results: monitoring.latestResults().catch(() => []) };
    }
    return cached.results;
  };
  new Gauge({
    name: 'slipway_feature_drift_score',
    help: 'Latest drift statistic per column (features and model outputs) from scheduled evaluation.',
    labelNames: ['model', 'version', 'feature', 'method'],
    registers,
    async collect() {
      this.reset();
      for (const r of await latest()) {
        if (r.kind === 'quality') continue;
        const columns = (r.result.columns as Record<string, { statistic: number; method: string }>) ?? {};
        for (const [feature, c] of Object.entries(columns)) {
          this.set({ model: r.model, version: String(r.version), feature, method: c.method }, c.statistic);
        }
      }
    },
  });
  new Gauge({
    name: 'slipway_drift_share',
    help: 'Latest share of drifted columns, for features and for predictions.',
    labelNames: ['model', 'version', 'kind'],
    registers,
    async collect() {
      this.reset();
      for (const r of await latest()) {
        if (r.kind === 'quality') continue;
        this.set(
          {
            model: r.model,
            version: String(r.version),
            kind: r.kind === 'drift' ? 'features' : 'predictions',
          },
          Number(r.result.drift_share),
        );
      }
    },
  });
  new Gauge({
    name: 'slipway_model_quality',
    help: 'Latest live quality per metric from labelled predictions (scheduled evaluation).',
    labelNames: ['model', 'version', 'metric'],
    registers,
    async collect() {
      this.reset();
      for (const r of await latest()) {
        if (r.kind !== 'quality') continue;
        for (const [metric, value] of Object.entries((r.result.metrics as Record<string, number>) ?? {})) {
          this.set({ model: r.model, version: String(r.version), metric }, value);
        }
      }
    },
  });
}

/** This process's request counters into the store, every 15 s and at shutdown. */
function startTrafficRecorder(app: FastifyInstance, ctx: ServingContext): void {
  const process = `${os.hostname().slice(0, 32)}-${globalThis.process.pid}-${randomUUID().slice(0, 8)}`;
  const recorder = ctx.slipway.monitoring.createTrafficRecorder(process, async () => {
    const sums = new Map<string, RequestCount>();
    for (const v of (await ctx.metrics.requests.get()).values) {
      const l = v.labels as { model?: string; version?: string; status?: string | number };
      const key = `${l.model}\u0000${l.version}\u0000${l.status}`;
      const c = sums.get(key) ?? {
        model: String(l.model ?? ''),
        version: String(l.version ?? ''),
        status: String(l.status ?? ''),
        count: 0,
      };
      c.count += v.value;
      sums.set(key, c);
    }
    return [...sums.values()];
  });
  const flush = () =>
    recorder.flush().catch((err: unknown) => app.log.warn({ err }, 'recording traffic counts failed'));
  const timer = setInterval(flush, TRAFFIC_FLUSH_MS);
  timer.unref();
  app.addHook('onClose', async () => {
    clearInterval(timer);
    await flush();
  });
}
