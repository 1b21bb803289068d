/**
 * A pool of inference worker threads (piscina), each holding onnxruntime sessions keyed by model key.
 *
 * Batches go through piscina's queue to the least busy worker. Model management reaches every worker
 * through its own control port (worker-protocol.ts). A worker that dies fails its in-flight batches
 * with RUNTIME_WORKER_EXITED (piscina rejects them) and its pending control requests likewise
 * (MLServer `parallel/dispatcher.py` does the same, so no caller hangs); piscina starts a replacement,
 * which is sent every loaded model as soon as it says hello, and which loads a model on the spot if a
 * batch reaches it first.
 */

import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import type { MessagePort, Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { SlipwayError } from '../core/errors.js';
import type { RuntimeLogger } from './runtime-logger.js';
import type { LoadReport, ModelSpec } from './session-host.js';
import { type TensorMap, tensorBuffers } from './tensor.js';
import {
  type ControlReply,
  type ControlRequest,
  type HelloMessage,
  isHelloMessage,
  type RunReply,
  type RunRequest,
} from './worker-protocol.js';

export interface WorkerPoolOptions {
  /** Worker threads; default `os.availableParallelism()`. */
  size?: number;
  logger?: RuntimeLogger | null;
  /** How long to wait for the workers to start. */
  startTimeoutMs?: number;
}

export interface RunResult {
  outputs: TensorMap;
  /** Time inside the worker. */
  runMs: number;
}

type Distributive<T> = T extends unknown ? Omit<T, 'id'> : never;
type ControlBody = Distributive<ControlRequest>;

interface Pending {
  resolve: (reply: ControlReply) => void;
  reject: (error: Error) => void;
}

/** One worker as the main thread sees it: its control port and its unanswered control requests. */
class WorkerLink {
  readonly threadId: number;
  readonly port: MessagePort;
  readonly pending = new Map<number, Pending>();

  constructor(threadId: number, port: MessagePort) {
    this.threadId = threadId;
    this.port = port;
  }
}

/**
 * Where the worker module is. Under vitest (and tsx) this file runs from its `.ts` source, so the
 * worker must too, with tsx registered in the worker thread; compiled, it is `dist/runtime/*.js` and
 * plain Node loads it.
 */
function workerEntry(): { filename: string; execArgv: string[] } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const tsx = pathToFileURL(createRequire(here).resolve('tsx')).href;
    return { filename: new URL('./inference-worker.ts', here).href, execArgv: ['--import', tsx] };
  }
  return { filename: new URL('./inference-worker.js', here).href, execArgv: [] };
}

/** Start a pool; resolves once every worker has started and announced itself. */
export async function createWorkerPool(options: WorkerPoolOptions = {}): Promise<WorkerPool> {
  const pool = new WorkerPool(options);
  try {
    await pool.ready(options.startTimeoutMs ?? 30_000);
  } catch (error) {
    await pool.close();
    throw error;
  }
  return pool;
}

export class WorkerPool {
  readonly size: number;
  readonly #piscina: Piscina;
  readonly #logger: RuntimeLogger | null;
  readonly #links = new Map<number, WorkerLink>();
  /** Loaded models by `key@generation`, sent to replacement workers when they start. */
  readonly #specs = new Map<string, ModelSpec>();
  #nextId = 0;
  #closed = false;
  /** Checks run on every hello; each returns true once it is satisfied and can be dropped. */
  #helloWaiters: (() => boolean)[] = [];

  /** Use createWorkerPool, which also waits for the workers to start. */
  constructor(options: WorkerPoolOptions = {}) {
    this.size = Math.max(1, options.size ?? availableParallelism());
    this.#logger = options.logger ?? null;
    const { filename, execArgv } = workerEntry();
    this.#piscina = new Piscina({
      filename,
      execArgv,
      minThreads: this.size,
      maxThreads: this.size,
      // 'async' (Atomics.waitAsync) rather than piscina's default 'sync': an idle worker blocked in
      // Atomics.wait would never read its control port.
      atomics: 'async',
      recordTiming: false,
    });
    this.#piscina.on('message', (message: unknown) => {
      if (isHelloMessage(message)) this.#hello(message);
    });
    // A worker that fails with no task in flight is reported here; without a listener it would throw.
    this.#piscina.on('error', (error: unknown) => {
      this.#logger?.error({ err: error }, 'inference worker failed');
    });
  }

  /** Resolves when `size` workers have said hello. */
  ready(timeoutMs: number): Promise<void> {
    if (this.#links.size >= this.size) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new SlipwayError(
            'RUNTIME_WORKER_EXITED',
            `inference workers did not start within ${timeoutMs} ms (${this.#links.size} of ${this.size} ready)`,
          ),
        );
      }, timeoutMs);
      this.#helloWaiters.push(() => {
        if (this.#links.size < this.size) return false;
        clearTimeout(timer);
        resolve();
        return true;
      });
    });
  }

  /** Live workers' thread ids. */
  get threadIds(): number[] {
    return [...this.#links.keys()];
  }

  /** Open a model on every worker and warm it up there. */
  async load(spec: ModelSpec): Promise<LoadReport[]> {
    this.#checkOpen();
    this.#specs.set(specId(spec.key, spec.generation), spec);
    const replies = await this.#broadcast({ type: 'load', spec });
    return replies.map((r) => (r as Extract<ControlReply, { type: 'loaded' }>).report);
  }

  /** Best-of-`repeats` µs of `rows`-row batches of zeros on one worker (the model must be loaded). */
  async measure(spec: ModelSpec, rows: number, repeats: number): Promise<number> {
    this.#checkOpen();
    const link = this.#links.values().next().value;
    if (link === undefined) throw this.#noWorkers();
    const reply = await this.#request(link, {
      type: 'measure',
      key: spec.key,
      generation: spec.generation,
      signature: spec.signature,
      rows,
      repeats,
    });
    return (reply as Extract<ControlReply, { type: 'measured' }>).micros;
  }

  /**
   * Run one batch on some worker. With `transfer`, the inputs' buffers move to the worker (they must
   * belong to the caller alone: a merged batch); otherwise they are copied.
   */
  async run(
    spec: ModelSpec,
    inputs: TensorMap,
    outputs: readonly string[] | null,
    transfer: boolean,
  ): Promise<RunResult> {
    this.#checkOpen();
    let reply = await this.#runTask(
      {
        type: 'run',
        id: ++this.#nextId,
        key: spec.key,
        generation: spec.generation,
        inputs,
        outputs,
        spec: null,
      },
      transfer,
    );
    if (reply.type === 'missing') {
      // A worker started after the model was loaded got the batch first: send it again with the spec.
      const request: RunRequest = {
        type: 'run',
        id: ++this.#nextId,
        key: spec.key,
        generation: spec.generation,
        inputs: reply.inputs,
        outputs,
        spec,
      };
      reply = await this.#runTask(request, true);
    }
    if (reply.type === 'error') throw SlipwayError.fromPlain(reply.error);
    if (reply.type === 'missing') {
      throw new SlipwayError(
        'RUNTIME_INFERENCE_FAILED',
        `model "${spec.key}" could not be loaded on a worker`,
        {
          model: spec.key,
        },
      );
    }
    return { outputs: reply.outputs, runMs: reply.runMs };
  }

  /** Release a model on every worker. */
  async unload(key: string, generation: number): Promise<void> {
    this.#specs.delete(specId(key, generation));
    if (this.#closed) return;
    await this.#broadcast({ type: 'unload', key, generation });
  }

  /**
   * Fault injection, for tests and failure drills: make every worker exit with `code`, now or at the
   * start of its next batch (so that batch is in flight when the worker dies).
   */
  async injectExit(code: number, when: 'now' | 'next-run'): Promise<void> {
    this.#checkOpen();
    const sends = [...this.#links.values()].map((link) => this.#request(link, { type: 'exit', code, when }));
    if (when === 'next-run') await Promise.all(sends);
    else await Promise.allSettled(sends);
  }

  /** Release every model, then stop the workers. Batches still running are failed. */
  async close(): Promise<void> {
    if (this.#closed) return;
    const specs = [...this.#specs.values()];
    await Promise.allSettled(specs.map((spec) => this.unload(spec.key, spec.generation)));
    this.#closed = true;
    for (const link of this.#links.values()) link.port.close();
    this.#links.clear();
    await this.#piscina.destroy();
  }

  async #runTask(request: RunRequest, transfer: boolean): Promise<RunReply> {
    try {
      return (await this.#piscina.run(
        request,
        transfer ? { transferList: tensorBuffers(request.inputs) } : undefined,
      )) as RunReply;
    } catch (error) {
      // Task errors come back as replies; a rejection means the worker died (or the pool was destroyed).
      const reason = error instanceof Error ? error.message : String(error);
      throw new SlipwayError(
        'RUNTIME_WORKER_EXITED',
        `model "${request.key}": the inference worker running its batch exited (${reason})`,
        { model: request.key, reason },
      );
    }
  }

  /** Send to every live worker; replies in any order. Workers that die meanwhile are skipped. */
  async #broadcast(body: ControlBody): Promise<ControlReply[]> {
    const links = [...this.#links.values()];
    if (links.length === 0) throw this.#noWorkers();
    const settled = await Promise.allSettled(links.map((link) => this.#request(link, body)));
    const replies: ControlReply[] = [];
    let failure: unknown = null;
    for (const result of settled) {
      if (result.status === 'fulfilled') replies.push(result.value);
      else if (!(result.reason instanceof SlipwayError && result.reason.code === 'RUNTIME_WORKER_EXITED')) {
        failure ??= result.reason;
      }
    }
    if (failure !== null) throw failure;
    if (replies.length === 0) throw this.#noWorkers();
    return replies;
  }

  #request(link: WorkerLink, body: ControlBody): Promise<ControlReply> {
    const id = ++this.#nextId;
    return new Promise<ControlReply>((resolve, reject) => {
      // The port is unref'd while idle so an idle pool never keeps the process alive; a pending
      // request must, or a script awaiting only a load could exit under it.
      if (link.pending.size === 0) link.port.ref();
      link.pending.set(id, { resolve, reject });
      link.port.postMessage({ ...body, id } as ControlRequest);
    });
  }

  #reply(link: WorkerLink, reply: ControlReply): void {
    const pending = link.pending.get(reply.id);
    if (pending === undefined) return;
    link.pending.delete(reply.id);
    if (link.pending.size === 0) link.port.unref();
    if (reply.type === 'error') pending.reject(SlipwayError.fromPlain(reply.error));
    else pending.resolve(reply);
  }

  #hello(message: HelloMessage): void {
    const worker = this.#piscina.threads.find((w: Worker) => w.threadId === message.threadId);
    const link = new WorkerLink(message.threadId, message.port);
    if (this.#closed || worker === undefined) {
      message.port.close();
      return;
    }
    link.port.on('message', (reply: ControlReply) => this.#reply(link, reply));
    link.port.unref();
    worker.once('exit', (code: number) => this.#exited(link, code));
    this.#links.set(link.threadId, link);
    this.#helloWaiters = this.#helloWaiters.filter((check) => !check());
    // A replacement for a dead worker: warm it with every loaded model (none at pool start).
    for (const spec of this.#specs.values()) {
      this.#request(link, { type: 'load', spec }).catch((error: unknown) => {
        this.#logger?.warn(
          { err: error, model: spec.key, threadId: link.threadId },
          'model did not load on a new worker',
        );
      });
    }
  }

  #exited(link: WorkerLink, code: number): void {
    this.#links.delete(link.threadId);
    link.port.close();
    const error = new SlipwayError(
      'RUNTIME_WORKER_EXITED',
      `inference worker ${link.threadId} exited with code ${code}`,
      { threadId: link.threadId, exitCode: code },
    );
    for (const pending of link.pending.values()) pending.reject(error);
    link.pending.clear();
    if (!this.#closed)
      this.#logger?.warn(
        { threadId: link.threadId, exitCode: code },
        'inference worker exited; piscina starts a replacement',
      );
  }

  #checkOpen(): void {
    if (this.#closed) throw new SlipwayError('CORE_CLOSED', 'the inference worker pool is closed');
  }

  #noWorkers(): SlipwayError {
    return new SlipwayError('RUNTIME_WORKER_EXITED', 'no inference worker is running');
  }
}

function specId(key: string, generation: number): string {
  return `${key}@${generation}`;
}
