import type { Clock } from '../core/clock.js';
import { type Alert, WebhookNotifier } from '../monitoring/alerts/webhook-notifier.js';
import type { DeploymentStore, RolloutRecord, WebhookConfig } from '../store/deployment-store.js';
import type { Deployments } from './deployments.js';
import type { LiveQuality } from './quality-source.js';
import { judgeStep, type Verdict } from './rollout-verdict.js';
import { summarize } from './traffic-stats.js';

export interface RolloutControllerOptions {
  deployments: Deployments;
  store: DeploymentStore;
  clock: Clock;
  /** This serving process's id: the lease owner. */
  process: string;
  /** How long a lease lasts without renewal; a crashed owner's rollouts move on after it. */
  leaseMs: number;
  /** Writes this process's traffic counters to the store, so the judgement sees them. */
  flush: () => Promise<void>;
  /** Webhooks every deployment's alerts also go to (the deployment's own come from its config). */
  webhooks: WebhookConfig[];
  notifier?: WebhookNotifier;
  log: (level: 'info' | 'warn' | 'error', msg: string, data?: Record<string, unknown>) => void;
}

/**
 * Drives running rollouts from the store. Every serving process runs one; a lease in the rollout's
 * row lets one process at a time act on a rollout, and because the state (step, when it started,
 * the base revision) and the traffic counters of every process are in the store, a restarted or
 * different process takes over where the last one stopped.
 */
export class RolloutController {
  readonly #o: RolloutControllerOptions;
  readonly #notifier: WebhookNotifier;
  readonly #owned = new Set<number>();
  /** Deliveries of the alerts this process sent, newest last (for status and tests). */
  readonly alerts: { alert: Alert; results: Awaited<ReturnType<WebhookNotifier['notify']>> | null }[] = [];
  readonly #pending = new Set<Promise<unknown>>();

  constructor(options: RolloutControllerOptions) {
    this.#o = options;
    this.#notifier = options.notifier ?? new WebhookNotifier();
  }

  async tick(): Promise<void> {
    const running = await this.#o.store.listRollouts({ state: 'running' });
    if (running.length === 0) return;
    await this.#o.flush();
    for (const rollout of running) {
      try {
        await this.#step(rollout);
      } catch (err) {
        this.#o.log('error', `rollout ${rollout.id} of ${rollout.deployment}: step failed; will retry`, {
          err: String(err),
        });
      }
    }
  }

  /** Gives up this process's leases (a graceful shutdown hands rollouts over at once). */
  async release(): Promise<void> {
    const now = this.#o.clock.now();
    for (const id of this.#owned)
      await this.#o.store.leaseRollout(id, this.#o.process, 0, now).catch(() => false);
    this.#owned.clear();
    await Promise.allSettled([...this.#pending]);
  }

  async #step(rollout: RolloutRecord): Promise<void> {
    const { store, clock } = this.#o;
    const now = clock.now();
    if (!(await store.leaseRollout(rollout.id, this.#o.process, now + this.#o.leaseMs, now))) return;
    this.#owned.add(rollout.id);
    const dep = await store.getDeployment(rollout.deployment);
    if (!dep) return;
    if (dep.liveRevision !== rollout.stepRevision) {
      const fresh = await store.getRollout(rollout.id);
      if (fresh?.state !== 'running' || fresh.stepRevision !== rollout.stepRevision) return;
      const live = await store.getRevision(dep.name, dep.liveRevision);
      const reason = `superseded by revision ${dep.liveRevision} (${live?.action ?? 'change'} by ${live?.actor ?? 'unknown'})`;
      await store.updateRollout(rollout.id, { state: 'aborted', reason, updatedAt: now });
      this.#alert(rollout, 'warning', `rollout ${rollout.id} of ${rollout.deployment} stopped`, reason, {});
      return;
    }
    const rows = await store.readStats(rollout.deployment, rollout.stepRevision);
    const primaryRows = rows.filter((r) => r.role === 'primary');
    const candidateRows = rows.filter((r) => r.role === 'candidate');
    const evidence = {
      primary: summarize(primaryRows),
      candidate: summarize(candidateRows),
      primaryQuality: await this.#quality(rollout, primaryRows[0]?.model, primaryRows[0]?.version),
      candidateQuality: await this.#quality(rollout, candidateRows[0]?.model, candidateRows[0]?.version),
      now,
    };
    const verdict = judgeStep(rollout, evidence);
    if (verdict.action === 'hold') return;
    const figures = {
      candidateRequests: evidence.candidate.requests,
      candidateErrorRate: evidence.candidate.errorRate,
      candidateP99Ms: evidence.candidate.p99Ms,
      primaryRequests: evidence.primary.requests,
      primaryErrorRate: evidence.primary.errorRate,
      primaryP99Ms: evidence.primary.p99Ms,
    };
    if (verdict.action === 'rollback') {
      const revision = await this.#o.deployments.failRollout(rollout, verdict.reason);
      this.#o.log('warn', `rollout ${rollout.id} of ${rollout.deployment} rolled back: ${verdict.reason}`);
      this.#alert(
        rollout,
        'critical',
        `rollout ${rollout.id} of ${rollout.deployment} rolled back`,
        verdict.reason,
        {
          check: (verdict as Extract<Verdict, { action: 'rollback' }>).check,
          revision: revision.revision,
          ...figures,
        },
      );
      return;
    }
    const revision = await this.#o.deployments.advanceRollout(rollout, verdict.reason);
    const finished = revision.action === 'promote';
    this.#o.log(
      'info',
      `rollout ${rollout.id} of ${rollout.deployment}: ${finished ? 'finished' : 'advanced'} (${verdict.reason})`,
    );
    if (finished) {
      this.#alert(
        rollout,
        'info',
        `rollout ${rollout.id} of ${rollout.deployment} finished`,
        `${rollout.spec.candidate} (version ${rollout.spec.candidateVersion}) takes all traffic and is champion`,
        { revision: revision.revision, ...figures },
      );
    }
  }

  async #quality(
    rollout: RolloutRecord,
    model: string | undefined,
    version: number | undefined,
  ): Promise<LiveQuality | null> {
    const source = this.#o.deployments.hooks.quality;
    if (!source || model === undefined || version === undefined) return null;
    return source
      .liveQuality({ deployment: rollout.deployment, model, version, sinceMs: rollout.stepStartedAt })
      .catch(() => null);
  }

  #alert(
    rollout: RolloutRecord,
    severity: Alert['severity'],
    title: string,
    summary: string,
    extra: Record<string, unknown>,
  ): void {
    const alert: Alert = {
      title,
      severity,
      source: 'deployments',
      subject: `deployment ${rollout.deployment}`,
      summary,
      details: {
        deployment: rollout.deployment,
        rollout: rollout.id,
        candidate: rollout.spec.candidate,
        candidateVersion: rollout.spec.candidateVersion,
        step: rollout.stepIndex + 1,
        share: rollout.spec.steps[rollout.stepIndex],
        baseRevision: rollout.baseRevision,
        ...extra,
      },
      at: this.#o.clock.now(),
    };
    const entry: (typeof this.alerts)[number] = { alert, results: null };
    this.alerts.push(entry);
    if (this.alerts.length > 100) this.alerts.shift();
    const sending = (async () => {
      const dep = await this.#o.store.getDeployment(rollout.deployment).catch(() => null);
      const targets = [...this.#o.webhooks, ...(dep?.config.webhooks ?? [])];
      if (targets.length === 0) return;
      entry.results = await this.#notifier.notify(alert, targets);
      for (const r of entry.results) {
        if (!r.ok) this.#o.log('warn', `alert to ${r.url} failed after ${r.attempts} attempts: ${r.error}`);
      }
    })();
    this.#pending.add(sending);
    void sending.finally(() => this.#pending.delete(sending));
  }
}
