import type { Generated } from 'kysely';

/**
 * The tables of the metadata store, as Kysely sees them. Every backend (SQLite now, PostgreSQL
 * later) holds these tables, created by the portable migrations in `migrations/`.
 *
 * Times are integers (milliseconds since the epoch) and structured values are JSON text, so the
 * same queries run unchanged on both databases.
 */
export interface RegisteredModelTable {
  name: string;
  description: string | null;
  created_at: number;
  updated_at: number;
  /** The highest version number ever handed out: versions stay monotonic after deletions. */
  latest_version: number;
}

export interface ModelTagTable {
  model_name: string;
  key: string;
  value: string;
}

export interface ModelVersionTable {
  model_name: string;
  version: number;
  description: string | null;
  created_at: number;
  /** sha256 of the ONNX file that is served (after a ZipMap rewrite, the rewritten bytes). */
  model_sha256: string | null;
  /** sha256 of the manifest listing every stored file of the version (MLflow directories). */
  manifest_sha256: string;
  source_format: string;
  source_path: string | null;
  /** READY, or NOT_SERVABLE with `status_message` saying why. */
  status: string;
  status_message: string | null;
  signature_json: string;
  lineage_json: string;
  metadata_json: string;
  run_id: string | null;
}

export interface VersionTagTable {
  model_name: string;
  version: number;
  key: string;
  value: string;
}

export interface AliasTable {
  model_name: string;
  alias: string;
  version: number;
  updated_at: number;
}

export interface DatasetTable {
  sha256: string;
  path: string;
  rows: number;
  columns_json: string;
  created_at: number;
}

export interface VersionDatasetTable {
  model_name: string;
  version: number;
  dataset_sha256: string;
  role: string;
  target: string | null;
}

export interface ChangeLogTable {
  id: Generated<number>;
  /** What changed (`version`, `alias`, `model`...), read by replicas that poll for changes. */
  topic: string;
  subject: string;
  at: number;
}

// ---- tracking (MLflow's data model; migration 0002-tracking) ----

export interface TrackingExperimentTable {
  experiment_id: Generated<number>;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  creation_time: number;
  last_update_time: number;
}

export interface TrackingExperimentTagTable {
  experiment_id: number;
  key: string;
  value: string;
}

export interface TrackingRunTable {
  run_id: string;
  experiment_id: number;
  name: string;
  user_id: string;
  status: string;
  start_time: number;
  end_time: number | null;
  artifact_uri: string;
  lifecycle_stage: string;
  deleted_time: number | null;
}

export interface TrackingKeyValueTable {
  run_id: string;
  key: string;
  value: string;
}

export interface TrackingMetricTable {
  run_id: string;
  key: string;
  step: number;
  timestamp: number;
  /** 0 when `is_nan` (SQLite stores NaN as NULL). */
  value: number;
  is_nan: number;
}

export interface TrackingDatasetTable {
  dataset_id: Generated<number>;
  experiment_id: number;
  name: string;
  digest: string;
  source_type: string;
  source: string;
  schema: string | null;
  profile: string | null;
}

export interface TrackingRunInputTable {
  run_id: string;
  dataset_id: number;
  tags_json: string;
  /** The `mlflow.data.context` input tag (training, eval...), a column so filters can use it. */
  context: string | null;
}

export interface TrackingRunModelTable {
  run_id: string;
  model_id: string;
  /** `input` or `output`. */
  direction: string;
  step: number;
}

export interface TrackingLoggedModelTable {
  model_id: string;
  experiment_id: number;
  name: string;
  artifact_uri: string;
  status: string;
  status_message: string | null;
  creation_time: number;
  last_updated_time: number;
  model_type: string | null;
  source_run_id: string | null;
  creator_id: string | null;
  lifecycle_stage: string;
}

export interface TrackingLoggedModelKeyValueTable {
  model_id: string;
  key: string;
  value: string;
}

export interface TrackingLoggedModelMetricTable {
  id: Generated<number>;
  model_id: string;
  key: string;
  step: number;
  timestamp: number;
  value: number;
  is_nan: number;
  run_id: string | null;
  dataset_name: string | null;
  dataset_digest: string | null;
}

export interface TrackingArtifactTable {
  path: string;
  sha256: string;
  size: number;
  updated_at: number;
}

export interface TrackingVersionLinkTable {
  model_name: string;
  version: number;
  source: string;
  storage_location: string;
  model_id: string | null;
  run_id: string | null;
  run_link: string | null;
  user_id: string | null;
  current_stage: string;
  last_updated_at: number;
}

// ---- deployments (migration 0004-deployments) ----

export interface DeploymentTable {
  name: string;
  created_at: number;
  updated_at: number;
  live_revision: number;
  config_json: string;
}

export interface DeploymentRevisionTable {
  /** Increases across every deployment in commit order: the feed serving replicas follow. */
  seq: Generated<number>;
  deployment: string;
  revision: number;
  created_at: number;
  actor: string;
  action: string;
  message: string | null;
  spec_json: string;
  resolved_json: string;
  details_json: string;
}

export interface DeploymentRolloutTable {
  id: Generated<number>;
  deployment: string;
  state: string;
  spec_json: string;
  actor: string;
  base_revision: number;
  step_index: number;
  step_revision: number;
  step_started_at: number;
  reason: string | null;
  created_at: number;
  updated_at: number;
  lease_owner: string | null;
  lease_until: number;
}

export interface DeploymentStatsTable {
  deployment: string;
  revision: number;
  process: string;
  model: string;
  version: number;
  role: string;
  requests: number;
  errors: number;
  client_errors: number;
  latency_json: string;
  shadow_json: string | null;
  updated_at: number;
}

export interface DeploymentGateResultTable {
  id: Generated<number>;
  deployment: string;
  model: string;
  version: number;
  at: number;
  passed: number;
  report_json: string;
}

export interface DeploymentShadowLogTable {
  id: Generated<number>;
  deployment: string;
  revision: number;
  request_id: string;
  at: number;
  primary_model: string;
  primary_version: number;
  primary_ms: number;
  shadow_model: string;
  shadow_version: number;
  shadow_ms: number | null;
  agree: number | null;
  max_delta: number | null;
  outputs_json: string | null;
  error: string | null;
}

export interface EvaluationTable {
  id: Generated<number>;
  model_name: string;
  version: number;
  dataset_path: string;
  dataset_sha256: string;
  target: string;
  rows: number;
  task: string;
  metrics_json: string;
  created_at: number;
}

export interface Database {
  registered_models: RegisteredModelTable;
  model_tags: ModelTagTable;
  model_versions: ModelVersionTable;
  version_tags: VersionTagTable;
  aliases: AliasTable;
  datasets: DatasetTable;
  version_datasets: VersionDatasetTable;
  change_log: ChangeLogTable;
  tracking_experiments: TrackingExperimentTable;
  tracking_experiment_tags: TrackingExperimentTagTable;
  tracking_runs: TrackingRunTable;
  tracking_params: TrackingKeyValueTable;
  tracking_tags: TrackingKeyValueTable;
  tracking_metrics: TrackingMetricTable;
  tracking_latest_metrics: TrackingMetricTable;
  tracking_datasets: TrackingDatasetTable;
  tracking_run_inputs: TrackingRunInputTable;
  tracking_run_models: TrackingRunModelTable;
  tracking_logged_models: TrackingLoggedModelTable;
  tracking_logged_model_params: TrackingLoggedModelKeyValueTable;
  tracking_logged_model_tags: TrackingLoggedModelKeyValueTable;
  tracking_logged_model_metrics: TrackingLoggedModelMetricTable;
  tracking_artifacts: TrackingArtifactTable;
  tracking_version_links: TrackingVersionLinkTable;
  deployments: DeploymentTable;
  deployment_revisions: DeploymentRevisionTable;
  deployment_rollouts: DeploymentRolloutTable;
  deployment_stats: DeploymentStatsTable;
  deployment_gate_results: DeploymentGateResultTable;
  deployment_shadow_log: DeploymentShadowLogTable;
  evaluations: EvaluationTable;
  batch_jobs: BatchJobTable;
  prediction_log: PredictionLogTable;
  prediction_log_layouts: PredictionLogLayoutTable;
  prediction_log_streams: PredictionLogStreamTable;
  prediction_log_ids: PredictionLogIdTable;
  prediction_log_ids_mark: PredictionLogIdMarkTable;
  monitoring_references: MonitoringReferenceTable;
  monitoring_results: MonitoringResultTable;
  monitoring_traffic: MonitoringTrafficTable;
  monitoring_leases: MonitoringLeaseTable;
  alert_rules: AlertRuleTable;
  alert_events: AlertEventTable;
}

// ---- batch prediction jobs (migration 0003-batch-jobs) ----

export interface BatchJobTable {
  id: string;
  /** RUNNING, SUCCEEDED, FAILED or CANCELLED. */
  status: string;
  model_ref: string;
  model_name: string;
  model_version: number;
  model_sha256: string;
  input_path: string;
  input_format: string;
  output_path: string;
  output_format: string;
  shard_index: number | null;
  shard_count: number | null;
  options_json: string;
  rows_read: number;
  rows_written: number;
  rows_rejected: number;
  /** Fraction of the input read, 0 to 1. */
  progress: number;
  created_at: number;
  started_at: number;
  /** Moves with every progress update: a heartbeat. */
  updated_at: number;
  finished_at: number | null;
  error_json: string | null;
  provenance_json: string | null;
  /** `hostname:pid` of the process that runs it. */
  runner: string | null;
}

// ---- monitoring (migration 0005-monitoring) ----

export interface PredictionLogTable {
  id: Generated<number>;
  /** The request's id; with `row_index` it names one prediction (a 64-row request is 64 rows). */
  request_id: string;
  row_index: number;
  /** The caller's own key (V2 `parameters.prediction_key`), shared by the rows of its request. */
  prediction_key: string | null;
  /** When the request arrived (ms). */
  at: number;
  /** The model version, deployment and protocol (`prediction_log_streams`; migration 0006). */
  stream_id: number;
  /** The request's latency, repeated on each of its rows. */
  latency_ms: number;
  /** The layout naming the packed values (`prediction_log_layouts`). */
  layout_id: number;
  /** Packed feature values of the row (monitoring's row codec). */
  features: Uint8Array;
  /** Packed output values of the row. */
  outputs: Uint8Array;
  /** The true label or value, once feedback brought it. */
  label_json: string | null;
  labelled_at: number | null;
}

/** The lookup of request ids and prediction keys: `hash` is `idHash('r', id)` or `idHash('k', key)`. */
export interface PredictionLogIdTable {
  hash: number;
  log_id: number;
}

/** One row, `requests`: every log row with an id up to `log_id` is in prediction_log_ids. */
export interface PredictionLogIdMarkTable {
  name: string;
  log_id: number;
}

/** A model version as it was called (through a deployment or not, by a protocol), interned. */
export interface PredictionLogStreamTable {
  id: Generated<number>;
  model: string;
  version: number;
  deployment: string | null;
  protocol: string;
}

export interface PredictionLogLayoutTable {
  id: Generated<number>;
  /** Feature and output names and types, in packing order. */
  spec_json: string;
}

export interface MonitoringReferenceTable {
  model: string;
  version: number;
  created_at: number;
  /** Where the profile came from: dataset path, sha256, rows, which columns are features/outputs/target. */
  source_json: string;
  profile_json: string;
}

export interface MonitoringResultTable {
  id: Generated<number>;
  at: number;
  model: string;
  version: number;
  /** `drift`, `prediction_drift` or `quality`. */
  kind: string;
  window_start: number;
  window_end: number;
  rows: number;
  result_json: string;
}

export interface MonitoringTrafficTable {
  process: string;
  model: string;
  version: number;
  /** Start of the minute (ms) the counts belong to. */
  bucket: number;
  requests: number;
  errors: number;
  client_errors: number;
}

export interface MonitoringLeaseTable {
  name: string;
  owner: string;
  until: number;
}

export interface AlertRuleTable {
  name: string;
  spec_json: string;
  created_at: number;
  updated_at: number;
  firing: number;
  last_value: number | null;
  last_evaluated_at: number | null;
  last_fired_at: number | null;
}

export interface AlertEventTable {
  id: Generated<number>;
  rule: string;
  at: number;
  /** `fired` or `resolved`. */
  kind: string;
  value: number | null;
  message: string;
  details_json: string;
  deliveries_json: string;
}
