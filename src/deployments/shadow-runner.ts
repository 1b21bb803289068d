import type { Tensor, TensorMap } from '../runtime/tensor.js';
import type { InferOptions, InferResult, TensorInputs } from '../serving/inference-engine.js';
import type { ServedVersion } from '../serving/model-repository.js';
import type { ShadowLogRow } from '../store/deployment-store.js';
import type { Arm } from './compiled-revision.js';
import { compareOutputs } from './output-comparison.js';

/** A copy of one answered request, for the revision's shadow. */
export interface ShadowJob {
  /** The arm that answered; its `shadow` gets the copy. */
  primary: Arm;
  requestId: string;
  /** The request as the primary decoded it. */
  inputs: TensorMap;
  /**
   * Decodes `payload` (the request as it came) for another signature, when the shadow's inputs
   * differ from the primary's; null when the request cannot be decoded again.
   */
  decode: ((served: ServedVersion, payload: unknown) => TensorMap) | null;
  payload: unknown;
  primaryOutputs: TensorMap;
  primaryMs: number;
  at: number;
}

export interface ShadowRunnerOptions {
  infer: (served: ServedVersion, inputs: TensorInputs, options: InferOptions) => Promise<InferResult>;
  /** Copies waiting beyond this are dropped and counted (default 512): the shadow never builds up memory. */
  maxQueue?: number;
  /** Shadow requests in flight at once (default 8; the batcher merges them). */
  concurrency?: number;
  timeoutMs?: number;
  /** Shadow log rows held until the next flush; past it rows are dropped and counted (default 10,000). */
  maxLogRows?: number;
  /** Largest number of output elements kept in a shadow log row (default 1024). */
  maxLoggedElements?: number;
}

/**
 * Runs shadow copies off the request path. `submit` only enqueues (O(1), never throws); the work
 * starts on a later turn of the event loop, after the primary's answer has been written, at most
 * `concurrency` at a time. Under overload the newest copies are dropped and counted, never queued
 * without bound. Each result is compared with the primary's answer (agreement, deltas), counted on
 * the shadow arm, and kept as a shadow log row for the store.
 */
export class ShadowRunner {
  readonly #infer: ShadowRunnerOptions['infer'];
  readonly #maxQueue: number;
  readonly #concurrency: number;
  readonly #timeoutMs: number;
  readonly #maxLogRows: number;
  readonly #maxElements: number;
  #queue: ShadowJob[] = [];
  #head = 0;
  #running = 0;
  #scheduled = false;
  #log: ShadowLogRow[] = [];
  #idle: (() => void)[] = [];
  droppedLogRows = 0;

  constructor(options: ShadowRunnerOptions) {
    this.#infer = options.infer;
    this.#maxQueue = options.maxQueue ?? 512;
    this.#concurrency = options.concurrency ?? 8;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#maxLogRows = options.maxLogRows ?? 10_000;
    this.#maxElements = options.maxLoggedElements ?? 1024;
  }

  submit(job: ShadowJob): void {
    if (this.#queue.length - this.#head >= this.#maxQueue) {
      job.primary.shadow!.counters.dropped();
      return;
    }
    this.#queue.push(job);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(pump, this);
    }
  }

  /** Shadow log rows gathered since the last call. */
  takeLog(): ShadowLogRow[] {
    const rows = this.#log;
    this.#log = [];
    return rows;
  }

  /** Resolves once nothing is queued or running (tests, shutdown). */
  idle(): Promise<void> {
    if (this.#running === 0 && this.#queue.length === this.#head) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** @internal */
  pump(): void {
    this.#scheduled = false;
    while (this.#running < this.#concurrency && this.#head < this.#queue.length) {
      const job = this.#queue[this.#head];
      this.#queue[this.#head++] = undefined as unknown as ShadowJob;
      this.#running++;
      void this.#run(job).finally(() => {
        this.#running--;
        this.pump();
      });
    }
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
      if (this.#running === 0) for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  async #run(job: ShadowJob): Promise<void> {
    const shadow = job.primary.shadow!;
    const started = performance.now();
    let outputs: TensorMap | null = null;
    let error: string | null = null;
    try {
      const inputs =
        job.decode === null || shadow.inputKey === job.primary.inputKey
          ? job.inputs
          : job.decode(shadow.served, job.payload);
      outputs = (await this.#infer(shadow.served, inputs, { timeoutMs: this.#timeoutMs })).outputs;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const ms = performance.now() - started;
    let agree: boolean | null = null;
    let maxDelta: number | null = null;
    if (outputs !== null) {
      shadow.counters.ok(ms);
      const c = compareOutputs(job.primaryOutputs, outputs);
      shadow.counters.compared(c);
      agree = c.rows > 0 ? c.agreeingRows === c.rows : null;
      maxDelta = c.deltaCount > 0 ? c.deltaMax : null;
    } else {
      shadow.counters.fail(500, ms);
      shadow.counters.shadowFailed();
    }
    if (this.#log.length >= this.#maxLogRows) {
      this.droppedLogRows++;
      return;
    }
    this.#log.push({
      deployment: shadow.deployment,
      revision: shadow.revision,
      requestId: job.requestId,
      at: job.at,
      primaryModel: job.primary.served.record.name,
      primaryVersion: job.primary.served.record.version,
      primaryMs: job.primaryMs,
      shadowModel: shadow.served.record.name,
      shadowVersion: shadow.served.record.version,
      shadowMs: outputs !== null ? ms : null,
      agree,
      maxDelta,
      outputs: outputs !== null ? loggable(outputs, this.#maxElements) : null,
      error,
    });
  }
}

function pump(runner: ShadowRunner): void {
  runner.pump();
}

/** Outputs as JSON (`{name: {datatype, shape, data}}`), or null past `maxElements` in all. */
function loggable(outputs: TensorMap, maxElements: number): Record<string, unknown> | null {
  let n = 0;
  for (const t of Object.values(outputs)) n += t.data.length;
  if (n > maxElements) return null;
  const out: Record<string, unknown> = {};
  for (const [name, t] of Object.entries(outputs))
    out[name] = { datatype: t.datatype, shape: t.shape, data: plain(t) };
  return out;
}

function plain(t: Tensor): unknown[] {
  return Array.from(t.data as ArrayLike<unknown>, (v) => (typeof v === 'bigint' ? Number(v) : v));
}
