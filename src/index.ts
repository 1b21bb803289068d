/**
 * The public library API. `openSlipway(config)` is the composition root: the one place that
 * builds concrete stores and services and wires them together. The CLI, the HTTP server, tests and
 * benchmarks all start here.
 */
import type { Kysely } from 'kysely';
import type { ArtifactStore } from './artifacts/artifact-store.js';
import { FsArtifactStore } from './artifacts/fs/fs-artifact-store.js';
import { resolveConfig, type SlipwayConfig, type SlipwayOptions, splitUrl } from './core/config.js';
import { SlipwayError } from './core/errors.js';
import { Registry } from './registry/registry.js';
import type { BatchingOptions } from './runtime/dynamic-batcher.js';
import { createInferenceRuntime } from './runtime/inference-runtime.js';
import type { InferenceEngine } from './serving/inference-engine.js';
import { ModelRepository, type ModelRepositoryOptions } from './serving/model-repository.js';
import { runtimeEngine } from './serving/runtime-engine.js';
import { KyselyRegistryStore } from './store/kysely/kysely-registry-store.js';
import { KyselyTrackingStore } from './store/kysely/kysely-tracking-store.js';
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
    async close() {
      if (closed) return;
      closed = true;
      registry.events.removeAllListeners();
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
}

/**
 * Starts the inference runtime and the model repository on top of the registry: the served models
 * are loaded and warmed before this resolves. Serving is separate from `openSlipway` so that
 * commands that only read the registry never start worker threads.
 */
export async function createServing(
  slipway: Slipway,
  options: ServingOptions,
): Promise<{ repository: ModelRepository; engine: InferenceEngine; close(): Promise<void> }> {
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
  try {
    await repository.start();
  } catch (err) {
    await repository.close();
    await runtime.close();
    throw err;
  }
  return {
    repository,
    engine,
    async close() {
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
export { slipwayVersion } from './registry/environment.js';
export { formatModelRef, type ModelRef, parseModelRef } from './registry/model-ref.js';
export { type RegisterOptions, Registry } from './registry/registry.js';
export type { Tensor, TensorMap } from './runtime/tensor.js';
export type { InferOptions, InferResult, TensorInputs } from './serving/inference-engine.js';
export type { ServedVersion } from './serving/model-repository.js';
export { outputsToRecords, recordsToTable, type Table, tableToInputs } from './serving/tabular-input.js';
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
export { ModelRepository, type ModelRepositoryOptions };
export type { PredictionEvent, PredictionSink } from './serving/prediction-sink.js';
