/**
 * Monitoring as a library: the prediction log writer, feedback, reference profiles, drift and
 * live quality over log windows, the HTML report, Parquet export, retention, scheduled evaluation
 * with its time series, and alerts. The CLI (`slipway monitor|feedback|alerts`) and the HTTP API
 * (`/api/v1/feedback`, `/api/v1/monitoring/...`, `/api/v1/alerts`) translate these calls.
 */
import type { Clock } from '../core/clock.js';
import { SlipwayError } from '../core/errors.js';
import { parseModelRef } from '../registry/model-ref.js';
import type { Registry } from '../registry/registry.js';
import type { InferenceEngine } from '../serving/inference-engine.js';
import type { AlertStore } from '../store/alert-store.js';
import type { MonitoringStore, ResultKind, ResultQuery } from '../store/monitoring-store.js';
import type {
  PredictionLogAppender,
  PredictionLogQuery,
  PredictionLogStore,
} from '../store/prediction-log-store.js';
import type { ModelVersionRecord } from '../store/registry-store.js';
import { AlertEvaluator, type AlertMeasurement } from './alerts/alert-evaluator.js';
import type { AlertRule } from './alerts/alert-rule.js';
import { Alerts } from './alerts/alerts.js';
import { WebhookNotifier } from './alerts/webhook-notifier.js';
import {
  type DriftOptions,
  type DriftReport,
  driftReport,
  featuresToTest,
  readCurrent,
} from './drift-report.js';
import {
  MonitoringScheduler,
  type RunSummary,
  type SchedulerOptions,
} from './evaluation/monitoring-scheduler.js';
import { type RequestCount, TrafficRecorder } from './evaluation/traffic-recorder.js';
import { type ExportResult, exportParquet } from './export/parquet-export.js';
import {
  type FeedbackResult,
  feedbackResult,
  MAX_FEEDBACK_BATCH,
  parseFeedback,
  readFeedbackFile,
} from './feedback/feedback-items.js';
import { QUALITY_METRICS, type QualityMetric } from './live-quality/quality-metrics.js';
import { type QualityReport, windowQuality } from './live-quality/window-quality.js';
import { LogDecoder, type LoggedPrediction } from './prediction-log/log-decoder.js';
import {
  PredictionLogWriter,
  type PredictionLogWriterOptions,
} from './prediction-log/prediction-log-writer.js';
import { type Reference, versionFeatureColumns } from './reference/reference-builder.js';
import { type ReferenceSummary, References, summaryOf } from './reference/references.js';
import type { Distribution } from './report/distributions.js';
import { renderHtmlReport } from './report/html-report.js';
import { formatDuration } from './window/duration.js';
import { type ResolvedWindow, resolveWindow, type WindowSpec, windowQuery } from './window/log-window.js';

export interface MonitoringDeps {
  log: PredictionLogStore;
  store: MonitoringStore;
  alertStore: AlertStore;
  registry: Registry;
  clock: Clock;
  /** Runs models over reference data (prediction drift); null leaves predictions out of references. */
  engine: (() => Promise<InferenceEngine>) | null;
  /** A fresh appender for each prediction-log writer (the backend's off-thread one when it has one). */
  appender: () => PredictionLogAppender;
  notifier?: WebhookNotifier;
}

export interface EvaluationOptions {
  /** Drift windows: the last `windowMs` of the log (default 1 h)… */
  windowMs?: number;
  /** …at most its newest `maxRows` rows (default 50,000). */
  maxRows?: number;
  /** Quality windows are longer, since labels come late (default 24 h). */
  qualityWindowMs?: number;
}

export interface StoredResult {
  id: number;
  at: number;
  model: string;
  version: number;
  kind: ResultKind;
  window_start: number;
  window_end: number;
  rows: number;
  result: Record<string, unknown>;
}

export class Monitoring {
  readonly references: References;
  readonly alerts: Alerts;
  readonly #log: PredictionLogStore;
  readonly #store: MonitoringStore;
  readonly #registry: Registry;
  readonly #clock: Clock;
  readonly #appender: () => PredictionLogAppender;
  readonly #pending = new Set<Promise<void>>();
  #evaluation: Required<EvaluationOptions> = {
    windowMs: 3_600_000,
    maxRows: 50_000,
    qualityWindowMs: 86_400_000,
  };

  constructor(deps: MonitoringDeps) {
    this.#log = deps.log;
    this.#store = deps.store;
    this.#registry = deps.registry;
    this.#clock = deps.clock;
    this.#appender = deps.appender;
    this.references = new References({
      store: deps.store,
      registry: deps.registry,
      clock: deps.clock,
      engine: deps.engine,
    });
    const evaluator = new AlertEvaluator({
      store: deps.alertStore,
      measurer: { measure: (rule, since, until) => this.#measure(rule, since, until, new Map()) },
      notifier: deps.notifier ?? new WebhookNotifier(),
      clock: deps.clock,
    });
    this.alerts = new Alerts({ store: deps.alertStore, evaluator, clock: deps.clock });
  }

  // ---- prediction log ----

  /** A writer to hand serving as its prediction sink; `close()` it on shutdown (it flushes). */
  createPredictionLog(options: PredictionLogWriterOptions = {}): PredictionLogWriter {
    return new PredictionLogWriter(this.#appender(), { clock: this.#clock, ...options });
  }

  /** Logged rows, decoded (features and outputs by name, the label if any), oldest first. */
  async readLog(query: PredictionLogQuery = {}): Promise<LoggedPrediction[]> {
    const rows = await this.#log.read({ limit: 10_000, ...query });
    const decoder = new LogDecoder(this.#log);
    await decoder.load(rows);
    return rows.map((r) => decoder.decode(r));
  }

  /** Logged rows of a model version in a window (all models when `ref` is null). */
  async countLogged(ref: string | null, window: WindowSpec = {}): Promise<number> {
    const w = resolveWindow(window, this.#clock.now());
    if (ref === null) return this.#log.count({ since: w.start, until: w.end, deployment: w.deployment });
    const record = await this.#registry.resolve(ref);
    return this.#log.count({ ...windowQuery(record.name, record.version, w), newest: false, limit: null });
  }

  /** Writes a slice of the log to a Parquet file (one model version's features also as typed columns). */
  async exportLog(options: { out: string; model?: string | null } & WindowSpec): Promise<ExportResult> {
    const w = resolveWindow(options, this.#clock.now(), 86_400_000);
    if (w.source === 'file')
      throw new SlipwayError(
        'MONITORING_INVALID_WINDOW',
        'export reads the prediction log: give --since or --last, not --current',
      );
    if (!options.model) {
      return exportParquet(this.#log, {
        out: options.out,
        query: {
          since: w.start,
          until: w.end,
          deployment: w.deployment,
          ...(w.last !== null ? { newest: true, limit: w.last } : {}),
        },
      });
    }
    const record = await this.#registry.resolve(options.model);
    const reference = await this.references.get(record).catch(() => null);
    const kind = (name: string) => reference?.profile.columns[name]?.kind ?? 'numeric';
    const scalarOutputs = record.signature.outputs.filter((o) => o.shape.length <= 1);
    return exportParquet(this.#log, {
      out: options.out,
      query: windowQuery(record.name, record.version, w),
      flatten: {
        features: versionFeatureColumns(record).map((c) => ({ name: c.name, kind: kind(c.name) })),
        outputs: scalarOutputs.map((o) => ({
          name: o.name,
          kind: o.datatype === 'BYTES' ? 'categorical' : 'numeric',
        })),
      },
    });
  }

  /** Deletes prediction-log rows (and stored results) older than `days`. */
  async applyRetention(
    days: number,
  ): Promise<{ cutoff: number; deletedRows: number; deletedResults: number }> {
    if (!(days > 0))
      throw new SlipwayError(
        'CORE_INVALID_ARGUMENT',
        `retention must be a positive number of days, got ${days}`,
      );
    const cutoff = this.#clock.now() - days * 86_400_000;
    const deletedRows = await this.#log.deleteBefore(cutoff);
    const deletedResults = await this.#store.deleteResultsBefore(cutoff);
    return { cutoff, deletedRows, deletedResults };
  }

  // ---- feedback ----

  /** Attaches labels (the API's single form, an array, or `{items}`); unknown ids come back listed. */
  async feedback(body: unknown): Promise<FeedbackResult> {
    return this.#attach(parseFeedback(body));
  }

  /** A CSV or JSON Lines file of feedback (`slipway feedback <file>`). */
  async feedbackFile(file: string, labelColumn = 'label'): Promise<FeedbackResult> {
    return this.#attach(await readFeedbackFile(file, labelColumn));
  }

  async #attach(items: Awaited<ReturnType<typeof parseFeedback>>): Promise<FeedbackResult> {
    const at = this.#clock.now();
    const results = [];
    const offsets = [];
    for (let start = 0; start < items.length; start += MAX_FEEDBACK_BATCH) {
      offsets.push(start);
      results.push(await this.#log.attachLabels(items.slice(start, start + MAX_FEEDBACK_BATCH), at));
    }
    return feedbackResult(items, results, offsets);
  }

  // ---- references ----

  async computeReference(
    ref: string,
    options: { dataset: string; target?: string | null; predictions?: boolean },
  ): Promise<ReferenceSummary> {
    const record = await this.#registry.resolve(ref);
    const r = await this.references.compute(record, options.dataset, options);
    return summaryOf(r.model, r.version, r.createdAt, r.source);
  }

  /** The reference of a version (built from its registration dataset on first use). */
  async reference(ref: string): Promise<ReferenceSummary & { profile: Reference['profile'] }> {
    const r = await this.references.get(await this.#registry.resolve(ref));
    return { ...summaryOf(r.model, r.version, r.createdAt, r.source), profile: r.profile };
  }

  /** Registry hook (wired in openSlipway): profile the registration dataset now, while it is there. */
  onVersionRegistered(record: ModelVersionRecord): void {
    const task = this.references.onRegistered(record).catch(() => {
      // Not fatal: the reference is built on first use, or by `slipway monitor reference`.
    });
    this.#pending.add(task);
    task.finally(() => this.#pending.delete(task));
  }

  // ---- drift ----

  async drift(ref: string, window: WindowSpec = {}, options: DriftOptions = {}): Promise<DriftReport> {
    return (
      await this.#drift(await this.#registry.resolve(ref), resolveWindow(window, this.#clock.now()), options)
    ).report;
  }

  /** The drift report and its self-contained HTML page (distributions side by side, drifted first). */
  async driftReport(
    ref: string,
    window: WindowSpec = {},
    options: DriftOptions = {},
  ): Promise<{ report: DriftReport; html: string; distributions: Record<string, Distribution> }> {
    const record = await this.#registry.resolve(ref);
    const w = resolveWindow(window, this.#clock.now());
    const { report, distributions } = await this.#drift(record, w, options);
    const html = renderHtmlReport({
      title: `Drift report: ${record.name}:${record.version}`,
      model: record.name,
      version: record.version,
      generatedAt: this.#clock.now(),
      windowText: windowText(w),
      currentRows: report.current_rows,
      referenceText: `${report.reference.dataset} (${report.reference.rows} rows)`,
      features: report,
      prediction: report.prediction,
      distributions,
    });
    // The distributions too: the dashboard draws them itself (issue 8).
    return { report, html, distributions };
  }

  async #drift(record: ModelVersionRecord, w: ResolvedWindow, options: DriftOptions) {
    const wantOutputs = options.predictions !== false;
    const reference = await this.references.get(record, { outputs: wantOutputs });
    const features = featuresToTest(reference, options.columns);
    const predict = w.source === 'file' && wantOutputs ? await this.references.predictor(record) : null;
    const current = await readCurrent(this.#log, record, reference, w, features, wantOutputs, predict);
    if (current.rows === 0) {
      throw new SlipwayError(
        'MONITORING_EMPTY_WINDOW',
        `no logged prediction of model "${record.name}" version ${record.version} in ${windowText(w)}`,
      );
    }
    return driftReport(record, reference, w, current, features, options);
  }

  // ---- quality ----

  /** Live quality of one version over a window (predictions answered in it, labelled by now). */
  async quality(ref: string, window: WindowSpec = {}): Promise<QualityReport> {
    const record = await this.#registry.resolve(ref);
    return windowQuality(this.#log, record, resolveWindow(window, this.#clock.now(), 86_400_000));
  }

  /** The hook deployments asked for: live quality of `model:version` over a window. */
  async liveQuality(model: string, version: number, window: WindowSpec = {}): Promise<QualityReport> {
    return this.quality(`${model}:${version}`, window);
  }

  /** Live quality of every version of a model that answered in the window, oldest version first. */
  async qualityByVersion(model: string, window: WindowSpec = {}): Promise<QualityReport[]> {
    const w = resolveWindow(window, this.#clock.now(), 86_400_000);
    const versions = (await this.#log.activeVersions(w.start ?? 0)).filter((v) => v.model === model);
    const out: QualityReport[] = [];
    for (const v of versions)
      out.push(await windowQuality(this.#log, await this.#registry.resolve(`${model}:${v.version}`), w));
    return out;
  }

  /**
   * An object for `slipway.deployments.hooks.quality` (deployments' QualitySource): the version's
   * headline metric since the deployment's revision went live — the first figure recorded at
   * registration that can be computed live, else accuracy (classifiers) or RMSE (regressors).
   */
  qualitySource(): {
    liveQuality(q: { deployment: string; model: string; version: number; sinceMs: number }): Promise<{
      metric: string;
      value: number;
      higherIsBetter: boolean;
      labelled: number;
    } | null>;
  } {
    return {
      liveQuality: async (q) => {
        const report = await this.quality(`${q.model}:${q.version}`, {
          from: q.sinceMs,
          deployment: q.deployment,
        });
        if (report.labelled === 0) return null;
        const computed = Object.keys(report.metrics) as QualityMetric[];
        const metric =
          computed.find((m) => m in report.baseline) ?? (report.task === 'regression' ? 'rmse' : 'accuracy');
        const value = report.metrics[metric];
        if (value === undefined) return null;
        return {
          metric,
          value,
          higherIsBetter: QUALITY_METRICS[metric] === 'higher',
          labelled: report.labelled,
        };
      },
    };
  }

  // ---- scheduled evaluation and its time series ----

  setEvaluationOptions(options: EvaluationOptions): void {
    this.#evaluation = { ...this.#evaluation, ...definedOnly(options) };
  }

  /**
   * One evaluation pass: drift (features and predictions) and live quality for every version that
   * answered lately, each result stored. Versions without a reference, or labels, are skipped.
   */
  async evaluate(options: EvaluationOptions = {}): Promise<RunSummary['evaluated']> {
    const o = { ...this.#evaluation, ...definedOnly(options) };
    const now = this.#clock.now();
    const active = await this.#log.activeVersions(now - Math.max(o.windowMs, o.qualityWindowMs));
    const out: RunSummary['evaluated'] = [];
    for (const { model, version } of active) {
      const kinds: string[] = [];
      const errors: string[] = [];
      let record: ModelVersionRecord;
      try {
        record = await this.#registry.resolve(`${model}:${version}`);
      } catch {
        continue; // deleted since it answered
      }
      const dw: ResolvedWindow = {
        source: 'log',
        start: now - o.windowMs,
        end: now,
        last: o.maxRows,
        file: null,
        deployment: null,
      };
      try {
        const { report } = await this.#drift(record, dw, {});
        await this.#save(now, record, 'drift', dw, report.current_rows, report);
        kinds.push('drift');
        if (report.prediction) {
          await this.#save(now, record, 'prediction_drift', dw, report.current_rows, {
            ...report.prediction,
            window: report.window,
          });
          kinds.push('prediction_drift');
        }
      } catch (err) {
        if (
          !(
            err instanceof SlipwayError &&
            (err.code === 'MONITORING_EMPTY_WINDOW' || err.code === 'MONITORING_NO_REFERENCE')
          )
        ) {
          errors.push(`drift: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      const qw: ResolvedWindow = {
        source: 'log',
        start: now - o.qualityWindowMs,
        end: now,
        last: null,
        file: null,
        deployment: null,
      };
      try {
        const q = await windowQuality(this.#log, record, qw);
        if (Object.keys(q.metrics).length > 0) {
          await this.#save(now, record, 'quality', qw, q.labelled, q);
          kinds.push('quality');
        }
      } catch (err) {
        errors.push(`quality: ${err instanceof Error ? err.message : String(err)}`);
      }
      out.push({ model, version, kinds, error: errors.length > 0 ? errors.join('; ') : null });
    }
    return out;
  }

  async #save(
    at: number,
    record: ModelVersionRecord,
    kind: ResultKind,
    w: ResolvedWindow,
    rows: number,
    result: unknown,
  ) {
    await this.#store.appendResult({
      at,
      model: record.name,
      version: record.version,
      kind,
      windowStart: w.start ?? at,
      windowEnd: w.end,
      rows,
      resultJson: JSON.stringify(result),
    });
  }

  /** Stored results (the time series), newest first. */
  async results(query: ResultQuery = {}): Promise<StoredResult[]> {
    return (await this.#store.listResults({ limit: 100, ...query })).map(storedResult);
  }

  /** The newest result of each (model, version, kind): what `/metrics` exports. */
  async latestResults(): Promise<StoredResult[]> {
    return (await this.#store.latestResults()).map(storedResult);
  }

  /** Scheduled evaluation for a server process (start it; close it on shutdown). */
  createScheduler(options: SchedulerOptions & EvaluationOptions = {}): MonitoringScheduler {
    const { windowMs, maxRows, qualityWindowMs, ...scheduler } = options;
    this.setEvaluationOptions({ windowMs, maxRows, qualityWindowMs });
    return new MonitoringScheduler(
      {
        work: {
          evaluate: () => this.evaluate(),
          evaluateAlerts: () => this.alerts.evaluate(),
          applyRetention: (days) => this.applyRetention(days),
        },
        store: this.#store,
        clock: this.#clock,
      },
      scheduler,
    );
  }

  /** Records a server's request counters per minute in the store (error-rate alerts read them). */
  createTrafficRecorder(process: string, read: () => Promise<RequestCount[]>): TrafficRecorder {
    return new TrafficRecorder({ store: this.#store, process, clock: this.#clock, read });
  }

  /** Waits for background work (reference profiles started at registration). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#pending]);
  }

  // ---- alert measurements ----

  async #measure(
    rule: AlertRule,
    since: number,
    until: number,
    memo: Map<string, Promise<DriftReport | null>>,
  ): Promise<AlertMeasurement[]> {
    const versions = await this.#versionsOf(rule.model, since);
    const out: AlertMeasurement[] = [];
    for (const record of versions) {
      const m = await this.#measureVersion(rule, record, since, until, memo);
      if (m !== null) out.push(m);
    }
    return out;
  }

  /** A versioned or aliased reference is one version; a bare name, every version that answered since `since`. */
  async #versionsOf(ref: string, since: number): Promise<ModelVersionRecord[]> {
    const parsed = parseModelRef(ref);
    if (parsed.kind !== 'default') return [await this.#registry.resolve(ref)];
    const active = (await this.#log.activeVersions(since)).filter((v) => v.model === parsed.name);
    const out: ModelVersionRecord[] = [];
    for (const v of active) {
      try {
        out.push(await this.#registry.resolve(`${v.model}:${v.version}`));
      } catch {
        // deleted since
      }
    }
    if (out.length === 0) {
      // No answered prediction: the default version still has traffic counts (errors only, say).
      out.push(await this.#registry.resolve(ref));
    }
    return out;
  }

  async #measureVersion(
    rule: AlertRule,
    record: ModelVersionRecord,
    since: number,
    until: number,
    memo: Map<string, Promise<DriftReport | null>>,
  ): Promise<AlertMeasurement | null> {
    const base = { model: record.name, version: record.version };
    const w: ResolvedWindow = {
      source: 'log',
      start: since,
      end: until,
      last: null,
      file: null,
      deployment: null,
    };
    switch (rule.metric) {
      case 'drift_share':
      case 'feature_drift':
      case 'prediction_drift_share': {
        const predictions = rule.metric === 'prediction_drift_share';
        const key = `${record.name}:${record.version}:${predictions}`;
        let report = memo.get(key);
        if (!report) {
          report = this.#drift(record, { ...w, last: this.#evaluation.maxRows }, { predictions }).then(
            (r) => r.report,
            (err) => {
              if (
                err instanceof SlipwayError &&
                (err.code === 'MONITORING_EMPTY_WINDOW' || err.code === 'MONITORING_NO_REFERENCE')
              )
                return null;
              throw err;
            },
          );
          memo.set(key, report);
        }
        const r = await report;
        if (r === null) return null;
        if (rule.metric === 'drift_share')
          return {
            ...base,
            value: r.drift_share,
            samples: r.current_rows,
            details: { drifted_columns: r.drifted_columns },
          };
        if (rule.metric === 'prediction_drift_share') {
          return r.prediction ? { ...base, value: r.prediction.drift_share, samples: r.current_rows } : null;
        }
        const c = r.columns[rule.feature!];
        if (!c)
          throw new SlipwayError(
            'MONITORING_INVALID_ALERT',
            `alert rule "${rule.name}": model ${record.name}:${record.version} has no feature "${rule.feature}"`,
          );
        return {
          ...base,
          value: c.statistic,
          samples: r.current_rows,
          details: { method: c.method, drifted: c.drifted, p_value: c.p_value },
        };
      }
      case 'quality': {
        const q = await windowQuality(this.#log, record, w);
        const value = q.metrics[rule.quality!];
        return value === undefined ? null : { ...base, value, samples: q.labelled };
      }
      case 'latency': {
        const lat = await this.#log.latencies({ model: record.name, version: record.version, since, until });
        if (lat.length === 0) return null;
        return { ...base, value: percentile(lat, rule.percentile!), samples: lat.length };
      }
      case 'error_rate': {
        const t = await this.#store.trafficSince(record.name, record.version, since - (since % 60_000));
        if (t.requests === 0) return null;
        return {
          ...base,
          value: t.errors / t.requests,
          samples: t.requests,
          details: { errors: t.errors, requests: t.requests },
        };
      }
    }
  }
}

/** numpy's default (linear) percentile. */
function percentile(values: Float64Array, p: number): number {
  const sorted = Float64Array.from(values).sort();
  const pos = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function storedResult(r: Awaited<ReturnType<MonitoringStore['listResults']>>[number]): StoredResult {
  return {
    id: r.id,
    at: r.at,
    model: r.model,
    version: r.version,
    kind: r.kind,
    window_start: r.windowStart,
    window_end: r.windowEnd,
    rows: r.rows,
    result: JSON.parse(r.resultJson),
  };
}

function windowText(w: ResolvedWindow): string {
  const dep = w.deployment ? ` of deployment ${w.deployment}` : '';
  if (w.source === 'file') return `file ${w.file}`;
  if (w.last !== null && w.start === null) return `the last ${w.last} logged rows${dep}`;
  const span = w.start !== null ? formatDuration(w.end - w.start) : '';
  return `the ${span} before ${new Date(w.end).toISOString()}${dep}`;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export type { RunSummary };
