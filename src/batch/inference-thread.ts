/**
 * The task module of BatchInference's threads (piscina loads it once per thread): the job's model,
 * run inline through the runtime on this thread. Each batch arrives with its input buffers moved here
 * (transferred, not copied) and leaves with them moved back beside its outputs, so nothing a batch
 * brings stays behind as garbage (see batch-inference.ts for why that matters).
 *
 * The session is module state, but scoped to a thread: piscina loads this module once per worker and
 * its handler must be a module export, so the thread is the instance (as runtime/inference-worker.ts).
 */
import { workerData } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { type PlainError, SlipwayError } from '../core/errors.js';
import type { Signature } from '../core/tensor-types.js';
import { createInferenceRuntime, type InferenceRuntime } from '../runtime/inference-runtime.js';
import { type TensorMap, tensorBuffers } from '../runtime/tensor.js';

export interface ThreadData {
  bytes: Uint8Array;
  signature: Signature;
  batchSize: number;
}

/**
 * `outputs`: a buffer of the caller's that the outputs are copied into (when they fit and are
 * numeric), so that the buffers onnxruntime allocates die here, young, instead of travelling to the
 * caller and waiting there for a major GC.
 */
export type ThreadTask = { type: 'load' } | { type: 'run'; inputs: TensorMap; outputs: ArrayBuffer | null };

export type ThreadReply =
  | { type: 'loaded' }
  | { type: 'result'; inputs: TensorMap; outputs: TensorMap; buffer: ArrayBuffer | null }
  | { type: 'error'; error: PlainError };

const KEY = 'batch';
let ready: Promise<InferenceRuntime> | null = null;

function runtime(): Promise<InferenceRuntime> {
  ready ??= (async () => {
    const { bytes, signature, batchSize } = workerData as ThreadData;
    const rt = createInferenceRuntime({ workers: 1, intraOpNumThreads: 1 });
    await rt.load(KEY, { bytes }, signature, {
      placement: 'inline',
      maxBatchSize: batchSize,
      maxQueueRows: batchSize * 4,
      maxQueueRequests: 4,
      maxQueueDelayMs: 0,
      timeoutMs: 0,
    });
    return rt;
  })();
  return ready;
}

/** piscina's task handler. */
export default async function runTask(task: ThreadTask): Promise<unknown> {
  try {
    const rt = await runtime();
    if (task.type === 'load') return { type: 'loaded' } satisfies ThreadReply;
    const { outputs } = await rt.infer(KEY, task.inputs, { timeoutMs: 0 });
    const copied = task.outputs === null ? null : copyInto(outputs, task.outputs);
    const reply: ThreadReply = {
      type: 'result',
      inputs: task.inputs,
      outputs: copied ?? outputs,
      buffer: task.outputs,
    };
    const transfer = [...tensorBuffers(task.inputs), ...(copied === null ? tensorBuffers(outputs) : [])];
    if (task.outputs !== null) transfer.push(task.outputs);
    return move({ [transferableSymbol]: transfer, [valueSymbol]: reply });
  } catch (error) {
    const plain =
      error instanceof SlipwayError
        ? error.toPlain()
        : {
            code: 'INTERNAL',
            message: 'internal error in a batch inference thread',
            details: { cause: String(error) },
          };
    return { type: 'error', error: plain } satisfies ThreadReply;
  }
}

/** The outputs laid out one after another (8-byte aligned) in `buffer`, or null when they do not fit. */
function copyInto(outputs: TensorMap, buffer: ArrayBuffer): TensorMap | null {
  const copied: TensorMap = {};
  let offset = 0;
  for (const name in outputs) {
    const tensor = outputs[name];
    const data = tensor.data;
    if (Array.isArray(data)) return null;
    const bytes = data.byteLength;
    if (offset + bytes > buffer.byteLength) return null;
    const Type = data.constructor as new (b: ArrayBuffer, offset: number, length: number) => typeof data;
    const view = new Type(buffer, offset, data.length);
    (view as unknown as { set(a: unknown): void }).set(data);
    copied[name] = { ...tensor, data: view } as TensorMap[string];
    offset += Math.ceil(bytes / 8) * 8;
  }
  return copied;
}
