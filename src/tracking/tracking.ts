import type { Clock } from '../core/clock.js';
import type {
  DatasetInputRecord,
  ExperimentRecord,
  LoggedModelRecord,
  MetricRecord,
  RunInfoRecord,
  RunRecord,
  TrackingStore,
} from '../store/tracking-store.js';
import * as experiments from './experiments.js';
import * as loggedModels from './logged-models.js';
import type { Page } from './page-token.js';
import type { ArtifactFileInfo, RunArtifacts } from './run-artifacts.js';
import type { MetricInput } from './run-logging.js';
import * as runLogging from './run-logging.js';
import type { SearchRunsOptions } from './run-search.js';
import * as runSearch from './run-search.js';
import * as runs from './runs.js';
import type { TrackingDeps, TrackingHooks } from './tracking-deps.js';
import type { ViewType } from './view-type.js';

export type { MetricInput } from './run-logging.js';
export type { SearchRunsOptions } from './run-search.js';
export type { TrackingHooks } from './tracking-deps.js';
export { stagesOf, VIEW_TYPES, type ViewType } from './view-type.js';

/**
 * Experiment tracking with MLflow's semantics: experiments, runs, metrics over steps, immutable
 * params, tags, dataset inputs, logged models (MLflow 3) and run artifacts. The MLflow REST
 * adapter and the CLI both call this class; it checks arguments once (MLflow's limits and
 * messages, see validation.ts) and leaves atomicity to the store. The work lives in one module per
 * concept (experiments.ts, runs.ts, run-search.ts, run-logging.ts, logged-models.ts); this class
 * is the one API over them.
 */
export class Tracking {
  readonly artifacts: RunArtifacts;
  readonly hooks: TrackingHooks = {};
  readonly #deps: TrackingDeps;

  constructor(deps: { store: TrackingStore; artifacts: RunArtifacts; clock: Clock }) {
    this.artifacts = deps.artifacts;
    this.#deps = { store: deps.store, clock: deps.clock, artifacts: deps.artifacts, hooks: this.hooks };
  }

  // ------------------------------------------------------------ experiments

  createExperiment(opts: {
    name: unknown;
    artifactLocation?: string | null;
    tags?: Record<string, string>;
  }): Promise<string> {
    return experiments.createExperiment(this.#deps, opts);
  }

  getExperiment(id: unknown): Promise<ExperimentRecord> {
    return experiments.getExperiment(this.#deps, id);
  }

  getExperimentByName(name: unknown): Promise<ExperimentRecord> {
    return experiments.getExperimentByName(this.#deps, name);
  }

  searchExperiments(opts: {
    viewType?: ViewType;
    maxResults?: number | null;
    filter?: string | null;
    orderBy?: string[];
    pageToken?: string | null;
  }): Promise<Page<ExperimentRecord>> {
    return experiments.searchExperiments(this.#deps, opts);
  }

  renameExperiment(id: unknown, newName: unknown): Promise<void> {
    return experiments.renameExperiment(this.#deps, id, newName);
  }

  deleteExperiment(id: unknown): Promise<void> {
    return experiments.deleteExperiment(this.#deps, id);
  }

  restoreExperiment(id: unknown): Promise<void> {
    return experiments.restoreExperiment(this.#deps, id);
  }

  setExperimentTag(id: unknown, key: unknown, value: unknown): Promise<void> {
    return experiments.setExperimentTag(this.#deps, id, key, value);
  }

  deleteExperimentTag(id: unknown, key: unknown): Promise<void> {
    return experiments.deleteExperimentTag(this.#deps, id, key);
  }

  // ------------------------------------------------------------ runs

  createRun(opts: {
    experimentId?: string | null;
    userId?: string | null;
    runName?: string | null;
    startTime?: number | null;
    tags?: Record<string, string>;
  }): Promise<RunRecord> {
    return runs.createRun(this.#deps, opts);
  }

  getRun(runId: unknown): Promise<RunRecord> {
    return runs.getRun(this.#deps, runId);
  }

  getRunInfo(runId: unknown): Promise<RunInfoRecord> {
    return runs.getRunInfo(this.#deps, runId);
  }

  updateRun(
    runId: unknown,
    patch: { status?: string | null; endTime?: number | null; runName?: string | null },
  ): Promise<RunInfoRecord> {
    return runs.updateRun(this.#deps, runId, patch);
  }

  deleteRun(runId: unknown): Promise<void> {
    return runs.deleteRun(this.#deps, runId);
  }

  restoreRun(runId: unknown): Promise<void> {
    return runs.restoreRun(this.#deps, runId);
  }

  /** MLflow's search_runs, done by the database: see TrackingStore's contract. */
  searchRuns(opts: SearchRunsOptions): Promise<Page<RunRecord>> {
    return runSearch.searchRuns(this.#deps, opts);
  }

  logMetric(runId: unknown, metric: Partial<MetricInput>): Promise<void> {
    return runLogging.logMetric(this.#deps, runId, metric);
  }

  logParam(runId: unknown, key: unknown, value: unknown): Promise<void> {
    return runLogging.logParam(this.#deps, runId, key, value);
  }

  setTag(runId: unknown, key: unknown, value: unknown): Promise<void> {
    return runLogging.setTag(this.#deps, runId, key, value);
  }

  deleteTag(runId: unknown, key: unknown): Promise<void> {
    return runs.deleteTag(this.#deps, runId, key);
  }

  /**
   * log-batch: at most 1,000 metrics, 100 params, 100 tags and 1,000 entities in all, written in
   * one transaction. `path` prefixes entity paths in messages (`metrics[3].value`) as MLflow does.
   */
  logBatch(
    runId: unknown,
    batch: {
      metrics?: Partial<MetricInput>[];
      params?: { key: unknown; value: unknown }[];
      tags?: { key: unknown; value: unknown }[];
    },
    path = 'batch',
  ): Promise<void> {
    return runLogging.logBatch(this.#deps, runId, batch, path);
  }

  getMetricHistory(
    runId: unknown,
    key: unknown,
    opts: { maxResults?: number | null; pageToken?: string | null } = {},
  ): Promise<Page<MetricRecord>> {
    return runLogging.getMetricHistory(this.#deps, runId, key, opts);
  }

  logInputs(runId: unknown, opts: { datasets?: DatasetInputRecord[]; modelIds?: string[] }): Promise<void> {
    return runLogging.logInputs(this.#deps, runId, opts);
  }

  logOutputs(runId: unknown, models: { modelId: string; step?: number }[]): Promise<void> {
    return runLogging.logOutputs(this.#deps, runId, models);
  }

  /** MLflow 2.x `runs/log-model`: appends the model's JSON to the run's `mlflow.log-model.history` tag. */
  recordLoggedModel(runId: unknown, modelJson: unknown): Promise<void> {
    return runLogging.recordLoggedModel(this.#deps, runId, modelJson);
  }

  /** The artifacts of a run below `path`, with paths relative to the run's root (MLflow's list). */
  listRunArtifacts(
    runId: unknown,
    path?: string | null,
  ): Promise<{ rootUri: string; files: ArtifactFileInfo[] }> {
    return runs.listRunArtifacts(this.#deps, runId, path);
  }

  // ------------------------------------------------------------ logged models (MLflow 3)

  createLoggedModel(opts: {
    experimentId: unknown;
    name?: string | null;
    modelType?: string | null;
    sourceRunId?: string | null;
    params?: Record<string, string>;
    tags?: Record<string, string>;
  }): Promise<LoggedModelRecord> {
    return loggedModels.createLoggedModel(this.#deps, opts);
  }

  getLoggedModel(modelId: unknown): Promise<LoggedModelRecord> {
    return loggedModels.getLoggedModel(this.#deps, modelId);
  }

  finalizeLoggedModel(modelId: unknown, status: unknown): Promise<LoggedModelRecord> {
    return loggedModels.finalizeLoggedModel(this.#deps, modelId, status);
  }

  deleteLoggedModel(modelId: unknown): Promise<void> {
    return loggedModels.deleteLoggedModel(this.#deps, modelId);
  }

  setLoggedModelTags(modelId: unknown, tags: Record<string, string>): Promise<LoggedModelRecord> {
    return loggedModels.setLoggedModelTags(this.#deps, modelId, tags);
  }

  deleteLoggedModelTag(modelId: unknown, key: unknown): Promise<void> {
    return loggedModels.deleteLoggedModelTag(this.#deps, modelId, key);
  }

  logLoggedModelParams(modelId: unknown, params: Record<string, string>): Promise<void> {
    return loggedModels.logLoggedModelParams(this.#deps, modelId, params);
  }

  searchLoggedModels(opts: {
    experimentIds: string[];
    filter?: string | null;
    maxResults?: number | null;
    orderBy?: { fieldName: string; ascending?: boolean }[];
    pageToken?: string | null;
  }): Promise<Page<LoggedModelRecord>> {
    return loggedModels.searchLoggedModels(this.#deps, opts);
  }

  listLoggedModelArtifacts(
    modelId: unknown,
    path?: string | null,
  ): Promise<{ rootUri: string; files: ArtifactFileInfo[] }> {
    return loggedModels.listLoggedModelArtifacts(this.#deps, modelId, path);
  }
}
