/**
 * Scheduled evaluation, in the server process: every `intervalMs`, the replica that holds the
 * store lease evaluates drift and live quality for every model version that answered in the
 * window, stores each result (a time series), evaluates the alert rules and applies retention.
 * The lease (a row in the store, renewed each run, expiring after three intervals) makes running
 * several replicas safe: one evaluates, and another takes over within three intervals should it die.
 */

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock } from '../../core/clock.js';
import type { MonitoringStore } from '../../store/monitoring-store.js';
import type { AlertOutcome } from '../alerts/alert-evaluator.js';

export interface SchedulerOptions {
  /** Between runs (default 60 s). */
  intervalMs?: number;
  /** Retention: prediction-log rows (and results) older than this many days are deleted; null keeps all. */
  retentionDays?: number | null;
  /** How often retention runs (default hourly). */
  retentionEveryMs?: number;
  /** Called with each run's summary (and errors), for the server log. */
  onRun?: (summary: RunSummary) => void;
}

export interface RunSummary {
  at: number;
  /** False when another process holds the lease (nothing was evaluated here). */
  leader: boolean;
  evaluated: { model: string; version: number; kinds: string[]; error: string | null }[];
  alerts: AlertOutcome[];
  retention: { deletedRows: number; deletedResults: number } | null;
  error: string | null;
}

/** What the scheduler runs; the Monitoring facade provides it. */
export interface ScheduledWork {
  evaluate(): Promise<RunSummary['evaluated']>;
  evaluateAlerts(): Promise<AlertOutcome[]>;
  applyRetention(days: number): Promise<{ deletedRows: number; deletedResults: number }>;
}

export const SCHEDULER_LEASE = 'monitoring-scheduler';

export class MonitoringScheduler {
  readonly owner = `${hostname().slice(0, 32)}-${process.pid}-${randomUUID().slice(0, 8)}`;
  readonly #work: ScheduledWork;
  readonly #store: MonitoringStore;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #retentionDays: number | null;
  readonly #retentionEveryMs: number;
  readonly #onRun: (summary: RunSummary) => void;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<RunSummary> | null = null;
  #lastRetention = Number.NEGATIVE_INFINITY;
  #closed = false;

  constructor(
    deps: { work: ScheduledWork; store: MonitoringStore; clock: Clock },
    options: SchedulerOptions = {},
  ) {
    this.#work = deps.work;
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#intervalMs = Math.max(1000, options.intervalMs ?? 60_000);
    this.#retentionDays = options.retentionDays ?? null;
    this.#retentionEveryMs = options.retentionEveryMs ?? 3_600_000;
    this.#onRun = options.onRun ?? (() => {});
  }

  /** Runs every interval, the first run one interval from now. */
  start(): void {
    if (this.#closed || this.#timer !== null) return;
    const tick = () => {
      this.#timer = null;
      this.runOnce()
        .then(this.#onRun, () => {})
        .finally(() => {
          if (!this.#closed) {
            this.#timer = setTimeout(tick, this.#intervalMs);
            this.#timer.unref();
          }
        });
    };
    this.#timer = setTimeout(tick, this.#intervalMs);
    this.#timer.unref();
  }

  /** One run now (waits for a run already under way instead of starting a second). */
  runOnce(): Promise<RunSummary> {
    this.#running ??= this.#run().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running?.catch(() => {});
    await this.#store.releaseLease(SCHEDULER_LEASE, this.owner).catch(() => {});
  }

  async #run(): Promise<RunSummary> {
    const at = this.#clock.now();
    const summary: RunSummary = {
      at,
      leader: false,
      evaluated: [],
      alerts: [],
      retention: null,
      error: null,
    };
    try {
      summary.leader = await this.#store.acquireLease(
        SCHEDULER_LEASE,
        this.owner,
        at + 3 * this.#intervalMs,
        at,
      );
      if (!summary.leader) return summary;
      summary.evaluated = await this.#work.evaluate();
      summary.alerts = await this.#work.evaluateAlerts();
      if (this.#retentionDays !== null && at - this.#lastRetention >= this.#retentionEveryMs) {
        summary.retention = await this.#work.applyRetention(this.#retentionDays);
        this.#lastRetention = at;
      }
    } catch (err) {
      summary.error = err instanceof Error ? err.message : String(err);
    }
    return summary;
  }
}
