/**
 * The sessions one thread holds, keyed by model key. Each worker thread has one SessionHost, and so
 * does the main thread for inline models; both load, warm up, time and run models the same way.
 */

import { SlipwayError } from '../core/errors.js';
import type { Signature } from '../core/tensor-types.js';
import { type ModelSource, OnnxSession, type SessionSettings } from './onnx-session.js';
import type { TensorMap } from './tensor.js';
import { warmupInputs } from './warmup-inputs.js';

/** Everything a thread needs to open a model. `generation` grows with every load of the same key. */
export interface ModelSpec {
  key: string;
  generation: number;
  source: ModelSource;
  signature: Signature;
  settings: SessionSettings;
}

export interface LoadReport {
  /** Session creation time. */
  loadMs: number;
  /** The first run, on one row of zeros: it pays for allocations that later runs reuse. */
  warmupMs: number;
}

/**
 * Sessions are held per key *and* generation: while a model is reloaded, the new generation loads
 * and warms up beside the old one, which keeps answering until the runtime drains and unloads it.
 */
function entryKey(key: string, generation: number): string {
  return `${key}@${generation}`;
}

export class SessionHost {
  readonly #entries = new Map<string, Promise<OnnxSession>>();

  /** Whether `key` is loaded at `generation` (or loading). */
  has(key: string, generation: number): boolean {
    return this.#entries.has(entryKey(key, generation));
  }

  /** Open `spec` and warm it up so the first request does not pay for it. */
  async load(spec: ModelSpec): Promise<LoadReport> {
    const id = entryKey(spec.key, spec.generation);
    const existing = this.#entries.get(id);
    if (existing !== undefined) {
      await existing;
      return { loadMs: 0, warmupMs: 0 };
    }
    const started = performance.now();
    const session = OnnxSession.open(spec.key, spec.source, spec.signature, spec.settings);
    this.#entries.set(id, session);
    let opened: OnnxSession;
    try {
      opened = await session;
    } catch (error) {
      if (this.#entries.get(id) === session) this.#entries.delete(id);
      throw error;
    }
    const loaded = performance.now();
    try {
      await opened.run(warmupInputs(spec.signature, 1), null);
    } catch (error) {
      this.#entries.delete(id);
      await opened.release();
      throw new SlipwayError(
        'ONNX_LOAD_FAILED',
        `model "${spec.key}" loaded but could not run a warm-up batch of zeros: ${(error as Error).message}`,
        { model: spec.key },
        { cause: error },
      );
    }
    return { loadMs: loaded - started, warmupMs: performance.now() - loaded };
  }

  /** The session of `key` at `generation`, or null when this thread does not hold it. */
  session(key: string, generation: number): Promise<OnnxSession> | null {
    return this.#entries.get(entryKey(key, generation)) ?? null;
  }

  async run(
    key: string,
    generation: number,
    inputs: TensorMap,
    outputs: readonly string[] | null,
  ): Promise<TensorMap | null> {
    const session = this.session(key, generation);
    if (session === null) return null;
    return (await session).run(inputs, outputs);
  }

  /**
   * Best time in µs of `repeats` runs on `rows` rows of zeros, after one untimed run at that size
   * (the first run at a new shape allocates). The best run is the model's own cost: a run on the same
   * input does the same work every time, so slower runs only add a GC, a context switch or, on a
   * shared 2-core machine, another process; a median still moved by 2-3x under such load.
   */
  async measure(
    key: string,
    generation: number,
    signature: Signature,
    rows: number,
    repeats: number,
  ): Promise<number> {
    const session = this.session(key, generation);
    if (session === null) throw new Error(`model "${key}" is not loaded on this thread`);
    const opened = await session;
    const inputs = warmupInputs(signature, rows);
    await opened.run(inputs, null);
    const times: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const started = performance.now();
      await opened.run(inputs, null);
      times.push((performance.now() - started) * 1000);
    }
    return Math.min(...times);
  }

  /** Release a session; false if this thread did not hold it. */
  async unload(key: string, generation: number): Promise<boolean> {
    const id = entryKey(key, generation);
    const session = this.#entries.get(id);
    if (session === undefined) return false;
    this.#entries.delete(id);
    await releaseQuietly(session);
    return true;
  }

  async close(): Promise<void> {
    const sessions = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.all(sessions.map(releaseQuietly));
  }
}

/** A session that failed to open has nothing to release; a failed release leaves nothing to retry. */
async function releaseQuietly(session: Promise<OnnxSession>): Promise<void> {
  try {
    await (await session).release();
  } catch {
    // Nothing to do: see above.
  }
}
