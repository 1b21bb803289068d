/**
 * The dynamic batcher: queues requests, waits up to `maxQueueDelayMs` or until `maxBatchSize` rows
 * are queued, runs one batch and resolves each caller with exactly its own rows. Modelled on MLServer's
 * adaptive batcher (`batching/adaptive.py`): it only queues and times; merging and splitting live in
 * batch-merge.ts, and running lives in the `run` function it is given, so the same batcher serves
 * inline and worker placement.
 *
 * Beyond MLServer it is adaptive under load: at most `concurrency` batches run at once (1 inline, one
 * per worker otherwise), and requests that arrive while every slot is busy keep accumulating, so batches
 * grow with load instead of each request waiting on the clock. The queue is bounded (fail fast with
 * RUNTIME_OVERLOADED, never grow until memory runs out) and every request has a deadline.
 */

import { SlipwayError } from '../core/errors.js';
import { mergeInputs, mergeKey, splitOutputs } from './batch-merge.js';
import type { TensorMap } from './tensor.js';

export interface BatchingOptions {
  /** Most rows merged into one batch. A single larger request still runs, alone. */
  maxBatchSize: number;
  /**
   * How long the oldest queued request waits for company before its batch runs. 0 flushes on the next
   * turn of the event loop (setImmediate), which already merges every request that arrived meanwhile.
   */
  maxQueueDelayMs: number;
  /** Most rows waiting (not yet running) before new requests are refused with RUNTIME_OVERLOADED. */
  maxQueueRows: number;
  /** Most requests waiting before new requests are refused with RUNTIME_OVERLOADED. */
  maxQueueRequests: number;
  /** Default deadline of a request, queue plus inference, in ms; 0 means none. */
  timeoutMs: number;
}

/**
 * Defaults, chosen with bench/runtime-batching/run.ts (V2 HTTP server + child-process load
 * generator, single-row requests, 2-core machine shared with other jobs, so throughput swung ±30%
 * between rounds; server CPU per request was the steady figure). Medians of 3 rounds, 2026-11-29:
 *  - maxQueueDelayMs 0. At 64 connections the event-loop flush already merges ~43 rows per inline
 *    batch (a 1-2 ms delay: 57-63 rows) and server CPU per request is the same either way (GBDT 40
 *    vs 42 µs, MLP 32 vs 32, digits 36 vs 38; the bare HTTP floor is 35-36). At 4 connections a
 *    1 ms delay cut GBDT throughput from 12.5 k to 2.3 k req/s and raised p50 from 0.27 to 1.54 ms.
 *    The concurrency cap (one batch per thread that can run it) keeps batches growing under load.
 *  - maxBatchSize 64: batches were 15, 27, 43 and 44 rows for limits 16, 32, 64 and 128 at 64
 *    connections, with CPU per request flat (38-42 µs GBDT); 64 also sizes the auto-placement probe,
 *    where the fixture models' 64-row batches cost 23-105 µs.
 *  - queue bounds: 64 k rows or 4096 requests, a few seconds of work for small models, then 503.
 *  - timeoutMs 30 s, a common HTTP client default, so nothing waits forever.
 */
export const DEFAULT_BATCHING_OPTIONS: Readonly<BatchingOptions> = Object.freeze({
  maxBatchSize: 64,
  maxQueueDelayMs: 0,
  maxQueueRows: 65_536,
  maxQueueRequests: 4096,
  timeoutMs: 30_000,
});

/** Runs one merged batch. `owned` says the inputs' buffers are the batcher's and may be transferred. */
export type BatchRunner = (inputs: TensorMap, rows: number, owned: boolean) => Promise<TensorMap>;

export interface BatchOutcome {
  /** This request's rows of every output. */
  outputs: TensorMap;
  /** Time from submit to the start of its batch. */
  queueMs: number;
  /** Time its batch took to run (merge, worker round trip and onnxruntime; not split or encode). */
  inferenceMs: number;
  /** Rows in the batch this request ran in. */
  batchSize: number;
}

export interface BatchInfo {
  rows: number;
  requests: number;
  /** Queue time of the oldest request in the batch. */
  queueMs: number;
  inferenceMs: number;
  error: SlipwayError | Error | null;
}

export interface DynamicBatcherConfig {
  /** Model key, for messages. */
  name: string;
  inputNames: readonly string[];
  /** False for models with a fixed first dimension: each request then runs as its own batch. */
  batchable: boolean;
  options: BatchingOptions;
  /** Batches allowed to run at once. */
  concurrency: number;
  run: BatchRunner;
  onBatch?: ((info: BatchInfo) => void) | null;
}

const QUEUED = 0;
const RUNNING = 1;
const SETTLED = 2;

/** One caller's request; every field is set in the constructor (STYLE.md 23). */
class PendingRequest {
  readonly inputs: TensorMap;
  readonly rows: number;
  readonly group: Group;
  readonly enqueuedAt: number;
  readonly resolve: (outcome: BatchOutcome) => void;
  readonly reject: (error: Error) => void;
  readonly timeoutMs: number;
  /** When the request times out (performance.now() clock); Infinity for none. */
  readonly deadline: number;
  state: number = QUEUED;

  constructor(
    inputs: TensorMap,
    rows: number,
    group: Group,
    timeoutMs: number,
    resolve: (outcome: BatchOutcome) => void,
    reject: (error: Error) => void,
  ) {
    this.inputs = inputs;
    this.rows = rows;
    this.group = group;
    this.timeoutMs = timeoutMs;
    this.enqueuedAt = performance.now();
    this.deadline = timeoutMs > 0 ? this.enqueuedAt + timeoutMs : Number.POSITIVE_INFINITY;
    this.resolve = resolve;
    this.reject = reject;
  }
}

/** Requests that may share a batch (same merge key), oldest first. */
class Group {
  readonly key: string;
  readonly requests: PendingRequest[] = [];
  rows = 0;

  constructor(key: string) {
    this.key = key;
  }
}

export class DynamicBatcher {
  readonly #name: string;
  readonly #inputNames: readonly string[];
  readonly #batchable: boolean;
  readonly #options: Readonly<BatchingOptions>;
  readonly #concurrency: number;
  readonly #run: BatchRunner;
  readonly #onBatch: ((info: BatchInfo) => void) | null;
  readonly #groups = new Map<string, Group>();
  #queuedRequests = 0;
  #queuedRows = 0;
  #running = 0;
  #immediate: NodeJS.Immediate | null = null;
  #timer: NodeJS.Timeout | null = null;
  #timerDue = 0;
  #idleWaiters: (() => void)[] | null = null;
  /** Smoothed batch duration, for the retry hint of RUNTIME_OVERLOADED. */
  #batchMsAverage = 0;
  // Bound once per batcher so timers need no per-request closure (STYLE.md 23).
  readonly #flushBound = (): void => this.#flush();
  /**
   * Timeouts: one timer per batcher, due at the earliest deadline of what is pending, instead of a
   * timer per request (setTimeout + clearTimeout cost ~0.25 µs and ~250 bytes a request). Requests
   * share a timeout as a rule, so a new request's deadline is later and arms nothing; when the timer
   * fires, the pending requests are scanned once.
   */
  readonly #runningBatches = new Set<PendingRequest[]>();
  #deadlineTimer: NodeJS.Timeout | null = null;
  #deadlineDue = Number.POSITIVE_INFINITY;
  readonly #sweepBound = (): void => this.#sweep();

  constructor(config: DynamicBatcherConfig) {
    this.#name = config.name;
    this.#inputNames = config.inputNames;
    this.#batchable = config.batchable;
    this.#options = Object.freeze({ ...config.options });
    this.#concurrency = Math.max(1, config.concurrency);
    this.#run = config.run;
    this.#onBatch = config.onBatch ?? null;
  }

  get options(): Readonly<BatchingOptions> {
    return this.#options;
  }

  get queuedRequests(): number {
    return this.#queuedRequests;
  }

  get queuedRows(): number {
    return this.#queuedRows;
  }

  get runningBatches(): number {
    return this.#running;
  }

  /**
   * Queue a request of `rows` rows (already checked against the signature). Rejects at once with
   * RUNTIME_OVERLOADED when the queue is full, and with RUNTIME_TIMEOUT when `timeoutMs` passes first.
   */
  submit(
    inputs: TensorMap,
    rows: number,
    timeoutMs: number = this.#options.timeoutMs,
  ): Promise<BatchOutcome> {
    const options = this.#options;
    if (
      this.#queuedRequests >= options.maxQueueRequests ||
      (this.#queuedRows > 0 && this.#queuedRows + rows > options.maxQueueRows)
    ) {
      return Promise.reject(this.#overloaded());
    }
    // Fixed-first-dimension models never merge: one shared group, and #take takes one request at a time.
    const key = this.#batchable ? mergeKey(inputs, this.#inputNames) : '';
    let group = this.#groups.get(key);
    if (group === undefined) {
      group = new Group(key);
      this.#groups.set(key, group);
    }
    return new Promise<BatchOutcome>((resolve, reject) => {
      const request = new PendingRequest(inputs, rows, group, timeoutMs, resolve, reject);
      group.requests.push(request);
      group.rows += rows;
      this.#queuedRequests++;
      this.#queuedRows += rows;
      if (request.deadline < this.#deadlineDue) this.#armDeadline(request.deadline);
      if (group.rows >= options.maxBatchSize && this.#running < this.#concurrency) this.#pump();
      else this.#arm();
    });
  }

  /** Resolves once nothing is queued or running (unload and close wait on it). */
  idle(): Promise<void> {
    if (this.#queuedRequests === 0 && this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#idleWaiters ??= [];
      this.#idleWaiters.push(resolve);
    });
  }

  #armDeadline(due: number): void {
    if (this.#deadlineTimer !== null) clearTimeout(this.#deadlineTimer);
    this.#deadlineDue = due;
    this.#deadlineTimer = setTimeout(this.#sweepBound, Math.max(1, due - performance.now()));
    this.#deadlineTimer.unref();
  }

  /** Times out every pending request whose deadline has passed; arms the timer for the next one. */
  #sweep(): void {
    this.#deadlineTimer = null;
    this.#deadlineDue = Number.POSITIVE_INFINITY;
    const now = performance.now();
    let next = Number.POSITIVE_INFINITY;
    const visit = (request: PendingRequest) => {
      if (request.state === SETTLED) return;
      if (request.deadline <= now) this.#timeOut(request);
      else if (request.deadline < next) next = request.deadline;
    };
    // Copies: timing out a queued request removes it from its group.
    for (const group of [...this.#groups.values()]) for (const request of [...group.requests]) visit(request);
    for (const batch of this.#runningBatches) for (const request of batch) visit(request);
    if (next < this.#deadlineDue) this.#armDeadline(next);
  }

  #timeOut(request: PendingRequest): void {
    if (request.state === SETTLED) return;
    const phase = request.state === QUEUED ? 'queued' : 'running';
    if (request.state === QUEUED) this.#removeQueued(request);
    request.state = SETTLED;
    request.reject(
      new SlipwayError(
        'RUNTIME_TIMEOUT',
        `model "${this.#name}": request timed out after ${request.timeoutMs} ms (${phase === 'queued' ? 'still queued' : 'while its batch ran'})`,
        { model: this.#name, timeoutMs: request.timeoutMs, phase },
      ),
    );
    if (phase === 'queued') this.#notifyIdle();
  }

  #overloaded(): SlipwayError {
    const o = this.#options;
    // Time to drain what is queued at the recent batch speed; at least one second (Retry-After is in seconds).
    const batches = Math.ceil(this.#queuedRows / o.maxBatchSize) / this.#concurrency;
    const retryAfterSeconds = Math.max(1, Math.ceil((batches * this.#batchMsAverage) / 1000));
    return new SlipwayError(
      'RUNTIME_OVERLOADED',
      `model "${this.#name}" is overloaded: ${this.#queuedRequests} requests (${this.#queuedRows} rows) are queued, ` +
        `the limit is ${o.maxQueueRequests} requests or ${o.maxQueueRows} rows; retry in ${retryAfterSeconds} s`,
      {
        model: this.#name,
        queuedRequests: this.#queuedRequests,
        queuedRows: this.#queuedRows,
        retryAfterSeconds,
      },
    );
  }

  /** Make sure a flush is coming: next event-loop turn for delay 0, else when the oldest request is due. */
  #arm(): void {
    const delay = this.#options.maxQueueDelayMs;
    if (delay <= 0) {
      this.#immediate ??= setImmediate(this.#flushBound);
      return;
    }
    const oldest = this.#oldestGroup(false);
    if (oldest === null) return;
    const due = oldest.requests[0].enqueuedAt + delay;
    if (this.#timer !== null && this.#timerDue <= due) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timerDue = due;
    this.#timer = setTimeout(this.#flushBound, Math.max(0, due - performance.now()));
  }

  /** Timer callback: run every batch that is due. */
  #flush(): void {
    this.#immediate = null;
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    this.#pump();
  }

  /** Start due batches while slots are free; arm the clock for the rest. */
  #pump(): void {
    while (this.#running < this.#concurrency) {
      const group = this.#oldestGroup(true);
      if (group === null) break;
      this.#dispatch(group);
    }
    if (this.#queuedRequests > 0 && this.#running < this.#concurrency) this.#arm();
  }

  /**
   * The group whose oldest request is oldest; with `dueOnly`, among groups that are full or whose
   * oldest request has waited `maxQueueDelayMs`. Groups are few (one per distinct merge key).
   */
  #oldestGroup(dueOnly: boolean): Group | null {
    const { maxBatchSize, maxQueueDelayMs } = this.#options;
    const now = dueOnly ? performance.now() : 0;
    let best: Group | null = null;
    for (const group of this.#groups.values()) {
      if (group.requests.length === 0) continue;
      const head = group.requests[0];
      if (dueOnly && group.rows < maxBatchSize && now - head.enqueuedAt < maxQueueDelayMs) continue;
      if (best === null || head.enqueuedAt < best.requests[0].enqueuedAt) best = group;
    }
    return best;
  }

  /** Take up to maxBatchSize rows from the head of `group` (one request if the model cannot batch). */
  #take(group: Group): PendingRequest[] {
    const requests = group.requests;
    let count = 1;
    let rows = requests[0].rows;
    if (this.#batchable) {
      const max = this.#options.maxBatchSize;
      while (count < requests.length && rows + requests[count].rows <= max) rows += requests[count++].rows;
    }
    const batch = requests.splice(0, count);
    group.rows -= rows;
    this.#queuedRequests -= count;
    this.#queuedRows -= rows;
    if (requests.length === 0) this.#groups.delete(group.key);
    return batch;
  }

  #dispatch(group: Group): void {
    const batch = this.#take(group);
    this.#running++;
    this.#runningBatches.add(batch);
    let rows = 0;
    for (const request of batch) {
      request.state = RUNNING;
      rows += request.rows;
    }
    const started = performance.now();
    let result: Promise<TensorMap>;
    try {
      result =
        batch.length === 1
          ? this.#run(batch[0].inputs, rows, false)
          : this.#run(
              mergeInputs(
                batch.map((r) => r.inputs),
                this.#inputNames,
              ),
              rows,
              true,
            );
    } catch (error) {
      result = Promise.reject(error);
    }
    result.then(
      (outputs) => this.#complete(batch, rows, started, outputs),
      (error: unknown) => this.#finish(batch, rows, started, null, error),
    );
  }

  #complete(batch: PendingRequest[], rows: number, started: number, outputs: TensorMap): void {
    let parts: TensorMap[];
    try {
      parts =
        batch.length === 1
          ? [outputs]
          : splitOutputs(
              outputs,
              batch.map((r) => r.rows),
            );
    } catch (error) {
      this.#finish(batch, rows, started, null, error);
      return;
    }
    this.#finish(batch, rows, started, parts, null);
  }

  #finish(
    batch: PendingRequest[],
    rows: number,
    started: number,
    parts: TensorMap[] | null,
    error: unknown,
  ): void {
    const inferenceMs = performance.now() - started;
    this.#batchMsAverage =
      this.#batchMsAverage === 0 ? inferenceMs : 0.8 * this.#batchMsAverage + 0.2 * inferenceMs;
    const failure = parts === null ? asError(error) : null;
    for (let i = 0; i < batch.length; i++) {
      const request = batch[i];
      if (request.state === SETTLED) continue;
      request.state = SETTLED;
      if (parts === null) request.reject(failure as Error);
      else {
        request.resolve({
          outputs: parts[i],
          queueMs: started - request.enqueuedAt,
          inferenceMs,
          batchSize: rows,
        });
      }
    }
    this.#running--;
    this.#runningBatches.delete(batch);
    if (this.#onBatch !== null) {
      this.#onBatch({
        rows,
        requests: batch.length,
        queueMs: started - batch[0].enqueuedAt,
        inferenceMs,
        error: failure,
      });
    }
    this.#pump();
    this.#notifyIdle();
  }

  #removeQueued(request: PendingRequest): void {
    const group = request.group;
    const index = group.requests.indexOf(request);
    if (index < 0) return;
    group.requests.splice(index, 1);
    group.rows -= request.rows;
    this.#queuedRequests--;
    this.#queuedRows -= request.rows;
    if (group.requests.length === 0 && this.#groups.get(group.key) === group) this.#groups.delete(group.key);
  }

  #notifyIdle(): void {
    if (this.#idleWaiters === null || this.#queuedRequests > 0 || this.#running > 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = null;
    for (const resolve of waiters) resolve();
  }
}

function asError(error: unknown): Error {
  return error instanceof Error
    ? error
    : new SlipwayError('INTERNAL', 'internal error', undefined, { cause: error });
}
