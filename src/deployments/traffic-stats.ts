import type { ShadowCounters, StatsRow, TargetRole } from '../store/deployment-store.js';
import { LatencyHistogram } from './latency-histogram.js';
import type { OutputComparison } from './output-comparison.js';

/**
 * One target's counters in one revision, in one process. The request path only bumps them; the
 * router copies them to the store (absolute values, per process) once a tick, and readers sum the
 * processes. So every replica's traffic counts in `deploy status` and in rollout decisions.
 */
export class ArmCounters {
  requests = 0;
  errors = 0;
  clientErrors = 0;
  readonly latency = new LatencyHistogram();
  shadow: ShadowCounters | null;
  dirty = false;
  /** When the counters last changed, as seen by a flush. */
  touchedAt = 0;

  constructor(
    readonly deployment: string,
    readonly revision: number,
    readonly model: string,
    readonly version: number,
    readonly role: TargetRole,
  ) {
    this.shadow =
      role === 'shadow'
        ? {
            compared: 0,
            rows: 0,
            agreeingRows: 0,
            deltaSum: 0,
            deltaCount: 0,
            deltaMax: 0,
            errors: 0,
            dropped: 0,
          }
        : null;
  }

  ok(ms: number): void {
    this.requests++;
    this.latency.observe(ms);
    this.dirty = true;
  }

  fail(status: number, ms: number): void {
    this.requests++;
    if (status >= 500) this.errors++;
    else this.clientErrors++;
    this.latency.observe(ms);
    this.dirty = true;
  }

  compared(c: OutputComparison): void {
    const s = this.shadow!;
    s.compared++;
    s.rows += c.rows;
    s.agreeingRows += c.agreeingRows;
    s.deltaSum += c.deltaSum;
    s.deltaCount += c.deltaCount;
    if (c.deltaMax > s.deltaMax) s.deltaMax = c.deltaMax;
    this.dirty = true;
  }

  shadowFailed(): void {
    this.shadow!.errors++;
    this.dirty = true;
  }

  dropped(): void {
    this.shadow!.dropped++;
    this.dirty = true;
  }

  toRow(process: string, now: number): StatsRow {
    return {
      deployment: this.deployment,
      revision: this.revision,
      process,
      model: this.model,
      version: this.version,
      role: this.role,
      requests: this.requests,
      errors: this.errors,
      clientErrors: this.clientErrors,
      latency: this.latency.toSparse(),
      shadow: this.shadow ? { ...this.shadow } : null,
      updatedAt: now,
    };
  }
}

/** Every ArmCounters of this process, keyed by (deployment, revision, model, version, role). */
export class TrafficStats {
  readonly #arms = new Map<string, ArmCounters>();

  counters(
    deployment: string,
    revision: number,
    model: string,
    version: number,
    role: TargetRole,
  ): ArmCounters {
    const key = `${deployment}\u0000${revision}\u0000${model}\u0000${version}\u0000${role}`;
    let c = this.#arms.get(key);
    if (!c) {
      c = new ArmCounters(deployment, revision, model, version, role);
      this.#arms.set(key, c);
    }
    return c;
  }

  /** Rows changed since the last call (their dirty flags are cleared). */
  takeDirty(process: string, now: number): StatsRow[] {
    const rows: StatsRow[] = [];
    for (const c of this.#arms.values()) {
      if (!c.dirty) continue;
      c.dirty = false;
      c.touchedAt = now;
      rows.push(c.toRow(process, now));
    }
    return rows;
  }

  /** Marks rows dirty again after a failed write, so the next flush retries them. */
  markDirty(rows: StatsRow[]): void {
    for (const r of rows) this.counters(r.deployment, r.revision, r.model, r.version, r.role).dirty = true;
  }

  /**
   * Forgets counters of revisions that are no longer live once they have been flushed and idle
   * for `idleMs` (a request that picked an arm just before a switch may still count on it).
   */
  prune(live: (deployment: string) => number | null, now: number, idleMs = 300_000): void {
    for (const [key, c] of this.#arms) {
      if (!c.dirty && live(c.deployment) !== c.revision && now - c.touchedAt > idleMs) this.#arms.delete(key);
    }
  }
}

/** Traffic of one target (or of one role) summed over processes. */
export interface TrafficSummary {
  requests: number;
  errors: number;
  clientErrors: number;
  errorRate: number | null;
  clientErrorRate: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  shadow: ShadowSummary | null;
}

export interface ShadowSummary {
  compared: number;
  /** Share of compared rows on which the shadow agreed with the primary. */
  agreementRate: number | null;
  meanAbsDelta: number | null;
  maxAbsDelta: number | null;
  errors: number;
  dropped: number;
}

/** Sums rows (several processes, or several versions of one role) into one summary. */
export function summarize(rows: readonly StatsRow[]): TrafficSummary {
  const latency = new LatencyHistogram();
  let requests = 0;
  let errors = 0;
  let clientErrors = 0;
  let shadow: ShadowCounters | null = null;
  for (const r of rows) {
    requests += r.requests;
    errors += r.errors;
    clientErrors += r.clientErrors;
    latency.addSparse(r.latency);
    if (r.shadow) {
      shadow ??= {
        compared: 0,
        rows: 0,
        agreeingRows: 0,
        deltaSum: 0,
        deltaCount: 0,
        deltaMax: 0,
        errors: 0,
        dropped: 0,
      };
      shadow.compared += r.shadow.compared;
      shadow.rows += r.shadow.rows;
      shadow.agreeingRows += r.shadow.agreeingRows;
      shadow.deltaSum += r.shadow.deltaSum;
      shadow.deltaCount += r.shadow.deltaCount;
      shadow.deltaMax = Math.max(shadow.deltaMax, r.shadow.deltaMax);
      shadow.errors += r.shadow.errors;
      shadow.dropped += r.shadow.dropped;
    }
  }
  return {
    requests,
    errors,
    clientErrors,
    errorRate: requests > 0 ? errors / requests : null,
    clientErrorRate: requests > 0 ? clientErrors / requests : null,
    p50Ms: latency.quantile(0.5),
    p99Ms: latency.quantile(0.99),
    shadow: shadow
      ? {
          compared: shadow.compared,
          agreementRate: shadow.rows > 0 ? shadow.agreeingRows / shadow.rows : null,
          meanAbsDelta: shadow.deltaCount > 0 ? shadow.deltaSum / shadow.deltaCount : null,
          maxAbsDelta: shadow.deltaCount > 0 ? shadow.deltaMax : null,
          errors: shadow.errors,
          dropped: shadow.dropped,
        }
      : null,
  };
}
