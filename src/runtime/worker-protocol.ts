/**
 * The messages between the main thread and inference workers: typed, and tagged with an id so each
 * reply finds its request (MLServer `parallel/messages.py`).
 *
 * Two paths carry them. `run` goes through piscina's task queue, which balances batches across
 * workers. Model management (`load`, `measure`, `unload`, `exit`) must reach one particular worker,
 * which piscina cannot address, so each worker opens a MessagePort of its own at start-up and sends
 * it to the main thread in a `hello` (through piscina's worker-message event).
 *
 * Errors cross as plain `{code, message, details}` because `postMessage` drops custom error classes
 * and their fields (STYLE.md 12); the main thread rebuilds them as SlipwayError.
 */

import type { MessagePort } from 'node:worker_threads';
import type { PlainError } from '../core/errors.js';
import type { Signature } from '../core/tensor-types.js';
import type { LoadReport, ModelSpec } from './session-host.js';
import type { TensorMap } from './tensor.js';

/** The first message of a worker, posted on its parentPort. */
export interface HelloMessage {
  slipway: 'inference-worker-hello';
  threadId: number;
  port: MessagePort;
}

export function isHelloMessage(message: unknown): message is HelloMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { slipway?: unknown }).slipway === 'inference-worker-hello'
  );
}

/** Open (or replace) a model on this worker and warm it up. */
export interface LoadRequest {
  type: 'load';
  id: number;
  spec: ModelSpec;
}

/** Time `rows`-row batches of zeros (best of `repeats` runs, in µs). */
export interface MeasureRequest {
  type: 'measure';
  id: number;
  key: string;
  generation: number;
  signature: Signature;
  rows: number;
  repeats: number;
}

export interface UnloadRequest {
  type: 'unload';
  id: number;
  key: string;
  generation: number;
}

/**
 * Fault injection for tests and failure drills: the worker calls `process.exit(code)` now, or at the
 * start of its next `run` (so that run is in flight when the worker dies).
 */
export interface ExitRequest {
  type: 'exit';
  id: number;
  code: number;
  when: 'now' | 'next-run';
}

export type ControlRequest = LoadRequest | MeasureRequest | UnloadRequest | ExitRequest;

/**
 * Run one batch. `spec` is null normally; a worker that does not hold the model (a replacement for a
 * dead one) answers `missing`, and the pool resends with `spec` so it loads the model on the way.
 */
export interface RunRequest {
  type: 'run';
  id: number;
  key: string;
  generation: number;
  inputs: TensorMap;
  outputs: readonly string[] | null;
  spec: ModelSpec | null;
}

export interface LoadedReply {
  type: 'loaded';
  id: number;
  threadId: number;
  report: LoadReport;
}

export interface MeasuredReply {
  type: 'measured';
  id: number;
  micros: number;
}

export interface UnloadedReply {
  type: 'unloaded';
  id: number;
  released: boolean;
}

/** Acknowledges an `exit` request with `when: 'next-run'`. */
export interface AckReply {
  type: 'ack';
  id: number;
}

export interface ResultReply {
  type: 'result';
  id: number;
  outputs: TensorMap;
  /** Time inside the worker, from receipt to reply. */
  runMs: number;
}

/** The worker does not hold the model; the inputs come back (transferred) to be sent again with `spec`. */
export interface MissingReply {
  type: 'missing';
  id: number;
  inputs: TensorMap;
}

export interface ErrorReply {
  type: 'error';
  id: number;
  error: PlainError;
}

export type ControlReply = LoadedReply | MeasuredReply | UnloadedReply | AckReply | ErrorReply;
export type RunReply = ResultReply | MissingReply | ErrorReply;
