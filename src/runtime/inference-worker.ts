/**
 * The inference worker: the module piscina loads on each worker thread. Its default export runs one
 * batch (`run` messages through piscina's queue); a MessagePort of its own, announced in a `hello`,
 * carries model management for this thread alone (see worker-protocol.ts).
 *
 * The module creates one InferenceWorker at load. That is module-level state, but scoped to a thread:
 * piscina loads this module once per worker, and its handler must be a module export, so the thread
 * is the instance. The main thread never imports this file.
 */

import { MessageChannel, type MessagePort, parentPort, threadId } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { type PlainError, SlipwayError } from '../core/errors.js';
import { SessionHost } from './session-host.js';
import { tensorBuffers } from './tensor.js';
import type { ControlReply, ControlRequest, HelloMessage, RunReply, RunRequest } from './worker-protocol.js';

class InferenceWorker {
  readonly #host = new SessionHost();
  /** Set by an `exit` fault-injection request with `when: 'next-run'`. */
  #exitOnNextRun: number | null = null;

  /** Run one batch; outputs' buffers are transferred back, not copied. */
  async run(request: RunRequest): Promise<unknown> {
    if (this.#exitOnNextRun !== null) process.exit(this.#exitOnNextRun);
    const started = performance.now();
    let reply: RunReply;
    try {
      if (request.spec !== null && !this.#host.has(request.key, request.generation)) {
        await this.#host.load(request.spec);
      }
      const outputs = await this.#host.run(request.key, request.generation, request.inputs, request.outputs);
      if (outputs === null) {
        reply = { type: 'missing', id: request.id, inputs: request.inputs };
        return move({ [transferableSymbol]: tensorBuffers(request.inputs), [valueSymbol]: reply });
      }
      reply = { type: 'result', id: request.id, outputs, runMs: performance.now() - started };
      return move({ [transferableSymbol]: tensorBuffers(outputs), [valueSymbol]: reply });
    } catch (error) {
      reply = { type: 'error', id: request.id, error: toPlain(error) };
    }
    return reply;
  }

  async control(request: ControlRequest): Promise<ControlReply> {
    try {
      switch (request.type) {
        case 'load':
          return { type: 'loaded', id: request.id, threadId, report: await this.#host.load(request.spec) };
        case 'measure': {
          const { key, generation, signature, rows, repeats } = request;
          const micros = await this.#host.measure(key, generation, signature, rows, repeats);
          return { type: 'measured', id: request.id, micros };
        }
        case 'unload':
          return {
            type: 'unloaded',
            id: request.id,
            released: await this.#host.unload(request.key, request.generation),
          };
        case 'exit':
          if (request.when === 'now') process.exit(request.code);
          this.#exitOnNextRun = request.code;
          return { type: 'ack', id: request.id };
      }
    } catch (error) {
      return { type: 'error', id: request.id, error: toPlain(error) };
    }
  }

  listen(port: MessagePort): void {
    port.on('message', (request: ControlRequest) => {
      void this.control(request).then((reply) => port.postMessage(reply));
    });
  }
}

/** The plain form of an error; unexpected ones keep their text in details for the main thread's log. */
function toPlain(error: unknown): PlainError {
  if (error instanceof SlipwayError) return error.toPlain();
  const text = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message: 'internal error in an inference worker', details: { cause: text } };
}

const worker = new InferenceWorker();

if (parentPort !== null) {
  const { port1, port2 } = new MessageChannel();
  worker.listen(port1);
  const hello: HelloMessage = { slipway: 'inference-worker-hello', threadId, port: port2 };
  parentPort.postMessage(hello, [port2]);
}

/** piscina's task handler. */
export default function runTask(request: RunRequest): Promise<unknown> {
  return worker.run(request);
}
