/**
 * The deployments slice of the metadata store: named endpoints, their immutable numbered
 * revisions, rollouts, per-process traffic statistics, promotion-gate results and the shadow log.
 *
 * Contract (every backend passes `test/deployments/deployment-store.test.ts`):
 * - Deployments and registered models share one namespace: `createDeployment` fails with
 *   `DEPLOYMENTS_EXISTS` when a deployment or a registered model already has the name, checked in
 *   the same transaction that creates it.
 * - Revisions are numbered 1, 2, 3… per deployment, never reused, never changed. `appendRevision`
 *   is one transaction: it takes the next number, writes the revision, makes it the live one and
 *   (when asked) updates a rollout, so a crash leaves either all of it or none. With
 *   `expectLive` it fails with `DEPLOYMENTS_CONFLICT` when the live revision is no longer that one
 *   (two writers deciding from the same state: the second loses instead of overwriting).
 * - Every revision has a `seq` that increases across all deployments in commit order; serving
 *   replicas follow `liveRevisions()` (one cheap query) and never rely on memory shared with the writer.
 * - Lists are ordered: deployments by name, revisions by number ascending, rollouts by id.
 * - Lookups of what does not exist return `null`; writes to a missing deployment throw
 *   `DEPLOYMENTS_NOT_FOUND`.
 * - `leaseRollout` is a compare-and-set: it succeeds only when the lease is free, expired, or
 *   already held by the same owner, so one process at a time drives a rollout.
 * - Statistics rows are absolute per (deployment, revision, process, model, version, role):
 *   `upsertStats` replaces them, so a replayed flush never double counts; readers sum processes.
 */
export interface DeploymentStore {
  createDeployment(input: NewDeployment): Promise<{ deployment: DeploymentRecord; revision: RevisionRecord }>;
  getDeployment(name: string): Promise<DeploymentRecord | null>;
  listDeployments(): Promise<DeploymentRecord[]>;
  updateConfig(name: string, config: DeploymentConfig, at: number): Promise<DeploymentRecord>;
  /** Removes the deployment with its revisions, rollouts, statistics and logs. */
  deleteDeployment(name: string): Promise<void>;

  appendRevision(name: string, input: NewRevision, options?: AppendOptions): Promise<RevisionRecord>;
  getRevision(name: string, revision: number): Promise<RevisionRecord | null>;
  listRevisions(name: string): Promise<RevisionRecord[]>;
  /** Every deployment's live revision and the highest revision `seq`: what replicas poll. */
  liveRevisions(): Promise<LiveRevision[]>;

  /** Starts a rollout and makes its first step live, in one transaction; returns both. */
  startRollout(
    name: string,
    rollout: NewRollout,
    firstStep: NewRevision,
    options?: AppendOptions,
  ): Promise<{ rollout: RolloutRecord; revision: RevisionRecord }>;
  getRollout(id: number): Promise<RolloutRecord | null>;
  /** Rollouts of one deployment (or of all when `name` is null), filtered by state. */
  listRollouts(query: { deployment?: string | null; state?: RolloutState | null }): Promise<RolloutRecord[]>;
  updateRollout(id: number, patch: RolloutPatch): Promise<RolloutRecord>;
  leaseRollout(id: number, owner: string, until: number, now: number): Promise<boolean>;

  upsertStats(rows: StatsRow[]): Promise<void>;
  readStats(deployment: string, revision: number): Promise<StatsRow[]>;

  recordGateResult(input: NewGateResult): Promise<GateResultRecord>;
  listGateResults(deployment: string): Promise<GateResultRecord[]>;

  appendShadowLog(rows: ShadowLogRow[]): Promise<void>;
  /** The newest shadow records first. */
  listShadowLog(deployment: string, limit: number): Promise<ShadowLogRow[]>;
}

/** How traffic is split between a revision's targets. */
export const TRAFFIC_POLICIES = ['single', 'canary', 'shadow', 'ab'] as const;
export type TrafficPolicy = (typeof TRAFFIC_POLICIES)[number];

/**
 * A target's part: the `primary` answers what the others do not; a `candidate` takes a share
 * (canary, A/B); a `shadow` gets a copy of every request and never answers.
 */
export const TARGET_ROLES = ['primary', 'candidate', 'shadow'] as const;
export type TargetRole = (typeof TARGET_ROLES)[number];

export interface TargetSpec {
  /** A model reference: `name:3` pins a version, `name@alias` follows the alias. */
  model: string;
  role: TargetRole;
  /** Share of traffic in percent (0-100); shadows have 0. */
  weight: number;
}

export interface RevisionSpec {
  policy: TrafficPolicy;
  targets: TargetSpec[];
  /** A/B only: where the sticky key comes from (a request header, or an input field). */
  abKey: { header: string | null; field: string | null } | null;
}

export interface DeploymentRecord {
  name: string;
  createdAt: number;
  updatedAt: number;
  liveRevision: number;
  config: DeploymentConfig;
}

/** Per-deployment settings that are not traffic: promotion gates, alert webhooks, rollout margins. */
export interface DeploymentConfig {
  gates: GateConfig | null;
  webhooks: WebhookConfig[];
}

export interface WebhookConfig {
  url: string;
  /** `json` posts the generic body; `slack` posts Slack's incoming-webhook body. */
  format: 'json' | 'slack';
}

export interface GateConfig {
  /** Candidate inputs must accept what the current version accepts (default true). */
  signature: boolean;
  evaluation: {
    dataset: string;
    target: string;
    /** Absolute bounds: `min` for higher-is-better metrics, `max` for lower-is-better ones. */
    min: Record<string, number>;
    max: Record<string, number>;
    /** How much worse than the current version a metric may be (in its own units). */
    margin: Record<string, number>;
  } | null;
  latency: {
    /** The candidate's p99 under the probe must be at most this many milliseconds. */
    p99Ms: number;
    requests: number;
    concurrency: number;
  } | null;
}

export interface NewDeployment {
  name: string;
  config: DeploymentConfig;
  at: number;
  revision: NewRevision;
}

export interface NewRevision {
  at: number;
  /** Who made the change: the bearer token's configured name, or `local`. */
  actor: string;
  /** What kind of change: create, canary, shadow, ab, promote, rollback, rollout-step... */
  action: string;
  /** Why, as the caller wrote it (`--message`), or null. */
  message: string | null;
  spec: RevisionSpec;
  /** Each target's model reference → the version it resolved to when the revision was made. */
  resolved: Record<string, number>;
  /** Anything else worth keeping: gate report id, rollback source, rollout id, alias moves. */
  details: Record<string, unknown>;
}

export interface AppendOptions {
  expectLive?: number;
  rollout?: { id: number; patch: RolloutPatch };
}

export interface RevisionRecord extends NewRevision {
  deployment: string;
  revision: number;
  seq: number;
}

export interface LiveRevision {
  name: string;
  liveRevision: number;
  updatedAt: number;
}

export const ROLLOUT_STATES = ['running', 'succeeded', 'rolled-back', 'aborted'] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];

export interface RolloutSpec {
  /** The candidate as asked (`fraud:4`) and the version it resolved to. */
  candidate: string;
  candidateVersion: number;
  /** Candidate traffic in percent at each step, ascending; the last is 100. */
  steps: number[];
  /** How long each step holds before the next: milliseconds, candidate requests, or both (first met). */
  hold: { ms: number | null; requests: number | null };
  margins: RolloutMargins;
}

export interface RolloutMargins {
  /** Candidate requests needed before its error rates are judged. */
  minRequests: number;
  /** Largest allowed excess of the candidate's 5xx rate over the primary's (0.01 = one point). */
  errorRate: number;
  /** Largest allowed excess of the candidate's 4xx rate over the primary's. */
  clientErrorRate: number;
  /** Candidate p99 may be at most primary p99 × ratio + slack. */
  latencyRatio: number;
  latencySlackMs: number;
  /** Largest allowed drop of live quality (in the metric's units) when labels flow. */
  quality: number;
}

export interface NewRollout {
  spec: RolloutSpec;
  at: number;
  actor: string;
  /** The revision live before the rollout: where a failed rollout returns. */
  baseRevision: number;
}

export interface RolloutRecord extends NewRollout {
  id: number;
  deployment: string;
  state: RolloutState;
  stepIndex: number;
  stepRevision: number;
  stepStartedAt: number;
  /** Why it ended (rolled back, aborted), or null. */
  reason: string | null;
  updatedAt: number;
  leaseOwner: string | null;
  leaseUntil: number;
}

export interface RolloutPatch {
  state?: RolloutState;
  stepIndex?: number;
  stepRevision?: number;
  stepStartedAt?: number;
  reason?: string | null;
  updatedAt: number;
}

export interface StatsRow {
  deployment: string;
  revision: number;
  /** The serving process that counted them. */
  process: string;
  model: string;
  version: number;
  role: TargetRole;
  requests: number;
  /** Answers with a 5xx status. */
  errors: number;
  /** Answers with a 4xx status. */
  clientErrors: number;
  /** Latency histogram buckets (index → count), see deployments/latency-histogram.ts. */
  latency: Record<string, number>;
  /** Shadow comparison counters, for shadow rows. */
  shadow: ShadowCounters | null;
  updatedAt: number;
}

export interface ShadowCounters {
  compared: number;
  /** Rows compared and rows where the shadow agreed with the primary. */
  rows: number;
  agreeingRows: number;
  /** Sum and maximum of absolute differences over compared float elements. */
  deltaSum: number;
  deltaCount: number;
  deltaMax: number;
  errors: number;
  dropped: number;
}

export interface NewGateResult {
  deployment: string;
  model: string;
  version: number;
  at: number;
  passed: boolean;
  report: Record<string, unknown>;
}

export interface GateResultRecord extends NewGateResult {
  id: number;
}

export interface ShadowLogRow {
  deployment: string;
  revision: number;
  requestId: string;
  at: number;
  primaryModel: string;
  primaryVersion: number;
  primaryMs: number;
  shadowModel: string;
  shadowVersion: number;
  shadowMs: number | null;
  /** Whether every compared row agreed; null when nothing could be compared. */
  agree: boolean | null;
  maxDelta: number | null;
  /** The shadow's outputs (`{name: {shape, data}}`), or null when it failed or they were too large. */
  outputs: Record<string, unknown> | null;
  error: string | null;
}
