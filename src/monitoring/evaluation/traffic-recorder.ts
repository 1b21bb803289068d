/**
 * Per-process request counts in the store, so that error-rate alerts see every replica's traffic
 * (the prediction log holds answered predictions only; failures never reach it). The server hands
 * in its cumulative request counters (model, version, HTTP status); each flush adds the increase
 * since the last one to the current minute's row of this process, written as an absolute value,
 * so a repeated flush never double counts.
 */
import type { Clock } from '../../core/clock.js';
import type { MonitoringStore, TrafficRow } from '../../store/monitoring-store.js';

export interface RequestCount {
  model: string;
  version: string;
  status: string;
  /** Cumulative since the process started. */
  count: number;
}

const MINUTE = 60_000;

export class TrafficRecorder {
  readonly #store: MonitoringStore;
  readonly #process: string;
  readonly #clock: Clock;
  readonly #read: () => Promise<RequestCount[]>;
  readonly #seen = new Map<string, number>();
  readonly #buckets = new Map<string, TrafficRow>();

  constructor(deps: {
    store: MonitoringStore;
    process: string;
    clock: Clock;
    read: () => Promise<RequestCount[]>;
  }) {
    this.#store = deps.store;
    this.#process = deps.process;
    this.#clock = deps.clock;
    this.#read = deps.read;
  }

  async flush(): Promise<void> {
    const now = this.#clock.now();
    const bucket = now - (now % MINUTE);
    const touched = new Set<TrafficRow>();
    for (const c of await this.#read()) {
      const version = Number(c.version);
      if (c.model === '' || !Number.isSafeInteger(version)) continue; // requests that never resolved a model
      const key = `${c.model}\u0000${c.version}\u0000${c.status}`;
      const delta = c.count - (this.#seen.get(key) ?? 0);
      this.#seen.set(key, c.count);
      if (delta <= 0) continue;
      const rowKey = `${c.model}\u0000${version}\u0000${bucket}`;
      let row = this.#buckets.get(rowKey);
      if (!row) {
        row = {
          process: this.#process,
          model: c.model,
          version,
          bucket,
          requests: 0,
          errors: 0,
          clientErrors: 0,
        };
        this.#buckets.set(rowKey, row);
      }
      const status = Number(c.status);
      row.requests += delta;
      if (status >= 500) row.errors += delta;
      else if (status >= 400) row.clientErrors += delta;
      touched.add(row);
    }
    for (const [key, row] of this.#buckets) if (row.bucket < bucket) this.#buckets.delete(key);
    await this.#store.upsertTraffic([...touched]);
  }
}
