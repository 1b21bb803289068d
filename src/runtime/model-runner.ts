/**
 * One loaded model: its signature index, its dynamic batcher and the function that runs its batches
 * (inline on this thread, or on the worker pool). The runtime keeps one per model key.
 */

import { SlipwayError } from '../core/errors.js';
import { type BatchInfo, type BatchingOptions, type BatchRunner, DynamicBatcher } from './dynamic-batcher.js';
import type { ModelSpec, SessionHost } from './session-host.js';
import type { SignatureIndex } from './signature-index.js';
import type { TensorMap } from './tensor.js';
import { compactTensors } from './tensor-arena.js';
import type { WorkerPool } from './worker-pool.js';

export type Placement = 'inline' | 'worker';

export interface InferOptions {
  /** Only these outputs; null or absent for all. Unknown names fail with RUNTIME_UNKNOWN_OUTPUT. */
  outputs?: readonly string[] | null;
  /** Deadline for queue plus inference; default the model's `timeoutMs`. */
  timeoutMs?: number;
}

export interface InferResult {
  outputs: TensorMap;
  queueMs: number;
  inferenceMs: number;
  /** Rows in the batch that carried this request. */
  batchSize: number;
}

export interface ModelStats {
  key: string;
  placement: Placement;
  /** Requests answered, failed, refused (queue full) and timed out since load. */
  requests: number;
  errors: number;
  overloaded: number;
  timeouts: number;
  /** Batches run, and the rows they carried. */
  batches: number;
  rows: number;
  /** Mean rows per batch: how much dynamic batching merges. */
  meanBatchSize: number;
  queuedRequests: number;
  queuedRows: number;
  runningBatches: number;
}

/** Called once per batch; serving records Prometheus histograms from it (the runtime has no prom-client). */
export interface RuntimeObserver {
  onBatch(key: string, size: number, queueMs: number, inferenceMs: number): void;
}

export interface ModelRunnerConfig {
  key: string;
  spec: ModelSpec;
  index: SignatureIndex;
  placement: Placement;
  batching: BatchingOptions;
  /** The main thread's sessions (inline placement). */
  host: SessionHost;
  /** The worker pool (worker placement). */
  pool: WorkerPool | null;
  observer: RuntimeObserver | null;
  onObserverError: (error: unknown) => void;
}

export class ModelRunner {
  readonly key: string;
  readonly spec: ModelSpec;
  readonly index: SignatureIndex;
  readonly placement: Placement;
  readonly #batcher: DynamicBatcher;
  readonly #observer: RuntimeObserver | null;
  readonly #onObserverError: (error: unknown) => void;
  #requests = 0;
  #errors = 0;
  #overloaded = 0;
  #timeouts = 0;
  #batches = 0;
  #rows = 0;

  constructor(config: ModelRunnerConfig) {
    this.key = config.key;
    this.spec = config.spec;
    this.index = config.index;
    this.placement = config.placement;
    this.#observer = config.observer;
    this.#onObserverError = config.onObserverError;
    const run =
      config.placement === 'inline'
        ? inlineRunner(config.host, config.spec)
        : poolRunner(config.pool!, config.spec);
    this.#batcher = new DynamicBatcher({
      name: config.key,
      inputNames: config.index.inputNames,
      batchable: config.index.batchable,
      options: config.batching,
      // One batch at a time inline (the thread can only run one); one per worker otherwise.
      concurrency: config.placement === 'inline' ? 1 : config.pool!.size,
      run,
      onBatch: (info) => this.#recordBatch(info),
    });
  }

  get batching(): Readonly<BatchingOptions> {
    return this.#batcher.options;
  }

  /** Check the request against the signature, queue it, and keep only the outputs it asked for. */
  async infer(inputs: TensorMap, options?: InferOptions): Promise<InferResult> {
    const selected = this.index.selectOutputs(options?.outputs);
    const rows = this.index.checkInputs(inputs);
    try {
      const outcome = await this.#batcher.submit(
        inputs,
        rows,
        options?.timeoutMs ?? this.#batcher.options.timeoutMs,
      );
      this.#requests++;
      if (selected !== null) outcome.outputs = pick(outcome.outputs, selected);
      return outcome;
    } catch (error) {
      this.#countError(error);
      throw error;
    }
  }

  /** Resolves when nothing of this model is queued or running. */
  idle(): Promise<void> {
    return this.#batcher.idle();
  }

  stats(): ModelStats {
    return {
      key: this.key,
      placement: this.placement,
      requests: this.#requests,
      errors: this.#errors,
      overloaded: this.#overloaded,
      timeouts: this.#timeouts,
      batches: this.#batches,
      rows: this.#rows,
      meanBatchSize: this.#batches === 0 ? 0 : this.#rows / this.#batches,
      queuedRequests: this.#batcher.queuedRequests,
      queuedRows: this.#batcher.queuedRows,
      runningBatches: this.#batcher.runningBatches,
    };
  }

  #recordBatch(info: BatchInfo): void {
    this.#batches++;
    this.#rows += info.rows;
    if (this.#observer === null) return;
    try {
      this.#observer.onBatch(this.key, info.rows, info.queueMs, info.inferenceMs);
    } catch (error) {
      this.#onObserverError(error);
    }
  }

  #countError(error: unknown): void {
    const code = error instanceof SlipwayError ? error.code : null;
    if (code === 'RUNTIME_OVERLOADED') this.#overloaded++;
    else if (code === 'RUNTIME_TIMEOUT') this.#timeouts++;
    else this.#errors++;
  }
}

function inlineRunner(host: SessionHost, spec: ModelSpec): BatchRunner {
  return async (inputs) => {
    const outputs = await host.run(spec.key, spec.generation, inputs, null);
    if (outputs === null)
      throw new SlipwayError('RUNTIME_MODEL_NOT_READY', `model "${spec.key}" is not loaded`);
    return outputs;
  };
}

function poolRunner(pool: WorkerPool, spec: ModelSpec): BatchRunner {
  // A request's own tensors (not owned) may be views into a shared slab (tensor-arena.ts): posting
  // one would clone the whole slab, so they are copied out first.
  return async (inputs, _rows, owned) =>
    (await pool.run(spec, owned ? inputs : compactTensors(inputs), null, owned)).outputs;
}

function pick(outputs: TensorMap, names: readonly string[]): TensorMap {
  const picked: TensorMap = {};
  for (const name of names) if (name in outputs) picked[name] = outputs[name];
  return picked;
}
