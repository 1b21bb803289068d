import { SlipwayError } from '../core/errors.js';
import { parseModelRef } from '../registry/model-ref.js';
import type { Registry } from '../registry/registry.js';
import { SignatureIndex } from '../runtime/signature-index.js';
import { TensorCodec } from '../runtime/tensor-codec.js';
import type { ModelVersionRecord, RegistryStore } from '../store/registry-store.js';
import type { InferenceEngine, InferOptions, InferResult, TensorInputs } from './inference-engine.js';

export const SERVED_STATES = ['LOADING', 'READY', 'FAILED'] as const;
export type ServedState = (typeof SERVED_STATES)[number];

/** One model version as the server holds it. */
export interface ServedVersion {
  readonly record: ModelVersionRecord;
  /** The engine's key, `name:version`; a reload under the same key replaces the session in place. */
  readonly key: string;
  /** The signature indexed once, and the V2 codec built on it (STYLE.md 22: per-model work at load). */
  readonly index: SignatureIndex;
  readonly codec: TensorCodec;
  state: ServedState;
  error: string | null;
  loaded: Promise<void>;
  loadInfo: unknown;
}

export interface ModelRepositoryOptions {
  registry: Registry;
  store: Pick<RegistryStore, 'changesSince'>;
  engine: InferenceEngine;
  /** Model references to serve (`name`, `name:3`, `name@alias`); null serves every registered model. */
  selection: string[] | null;
  /** How often to read the store's change log, to follow other processes' registrations and alias moves. */
  pollMs?: number;
  log?: (level: 'info' | 'warn' | 'error', msg: string, data?: Record<string, unknown>) => void;
}

/**
 * Which model versions are served and how a request's model name finds one.
 *
 * A name without a version answers with the version behind `champion`, else the latest (the
 * registry's default). When that changes — a registration or an alias move, in this process or
 * another one sharing the store — the new version is loaded and warmed first, then the name is
 * switched to it in one assignment, and only then is the old version unloaded (the engine lets its
 * in-flight requests finish). So no request is dropped or failed by a rollover.
 */
export class ModelRepository {
  readonly #registry: Registry;
  readonly #store: Pick<RegistryStore, 'changesSince'>;
  readonly #engine: InferenceEngine;
  readonly #selection: Set<string> | null;
  readonly #pinned: string[];
  readonly #pollMs: number;
  readonly #log: NonNullable<ModelRepositoryOptions['log']>;
  /** name → the version its bare name answers with */
  readonly #defaults = new Map<string, ServedVersion>();
  /** `name:version` → loaded (or loading, or failed) version */
  readonly #versions = new Map<string, ServedVersion>();
  readonly #refreshing = new Map<string, Promise<void>>();
  #lastChange = 0;
  #timer: NodeJS.Timeout | null = null;
  #started = false;
  #closed = false;
  readonly #onVersion = (v: ModelVersionRecord) => void this.#refresh(v.name);
  readonly #onAlias = (e: { name: string }) => void this.#refresh(e.name);

  constructor(options: ModelRepositoryOptions) {
    this.#registry = options.registry;
    this.#store = options.store;
    this.#engine = options.engine;
    const refs = options.selection?.map((r) => parseModelRef(r)) ?? null;
    this.#selection = refs ? new Set(refs.map((r) => r.name)) : null;
    this.#pinned = options.selection?.filter((r) => /[:@]/.test(r)) ?? [];
    this.#pollMs = options.pollMs ?? 1000;
    this.#log = options.log ?? (() => {});
  }

  /** Loads every served model's default version (and pinned refs); resolves when all have tried. */
  async start(): Promise<void> {
    const changes = await this.#store.changesSince(0);
    this.#lastChange = changes.at(-1)?.id ?? 0;
    const names = this.#selection
      ? [...this.#selection]
      : (await this.#registry.listModels()).map((m) => m.name);
    if (this.#selection) for (const name of names) await this.#registry.getModel(name);
    await Promise.all(names.map((n) => this.#refresh(n)));
    for (const ref of this.#pinned) {
      const record = await this.#registry.resolve(ref);
      await this.#ensureLoaded(record).loaded;
    }
    this.#registry.events.on('version-registered', this.#onVersion);
    this.#registry.events.on('alias-moved', this.#onAlias);
    this.#timer = setInterval(() => void this.#poll(), this.#pollMs);
    this.#timer.unref();
    this.#started = true;
  }

  /** True once the initial load finished; a model that failed is reported by `modelState`, not here. */
  isReady(): boolean {
    return this.#started && !this.#closed;
  }

  /** Names this server answers for, sorted. */
  modelNames(): string[] {
    return [...this.#defaults.keys()].sort();
  }

  /** Every version currently held, for the repository index. */
  servedVersions(): ServedVersion[] {
    return [...this.#versions.values()];
  }

  /**
   * The served version for a request: the default when `version` is null, else that version
   * (loaded on first use). Unknown names and versions are REGISTRY_*_NOT_FOUND (404).
   */
  async get(name: string, version: string | null): Promise<ServedVersion> {
    if (version === null) {
      const served = this.#defaults.get(name);
      if (served) return served;
      if (!this.#serves(name)) throw notServed(name);
      await this.#refresh(name);
      const now = this.#defaults.get(name);
      if (!now) throw notServed(name);
      return now;
    }
    if (!this.#serves(name)) throw notServed(name);
    const n = Number(version);
    if (!/^\d+$/.test(version) || !Number.isSafeInteger(n) || n < 1) {
      throw new SlipwayError(
        'REGISTRY_VERSION_NOT_FOUND',
        `model "${name}" has no version "${version}": versions are positive integers`,
      );
    }
    const held = this.#versions.get(`${name}:${n}`);
    if (held) return held;
    return this.#ensureLoaded(await this.#registry.resolve({ name, kind: 'version', version: n }));
  }

  /** Runs one request on a served version; waits for a version that is still loading. */
  async infer(served: ServedVersion, inputs: TensorInputs, options: InferOptions): Promise<InferResult> {
    if (served.state === 'LOADING') await served.loaded;
    if (served.state !== 'READY') throw notReady(served);
    return this.#engine.infer(served.key, inputs, options);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#registry.events.off('version-registered', this.#onVersion);
    this.#registry.events.off('alias-moved', this.#onAlias);
    await Promise.allSettled([...this.#refreshing.values()]);
    await Promise.allSettled([...this.#versions.values()].map((v) => this.#engine.unload(v.key)));
    this.#versions.clear();
    this.#defaults.clear();
  }

  #serves(name: string): boolean {
    return this.#selection === null || this.#selection.has(name);
  }

  async #poll(): Promise<void> {
    if (this.#closed) return;
    try {
      const changes = await this.#store.changesSince(this.#lastChange);
      if (changes.length === 0) return;
      this.#lastChange = changes.at(-1)!.id;
      const names = new Set(changes.map((c) => c.subject.split(/[:@]/)[0]));
      await Promise.all([...names].filter((n) => this.#serves(n)).map((n) => this.#refresh(n)));
    } catch (err) {
      this.#log('warn', 'reading registry changes failed; will retry', { err: String(err) });
    }
  }

  /** Re-resolves a name's default version; serialised per name so two refreshes never interleave. */
  #refresh(name: string): Promise<void> {
    if (!this.#serves(name) || this.#closed) return Promise.resolve();
    const previous = this.#refreshing.get(name) ?? Promise.resolve();
    const next = previous
      .then(() => this.#doRefresh(name))
      .catch((err) => {
        this.#log('error', `refreshing model ${name} failed`, { err: String(err) });
      });
    this.#refreshing.set(name, next);
    void next.finally(() => {
      if (this.#refreshing.get(name) === next) this.#refreshing.delete(name);
    });
    return next;
  }

  async #doRefresh(name: string): Promise<void> {
    let record: ModelVersionRecord;
    try {
      record = await this.#registry.resolve(name);
    } catch (err) {
      if (err instanceof SlipwayError && err.httpStatus === 404) {
        const old = this.#defaults.get(name);
        this.#defaults.delete(name);
        if (old) await this.#unload(old);
        return;
      }
      throw err;
    }
    const current = this.#defaults.get(name);
    if (
      current &&
      current.record.version === record.version &&
      current.record.manifestSha256 === record.manifestSha256
    )
      return;
    const served = this.#ensureLoaded(record);
    await served.loaded;
    // Switch only to a version that loaded: a broken new version must not take down a working one.
    if (served.state !== 'READY' && current?.state === 'READY') {
      this.#log(
        'error',
        `model ${name} version ${record.version} failed to load; still serving version ${current.record.version}`,
        {
          error: served.error,
        },
      );
      return;
    }
    this.#defaults.set(name, served);
    this.#log('info', `model ${name} now answers with version ${record.version}`);
    if (current && current !== served && !this.#pinned.includes(`${name}:${current.record.version}`)) {
      await this.#unload(current);
    }
  }

  #ensureLoaded(record: ModelVersionRecord): ServedVersion {
    const id = `${record.name}:${record.version}`;
    const held = this.#versions.get(id);
    if (held && held.record.manifestSha256 === record.manifestSha256) return held;
    const index = new SignatureIndex(record.signature);
    const served: ServedVersion = {
      record,
      index,
      codec: new TensorCodec(index),
      key: id,
      state: 'LOADING',
      error: null,
      loaded: Promise.resolve(),
      loadInfo: null,
    };
    served.loaded = this.#load(served);
    this.#versions.set(id, served);
    return served;
  }

  async #load(served: ServedVersion): Promise<void> {
    const { record } = served;
    try {
      if (record.status !== 'READY') throw new Error(record.statusMessage ?? `status ${record.status}`);
      const bytes = await this.#registry.servedModelBytes(record);
      served.loadInfo = await this.#engine.load(served.key, bytes, record.signature);
      served.state = 'READY';
      this.#log('info', `loaded model ${record.name} version ${record.version}`, { info: served.loadInfo });
    } catch (err) {
      served.state = 'FAILED';
      served.error = err instanceof Error ? err.message : String(err);
      this.#log('error', `model ${record.name} version ${record.version} failed to load`, {
        error: served.error,
      });
    }
  }

  async #unload(served: ServedVersion): Promise<void> {
    this.#versions.delete(`${served.record.name}:${served.record.version}`);
    if (served.state === 'READY') await this.#engine.unload(served.key);
  }
}

function notServed(name: string): SlipwayError {
  return new SlipwayError('REGISTRY_MODEL_NOT_FOUND', `model "${name}" is not served here`);
}

function notReady(served: ServedVersion): SlipwayError {
  const { name, version } = served.record;
  return new SlipwayError(
    'RUNTIME_MODEL_NOT_READY',
    `model "${name}" version ${version} is not ready: ${served.error ?? 'still loading'}`,
  );
}
