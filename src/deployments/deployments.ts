import type { Clock } from '../core/clock.js';
import { SlipwayError } from '../core/errors.js';
import { assertValidName } from '../core/names.js';
import { parseModelRef } from '../registry/model-ref.js';
import type { Registry } from '../registry/registry.js';
import type { InferenceEngine } from '../serving/inference-engine.js';
import type {
  AppendOptions,
  DeploymentConfig,
  DeploymentRecord,
  DeploymentStore,
  GateConfig,
  GateResultRecord,
  NewRevision,
  RevisionRecord,
  RevisionSpec,
  RolloutMargins,
  RolloutPatch,
  RolloutRecord,
  ShadowLogRow,
  WebhookConfig,
} from '../store/deployment-store.js';
import type { EvaluationRecord, EvaluationStore } from '../store/evaluation-store.js';
import type { ModelVersionRecord } from '../store/registry-store.js';
import { type DeploymentStatus, deploymentStatus } from './deployment-status.js';
import { Evaluator } from './evaluator.js';
import { describeFailures, type GateReport } from './gate-report.js';
import { runGates } from './promotion-gates.js';
import type { QualitySource } from './quality-source.js';
import * as specs from './revision-spec.js';
import { type AliasMove, defaultRollback, promotionToUndo } from './rollback-target.js';
import { parseHold, parseSteps } from './rollout-schedule.js';
import { signatureCheck } from './signature-compatibility.js';

export interface DeploymentsOptions {
  store: DeploymentStore;
  evaluations: EvaluationStore;
  registry: Registry;
  clock: Clock;
  /** The engine gates and evaluations run models on, created on first need. */
  engine: () => Promise<InferenceEngine>;
}

/** Who and why, on every change. */
export interface ChangeOptions {
  /** The caller's identity: the bearer token's configured name, or `local` (the default). */
  actor?: string;
  message?: string | null;
}

export const DEFAULT_ROLLOUT_MARGINS: RolloutMargins = Object.freeze({
  minRequests: 20,
  errorRate: 0.02,
  clientErrorRate: 0.02,
  latencyRatio: 1.5,
  latencySlackMs: 10,
  quality: 0.02,
});

export interface DeploymentSummary {
  name: string;
  liveRevision: number;
  description: string;
  updatedAt: number;
  rollout: { id: number; state: string; step: number; steps: number[] } | null;
}

export interface RolloutOptions extends ChangeOptions {
  model: string;
  steps: string | number[];
  hold: string;
  margins?: Partial<RolloutMargins>;
  /** Start without running the promotion gates (recorded). */
  force?: boolean;
}

/**
 * Deployments: named endpoints whose live revision says which model versions answer and how
 * traffic is split. Every change writes a new immutable revision (who, when, what, why); serving
 * processes follow the live revision through the store (see DeploymentRouter), so a change made
 * here — from the CLI, the HTTP API or a rollout — is in force on every replica.
 *
 * In-process listeners (`onChange`) are awaited after each change, so a server that makes a change
 * answers only once the new revision is in force on itself.
 */
export class Deployments {
  /** Set by whoever provides live quality (monitoring); read by status and rollouts. */
  readonly hooks: { quality: QualitySource | null } = { quality: null };
  readonly evaluator: Evaluator;
  readonly #store: DeploymentStore;
  readonly #registry: Registry;
  readonly #clock: Clock;
  readonly #engine: () => Promise<InferenceEngine>;
  readonly #listeners = new Set<(name: string) => Promise<void>>();

  constructor(options: DeploymentsOptions) {
    this.#store = options.store;
    this.#registry = options.registry;
    this.#clock = options.clock;
    this.#engine = options.engine;
    this.evaluator = new Evaluator({
      registry: options.registry,
      store: options.evaluations,
      clock: options.clock,
      engine: options.engine,
    });
  }

  get store(): DeploymentStore {
    return this.#store;
  }

  /** Called (and awaited) after every change this object makes; returns the unsubscribe function. */
  onChange(listener: (name: string) => Promise<void>): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async create(
    name: string,
    options: ChangeOptions & { model: string; gates?: GateConfig | null; webhooks?: WebhookConfig[] },
  ): Promise<RevisionRecord> {
    assertValidName('deployment', name);
    const record = await this.#servable(options.model);
    const spec = specs.single(options.model);
    const { revision } = await this.#store.createDeployment({
      name,
      at: this.#clock.now(),
      config: { gates: options.gates ?? null, webhooks: options.webhooks ?? [] },
      revision: this.#revision('create', spec, { [options.model]: record.version }, options, {}),
    });
    await this.#changed(name);
    return revision;
  }

  /** The candidate takes `weight` percent; the primary keeps the rest. */
  canary(
    name: string,
    options: ChangeOptions & { model: string; weight: number; force?: boolean },
  ): Promise<RevisionRecord> {
    return this.#withCandidate(name, 'canary', options, (primary) =>
      specs.canary(primary, options.model, options.weight),
    );
  }

  /** The primary answers everything; the candidate gets a copy of each request, off the request path. */
  shadow(name: string, options: ChangeOptions & { model: string }): Promise<RevisionRecord> {
    return this.#withCandidate(name, 'shadow', { ...options, force: true }, (primary) =>
      specs.shadow(primary, options.model),
    );
  }

  /** Sticky split: the same key (header or input field) always reaches the same version. */
  ab(
    name: string,
    options: ChangeOptions & {
      model: string;
      weight?: number;
      keyHeader?: string | null;
      keyField?: string | null;
      force?: boolean;
    },
  ): Promise<RevisionRecord> {
    return this.#withCandidate(name, 'ab', options, (primary) =>
      specs.ab(primary, options.model, options.weight ?? 50, {
        header: options.keyHeader ?? null,
        field: options.keyField ?? null,
      }),
    );
  }

  /**
   * The candidate of the live revision (canary, B side or shadow) takes all traffic and the alias
   * `champion` of its model moves to it — after the deployment's promotion gates pass. A failed
   * gate throws DEPLOYMENTS_GATE_FAILED with the report; every run is recorded.
   */
  async promote(
    name: string,
    options: ChangeOptions & { force?: boolean } = {},
  ): Promise<{ revision: RevisionRecord; gates: GateReport | null }> {
    const dep = await this.get(name);
    const live = await this.#live(dep);
    const candidate = specs.candidateOf(live.spec);
    if (!candidate) {
      throw new SlipwayError(
        'DEPLOYMENTS_INVALID_STATE',
        `deployment "${name}" revision ${live.revision} is ${live.spec.policy}: there is no candidate to promote ` +
          '(start a canary, shadow or A/B test first)',
      );
    }
    const candidateRecord = await this.#registry.resolve(candidate.model);
    const currentRecord = await this.#resolveOrNull(specs.primaryOf(live.spec).model);
    let gates: GateReport | null = null;
    let gateResult: GateResultRecord | null = null;
    if (!options.force) {
      ({ report: gates, result: gateResult } = await this.checkGates(name, currentRecord, candidateRecord));
      if (!gates.passed) throw gateFailure(name, gates, gateResult);
    }
    const revision = await this.#promoteTo(dep, live, candidateRecord, {
      actor: options.actor,
      message: options.message,
      details: {
        gates: gateResult ? { id: gateResult.id, passed: gateResult.passed } : { skipped: true },
      },
    });
    return { revision, gates };
  }

  /** Runs the deployment's promotion gates on a candidate and records the result. */
  async checkGates(
    name: string,
    current: ModelVersionRecord | null,
    candidate: ModelVersionRecord,
  ): Promise<{ report: GateReport; result: GateResultRecord }> {
    const dep = await this.get(name);
    const report = await runGates({
      config: dep.config.gates,
      current,
      candidate,
      evaluator: this.evaluator,
      registry: this.#registry,
      engine: this.#engine,
      now: this.#clock.now(),
    });
    const result = await this.#store.recordGateResult({
      deployment: name,
      model: candidate.name,
      version: candidate.version,
      at: report.at,
      passed: report.passed,
      report: report as unknown as Record<string, unknown>,
    });
    return { report, result };
  }

  /**
   * Back to an earlier revision: `to`, or by default the newest earlier single-version revision
   * that answered with other versions than the live one (the last known-good state), else the
   * revision before the live one. The result is a new revision that answers with the versions the
   * old one answered with: an alias that a promotion since moved is moved back; a reference whose
   * alias moved otherwise is pinned to the version it had. A running rollout is aborted.
   */
  async rollback(
    name: string,
    options: ChangeOptions & { to?: number } = {},
    internal: { expectLive?: number; rollout?: { id: number; patch: RolloutPatch } } = {},
  ): Promise<RevisionRecord> {
    const dep = await this.get(name);
    const revisions = await this.#store.listRevisions(name);
    const live = revisions.find((r) => r.revision === dep.liveRevision)!;
    const target =
      options.to !== undefined
        ? revisions.find((r) => r.revision === options.to)
        : defaultRollback(revisions, live);
    if (!target) {
      throw options.to !== undefined
        ? new SlipwayError(
            'DEPLOYMENTS_REVISION_NOT_FOUND',
            `deployment "${name}" has no revision ${options.to} (revisions 1 to ${live.revision})`,
          )
        : new SlipwayError(
            'DEPLOYMENTS_INVALID_STATE',
            `deployment "${name}" has only revision ${live.revision}: there is nothing to roll back to`,
          );
    }
    const aliasMoves: AliasMove[] = [];
    const pinned: string[] = [];
    const targets = [];
    for (const t of target.spec.targets) {
      const then = target.resolved[t.model];
      let model = t.model;
      if (specs.isFollowing(t.model) && then !== undefined) {
        const now = await this.#resolveOrNull(t.model);
        if (now?.version !== then) {
          const undo = promotionToUndo(revisions, target.revision, t.model, now?.version ?? null);
          if (undo) {
            await this.#registry.setAlias(undo.model, undo.alias, then);
            aliasMoves.push({ model: undo.model, alias: undo.alias, from: now?.version ?? null, to: then });
          } else {
            model = `${parseModelRef(t.model).name}:${then}`;
            pinned.push(`${t.model} → ${model}`);
          }
        }
      }
      targets.push({ ...t, model });
    }
    const spec: RevisionSpec = { ...target.spec, targets };
    const resolved = await this.#resolveAll(spec);
    const running = (await this.#store.listRollouts({ deployment: name, state: 'running' }))[0];
    const append: AppendOptions = { expectLive: internal.expectLive };
    if (internal.rollout) append.rollout = internal.rollout;
    else if (running) {
      append.rollout = {
        id: running.id,
        patch: {
          state: 'aborted',
          reason: `rolled back to revision ${target.revision} by ${options.actor ?? 'local'}`,
          updatedAt: this.#clock.now(),
        },
      };
    }
    const revision = await this.#store.appendRevision(
      name,
      this.#revision('rollback', spec, resolved, options, {
        from: live.revision,
        to: target.revision,
        aliasMoves,
        pinned,
      }),
      append,
    );
    await this.#changed(name);
    return revision;
  }

  async configure(
    name: string,
    patch: { gates?: GateConfig | null; webhooks?: WebhookConfig[] },
  ): Promise<DeploymentRecord> {
    const dep = await this.get(name);
    const config: DeploymentConfig = {
      gates: patch.gates === undefined ? dep.config.gates : patch.gates,
      webhooks: patch.webhooks ?? dep.config.webhooks,
    };
    return this.#store.updateConfig(name, config, this.#clock.now());
  }

  async get(name: string): Promise<DeploymentRecord> {
    assertValidName('deployment', name);
    const dep = await this.#store.getDeployment(name);
    if (!dep) throw new SlipwayError('DEPLOYMENTS_NOT_FOUND', `deployment "${name}" does not exist`);
    return dep;
  }

  async list(): Promise<DeploymentSummary[]> {
    const deps = await this.#store.listDeployments();
    const running = await this.#store.listRollouts({ state: 'running' });
    return Promise.all(
      deps.map(async (d) => {
        const live = (await this.#store.getRevision(d.name, d.liveRevision))!;
        const r = running.find((x) => x.deployment === d.name);
        return {
          name: d.name,
          liveRevision: d.liveRevision,
          description: specs.describeSpec(live.spec, live.resolved),
          updatedAt: d.updatedAt,
          rollout: r ? { id: r.id, state: r.state, step: r.stepIndex, steps: r.spec.steps } : null,
        };
      }),
    );
  }

  async history(name: string): Promise<RevisionRecord[]> {
    await this.get(name);
    return this.#store.listRevisions(name);
  }

  async revision(name: string, revision: number): Promise<RevisionRecord> {
    await this.get(name);
    const r = await this.#store.getRevision(name, revision);
    if (!r)
      throw new SlipwayError(
        'DEPLOYMENTS_REVISION_NOT_FOUND',
        `deployment "${name}" has no revision ${revision}`,
      );
    return r;
  }

  /** The live revision, per target: share of traffic, requests, errors, latency, live quality. */
  async status(name: string): Promise<DeploymentStatus> {
    const dep = await this.get(name);
    return deploymentStatus(dep, await this.#live(dep), {
      store: this.#store,
      resolve: (ref) => this.#resolveOrNull(ref),
      quality: this.hooks.quality,
    });
  }

  /**
   * Starts an automatic rollout: the gates run first (unless `force`), then the candidate (pinned
   * to the version it resolves to now) gets the first step's share. Serving processes advance it
   * (see RolloutController) and roll it back when it does worse than the primary.
   */
  async rollout(
    name: string,
    options: RolloutOptions,
  ): Promise<{ rollout: RolloutRecord; revision: RevisionRecord; gates: GateReport | null }> {
    const dep = await this.get(name);
    const live = await this.#live(dep);
    const steps = parseSteps(options.steps);
    const hold = parseHold(options.hold);
    const margins = { ...DEFAULT_ROLLOUT_MARGINS, ...definedOnly(options.margins ?? {}) };
    const candidate = await this.#servable(options.model);
    const candidateRef = `${candidate.name}:${candidate.version}`;
    const primary = specs.primaryOf(live.spec).model;
    const current = await this.#resolveOrNull(primary);
    if (current && current.name === candidate.name && current.version === candidate.version) {
      throw new SlipwayError(
        'DEPLOYMENTS_INVALID_STATE',
        `deployment "${name}" already answers with ${candidateRef}: nothing to roll out`,
      );
    }
    let gates: GateReport | null = null;
    let gateResult: GateResultRecord | null = null;
    if (!options.force) {
      ({ report: gates, result: gateResult } = await this.checkGates(name, current, candidate));
      if (!gates.passed) throw gateFailure(name, gates, gateResult);
    }
    const now = this.#clock.now();
    const spec = specs.canary(primary, candidateRef, Math.min(steps[0], 99.99));
    const { rollout, revision } = await this.#store.startRollout(
      name,
      {
        spec: { candidate: options.model, candidateVersion: candidate.version, steps, hold, margins },
        at: now,
        actor: options.actor ?? 'local',
        baseRevision: live.revision,
      },
      this.#revision(
        'rollout-step',
        spec,
        await this.#resolveAll(spec),
        {
          actor: options.actor,
          message: options.message ?? `rollout: step 1 of ${steps.length}, ${steps[0]}% to ${candidateRef}`,
        },
        { gates: gateResult ? { id: gateResult.id, passed: gateResult.passed } : { skipped: true } },
      ),
      { expectLive: live.revision },
    );
    await this.#changed(name);
    return { rollout, revision, gates };
  }

  /** Stops the running rollout and returns to the revision before it. */
  async abortRollout(name: string, options: ChangeOptions = {}): Promise<RolloutRecord> {
    const running = (await this.#store.listRollouts({ deployment: name, state: 'running' }))[0];
    if (!running)
      throw new SlipwayError('DEPLOYMENTS_INVALID_STATE', `deployment "${name}" has no rollout running`);
    const reason = options.message ?? `aborted by ${options.actor ?? 'local'}`;
    await this.rollback(
      name,
      { to: running.baseRevision, actor: options.actor, message: `rollout ${running.id} aborted: ${reason}` },
      { rollout: { id: running.id, patch: { state: 'aborted', reason, updatedAt: this.#clock.now() } } },
    );
    return (await this.#store.getRollout(running.id))!;
  }

  async rollouts(name: string): Promise<RolloutRecord[]> {
    await this.get(name);
    return this.#store.listRollouts({ deployment: name });
  }

  /** Moves a running rollout to its next step, or finishes it (promotes) after the last. */
  async advanceRollout(rollout: RolloutRecord, reason: string): Promise<RevisionRecord> {
    const dep = await this.get(rollout.deployment);
    const live = await this.#live(dep);
    const next = rollout.stepIndex + 1;
    const { steps } = rollout.spec;
    const actor = `rollout/${rollout.id}`;
    const now = this.#clock.now();
    const candidateRef = `${parseModelRef(rollout.spec.candidate).name}:${rollout.spec.candidateVersion}`;
    if (next >= steps.length || steps[next] >= 100) {
      const record = await this.#registry.resolve(candidateRef);
      return this.#promoteTo(dep, live, record, {
        actor,
        message: `rollout ${rollout.id} finished: ${candidateRef} takes all traffic (${reason})`,
        details: { rollout: rollout.id },
        expectLive: rollout.stepRevision,
        rollout: {
          id: rollout.id,
          patch: { state: 'succeeded', reason, updatedAt: now, stepIndex: steps.length - 1 },
        },
      });
    }
    const spec = specs.canary(specs.primaryOf(live.spec).model, candidateRef, steps[next]);
    const revision = await this.#store.appendRevision(
      rollout.deployment,
      this.#revision(
        'rollout-step',
        spec,
        await this.#resolveAll(spec),
        {
          actor,
          message: `rollout ${rollout.id}: step ${next + 1} of ${steps.length}, ${steps[next]}% (${reason})`,
        },
        { rollout: rollout.id, step: next },
      ),
      {
        expectLive: rollout.stepRevision,
        // The live revision is always the newest, so with `expectLive` the new one is the next number.
        rollout: {
          id: rollout.id,
          patch: {
            stepIndex: next,
            stepRevision: rollout.stepRevision + 1,
            stepStartedAt: now,
            updatedAt: now,
          },
        },
      },
    );
    if (revision.revision !== rollout.stepRevision + 1) {
      throw new SlipwayError(
        'INTERNAL',
        `rollout ${rollout.id}: revision ${revision.revision} is not the next one`,
      );
    }
    await this.#changed(rollout.deployment);
    return revision;
  }

  /** Ends a running rollout that did worse than the primary: back to its base revision at once. */
  failRollout(rollout: RolloutRecord, reason: string): Promise<RevisionRecord> {
    return this.rollback(
      rollout.deployment,
      {
        to: rollout.baseRevision,
        actor: `rollout/${rollout.id}`,
        message: `rollout ${rollout.id} rolled back: ${reason}`,
      },
      {
        expectLive: rollout.stepRevision,
        rollout: { id: rollout.id, patch: { state: 'rolled-back', reason, updatedAt: this.#clock.now() } },
      },
    );
  }

  async shadowLog(name: string, limit = 100): Promise<ShadowLogRow[]> {
    await this.get(name);
    return this.#store.listShadowLog(name, limit);
  }

  async gateResults(name: string): Promise<GateResultRecord[]> {
    await this.get(name);
    return this.#store.listGateResults(name);
  }

  async delete(name: string): Promise<void> {
    await this.get(name);
    await this.#store.deleteDeployment(name);
    await this.#changed(name);
  }

  /** `slipway evaluate`: runs a version on a labelled CSV and records its quality metrics. */
  evaluate(ref: string, options: { dataset: string; target: string }): Promise<EvaluationRecord> {
    return this.evaluator.evaluate(ref, options);
  }

  async #withCandidate(
    name: string,
    action: string,
    options: ChangeOptions & { model: string; force?: boolean },
    build: (primary: string) => RevisionSpec,
  ): Promise<RevisionRecord> {
    const dep = await this.get(name);
    const live = await this.#live(dep);
    const running = (await this.#store.listRollouts({ deployment: name, state: 'running' }))[0];
    if (running) {
      throw new SlipwayError(
        'DEPLOYMENTS_INVALID_STATE',
        `deployment "${name}" has rollout ${running.id} running: abort it first (slipway deploy rollout-abort ${name})`,
      );
    }
    const candidate = await this.#servable(options.model);
    const primaryRef = specs.primaryOf(live.spec).model;
    if (!options.force) {
      const current = await this.#resolveOrNull(primaryRef);
      if (current) {
        const check = signatureCheck(current.signature, candidate.signature);
        if (!check.passed) {
          throw new SlipwayError(
            'DEPLOYMENTS_GATE_FAILED',
            `${options.model} cannot take ${name}'s traffic: ${check.message} (--force to send it anyway)`,
            { checks: [check] },
          );
        }
      }
    }
    const spec = build(primaryRef);
    const revision = await this.#store.appendRevision(
      name,
      this.#revision(action, spec, await this.#resolveAll(spec), options, {}),
      { expectLive: live.revision },
    );
    await this.#changed(name);
    return revision;
  }

  async #promoteTo(
    dep: DeploymentRecord,
    live: RevisionRecord,
    candidate: ModelVersionRecord,
    options: ChangeOptions & {
      details: Record<string, unknown>;
      expectLive?: number;
      rollout?: { id: number; patch: RolloutPatch };
    },
  ): Promise<RevisionRecord> {
    const primary = specs.primaryOf(live.spec).model;
    const from = (await this.#registry.getModel(candidate.name)).aliases.champion ?? null;
    const aliasMoves: AliasMove[] = [];
    // The alias moves first: a revision that follows it must never resolve to the old champion.
    if (from !== candidate.version) {
      await this.#registry.setAlias(candidate.name, 'champion', candidate.version);
      aliasMoves.push({ model: candidate.name, alias: 'champion', from, to: candidate.version });
    }
    const p = parseModelRef(primary);
    const follows =
      p.name === candidate.name && (p.kind === 'default' || (p.kind === 'alias' && p.alias === 'champion'));
    const spec = specs.single(follows ? primary : `${candidate.name}:${candidate.version}`);
    const revision = await this.#store.appendRevision(
      dep.name,
      this.#revision('promote', spec, await this.#resolveAll(spec), options, {
        ...options.details,
        promoted: { model: candidate.name, version: candidate.version },
        aliasMoves,
      }),
      { expectLive: options.expectLive ?? live.revision, rollout: options.rollout },
    );
    await this.#changed(dep.name);
    return revision;
  }

  async #live(dep: DeploymentRecord): Promise<RevisionRecord> {
    const live = await this.#store.getRevision(dep.name, dep.liveRevision);
    if (!live)
      throw new SlipwayError(
        'INTERNAL',
        `deployment "${dep.name}" lost its live revision ${dep.liveRevision}`,
      );
    return live;
  }

  async #servable(ref: string): Promise<ModelVersionRecord> {
    const record = await this.#registry.resolve(ref);
    if (record.status !== 'READY' || !record.modelSha256) {
      throw new SlipwayError(
        'RUNTIME_MODEL_NOT_SERVABLE',
        `model "${record.name}" version ${record.version} cannot be deployed: ${record.statusMessage ?? record.status}`,
      );
    }
    return record;
  }

  async #resolveOrNull(ref: string): Promise<ModelVersionRecord | null> {
    try {
      return await this.#registry.resolve(ref);
    } catch (err) {
      if (err instanceof SlipwayError && err.httpStatus === 404) return null;
      throw err;
    }
  }

  async #resolveAll(spec: RevisionSpec): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const t of spec.targets) out[t.model] = (await this.#registry.resolve(t.model)).version;
    return out;
  }

  #revision(
    action: string,
    spec: RevisionSpec,
    resolved: Record<string, number>,
    options: ChangeOptions,
    details: Record<string, unknown>,
  ): NewRevision {
    return {
      at: this.#clock.now(),
      actor: options.actor ?? 'local',
      action,
      message: options.message ?? null,
      spec,
      resolved,
      details,
    };
  }

  async #changed(name: string): Promise<void> {
    await Promise.allSettled([...this.#listeners].map((l) => l(name)));
  }
}

function gateFailure(name: string, report: GateReport, result: GateResultRecord): SlipwayError {
  return new SlipwayError(
    'DEPLOYMENTS_GATE_FAILED',
    `promotion of ${report.candidate.model}:${report.candidate.version} in "${name}" blocked by its gates: ${describeFailures(report)}`,
    { report, gateResult: result.id },
  );
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
