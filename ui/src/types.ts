/** The JSON the dashboard reads, as the server writes it (snake_case, like the rest of /api). */

export interface RevisionSummary {
  revision: number;
  created_at: number;
  actor: string;
  action: string;
  message: string | null;
  policy: string;
  description: string;
  targets: { model: string; name: string; role: string; weight: number; version: number | null }[];
}

export interface DriftSummary {
  model: string;
  version: number;
  at: number;
  rows: number;
  dataset_drift: boolean;
  drift_share: number | null;
  drifted_columns: number;
  number_of_columns: number;
  top: { feature: string; score: number; drifted: boolean }[];
}

export interface HealthSummary {
  requests: number;
  rate_per_s: number;
  errors: number;
  client_errors?: number;
  error_rate: number | null;
  p50_ms?: number | null;
  p99_ms: number | null;
}

export interface AlertSummary {
  name: string;
  model: string;
  model_name: string;
  metric: string;
  op: string | null;
  threshold: number | null;
  severity: string | null;
  firing: boolean;
  last_value: number | null;
  last_fired_at: number | null;
  last_evaluated_at: number | null;
}

export interface OverviewDeployment {
  name: string;
  updated_at: number;
  live: RevisionSummary;
  revisions: number;
  rollback_to: RevisionSummary | null;
  rollout: { id: number; state: string; step: number; steps: number[] } | null;
  health: HealthSummary & {
    window_ms: number;
    versions: (HealthSummary & { model: string; version: number })[];
  };
  drift: DriftSummary[];
  alerts: AlertSummary[];
  status: 'attention' | 'errors' | 'ok';
  drifted: boolean;
}

export interface Overview {
  at: number;
  counts: {
    models: number;
    versions: number;
    deployments: number;
    experiments: number;
    runs: number;
    jobs: Record<string, number>;
    firing_alerts: number;
  };
  deployments: OverviewDeployment[];
  firing_alerts: AlertSummary[];
  undeployed_drift: Omit<DriftSummary, 'rows'>[];
}

export interface Placement {
  deployment: string;
  revision: number;
  role: string;
  weight: number;
  version?: number;
}

export interface ModelRow {
  name: string;
  description: string | null;
  updated_at: number;
  versions: number;
  latest_version: number | null;
  latest_status: string | null;
  latest_created_at: number | null;
  aliases: Record<string, number>;
  deployments: Placement[];
  drift: {
    version: number;
    at: number;
    dataset_drift: boolean;
    drifted_columns: number;
    number_of_columns: number;
    drift_share: number | null;
  }[];
}

export interface TensorSpec {
  name: string;
  datatype: string;
  shape: number[];
  dim_names?: (string | null)[];
}

export interface RunSummary {
  run_id: string;
  run_name?: string;
  experiment_id?: string;
  experiment_name?: string;
  status?: string;
  start_time?: number;
  end_time?: number | null;
  user_id?: string;
  params?: Record<string, string>;
  metrics?: Record<string, number>;
  tags?: Record<string, string>;
  datasets?: { name: string; digest: string; source: string; context: string | null }[];
  missing?: boolean;
}

export interface VersionDetail {
  name: string;
  version: number;
  status: string;
  status_message: string | null;
  created_at: number;
  description: string | null;
  sha256: string | null;
  aliases: string[];
  tags: Record<string, string>;
  signature: { inputs: TensorSpec[]; outputs: TensorSpec[] };
  feature_names: string[] | null;
  class_labels: string[] | null;
  metrics: Record<string, number>;
  datasets: {
    sha256: string;
    path: string;
    rows: number;
    columns: string[];
    role: string;
    target: string | null;
  }[];
  lineage: Record<string, unknown>;
  run_id: string | null;
  deployments: Placement[];
  run: RunSummary | null;
  drift: (Omit<DriftSummary, 'model' | 'version'> & { at: number }) | null;
  quality: {
    at: number;
    labelled: number;
    metrics: Record<string, number>;
    baseline: Record<string, Baseline>;
  } | null;
}

export interface Baseline {
  value: number;
  baseline: number;
  delta: number;
  better: 'higher' | 'lower';
  worse: boolean;
}

export interface ModelDetail {
  name: string;
  description: string | null;
  created_at: number;
  updated_at: number;
  latest_version: number;
  tags: Record<string, string>;
  aliases: Record<string, number>;
  versions: VersionDetail[];
}

export interface TrafficSeries {
  model: string;
  version: number;
  label: string;
  requests: number[];
  rate_per_s: number[];
  errors: number[];
  client_errors: number[];
  error_rate: (number | null)[];
  p50_ms: (number | null)[];
  p90_ms: (number | null)[];
  p99_ms: (number | null)[];
  summary: HealthSummary & { p90_ms: number | null; mean_ms: number | null; client_errors: number };
}

export interface Traffic {
  from: number;
  until: number;
  step_ms: number;
  deployment: string | null;
  t: number[];
  series: TrafficSeries[];
}

export interface HeatmapWindow {
  result_id: number;
  at: number;
  version: number;
  window_start: number;
  window_end: number;
  rows: number;
  dataset_drift: boolean;
  drift_share: number | null;
  drifted_columns: number | null;
  number_of_columns: number | null;
}

export interface HeatmapFeature {
  name: string;
  method: string;
  threshold: number;
  kind: string | null;
  score: (number | null)[];
  statistic: (number | null)[];
  p_value: (number | null)[];
  drifted: (boolean | null)[];
  drifted_windows: number;
  drifting_since: number | null;
  max_score: number;
  latest_score: number | null;
}

export interface Heatmap {
  model: string;
  version: number;
  kind: string;
  from: number;
  until: number;
  step_ms: number;
  drifting_since: number | null;
  drifting_features: string[];
  windows: HeatmapWindow[];
  features: HeatmapFeature[];
}

export interface Distribution {
  model: string;
  version: number;
  feature: string;
  kind: 'numeric' | 'categorical';
  bins: string[];
  reference: number[];
  current: number[];
  reference_rows: number;
  current_rows: number;
  reference_dataset: { dataset: string; sha256: string; rows: number; origin: string } | null;
  test: {
    method: string;
    statistic: number;
    p_value: number | null;
    threshold: number;
    drifted: boolean;
    score: number;
  } | null;
}

export interface DeploymentStatusTarget {
  model: string;
  role: string;
  weight: number;
  version: number | null;
  traffic: {
    version: number;
    share: number | null;
    requests: number;
    errors: number;
    client_errors: number;
    error_rate: number | null;
    p50_ms: number | null;
    p99_ms: number | null;
  }[];
  quality: { metric: string; value: number; higherIsBetter: boolean; labelled: number } | null;
}

export interface DeploymentStatus {
  name: string;
  description: string;
  targets: DeploymentStatusTarget[];
}

export interface DeploymentDetail {
  name: string;
  live: RevisionSummary;
  rollback_to: RevisionSummary | null;
  rollout: { id: number; state: string; step: number; steps: number[] } | null;
  revisions: RevisionSummary[];
  drift: DriftSummary[];
  models: string[];
  alerts: { name: string; firing: boolean; metric: string }[];
}

export interface QualityReport {
  model: string;
  version: number;
  task: string | null;
  predictions: number;
  labelled: number;
  skipped: number;
  metrics: Record<string, number>;
  baseline: Record<string, Baseline>;
}

export interface StoredResult {
  id: number;
  at: number;
  model: string;
  version: number;
  kind: string;
  rows: number;
  result: Record<string, unknown>;
}

export interface AlertEvent {
  id: number;
  rule: string;
  at: number;
  kind: 'fired' | 'resolved';
  value: number | null;
  message: string;
}

export interface AlertRuleView {
  rule: Record<string, unknown> & { name: string; model: string; metric: string };
  state: {
    firing: boolean;
    last_value: number | null;
    last_evaluated_at: number | null;
    last_fired_at: number | null;
  };
}

export interface Experiment {
  experiment_id: string;
  name: string;
  runs: number;
  last_run_at: number | null;
  creation_time: number;
}

export interface MlflowRun {
  info: {
    run_id: string;
    run_name?: string;
    experiment_id: string;
    user_id?: string;
    status: string;
    start_time: number;
    end_time?: number;
    lifecycle_stage: string;
  };
  data: {
    metrics?: { key: string; value: number; step: number; timestamp: number }[];
    params?: { key: string; value: string }[];
    tags?: { key: string; value: string }[];
  };
  inputs?: { dataset_inputs?: { dataset: { name: string; digest: string; source: string } }[] };
}

export interface MetricPoint {
  key: string;
  value: number;
  step: number;
  timestamp: number;
  run_id?: string;
}

export interface Job {
  id: string;
  status: string;
  stale: boolean;
  model: { ref: string; name: string; version: number; sha256: string };
  input: { path: string; format: string };
  output: { path: string; format: string };
  shard: { index: number; count: number } | null;
  options: Record<string, unknown>;
  rows: { read: number; written: number; rejected: number };
  progress: number;
  created_at: number;
  started_at: number;
  updated_at: number;
  finished_at: number | null;
  error: { code?: string; message?: string } | null;
  provenance: Record<string, unknown> | null;
  runner: string | null;
}
