/**
 * The prediction log writer: serving's `PredictionSink`. `record` runs on the request path: it
 * samples, counts, and packs the request's rows into the batch being built (a copy of a few
 * hundred bytes; holding the event's tensors until the flush cost more, in garbage collection,
 * than packing them at once: log-row-encoder.ts). Batches are handed to the store's appender off
 * the request path (every `flushIntervalMs`, or at once when `maxBatchRows` are waiting), one
 * transaction per batch, one batch in flight at a time.
 *
 * Overload policy: drop and count. The queue is bounded by rows (`maxQueueRows`); a request whose
 * rows do not fit is dropped whole and counted (`dropped`, exported as
 * `slipway_prediction_log_dropped_total`). Blocking is not an option on the request thread (it
 * would stall every request, not only the logging), and an unbounded queue is how other
 * prediction loggers run out of memory. Nothing else loses rows: a failed write keeps its batch
 * and retries with backoff (new rows queue behind it, within the bound), and `close` writes
 * everything still queued. Every row answered is therefore in exactly one of `written`,
 * `dropped`, `sampledOut`, `queued` (which `close` empties into `written`).
 *
 * Sampling is per request (all of a request's rows or none), so feedback by request id finds the
 * whole request or nothing.
 */
import type { Clock } from '../../core/clock.js';
import type { PredictionEvent, PredictionSink } from '../../serving/prediction-sink.js';
import { batchRows, type LogBatch, type PredictionLogAppender } from '../../store/prediction-log-store.js';
import { eventRows, LogRowEncoder } from './log-row-encoder.js';

export interface PredictionLogWriterOptions {
  /** Share of requests logged, 0 to 1 (default 1: every one). */
  sampleRate?: number;
  /** Longest a row waits before its batch is written (default 50 ms). */
  flushIntervalMs?: number;
  /** Rows per write transaction; a full batch is written at once (default 1,000). */
  maxBatchRows?: number;
  /** Rows queued (in flight included) beyond which requests are dropped and counted (default 100,000). */
  maxQueueRows?: number;
  /** The sampling coin; tests pass a seeded one. */
  random?: () => number;
  /**
   * The time a row is logged at is the request's arrival by this clock (now minus its latency), so
   * windows, retention and feedback all read one clock; default the system clock (= `receivedAt`).
   */
  clock?: Clock;
  /** Called when a batch fails to write (it is kept and retried). */
  onError?: (err: unknown, rows: number) => void;
}

export interface PredictionLogStats {
  /** Rows of every prediction handed to the writer. */
  received: number;
  /** Rows not logged by the sampling rate. */
  sampledOut: number;
  /** Rows dropped because the queue was full (or the writer was closed, or a row could not be encoded). */
  dropped: number;
  /** Rows committed to the store. */
  written: number;
  /** Rows waiting or being written. */
  queued: number;
  /** Failed write attempts (each retried). */
  writeErrors: number;
}

const MAX_BACKOFF_MS = 5000;

export class PredictionLogWriter implements PredictionSink {
  readonly #appender: PredictionLogAppender;
  readonly #sampleRate: number;
  readonly #flushIntervalMs: number;
  readonly #maxBatchRows: number;
  readonly #maxQueueRows: number;
  readonly #random: () => number;
  readonly #onError: (err: unknown, rows: number) => void;
  readonly #clock: Clock | null;
  readonly #encoder = new LogRowEncoder();

  /** Full batches waiting, oldest first (the one being built is in the encoder), and the batch that failed, if any. */
  #full: LogBatch[] = [];
  #retry: LogBatch | null = null;
  #timer: NodeJS.Timeout | null = null;
  #writing: Promise<void> | null = null;
  #failures = 0;
  #closed = false;
  readonly #stats: PredictionLogStats = {
    received: 0,
    sampledOut: 0,
    dropped: 0,
    written: 0,
    queued: 0,
    writeErrors: 0,
  };

  constructor(appender: PredictionLogAppender, options: PredictionLogWriterOptions = {}) {
    this.#appender = appender;
    this.#sampleRate = clamp(options.sampleRate ?? 1, 0, 1);
    this.#flushIntervalMs = Math.max(1, options.flushIntervalMs ?? 50);
    this.#maxBatchRows = Math.max(1, options.maxBatchRows ?? 1000);
    this.#maxQueueRows = Math.max(1, options.maxQueueRows ?? 100_000);
    this.#random = options.random ?? Math.random;
    this.#onError = options.onError ?? (() => {});
    this.#clock = options.clock ?? null;
  }

  /** On the request path: decide, count, pack into the batch being built. Never throws, never waits. */
  record(event: PredictionEvent): void {
    const rows = eventRows(event);
    const stats = this.#stats;
    stats.received += rows;
    if (this.#closed) {
      stats.dropped += rows;
      return;
    }
    if (this.#sampleRate < 1 && this.#random() >= this.#sampleRate) {
      stats.sampledOut += rows;
      return;
    }
    if (stats.queued + rows > this.#maxQueueRows) {
      stats.dropped += rows;
      return;
    }
    try {
      this.#encoder.add(event, this.#clock === null ? event.receivedAt : this.#clock.now() - event.latencyMs);
    } catch (err) {
      stats.dropped += rows;
      this.#onError(err, rows);
      return;
    }
    stats.queued += rows;
    if (this.#encoder.rows >= this.#maxBatchRows) this.#full.push(this.#encoder.take());
    if (this.#writing !== null) return; // the running write takes the next batch when it ends
    if (stats.queued >= this.#maxBatchRows) this.#schedule(0);
    else if (this.#timer === null) this.#schedule(this.#flushIntervalMs);
  }

  /** A copy of the counters. */
  stats(): PredictionLogStats {
    return { ...this.#stats };
  }

  /**
   * Resolves when every row queued before the call is written, retrying failed writes meanwhile;
   * with a deadline (ms since the epoch), returns false when it passes with rows still queued.
   */
  async flush(deadline = Number.POSITIVE_INFINITY): Promise<boolean> {
    while (this.#stats.queued > 0) {
      if (Date.now() >= deadline) return false;
      if (this.#writing === null) {
        this.#cancelTimer();
        this.#writeNext();
      }
      if (deadline === Number.POSITIVE_INFINITY) await this.#writing;
      else await within(this.#writing, deadline - Date.now());
      if (this.#failures > 0 && this.#writing === null) {
        // The write failed: wait out the backoff the scheduler would have waited, then go again.
        await sleep(backoff(this.#failures));
      }
    }
    return true;
  }

  /**
   * Stops taking rows (later ones count as dropped) and writes everything queued. Should the
   * store stay unwritable for `timeoutMs` (default 30 s), the rows still queued are counted as
   * dropped rather than holding shutdown forever.
   */
  async close(timeoutMs = 30_000): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!(await this.flush(Date.now() + timeoutMs))) {
      const lost = this.#stats.queued;
      this.#stats.dropped += lost;
      this.#stats.queued = 0;
      this.#full = [];
      this.#encoder.clear();
      this.#retry = null;
      this.#onError(new Error(`prediction log: ${lost} rows could not be written before shutdown`), lost);
    }
    this.#cancelTimer();
    await this.#appender.close().catch((err: unknown) => this.#onError(err, 0));
  }

  #schedule(ms: number): void {
    this.#cancelTimer();
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.#writing === null) this.#writeNext();
    }, ms);
    this.#timer.unref();
  }

  #cancelTimer(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
  }

  /** Takes the next batch (a failed one first, then full ones, then the one being built) and hands it to the appender. */
  #writeNext(): void {
    let batch = this.#retry;
    this.#retry = null;
    batch ??= this.#full.shift() ?? this.#encoder.take();
    const n = batchRows(batch);
    if (n === 0) return;
    const taken = batch;
    this.#writing = this.#appender.append(taken).then(
      () => {
        this.#writing = null;
        this.#failures = 0;
        this.#stats.written += n;
        this.#stats.queued -= n;
        this.#afterWrite(0);
      },
      (err: unknown) => {
        this.#writing = null;
        this.#failures++;
        this.#stats.writeErrors++;
        this.#retry = taken;
        this.#onError(err, n);
        this.#afterWrite(backoff(this.#failures));
      },
    );
  }

  #afterWrite(delayMs: number): void {
    if (this.#closed) return; // close() drives the remaining writes itself
    const queued = this.#stats.queued;
    if (queued === 0) return;
    if (delayMs > 0) this.#schedule(delayMs);
    else if (queued >= this.#maxBatchRows) this.#writeNext();
    else this.#schedule(this.#flushIntervalMs);
  }
}

function backoff(failures: number): number {
  return Math.min(MAX_BACKOFF_MS, 50 * 2 ** (failures - 1));
}

function clamp(x: number, lo: number, hi: number): number {
  return Number.isFinite(x) ? Math.min(hi, Math.max(lo, x)) : hi;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits for `promise`, or `ms` at most. */
async function within(promise: Promise<void> | null, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | null = null;
  await Promise.race([
    promise,
    new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms)))),
  ]);
  if (timer !== null) clearTimeout(timer);
}
