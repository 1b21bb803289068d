import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import os from 'node:os';
import type { Clock } from '../core/clock.js';
import { SlipwayError } from '../core/errors.js';
import type { WebhookNotifier } from '../monitoring/alerts/webhook-notifier.js';
import { parseModelRef } from '../registry/model-ref.js';
import type { Registry } from '../registry/registry.js';
import type { InferenceEngine } from '../serving/inference-engine.js';
import type { DeploymentStore, RevisionRecord, WebhookConfig } from '../store/deployment-store.js';
import type { ModelVersionRecord, RegistryStore } from '../store/registry-store.js';
import {
  type Arm,
  type ArmInput,
  buildCompiled,
  type CompiledRevision,
  pickArm,
} from './compiled-revision.js';
import type { Deployments } from './deployments.js';
import { isFollowing } from './revision-spec.js';
import { RolloutController } from './rollout-controller.js';
import { type ShadowJob, ShadowRunner } from './shadow-runner.js';
import { TrafficStats } from './traffic-stats.js';
import { VersionPool } from './version-pool.js';

type Log = (level: 'info' | 'warn' | 'error', msg: string, data?: Record<string, unknown>) => void;

export interface DeploymentRouterOptions {
  deployments: Deployments;
  registry: Registry;
  /** The registry's change log, to notice alias moves made by other processes. */
  registryChanges: Pick<RegistryStore, 'changesSince'>;
  /** The serving engine: deployment versions load into it beside the repository's. */
  engine: InferenceEngine;
  clock: Clock;
  /** How often to read the store for revision changes, alias moves and rollouts (default 500 ms). */
  pollMs?: number;
  /** Per-request deadline for shadow copies (default 30 s). */
  timeoutMs?: number;
  /** How long versions no revision uses stay loaded, so a rollback to them is instant (default 5 min). */
  keepWarmMs?: number;
  shadow?: { maxQueue?: number; concurrency?: number };
  /** Webhooks for every deployment's alerts, besides each deployment's own. */
  webhooks?: WebhookConfig[];
  notifier?: WebhookNotifier;
  /** Whether this process drives rollouts (default true). */
  rollouts?: boolean;
  log?: Log;
}

/**
 * The serving side of deployments: for each deployment, its live revision compiled (every version
 * loaded, arms built) and swapped in with one assignment once ready, so a switch is atomic and
 * instant and fails no request. Follows the store, not memory: a poll of the live revisions (one
 * query) and of the registry change log brings changes made by any process into force here within
 * `pollMs` plus the load time of new versions. Also counts traffic per target (flushed to the
 * store), runs shadow copies, and drives rollouts.
 */
export class DeploymentRouter {
  /** This process's id in statistics rows and rollout leases. */
  readonly process = `${os.hostname().slice(0, 32)}-${process.pid}-${randomUUID().slice(0, 8)}`;
  readonly stats = new TrafficStats();
  readonly shadows: ShadowRunner;
  readonly rollouts: RolloutController | null;
  readonly #o: DeploymentRouterOptions;
  readonly #deployments: Deployments;
  readonly #store: DeploymentStore;
  readonly #pool: VersionPool;
  readonly #log: Log;
  readonly #live = new Map<string, CompiledRevision>();
  /** Deployments that exist in the store (compiled or not). */
  readonly #known = new Set<string>();
  readonly #failed = new Map<string, { revision: number; error: string; at: number }>();
  readonly #refreshing = new Map<string, Promise<void>>();
  #lastChange = 0;
  #timer: NodeJS.Timeout | null = null;
  #ticking: Promise<void> | null = null;
  #closed = false;
  #unsubscribe: (() => void) | null = null;
  readonly #onAlias = (e: { name: string }) => this.#followModel(e.name);
  readonly #onVersion = (v: ModelVersionRecord) => this.#followModel(v.name);

  constructor(options: DeploymentRouterOptions) {
    this.#o = options;
    this.#deployments = options.deployments;
    this.#store = options.deployments.store;
    this.#log = options.log ?? (() => {});
    this.#pool = new VersionPool({
      registry: options.registry,
      engine: options.engine,
      keepWarmMs: options.keepWarmMs,
      log: this.#log,
    });
    this.shadows = new ShadowRunner({
      infer: (served, inputs, opts) => {
        if (served.state !== 'READY') return Promise.reject(new Error(`${served.key} is not loaded`));
        return options.engine.infer(served.key, inputs, opts);
      },
      timeoutMs: options.timeoutMs,
      ...options.shadow,
    });
    this.rollouts =
      options.rollouts === false
        ? null
        : new RolloutController({
            deployments: options.deployments,
            store: this.#store,
            clock: options.clock,
            process: this.process,
            leaseMs: Math.max(5000, (options.pollMs ?? 500) * 10),
            flush: () => this.flush(),
            webhooks: options.webhooks ?? [],
            notifier: options.notifier,
            log: this.#log,
          });
  }

  /** Compiles every deployment's live revision, then follows changes. */
  async start(): Promise<void> {
    const changes = await this.#o.registryChanges.changesSince(0);
    this.#lastChange = changes.at(-1)?.id ?? 0;
    await this.#sync();
    this.#unsubscribe = this.#deployments.onChange((name) => this.refresh(name));
    this.#o.registry.events.on('alias-moved', this.#onAlias);
    this.#o.registry.events.on('version-registered', this.#onVersion);
    this.#timer = setInterval(() => void this.tick(), this.#o.pollMs ?? 500);
    this.#timer.unref();
  }

  /**
   * The arm a request for `name` goes to, or null when `name` is not a deployment (the caller
   * then looks for a model). `version` pins one of the live revision's versions.
   */
  route(name: string, version: string | null, headers: IncomingHttpHeaders, body: unknown): Arm | null {
    const compiled = this.#compiled(name);
    if (compiled === null) return null;
    return version === null ? pickArm(compiled, headers, body) : armOf(compiled, version);
  }

  /**
   * For metadata and readiness: the live revision's primary (or its arm answering `version`), or
   * null when `name` is not a deployment. Throws like `route` when it is one but is not ready.
   */
  primary(name: string, version: string | null): Arm | null {
    const compiled = this.#compiled(name);
    if (compiled === null) return null;
    return version === null ? compiled.arms[0] : armOf(compiled, version);
  }

  /** Hands a copy of an answered request to the revision's shadow (enqueue only). */
  shadow(job: ShadowJob): void {
    this.shadows.submit(job);
  }

  isDeployment(name: string): boolean {
    return this.#known.has(name);
  }

  /** Deployment names served here, sorted. */
  names(): string[] {
    return [...this.#known].sort();
  }

  /** The compiled live revision (tests, status pages). */
  live(name: string): CompiledRevision | null {
    return this.#live.get(name) ?? null;
  }

  /** A revision this process could not bring into force (its versions failed to load). */
  failure(name: string): { revision: number; error: string; at: number } | null {
    return this.#failed.get(name) ?? null;
  }

  /** Re-reads one deployment and brings its live revision into force here; serialised per name. */
  refresh(name: string): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const previous = this.#refreshing.get(name) ?? Promise.resolve();
    const next = previous
      .then(() => this.#doRefresh(name))
      .catch((err) => this.#log('error', `deployment ${name}: refresh failed`, { err: String(err) }));
    this.#refreshing.set(name, next);
    void next.finally(() => {
      if (this.#refreshing.get(name) === next) this.#refreshing.delete(name);
    });
    return next;
  }

  /** One poll: revision changes, alias moves, counters and the shadow log to the store, rollouts. */
  tick(): Promise<void> {
    if (this.#ticking !== null || this.#closed) return this.#ticking ?? Promise.resolve();
    this.#ticking = (async () => {
      try {
        await this.#sync();
        await this.#followRegistry();
        await this.flush();
        await this.rollouts?.tick();
      } catch (err) {
        this.#log('warn', 'deployments poll failed; will retry', { err: String(err) });
      } finally {
        this.#ticking = null;
      }
    })();
    return this.#ticking;
  }

  /** Writes this process's counters and shadow log rows to the store. */
  async flush(): Promise<void> {
    const now = this.#o.clock.now();
    const rows = this.stats.takeDirty(this.process, now);
    try {
      await this.#store.upsertStats(rows);
    } catch (err) {
      this.stats.markDirty(rows);
      throw err;
    }
    const shadowRows = this.shadows.takeLog().filter((r) => this.#known.has(r.deployment));
    if (shadowRows.length > 0) await this.#store.appendShadowLog(shadowRows);
    this.stats.prune((d) => this.#live.get(d)?.revision ?? null, now);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#unsubscribe?.();
    this.#o.registry.events.off('alias-moved', this.#onAlias);
    this.#o.registry.events.off('version-registered', this.#onVersion);
    await this.#ticking;
    await Promise.allSettled([...this.#refreshing.values()]);
    await this.shadows.idle();
    await this.flush().catch(() => undefined);
    await this.rollouts?.release();
    this.#live.clear();
    await this.#pool.close();
  }

  #compiled(name: string): CompiledRevision | null {
    const compiled = this.#live.get(name);
    if (compiled !== undefined) return compiled;
    if (!this.#known.has(name)) return null;
    const failed = this.#failed.get(name);
    throw new SlipwayError(
      'RUNTIME_MODEL_NOT_READY',
      `deployment "${name}" is not ready: ${failed ? `revision ${failed.revision}: ${failed.error}` : 'its versions are loading'}`,
      { retryAfterSeconds: 1 },
    );
  }

  async #sync(): Promise<void> {
    const rows = await this.#store.liveRevisions();
    const seen = new Set<string>();
    const work: Promise<void>[] = [];
    for (const r of rows) {
      seen.add(r.name);
      this.#known.add(r.name);
      const compiled = this.#live.get(r.name);
      const failed = this.#failed.get(r.name);
      // A revision that failed to load is retried after a while, not on every poll.
      const retry =
        failed === undefined ||
        failed.revision !== r.liveRevision ||
        this.#o.clock.now() - failed.at > 10_000;
      if (compiled?.revision !== r.liveRevision && retry) work.push(this.refresh(r.name));
    }
    for (const name of [...this.#known]) if (!seen.has(name)) work.push(this.refresh(name));
    await Promise.all(work);
  }

  async #followRegistry(): Promise<void> {
    const changes = await this.#o.registryChanges.changesSince(this.#lastChange);
    if (changes.length === 0) return;
    this.#lastChange = changes.at(-1)!.id;
    const models = new Set(changes.map((c) => c.subject.split(/[:@]/)[0]));
    await Promise.all([...models].map((m) => this.#followModel(m)));
  }

  /** Recompiles the deployments that follow an alias (or the default) of `model`. */
  #followModel(model: string): Promise<void> {
    const work: Promise<void>[] = [];
    for (const c of this.#live.values()) if (c.follows.has(model)) work.push(this.refresh(c.deployment));
    return Promise.all(work).then(() => undefined);
  }

  async #doRefresh(name: string): Promise<void> {
    if (this.#closed) return;
    const dep = await this.#store.getDeployment(name);
    const current = this.#live.get(name);
    if (!dep) {
      this.#known.delete(name);
      this.#failed.delete(name);
      this.#live.delete(name);
      if (current) this.#release(current);
      return;
    }
    this.#known.add(name);
    const revision =
      current?.revision === dep.liveRevision
        ? current.record
        : await this.#store.getRevision(name, dep.liveRevision);
    if (!revision) return;
    let records: ModelVersionRecord[];
    try {
      records = await Promise.all(revision.spec.targets.map((t) => this.#o.registry.resolve(t.model)));
    } catch (err) {
      this.#fail(name, revision, err);
      return;
    }
    const resolved = new Map(revision.spec.targets.map((t, i) => [t.model, records[i].version]));
    if (current && current.revision === revision.revision && sameVersions(current, resolved, records)) return;
    // Warm first: every version the revision needs is loaded before anything switches.
    const loads = await Promise.allSettled(records.map((r) => this.#pool.acquire(r)));
    const failure = loads.find((l) => l.status === 'rejected');
    if (failure) {
      for (const l of loads) if (l.status === 'fulfilled') this.#pool.release(l.value);
      this.#fail(name, revision, (failure as PromiseRejectedResult).reason);
      return;
    }
    const arms: ArmInput[] = revision.spec.targets.map((t, i) => {
      const served = (loads[i] as PromiseFulfilledResult<ArmInput['served']>).value;
      return {
        ref: t.model,
        role: t.role,
        weight: t.weight,
        served,
        counters: this.stats.counters(
          name,
          revision.revision,
          served.record.name,
          served.record.version,
          t.role,
        ),
      };
    });
    const follows = new Set(
      revision.spec.targets.filter((t) => isFollowing(t.model)).map((t) => parseModelRef(t.model).name),
    );
    if (this.#closed) {
      for (const a of arms) this.#pool.release(a.served);
      return;
    }
    // The switch: one assignment. Requests that already picked an arm of the old revision finish on it.
    this.#live.set(name, buildCompiled(revision, arms, resolved, follows));
    this.#failed.delete(name);
    if (current) this.#release(current);
    this.#log('info', `deployment ${name} now serves revision ${revision.revision}`, {
      versions: arms.map((a) => `${a.served.record.name}:${a.served.record.version} ${a.role}`),
    });
  }

  #release(compiled: CompiledRevision): void {
    for (const s of compiled.served) this.#pool.release(s);
  }

  #fail(name: string, revision: RevisionRecord, err: unknown): void {
    const error = err instanceof Error ? err.message : String(err);
    this.#failed.set(name, { revision: revision.revision, error, at: this.#o.clock.now() });
    const keeping = this.#live.get(name);
    this.#log(
      'error',
      `deployment ${name} revision ${revision.revision} cannot be served: ${error}` +
        (keeping ? `; still serving revision ${keeping.revision}` : ''),
    );
  }
}

function armOf(compiled: CompiledRevision, version: string): Arm {
  for (const arm of compiled.arms) if (arm.versionText === version) return arm;
  throw new SlipwayError(
    'REGISTRY_VERSION_NOT_FOUND',
    `deployment "${compiled.deployment}" revision ${compiled.revision} does not answer with version "${version}" ` +
      `(it answers with ${compiled.arms.map((a) => a.versionText).join(', ')})`,
  );
}

function sameVersions(
  current: CompiledRevision,
  resolved: ReadonlyMap<string, number>,
  records: readonly ModelVersionRecord[],
): boolean {
  for (const [ref, version] of resolved) if (current.resolved.get(ref) !== version) return false;
  return current.served.every((s, i) => s.record.manifestSha256 === records[i]?.manifestSha256);
}
