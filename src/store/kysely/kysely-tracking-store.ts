import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type {
  ArtifactEntry,
  BatchWrite,
  DatasetInputRecord,
  ExperimentQuery,
  ExperimentRecord,
  LifecycleStage,
  LoggedModelQuery,
  LoggedModelRecord,
  LoggedModelStatus,
  MetricRecord,
  NewExperiment,
  NewLoggedModel,
  NewRun,
  RunInfoRecord,
  RunPatch,
  RunQuery,
  RunRecord,
  TrackingStore,
  VersionLink,
} from '../tracking-store.js';
import * as artifactIndex from './kysely-tracking-artifact-index.js';
import * as experiments from './kysely-tracking-experiments.js';
import * as loggedModels from './kysely-tracking-logged-models.js';
import * as runs from './kysely-tracking-runs.js';
import type { LikeFlavour } from './kysely-tracking-search.js';
import * as search from './kysely-tracking-search.js';
import * as versionLinks from './kysely-tracking-version-links.js';

export type { LikeFlavour } from './kysely-tracking-search.js';

export interface KyselyTrackingStoreOptions {
  /**
   * `glob` for SQLite, whose LIKE ignores case (MLflow turns on `case_sensitive_like`; a pragma
   * would change the registry's own searches, so patterns become GLOB instead); `like` for
   * PostgreSQL, whose LIKE is case-sensitive and which has ILIKE.
   */
  like: LikeFlavour;
}

/**
 * TrackingStore over Kysely. Searches are compiled to one SQL query each (filters as EXISTS
 * subqueries, orderings as scalar subqueries) so the database does the work; a page of runs is
 * then hydrated with one query per child table. The work lives in one module per concept
 * (experiments, runs and their log-batch writes, search, logged models, artifact index, registry
 * version links); this class binds them to one database.
 */
export class KyselyTrackingStore implements TrackingStore {
  readonly #db: Kysely<Database>;
  readonly #like: LikeFlavour;

  constructor(db: Kysely<Database>, options: KyselyTrackingStoreOptions) {
    this.#db = db;
    this.#like = options.like;
  }

  // ---------------------------------------------------------------- experiments

  createExperiment(input: NewExperiment): Promise<string> {
    return experiments.createExperiment(this.#db, input);
  }

  getExperiment(id: string): Promise<ExperimentRecord | null> {
    return experiments.getExperiment(this.#db, id);
  }

  getExperimentByName(name: string): Promise<ExperimentRecord | null> {
    return experiments.getExperimentByName(this.#db, name);
  }

  searchExperiments(query: ExperimentQuery): Promise<ExperimentRecord[]> {
    return experiments.searchExperiments(this.#db, this.#like, query);
  }

  updateExperiment(id: string, patch: { name?: string; lifecycleStage?: LifecycleStage }): Promise<void> {
    return experiments.updateExperiment(this.#db, id, patch);
  }

  setExperimentTag(id: string, key: string, value: string): Promise<void> {
    return experiments.setExperimentTag(this.#db, id, key, value);
  }

  deleteExperimentTag(id: string, key: string): Promise<void> {
    return experiments.deleteExperimentTag(this.#db, id, key);
  }

  // ---------------------------------------------------------------- runs

  createRun(input: NewRun): Promise<void> {
    return runs.createRun(this.#db, input);
  }

  getRun(runId: string): Promise<RunRecord | null> {
    return runs.getRun(this.#db, runId);
  }

  getRunInfo(runId: string): Promise<RunInfoRecord | null> {
    return runs.getRunInfo(this.#db, runId);
  }

  updateRun(runId: string, patch: RunPatch): Promise<void> {
    return runs.updateRun(this.#db, runId, patch);
  }

  searchRuns(query: RunQuery): Promise<RunRecord[]> {
    return search.searchRuns(this.#db, this.#like, query);
  }

  logBatch(runId: string, batch: BatchWrite): Promise<void> {
    return runs.logBatch(this.#db, runId, batch);
  }

  deleteTag(runId: string, key: string): Promise<void> {
    return runs.deleteTag(this.#db, runId, key);
  }

  metricHistory(
    runId: string,
    key: string,
    page: { offset: number; limit: number },
  ): Promise<MetricRecord[]> {
    return runs.metricHistory(this.#db, runId, key, page);
  }

  logInputs(
    runId: string,
    experimentId: string,
    inputs: DatasetInputRecord[],
    modelIds: string[],
  ): Promise<void> {
    return runs.logInputs(this.#db, runId, experimentId, inputs, modelIds);
  }

  logOutputs(runId: string, outputs: { modelId: string; step: number }[]): Promise<void> {
    return runs.logOutputs(this.#db, runId, outputs);
  }

  // ---------------------------------------------------------------- logged models

  createLoggedModel(input: NewLoggedModel): Promise<void> {
    return loggedModels.createLoggedModel(this.#db, input);
  }

  getLoggedModel(modelId: string): Promise<LoggedModelRecord | null> {
    return loggedModels.getLoggedModel(this.#db, modelId);
  }

  updateLoggedModel(
    modelId: string,
    patch: { status?: LoggedModelStatus; statusMessage?: string | null; lifecycleStage?: LifecycleStage },
  ): Promise<void> {
    return loggedModels.updateLoggedModel(this.#db, modelId, patch);
  }

  setLoggedModelTags(modelId: string, tags: Record<string, string>): Promise<void> {
    return loggedModels.setLoggedModelTags(this.#db, modelId, tags);
  }

  deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    return loggedModels.deleteLoggedModelTag(this.#db, modelId, key);
  }

  logLoggedModelParams(modelId: string, params: Record<string, string>): Promise<void> {
    return loggedModels.logLoggedModelParams(this.#db, modelId, params);
  }

  searchLoggedModels(query: LoggedModelQuery): Promise<LoggedModelRecord[]> {
    return loggedModels.searchLoggedModels(this.#db, this.#like, query);
  }

  // ---------------------------------------------------------------- artifact index

  putArtifactEntry(entry: ArtifactEntry): Promise<void> {
    return artifactIndex.putArtifactEntry(this.#db, entry);
  }

  getArtifactEntry(path: string): Promise<ArtifactEntry | null> {
    return artifactIndex.getArtifactEntry(this.#db, path);
  }

  listArtifactEntries(prefix: string): Promise<ArtifactEntry[]> {
    return artifactIndex.listArtifactEntries(this.#db, prefix);
  }

  deleteArtifactEntries(path: string): Promise<number> {
    return artifactIndex.deleteArtifactEntries(this.#db, path);
  }

  // ---------------------------------------------------------------- registry version links

  putVersionLink(link: VersionLink): Promise<void> {
    return versionLinks.putVersionLink(this.#db, link);
  }

  getVersionLink(name: string, version: number): Promise<VersionLink | null> {
    return versionLinks.getVersionLink(this.#db, name, version);
  }

  listVersionLinks(filter: { modelId?: string; name?: string }): Promise<VersionLink[]> {
    return versionLinks.listVersionLinks(this.#db, filter);
  }

  updateVersionLink(
    name: string,
    version: number,
    patch: Partial<Omit<VersionLink, 'name' | 'version'>>,
  ): Promise<void> {
    return versionLinks.updateVersionLink(this.#db, name, version, patch);
  }
}
