/**
 * The tracking slice of the metadata store: experiments, runs and everything logged to them
 * (MLflow's data model), logged models (MLflow 3), the path index of run artifacts, and the
 * MLflow-side fields of registry versions.
 *
 * Contract (every backend passes `test/tracking/tracking-store.contract.ts`):
 * - Argument checks (MLflow's limits, names, lifecycle) happen above the store, in `Tracking`;
 *   the store trusts its input and only guarantees atomicity, ordering and conflicts.
 * - `logBatch` is one transaction: its params, metrics (history and latest value) and tags are
 *   all written or none are. A param key already stored with a different value makes the whole
 *   batch fail with `TRACKING_PARAM_CHANGED` (the same value again is a no-op). A metric equal in
 *   (key, step, timestamp, value) to a stored one is stored once.
 * - The latest value of a metric is the one with the greatest (step, timestamp, value), as in
 *   MLflow; it is what searches compare and what a run's data lists.
 * - `searchRuns` filters, orders and pages in the database (never in memory): clauses are ANDed;
 *   a clause on a metric/param/tag a run lacks excludes the run; order clauses put runs without
 *   the key (and NaN metrics) last in either direction; ties go to start_time DESC then run_id ASC.
 *   LIKE is case-sensitive and ILIKE is not, on every backend.
 * - Paging is by offset: `offset` and `limit` are applied after ordering. Callers ask for one row
 *   more than they return to know whether a next page exists.
 * - Lookups of what does not exist return `null`; writes to a missing run/experiment/model throw
 *   the matching `TRACKING_*_NOT_FOUND`; a taken experiment name throws `TRACKING_EXPERIMENT_EXISTS`.
 * - Experiment "0" named "Default" exists after migration.
 */
export interface TrackingStore {
  createExperiment(input: NewExperiment): Promise<string>;
  getExperiment(id: string): Promise<ExperimentRecord | null>;
  getExperimentByName(name: string): Promise<ExperimentRecord | null>;
  searchExperiments(query: ExperimentQuery): Promise<ExperimentRecord[]>;
  updateExperiment(id: string, patch: { name?: string; lifecycleStage?: LifecycleStage }): Promise<void>;
  setExperimentTag(id: string, key: string, value: string): Promise<void>;
  deleteExperimentTag(id: string, key: string): Promise<void>;

  createRun(input: NewRun): Promise<void>;
  getRun(runId: string): Promise<RunRecord | null>;
  /** Only the info columns, cheaper than `getRun` (used before every write). */
  getRunInfo(runId: string): Promise<RunInfoRecord | null>;
  updateRun(runId: string, patch: RunPatch): Promise<void>;
  searchRuns(query: RunQuery): Promise<RunRecord[]>;
  logBatch(runId: string, batch: BatchWrite): Promise<void>;
  deleteTag(runId: string, key: string): Promise<void>;
  metricHistory(runId: string, key: string, page: { offset: number; limit: number }): Promise<MetricRecord[]>;
  logInputs(
    runId: string,
    experimentId: string,
    inputs: DatasetInputRecord[],
    modelIds: string[],
  ): Promise<void>;
  logOutputs(runId: string, outputs: { modelId: string; step: number }[]): Promise<void>;

  createLoggedModel(input: NewLoggedModel): Promise<void>;
  getLoggedModel(modelId: string): Promise<LoggedModelRecord | null>;
  updateLoggedModel(
    modelId: string,
    patch: { status?: LoggedModelStatus; statusMessage?: string | null; lifecycleStage?: LifecycleStage },
  ): Promise<void>;
  setLoggedModelTags(modelId: string, tags: Record<string, string>): Promise<void>;
  deleteLoggedModelTag(modelId: string, key: string): Promise<void>;
  logLoggedModelParams(modelId: string, params: Record<string, string>): Promise<void>;
  searchLoggedModels(query: LoggedModelQuery): Promise<LoggedModelRecord[]>;

  /** Path index of artifacts served under `mlflow-artifacts:/`; bytes live in the ArtifactStore. */
  putArtifactEntry(entry: ArtifactEntry): Promise<void>;
  getArtifactEntry(path: string): Promise<ArtifactEntry | null>;
  /** Every entry whose path starts with `prefix` + "/" (or all when prefix is ""), by path. */
  listArtifactEntries(prefix: string): Promise<ArtifactEntry[]>;
  /** Removes `path` and everything below it; returns how many entries went. */
  deleteArtifactEntries(path: string): Promise<number>;

  /** MLflow-side fields of a registry version (source, logged model, stage). */
  putVersionLink(link: VersionLink): Promise<void>;
  getVersionLink(name: string, version: number): Promise<VersionLink | null>;
  listVersionLinks(filter: { modelId?: string; name?: string }): Promise<VersionLink[]>;
  updateVersionLink(
    name: string,
    version: number,
    patch: Partial<Omit<VersionLink, 'name' | 'version'>>,
  ): Promise<void>;
}

export const LIFECYCLE_STAGES = ['active', 'deleted'] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

export const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const LOGGED_MODEL_STATUSES = [
  'LOGGED_MODEL_STATUS_UNSPECIFIED',
  'LOGGED_MODEL_PENDING',
  'LOGGED_MODEL_READY',
  'LOGGED_MODEL_UPLOAD_FAILED',
] as const;
export type LoggedModelStatus = (typeof LOGGED_MODEL_STATUSES)[number];

export interface NewExperiment {
  name: string;
  /** When null the store sets `mlflow-artifacts:/<id>`. */
  artifactLocation: string | null;
  tags: Record<string, string>;
  createdAt: number;
}

export interface ExperimentRecord {
  experimentId: string;
  name: string;
  artifactLocation: string;
  lifecycleStage: LifecycleStage;
  creationTime: number;
  lastUpdateTime: number;
  tags: Record<string, string>;
}

export interface ExperimentQuery {
  stages: LifecycleStage[];
  clauses: SearchClause[];
  orderBy: OrderClause[];
  offset: number;
  limit: number;
}

export interface NewRun {
  runId: string;
  experimentId: string;
  name: string;
  userId: string;
  startTime: number;
  artifactUri: string;
  tags: Record<string, string>;
}

export interface RunInfoRecord {
  runId: string;
  experimentId: string;
  runName: string;
  userId: string;
  status: RunStatus;
  startTime: number;
  endTime: number | null;
  artifactUri: string;
  lifecycleStage: LifecycleStage;
}

export interface MetricRecord {
  key: string;
  /** NaN and ±Infinity are kept as such. */
  value: number;
  timestamp: number;
  step: number;
  runId?: string;
  modelId?: string | null;
  datasetName?: string | null;
  datasetDigest?: string | null;
}

export interface DatasetRecord {
  name: string;
  digest: string;
  sourceType: string;
  source: string;
  schema: string | null;
  profile: string | null;
}

export interface DatasetInputRecord {
  dataset: DatasetRecord;
  tags: Record<string, string>;
}

export interface RunRecord {
  info: RunInfoRecord;
  metrics: MetricRecord[];
  params: Record<string, string>;
  tags: Record<string, string>;
  datasetInputs: DatasetInputRecord[];
  modelInputs: string[];
  modelOutputs: { modelId: string; step: number }[];
}

export interface RunPatch {
  status?: RunStatus;
  endTime?: number;
  name?: string;
  lifecycleStage?: LifecycleStage;
  deletedTime?: number | null;
}

export interface RunQuery {
  experimentIds: string[];
  stages: LifecycleStage[];
  clauses: SearchClause[];
  orderBy: OrderClause[];
  offset: number;
  limit: number;
}

export interface BatchWrite {
  metrics: MetricRecord[];
  params: Record<string, string>;
  tags: Record<string, string>;
  /** The run's experiment, recorded on logged-model metrics. */
  experimentId: string;
}

export interface NewLoggedModel {
  modelId: string;
  experimentId: string;
  name: string;
  artifactUri: string;
  status: LoggedModelStatus;
  createdAt: number;
  modelType: string | null;
  sourceRunId: string | null;
  creatorId: string | null;
  params: Record<string, string>;
  tags: Record<string, string>;
}

export interface LoggedModelRecord {
  modelId: string;
  experimentId: string;
  name: string;
  artifactUri: string;
  status: LoggedModelStatus;
  statusMessage: string | null;
  creationTime: number;
  lastUpdatedTime: number;
  modelType: string | null;
  sourceRunId: string | null;
  creatorId: string | null;
  lifecycleStage: LifecycleStage;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: MetricRecord[];
}

export interface LoggedModelQuery {
  experimentIds: string[];
  clauses: SearchClause[];
  orderBy: OrderClause[];
  offset: number;
  limit: number;
}

export interface ArtifactEntry {
  /** POSIX path relative to the artifact root, e.g. `1/<run_id>/artifacts/model/MLmodel`. */
  path: string;
  sha256: string;
  size: number;
  updatedAt: number;
}

export interface VersionLink {
  name: string;
  version: number;
  /** The `source` the MLflow client gave (`models:/m-…`, `runs:/…`, `mlflow-artifacts:/…`). */
  source: string;
  /** Where the files are, as an artifact URI (what get-download-uri answers). */
  storageLocation: string;
  modelId: string | null;
  runId: string | null;
  runLink: string | null;
  userId: string | null;
  currentStage: string;
  lastUpdatedAt: number;
}

// ---- search grammar (parsed by tracking/search-filter.ts, compiled by each backend) ----

export const NUMERIC_OPS = ['=', '!=', '>', '>=', '<', '<='] as const;
export type NumericOp = (typeof NUMERIC_OPS)[number];
export type StringOp = '=' | '!=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN';

/** One comparison of a filter; a filter is the AND of its clauses (MLflow has no OR). */
export type SearchClause =
  | { kind: 'metric'; key: string; op: NumericOp; value: number }
  | { kind: 'param' | 'tag'; key: string; op: StringOp; value: string | string[] }
  | { kind: 'attribute'; key: string; op: NumericOp | StringOp; value: number | string | string[] }
  | { kind: 'dataset'; key: 'name' | 'digest' | 'context'; op: StringOp; value: string | string[] };

export interface OrderClause {
  kind: 'metric' | 'param' | 'tag' | 'attribute';
  key: string;
  ascending: boolean;
}
