/**
 * Batch prediction as a service: the one entry point the CLI (`slipway predict`, `slipway jobs`) and
 * the HTTP API (`/api/v1/jobs`) both call. Jobs are recorded in the metadata store; those started by
 * this instance can be cancelled and are cancelled, with a checkpoint, by `close()`.
 */

import type { Clock } from '../core/clock.js';
import { SlipwayError } from '../core/errors.js';
import type { Registry } from '../registry/registry.js';
import {
  createInferenceRuntime,
  type InferenceRuntime,
  type InferenceRuntimeOptions,
} from '../runtime/inference-runtime.js';
import type { BatchJobRecord, JobQuery, JobStore } from '../store/job-store.js';
import { type MergeResult, mergeParts } from './merge-parts.js';
import { type JobProgress, type PredictResult, recordJobStart, runJob } from './predict-job.js';
import { type PredictOptions, prepareJob } from './prepare-job.js';

export interface BatchJobsDeps {
  registry: Pick<Registry, 'resolve' | 'servedModelBytes'>;
  store: JobStore;
  clock: Clock;
  version: string;
  createRuntime?: (options: InferenceRuntimeOptions) => InferenceRuntime;
}

export interface PredictHooks {
  onProgress?: ((progress: JobProgress) => void) | null;
  /** Aborting stops the job at the next batch with a checkpoint (BATCH_CANCELLED). */
  signal?: AbortSignal | null;
}

/** A job running in this process. */
export interface StartedJob {
  id: string;
  output: string;
  /** Settles when the job ends. */
  done: Promise<PredictResult>;
  cancel(): void;
}

interface Running {
  output: string;
  controller: AbortController;
  done: Promise<unknown>;
  /** The latest progress, fresher than the store's (updated every few seconds). */
  progress: JobProgress | null;
}

/** A RUNNING job whose heartbeat is older than this was killed (shown as such, not changed). */
export const STALE_AFTER_MS = 60_000;

export class BatchJobs {
  readonly #deps: BatchJobsDeps;
  readonly #running = new Map<string, Running>();
  #closed = false;

  constructor(deps: BatchJobsDeps) {
    this.#deps = deps;
  }

  /** Run a job to the end in this call (the CLI). */
  async predict(options: PredictOptions, hooks: PredictHooks = {}): Promise<PredictResult> {
    const started = await this.start(options, hooks);
    const abort = () => started.cancel();
    hooks.signal?.addEventListener('abort', abort, { once: true });
    try {
      return await started.done;
    } finally {
      hooks.signal?.removeEventListener('abort', abort);
    }
  }

  /**
   * Check everything that can be checked before a row is read (model, formats, files, columns,
   * checkpoint), record the job, start it, and resolve with its id while it runs (the HTTP API).
   */
  async start(options: PredictOptions, hooks: Omit<PredictHooks, 'signal'> = {}): Promise<StartedJob> {
    if (this.#closed) throw new SlipwayError('CORE_CLOSED', 'batch jobs are shut down');
    const job = await prepareJob(this.#deps.registry, options);
    const clash = [...this.#running.values()].find((r) => r.output === job.files.output);
    if (clash !== undefined || this.#running.has(job.id)) {
      await job.reader.close();
      throw new SlipwayError(
        'CORE_INVALID_ARGUMENT',
        `a batch job writing ${job.files.output} is already running here; wait for it or pick another output`,
      );
    }
    await recordJobStart(this.#deps.store, job, this.#deps.clock.now());
    const controller = new AbortController();
    const deps = this.#deps;
    const running: Running = {
      output: job.files.output,
      controller,
      done: Promise.resolve(),
      progress: null,
    };
    const onProgress = hooks.onProgress ?? null;
    const done = runJob(
      {
        jobs: deps.store,
        clock: deps.clock,
        createRuntime: deps.createRuntime ?? createInferenceRuntime,
        modelBytes: () => deps.registry.servedModelBytes(job.record),
        version: deps.version,
      },
      job,
      {
        onProgress: (progress) => {
          running.progress = progress;
          onProgress?.(progress);
        },
        signal: controller.signal,
      },
    );
    running.done = done.finally(() => this.#running.delete(job.id));
    running.done.catch(() => undefined);
    this.#running.set(job.id, running);
    return { id: job.id, output: job.files.output, done, cancel: () => controller.abort() };
  }

  /** A job; one running in this process shows its latest progress. */
  async get(id: string): Promise<BatchJobRecord> {
    const job = await this.#deps.store.getJob(id);
    if (job === null) throw new SlipwayError('BATCH_JOB_NOT_FOUND', `no batch job has id "${id}"`, { id });
    return this.#live(job);
  }

  /** Jobs, newest first; those running in this process show their latest progress. */
  async list(query: JobQuery = {}): Promise<BatchJobRecord[]> {
    return (await this.#deps.store.listJobs(query)).map((job) => this.#live(job));
  }

  #live(job: BatchJobRecord): BatchJobRecord {
    const progress = job.status === 'RUNNING' ? (this.#running.get(job.id)?.progress ?? null) : null;
    if (progress === null) return job;
    return {
      ...job,
      rows: { read: progress.rowsRead, written: progress.rowsWritten, rejected: progress.rowsRejected },
      progress: progress.fraction,
    };
  }

  /** Whether a RUNNING job has stopped sending heartbeats (its process was killed). */
  isStale(job: BatchJobRecord): boolean {
    return (
      job.status === 'RUNNING' &&
      !this.#running.has(job.id) &&
      this.#deps.clock.now() - job.updatedAt > STALE_AFTER_MS
    );
  }

  /** Cancel a job running in this process. Returns false when it does not run here. */
  cancel(id: string): boolean {
    const running = this.#running.get(id);
    if (running === undefined) return false;
    running.controller.abort();
    return true;
  }

  /** Join the outputs of the shards of one job (`predict merge`). */
  merge(parts: readonly string[], output: string): Promise<MergeResult> {
    return mergeParts(parts, output, this.#deps.version);
  }

  /** Stop every job of this instance at its next batch, each with a checkpoint, and wait for them. */
  async close(): Promise<void> {
    this.#closed = true;
    const running = [...this.#running.values()];
    for (const r of running) r.controller.abort();
    await Promise.allSettled(running.map((r) => r.done));
  }
}
