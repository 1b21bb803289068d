/**
 * The public library API. `openSlipway(config)` is the composition root: the one place that
 * builds concrete stores and services and wires them together. The CLI, the HTTP server, tests and
 * benchmarks all start here.
 */
import type { Kysely } from 'kysely';
import type { ArtifactStore } from './artifacts/artifact-store.js';
import { FsArtifactStore } from './artifacts/fs/fs-artifact-store.js';
import { BatchJobs } from './batch/batch-jobs.js';
import { resolveConfig, type SlipwayConfig, type SlipwayOptions, splitUrl } from './core/config.js';
import { SlipwayError } from './core/errors.js';
import { DeploymentRouter, type DeploymentRouterOptions } from './deployments/deployment-router.js';
import { Deployments } from './deployments/deployments.js';
import { Monitoring } from './monitoring/monitoring.js';
import { slipwayVersion } from './registry/environment.js';
import { Registry } from './registry/registry.js';
import type { BatchingOptions } from './runtime/dynamic-batcher.js';
import { createInferenceRuntime, type InferenceRuntime } from './runtime/inference-runtime.js';
import type { InferenceEngine } from './serving/inference-engine.js';
import { ModelRepository, type ModelRepositoryOptions } from './serving/model-repository.js';
import { runtimeEngine } from './serving/runtime-engine.js';
import type { DashboardStore } from './store/dashboard-store.js';
import type { DeploymentStore } from './store/deployment-store.js';
import { KyselyAlertStore } from './store/kysely/kysely-alert-store.js';
import { KyselyDashboardStore } from './store/kysely/kysely-dashboard-store.js';
import { KyselyDeploymentStore } from './store/kysely/kysely-deployment-store.js';
import { KyselyEvaluationStore } from './store/kysely/kysely-evaluation-store.js';
import { KyselyJobStore } from './store/kysely/kysely-job-store.js';
import { KyselyMonitoringStore } from './store/kysely/kysely-monitoring-store.js';
import { KyselyPredictionLogStore } from './store/kysely/kysely-prediction-log-store.js';
import { KyselyRegistryStore } from './store/kysely/kysely-registry-store.js';
import { KyselyTrackingStore } from './store/kysely/kysely-tracking-store.js';
import type { PredictionLogAppender, PredictionLogStore } from './store/prediction-log-store.js';
import type { RegistryStore } from './store/registry-store.js';
import type { Database } from './store/schema.js';
import type { TrackingStore } from './store/tracking-store.js';
import { MlflowRegistry } from './tracking/mlflow-registry.js';
import { RunArtifacts } from './tracking/run-artifacts.js';
import { Tracking } from './tracking/tracking.js';

export interface Slipway {
  readonly config: Readonly<SlipwayConfig>;
  readonly db: Kysely<Database>;
  readonly artifacts: ArtifactStore;
  readonly registryStore: RegistryStore;
  readonly registry: Registry;
  readonly trackingStore: TrackingStore;
  /** Experiments, runs, metrics, logged models and run artifacts (MLflow's data model). */
  readonly tracking: Tracking;
  /** MLflow's registered-model API over the one `registry`. */
  readonly mlflowRegistry: MlflowRegistry;
  readonly deploymentStore: DeploymentStore;
  /** Named endpoints, their revisions, promotion gates, rollouts and evaluations. */
  readonly deployments: Deployments;
  readonly predictionLogStore: PredictionLogStore;
  /** Prediction log, feedback, reference profiles, drift, live quality, scheduled evaluation, alerts. */
  readonly monitoring: Monitoring;
  /** Releases everything, in reverse order of construction. Idempotent. */
  close(): Promise<void>;
}

type DatabaseOpener = (location: string) => Promise<Kysely<Database>>;
type ArtifactOpener = (location: string) => Promise<ArtifactStore>;

// Backends by URL scheme; heavy ones are imported only when chosen.
const DATABASES: Record<string, DatabaseOpener> = {
  sqlite: async (location) =>
    (await import('./store/sqlite/open-sqlite-database.js')).openSqliteDatabase(location),
};
// Backends whose writes block the calling thread hand the prediction log's batches to a thread of
// their own; the others append through the store.
const LOG_APPENDERS: Record<string, (location: string) => Promise<() => PredictionLogAppender>> = {
  sqlite: async (location) => {
    const { SqlitePredictionLogAppender } = await import('./store/sqlite/sqlite-prediction-log-appender.js');
    return () => new SqlitePredictionLogAppender(location);
  },
};
const ARTIFACT_STORES: Record<string, ArtifactOpener> = {
  file: (location) => FsArtifactStore.open(location),
};

export async function openSlipway(options: SlipwayOptions = {}): Promise<Slipway> {
  const config = resolveConfig(options);
  const store = splitUrl(config.storeUrl, 'store');
  const openDb = DATABASES[store.scheme];
  if (!openDb) throw unsupported('store', store.scheme, Object.keys(DATABASES));
  const art = splitUrl(config.artifactsUrl, 'artifacts');
  const openArtifacts = ARTIFACT_STORES[art.scheme];
  if (!openArtifacts) throw unsupported('artifacts', art.scheme, Object.keys(ARTIFACT_STORES));

  const artifacts = await openArtifacts(art.rest);
  const db = await openDb(store.rest);
  const registryStore = new KyselyRegistryStore(db, () => config.clock.now());
  const registry = new Registry({ store: registryStore, artifacts, clock: config.clock });
  const trackingStore = new KyselyTrackingStore(db, { like: store.scheme === 'postgres' ? 'like' : 'glob' });
  const runArtifacts = new RunArtifacts({ store: trackingStore, artifacts, clock: config.clock });
  const tracking = new Tracking({ store: trackingStore, artifacts: runArtifacts, clock: config.clock });
  const mlflowRegistry = new MlflowRegistry({
    registry,
    registryStore,
    tracking,
    trackingStore,
    clock: config.clock,
  });
  tracking.hooks.loggedModelFinalized = (model) => mlflowRegistry.loggedModelFinalized(model);
  // Gates and evaluations run models outside serving (the CLI has no server): a one-worker runtime,
  // started only when first needed.
  let gateRuntime: InferenceRuntime | null = null;
  const deploymentStore = new KyselyDeploymentStore(db);
  const deployments = new Deployments({
    store: deploymentStore,
    evaluations: new KyselyEvaluationStore(db),
    registry,
    clock: config.clock,
    engine: async () => {
      gateRuntime ??= createInferenceRuntime({ workers: 1 });
      return runtimeEngine(gateRuntime);
    },
  });
  const predictionLogStore = new KyselyPredictionLogStore(db);
  const logAppender = LOG_APPENDERS[store.scheme]
    ? await LOG_APPENDERS[store.scheme](store.rest)
    : () =>
        ({
          append: (batch) => predictionLogStore.append(batch),
          close: async () => {},
        }) satisfies PredictionLogAppender;
  const monitoring = new Monitoring({
    log: predictionLogStore,
    store: new KyselyMonitoringStore(db),
    alertStore: new KyselyAlertStore(db),
    registry,
    clock: config.clock,
    // References profile the model's answers on their dataset with the same one-worker runtime.
    engine: async () => {
      gateRuntime ??= createInferenceRuntime({ workers: 1 });
      return runtimeEngine(gateRuntime);
    },
    appender: logAppender,
  });
  registry.events.on('version-registered', (record) => monitoring.onVersionRegistered(record));
  deployments.hooks.quality = monitoring.qualitySource();

  let closed = false;
  return {
    config,
    db,
    artifacts,
    registryStore,
    registry,
    trackingStore,
    tracking,
    mlflowRegistry,
    deploymentStore,
    deployments,
    predictionLogStore,
    monitoring,
    async close() {
      if (closed) return;
      closed = true;
      registry.events.removeAllListeners();
      await monitoring.close();
      await gateRuntime?.close();
      await db.destroy();
    },
  };
}

export interface ServingOptions {
  /** Model references to serve; null serves every registered model. */
  selection: string[] | null;
  /** Inference worker threads (default: the number of cores). */
  workers?: number;
  /** How often replicas read the store's change log for registrations and alias moves. */
  pollMs?: number;
  /** Batcher settings for every served model (queue bounds, delay, batch size, timeout). */
  batching?: Partial<BatchingOptions>;
  log?: ModelRepositoryOptions['log'];
  /** Deployment routing (revisions, shadows, rollouts) beside the models; false for none. */
  deployments?:
    | Partial<
        Pick<
          DeploymentRouterOptions,
          'pollMs' | 'keepWarmMs' | 'webhooks' | 'rollouts' | 'shadow' | 'timeoutMs'
        >
      >
    | false;
}

/**
 * Starts the inference runtime and the model repository on top of the registry: the served models
 * are loaded and warmed before this resolves. Serving is separate from `openSlipway` so that
 * commands that only read the registry never start worker threads.
 */
export async function createServing(
  slipway: Slipway,
  options: ServingOptions,
): Promise<{
  repository: ModelRepository;
  engine: InferenceEngine;
  deployments: DeploymentRouter | null;
  close(): Promise<void>;
}> {
  const runtime = createInferenceRuntime({ workers: options.workers, batching: options.batching });
  const engine = runtimeEngine(runtime);
  const repository = new ModelRepository({
    registry: slipway.registry,
    store: slipway.registryStore,
    engine,
    selection: options.selection,
    pollMs: options.pollMs,
    log: options.log,
  });
  const deployments =
    options.deployments === false
      ? null
      : new DeploymentRouter({
          deployments: slipway.deployments,
          registry: slipway.registry,
          registryChanges: slipway.registryStore,
          engine,
          clock: slipway.config.clock,
          log: options.log,
          ...options.deployments,
        });
  try {
    await repository.start();
    await deployments?.start();
  } catch (err) {
    await deployments?.close();
    await repository.close();
    await runtime.close();
    throw err;
  }
  return {
    repository,
    engine,
    deployments,
    async close() {
      await deployments?.close();
      await repository.close();
      await runtime.close();
    },
  };
}

function unsupported(what: string, scheme: string, known: string[]): SlipwayError {
  return new SlipwayError(
    'CORE_INVALID_ARGUMENT',
    `unsupported ${what} URL scheme "${scheme}:": expected one of ${known.map((k) => `${k}:`).join(', ')}`,
  );
}

export { ERROR_CODES, type ErrorCode, EXIT, SlipwayError } from './core/errors.js';
export type { Datatype, Signature, TensorSpec } from './core/tensor-types.js';
export type { Arm } from './deployments/compiled-revision.js';
export type { DeploymentStatus, TargetStatus } from './deployments/deployment-status.js';
export {
  type ChangeOptions,
  DEFAULT_ROLLOUT_MARGINS,
  type DeploymentSummary,
  Deployments,
  type RolloutOptions,
} from './deployments/deployments.js';
export { METRIC_DIRECTIONS, type MetricName } from './deployments/evaluation-metrics.js';
export type { GateCheck, GateReport } from './deployments/gate-report.js';
export type { LiveQuality, LiveQualityQuery, QualitySource } from './deployments/quality-source.js';
export { describeSpec } from './deployments/revision-spec.js';
export { formatHold, parseHold, parseSteps } from './deployments/rollout-schedule.js';
export type { ShadowJob } from './deployments/shadow-runner.js';
export { summarize, type TrafficSummary } from './deployments/traffic-stats.js';
export {
  type Alert,
  type NotifyResult,
  WEBHOOK_FORMATS,
  type WebhookFormat,
  WebhookNotifier,
  type WebhookTarget,
} from './monitoring/alerts/webhook-notifier.js';
export { slipwayVersion } from './registry/environment.js';
export { formatModelRef, type ModelRef, parseModelRef } from './registry/model-ref.js';
export { type RegisterOptions, Registry } from './registry/registry.js';
export type { Tensor, TensorMap } from './runtime/tensor.js';
export { elementCount } from './runtime/tensor.js';
export { TensorArena } from './runtime/tensor-arena.js';
export type { V2RequestInput } from './runtime/tensor-codec.js';
export type { InferOptions, InferResult, TensorInputs } from './serving/inference-engine.js';
export type { ServedVersion } from './serving/model-repository.js';
export type { PredictionEvent, PredictionSink } from './serving/prediction-sink.js';
export { outputsToRecords, recordsToTable, type Table, tableToInputs } from './serving/tabular-input.js';
export type * from './store/deployment-store.js';
export type { EvaluationRecord } from './store/evaluation-store.js';
export type { ModelVersionRecord, RegisteredModelRecord } from './store/registry-store.js';
export type * from './store/tracking-store.js';
export { safeArtifactPath } from './tracking/artifact-uri.js';
export type {
  MlflowModelVersion,
  MlflowRegisteredModel,
  MlflowRegistry,
} from './tracking/mlflow-registry.js';
export type { Page } from './tracking/page-token.js';
export type { ArtifactFileInfo, RunArtifacts } from './tracking/run-artifacts.js';
export {
  type MetricInput,
  type SearchRunsOptions,
  Tracking,
  VIEW_TYPES,
  type ViewType,
} from './tracking/tracking.js';
export type { InferenceEngine };
export { DeploymentRouter, type DeploymentRouterOptions, ModelRepository, type ModelRepositoryOptions };

/** Batch prediction (issue 4) over this context's registry and store; its close() stops its jobs with a checkpoint. */
export function openBatchJobs(slipway: Slipway): BatchJobs {
  const { clock } = slipway.config;
  return new BatchJobs({
    registry: slipway.registry,
    store: new KyselyJobStore(slipway.db, () => clock.now()),
    clock,
    version: slipwayVersion(),
  });
}
export * from './batch/index.js';
export type { AlertOutcome } from './monitoring/alerts/alert-evaluator.js';
export { ALERT_METRICS, ALERT_OPERATORS, type AlertRule } from './monitoring/alerts/alert-rule.js';
export type { AlertEventView, AlertView } from './monitoring/alerts/alerts.js';
export type { DriftOptions, DriftReport } from './monitoring/drift-report.js';
export type {
  MonitoringScheduler,
  RunSummary,
  SchedulerOptions,
} from './monitoring/evaluation/monitoring-scheduler.js';
export type { RequestCount, TrafficRecorder } from './monitoring/evaluation/traffic-recorder.js';
export type { ExportResult } from './monitoring/export/parquet-export.js';
export type { FeedbackResult, UnknownFeedback } from './monitoring/feedback/feedback-items.js';
export { QUALITY_METRICS, type QualityMetric } from './monitoring/live-quality/quality-metrics.js';
export type { QualityReport } from './monitoring/live-quality/window-quality.js';
export { type EvaluationOptions, Monitoring, type StoredResult } from './monitoring/monitoring.js';
export {
  type MonitoringConfig,
  type MonitoringConfigOptions,
  resolveMonitoringConfig,
} from './monitoring/monitoring-config.js';
export {
  type PredictionLogStats,
  PredictionLogWriter,
  type PredictionLogWriterOptions,
} from './monitoring/prediction-log/prediction-log-writer.js';
export type { ReferenceSummary } from './monitoring/reference/references.js';
export { formatDuration, parseDuration } from './monitoring/window/duration.js';
export type { WindowSpec } from './monitoring/window/log-window.js';
export type * from './store/prediction-log-store.js';

/** The web dashboard's read-only aggregations (issue 8) over this context's store. */
export function openDashboardStore(slipway: Slipway): DashboardStore {
  return new KyselyDashboardStore(slipway.db);
}
export { defaultRollback } from './deployments/rollback-target.js';
export type { LoggedPrediction } from './monitoring/prediction-log/log-decoder.js';
export { versionView } from './registry/version-view.js';
export type * from './store/dashboard-store.js';
