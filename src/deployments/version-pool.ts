import { SlipwayError } from '../core/errors.js';
import type { Registry } from '../registry/registry.js';
import { SignatureIndex } from '../runtime/signature-index.js';
import { TensorCodec } from '../runtime/tensor-codec.js';
import type { InferenceEngine } from '../serving/inference-engine.js';
import type { ServedVersion } from '../serving/model-repository.js';
import type { ModelVersionRecord } from '../store/registry-store.js';

export interface VersionPoolOptions {
  registry: Pick<Registry, 'servedModelBytes'>;
  engine: InferenceEngine;
  /**
   * How long a version no revision uses stays loaded: a rollback to it within that time switches
   * instantly instead of loading first (default five minutes).
   */
  keepWarmMs?: number;
  log?: (level: 'info' | 'warn' | 'error', msg: string, data?: Record<string, unknown>) => void;
}

interface Entry {
  served: ServedVersion;
  refs: number;
  timer: NodeJS.Timeout | null;
}

/**
 * The model versions deployments answer with, loaded into the serving engine under keys of their
 * own (`deployment/<name>:<version>`), shared by every deployment that uses them and counted. The
 * model repository loads and unloads versions for bare model names as aliases move; keeping the
 * deployments' copies apart means an alias move there can never unload a version a revision still
 * routes to, and a revision can pin any version whatever the repository serves.
 */
export class VersionPool {
  readonly #registry: VersionPoolOptions['registry'];
  readonly #engine: InferenceEngine;
  readonly #keepWarmMs: number;
  readonly #log: NonNullable<VersionPoolOptions['log']>;
  readonly #entries = new Map<string, Entry>();
  #closed = false;

  constructor(options: VersionPoolOptions) {
    this.#registry = options.registry;
    this.#engine = options.engine;
    this.#keepWarmMs = options.keepWarmMs ?? 300_000;
    this.#log = options.log ?? (() => {});
  }

  /** The version, loaded and warmed; counts one more user. Throws DEPLOYMENTS_NOT_READY when it cannot load. */
  async acquire(record: ModelVersionRecord): Promise<ServedVersion> {
    if (this.#closed) throw new SlipwayError('CORE_CLOSED', 'the deployments version pool is closed');
    const id = `${record.name}:${record.version}`;
    let entry = this.#entries.get(id);
    if (entry && entry.served.record.manifestSha256 !== record.manifestSha256) entry = undefined;
    if (!entry) {
      entry = { served: this.#create(record), refs: 0, timer: null };
      this.#entries.set(id, entry);
    }
    entry.refs++;
    if (entry.timer !== null) {
      clearTimeout(entry.timer);
      entry.timer = null;
    }
    await entry.served.loaded;
    if (entry.served.state !== 'READY') {
      entry.refs--;
      if (this.#entries.get(id) === entry) this.#entries.delete(id);
      throw new SlipwayError(
        'DEPLOYMENTS_NOT_READY',
        `model "${record.name}" version ${record.version} failed to load: ${entry.served.error ?? 'unknown error'}`,
        { model: record.name, version: record.version },
      );
    }
    return entry.served;
  }

  /** One user fewer; the last one leaves it loaded for `keepWarmMs`, then it is unloaded. */
  release(served: ServedVersion): void {
    const id = `${served.record.name}:${served.record.version}`;
    const entry = this.#entries.get(id);
    if (!entry || entry.served !== served) return;
    entry.refs = Math.max(0, entry.refs - 1);
    if (entry.refs > 0 || this.#closed) return;
    entry.timer = setTimeout(() => {
      if (entry.refs > 0 || this.#entries.get(id) !== entry) return;
      this.#entries.delete(id);
      // The engine drains requests already queued for it before releasing the session.
      void this.#engine.unload(served.key).catch((err) => {
        this.#log('warn', `unloading ${served.key} failed`, { err: String(err) });
      });
    }, this.#keepWarmMs);
    entry.timer.unref();
  }

  /** Loaded (or loading) versions, for status pages. */
  held(): { model: string; version: number; users: number; state: string }[] {
    return [...this.#entries.values()].map((e) => ({
      model: e.served.record.name,
      version: e.served.record.version,
      users: e.refs,
      state: e.served.state,
    }));
  }

  async close(): Promise<void> {
    this.#closed = true;
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    for (const e of entries) if (e.timer !== null) clearTimeout(e.timer);
    await Promise.allSettled(entries.map((e) => e.served.loaded));
    await Promise.allSettled(
      entries.filter((e) => e.served.state === 'READY').map((e) => this.#engine.unload(e.served.key)),
    );
  }

  #create(record: ModelVersionRecord): ServedVersion {
    const index = new SignatureIndex(record.signature);
    const served: ServedVersion = {
      record,
      index,
      codec: new TensorCodec(index),
      key: `deployment/${record.name}:${record.version}`,
      state: 'LOADING',
      error: null,
      loaded: Promise.resolve(),
      loadInfo: null,
    };
    served.loaded = this.#load(served);
    return served;
  }

  async #load(served: ServedVersion): Promise<void> {
    const { record } = served;
    try {
      if (record.status !== 'READY') throw new Error(record.statusMessage ?? `status ${record.status}`);
      const bytes = await this.#registry.servedModelBytes(record);
      served.loadInfo = await this.#engine.load(served.key, bytes, record.signature);
      served.state = 'READY';
      this.#log('info', `deployments loaded model ${record.name} version ${record.version}`);
    } catch (err) {
      served.state = 'FAILED';
      served.error = err instanceof Error ? err.message : String(err);
      this.#log('error', `deployments could not load model ${record.name} version ${record.version}`, {
        error: served.error,
      });
    }
  }
}
