/**
 * The inference runtime that serving and batch prediction share: load a model, infer through its
 * dynamic batcher, unload, close.
 *
 * Where a model's batches run is chosen per model at load (DESIGN.md, measured facts): a 64-row batch
 * of a small model costs tens of microseconds, less than the round trip to a worker thread, so it runs
 * inline on the calling thread; a model that costs milliseconds (MobileNet) must never block that
 * thread and runs on the worker pool. `auto` loads the model on the pool, times it there, and moves it
 * inline only if a full batch is cheap. Both placements share the same batcher.
 */

import { SlipwayError } from '../core/errors.js';
import type { Signature } from '../core/tensor-types.js';
import { type BatchingOptions, DEFAULT_BATCHING_OPTIONS } from './dynamic-batcher.js';
import {
  type InferOptions,
  type InferResult,
  ModelRunner,
  type ModelStats,
  type Placement,
  type RuntimeObserver,
} from './model-runner.js';
import type { ModelSource } from './onnx-session.js';
import type { RuntimeLogger } from './runtime-logger.js';
import { type ModelSpec, SessionHost } from './session-host.js';
import { SignatureIndex } from './signature-index.js';
import type { TensorMap } from './tensor.js';
import { warmupRows } from './warmup-inputs.js';
import { createWorkerPool, type WorkerPool } from './worker-pool.js';

export type { InferOptions, InferResult, ModelStats, Placement, RuntimeObserver };

/**
 * A full batch at or under this many µs runs inline. bench/runtime-batching/run.ts served the
 * fixture models both ways (single-row V2 requests over HTTP, 2-core machine): with 64 connections,
 * server CPU per request was 40/32/36 µs inline and 52/42/45 µs on workers for the GBDT, MLP and
 * digits CNN (bare HTTP floor 35-36 µs), and with 4 connections the GBDT answered in 0.27 ms p50
 * inline against 0.55 ms on a worker. Their 64-row batches cost 45-55, 23 and 105 µs (best of 9):
 * below the cost of the worker hop itself. MobileNet costs ~2 ms for a single image. 250 µs keeps
 * those small models inline with room for a busy machine's noise, while an inline batch still holds
 * the event loop for at most a quarter of a millisecond.
 */
export const DEFAULT_INLINE_THRESHOLD_US = 250;

export interface InferenceRuntimeOptions {
  /** Worker threads; default `os.availableParallelism()`. Started at the first load that needs them. */
  workers?: number;
  /** onnxruntime intra-op threads per session; default 1 (DESIGN.md: faster than 2 for small models). */
  intraOpNumThreads?: number;
  logger?: RuntimeLogger | null;
  observer?: RuntimeObserver | null;
  /** Defaults for every model's batcher; each load may override them. */
  batching?: Partial<BatchingOptions>;
  /** `auto` placement: the largest full-batch latency, in µs, that still runs inline. */
  inlineThresholdUs?: number;
}

export type ModelInput = { bytes: Uint8Array } | { path: string };

export type LoadOptions = Partial<BatchingOptions> & {
  /** `auto` (default) measures and decides; `inline` runs on the calling thread; `worker` on the pool. */
  placement?: 'auto' | Placement;
};

export interface LoadedModelInfo {
  key: string;
  placement: Placement;
  /** Requests can be merged along dim 0 (false when the first dimension is fixed). */
  batchable: boolean;
  batching: Readonly<BatchingOptions>;
  /** Wall time of `load`, measurement and warm-up included. */
  loadMs: number;
  /** Session creation on the slowest thread that opened it. */
  sessionLoadMs: number;
  /** Best-of-N batch latencies on zeros where the probe ran (null: not measured, too slow to try). */
  latency: { singleRowUs: number; batchRows: number; batchUs: number | null };
  /** Change in process resident memory across the load (all threads; noisy for small models). */
  rssDeltaBytes: number;
}

/**
 * Timed runs per probe (the best is kept, see SessionHost.measure). `auto` skips the full-batch probe when one row already
 * costs more than the threshold: the model goes to workers anyway, and timing 64 MobileNet rows nine
 * times would add seconds to its load.
 */
const PROBE_REPEATS = { single: 7, batch: 9 } as const;

export function createInferenceRuntime(options: InferenceRuntimeOptions = {}): InferenceRuntime {
  return new InferenceRuntime(options);
}

export class InferenceRuntime {
  readonly #options: Readonly<InferenceRuntimeOptions>;
  readonly #batching: Readonly<BatchingOptions>;
  readonly #thresholdUs: number;
  readonly #logger: RuntimeLogger | null;
  readonly #host = new SessionHost();
  readonly #models = new Map<string, ModelRunner>();
  /** Loads and unloads in progress per key, chained so that they apply in call order. */
  readonly #chains = new Map<string, Promise<unknown>>();
  /** Models being drained after an unload or a reload. */
  readonly #draining = new Set<Promise<void>>();
  #pool: Promise<WorkerPool> | null = null;
  #generation = 0;
  #closed = false;

  constructor(options: InferenceRuntimeOptions = {}) {
    this.#options = Object.freeze({ ...options });
    this.#batching = Object.freeze({ ...DEFAULT_BATCHING_OPTIONS, ...definedOnly(options.batching ?? {}) });
    this.#thresholdUs = options.inlineThresholdUs ?? DEFAULT_INLINE_THRESHOLD_US;
    this.#logger = options.logger ?? null;
  }

  /**
   * Load (or reload) `key`. A reload warms the new model up beside the old one, switches requests to
   * it, then drains and releases the old one: no request sees a gap.
   */
  load(
    key: string,
    model: ModelInput,
    signature: Signature,
    options: LoadOptions = {},
  ): Promise<LoadedModelInfo> {
    return this.#chain(key, () => this.#load(key, model, signature, options));
  }

  /** Run one request through the model's batcher. */
  infer(key: string, inputs: TensorMap, options?: InferOptions): Promise<InferResult> {
    const runner = this.#models.get(key);
    if (runner === undefined) return Promise.reject(this.#notReady(key));
    return runner.infer(inputs, options);
  }

  isReady(key: string): boolean {
    return this.#models.has(key);
  }

  /**
   * Stop taking requests for `key` (at once, unless a load of it is still in progress), wait for its
   * queued and running ones, then release its sessions.
   */
  unload(key: string): Promise<void> {
    if (!this.#chains.has(key)) return this.#unloadNow(key);
    return this.#chain(key, () => this.#unloadNow(key));
  }

  stats(key: string): ModelStats | null {
    return this.#models.get(key)?.stats() ?? null;
  }

  /** Keys of the loaded models. */
  keys(): string[] {
    return [...this.#models.keys()];
  }

  /** Drain every model, release every session and stop the workers. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#chains.values()]);
    const runners = [...this.#models.values()];
    this.#models.clear();
    await Promise.allSettled([...runners.map((r) => this.#retire(r)), ...this.#draining]);
    await this.#host.close();
    if (this.#pool !== null) {
      const pool = await this.#pool.catch(() => null);
      await pool?.close();
    }
  }

  async #load(
    key: string,
    model: ModelInput,
    signature: Signature,
    options: LoadOptions,
  ): Promise<LoadedModelInfo> {
    if (this.#closed) throw new SlipwayError('CORE_CLOSED', 'the inference runtime is closed');
    const started = performance.now();
    const rssBefore = process.memoryUsage().rss;
    const index = new SignatureIndex(signature);
    const { placement: wanted = 'auto', ...overrides } = options;
    const batching: BatchingOptions = { ...this.#batching, ...definedOnly(overrides) };
    const generation = ++this.#generation;
    const settings = { intraOpNumThreads: this.#options.intraOpNumThreads ?? 1 };
    const batchRows = warmupRows(signature, batching.maxBatchSize);
    let spec: ModelSpec;
    let placement: Placement;
    let probe: Probe;
    if (wanted === 'inline') {
      spec = { key, generation, source: modelSource(model, false), signature, settings };
      probe = await this.#probeInline(spec, batchRows);
      placement = 'inline';
    } else {
      spec = { key, generation, source: modelSource(model, true), signature, settings };
      probe = await this.#probeWorkers(spec, batchRows, wanted === 'auto');
      placement =
        wanted === 'worker' || probe.batchUs === null || probe.batchUs > this.#thresholdUs
          ? 'worker'
          : 'inline';
      if (placement === 'inline') await this.#moveInline(spec, batchRows, probe);
    }

    const runner = new ModelRunner({
      key,
      spec,
      index,
      placement,
      batching,
      host: this.#host,
      pool: placement === 'worker' ? await this.#workerPool() : null,
      observer: this.#options.observer ?? null,
      onObserverError: (error) => this.#logger?.error({ err: error, model: key }, 'runtime observer failed'),
    });
    const previous = this.#models.get(key);
    this.#models.set(key, runner);
    if (previous !== undefined) this.#retire(previous);
    const info: LoadedModelInfo = {
      key,
      placement,
      batchable: index.batchable,
      batching: runner.batching,
      loadMs: performance.now() - started,
      sessionLoadMs: probe.sessionLoadMs,
      latency: { singleRowUs: probe.singleRowUs, batchRows, batchUs: probe.batchUs },
      rssDeltaBytes: process.memoryUsage().rss - rssBefore,
    };
    this.#logger?.info({ model: key, placement, latency: info.latency, loadMs: info.loadMs }, 'model loaded');
    return info;
  }

  /**
   * Open on every worker and time it on one: one row, then (for `auto`, and only if one row is under
   * the threshold) a full batch.
   */
  async #probeWorkers(spec: ModelSpec, batchRows: number, full: boolean): Promise<Probe> {
    const pool = await this.#workerPool();
    try {
      const reports = await pool.load(spec);
      const sessionLoadMs = Math.max(...reports.map((r) => r.loadMs));
      const singleRowUs = await pool.measure(spec, 1, PROBE_REPEATS.single);
      let batchUs: number | null = null;
      if (batchRows === 1) batchUs = singleRowUs;
      else if (full && singleRowUs <= this.#thresholdUs) {
        batchUs = await pool.measure(spec, batchRows, PROBE_REPEATS.batch);
      }
      return { sessionLoadMs, singleRowUs, batchUs };
    } catch (error) {
      await pool.unload(spec.key, spec.generation).catch(() => undefined);
      throw error;
    }
  }

  /** Cheap enough to run here: open it on this thread too, then free the workers' copies. */
  async #moveInline(spec: ModelSpec, batchRows: number, probe: Probe): Promise<void> {
    const pool = await this.#workerPool();
    try {
      const inline = await this.#host.load(spec);
      probe.sessionLoadMs = Math.max(probe.sessionLoadMs, inline.loadMs);
      // Warm the full-batch shape too (cheap by definition here), so the first full batch is fast too.
      await this.#host.measure(spec.key, spec.generation, spec.signature, batchRows, 1);
    } finally {
      await pool.unload(spec.key, spec.generation);
    }
  }

  /** Open on this thread and time it here (the caller asked for inline; timing it costs little). */
  async #probeInline(spec: ModelSpec, batchRows: number): Promise<Probe> {
    const report = await this.#host.load(spec);
    try {
      const { key, generation, signature } = spec;
      const singleRowUs = await this.#host.measure(key, generation, signature, 1, PROBE_REPEATS.single);
      const batchUs =
        batchRows === 1
          ? singleRowUs
          : await this.#host.measure(key, generation, signature, batchRows, PROBE_REPEATS.batch);
      return { sessionLoadMs: report.loadMs, singleRowUs, batchUs };
    } catch (error) {
      await this.#host.unload(spec.key, spec.generation);
      throw error;
    }
  }

  #unloadNow(key: string): Promise<void> {
    const runner = this.#models.get(key);
    if (runner === undefined) return Promise.resolve();
    this.#models.delete(key);
    return this.#retire(runner);
  }

  /** Drain a runner that no longer takes requests, then release its sessions. */
  #retire(runner: ModelRunner): Promise<void> {
    const done = (async () => {
      await runner.idle();
      const { key, generation } = runner.spec;
      if (runner.placement === 'inline') await this.#host.unload(key, generation);
      else await (await this.#workerPool()).unload(key, generation);
    })();
    this.#draining.add(done);
    void done.finally(() => this.#draining.delete(done)).catch(() => undefined);
    return done;
  }

  #workerPool(): Promise<WorkerPool> {
    if (this.#pool === null) {
      const pool = createWorkerPool({ size: this.#options.workers, logger: this.#logger });
      this.#pool = pool;
      // A pool that failed to start is retried at the next load rather than failing every load after it.
      pool.catch(() => {
        if (this.#pool === pool) this.#pool = null;
      });
    }
    return this.#pool;
  }

  #chain<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#chains.get(key) ?? Promise.resolve();
    const next = previous.then(task, task);
    const tail = next.catch(() => undefined);
    this.#chains.set(key, tail);
    void tail.then(() => {
      if (this.#chains.get(key) === tail) this.#chains.delete(key);
    });
    return next;
  }

  #notReady(key: string): SlipwayError {
    if (this.#closed) return new SlipwayError('CORE_CLOSED', 'the inference runtime is closed');
    return new SlipwayError('RUNTIME_MODEL_NOT_READY', `model "${key}" is not loaded`, { model: key });
  }
}

interface Probe {
  sessionLoadMs: number;
  singleRowUs: number;
  batchUs: number | null;
}

/**
 * Bytes bound for workers are copied once into shared memory, so every worker (and any replacement
 * started later) reads the same copy instead of each getting its own clone per message.
 */
function modelSource(model: ModelInput, shared: boolean): ModelSource {
  if ('path' in model) return { path: model.path };
  if (!shared) return { bytes: model.bytes };
  const bytes = new Uint8Array(new SharedArrayBuffer(model.bytes.byteLength));
  bytes.set(model.bytes);
  return { bytes };
}

/** Options objects from callers may carry `undefined` values; they must not override defaults. */
function definedOnly<T extends object>(values: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(values)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
