/**
 * Where a batch job runs its model: inline on the calling thread (`workers: 0`, through the shared
 * runtime), or on worker threads of its own that each hold one session and to which a batch's input
 * buffers are moved and from which they come back (inference-thread.ts, run by piscina). With two
 * batches in flight per thread every thread stays busy while the caller parses.
 *
 * Why not the runtime's worker pool: it copies a request's inputs to the worker (the caller keeps
 * them) and moves onnxruntime's fresh output buffers back, and both stayed as garbage until V8's
 * external-memory limit made a thread collect: peak RSS grew by tens of MB with the rows read, past
 * the 20% bound of issue 4 (bench/batch/README.md). Here a batch's input buffer and an output buffer
 * of its own go to the thread and come back, the outputs copied into the latter: the job allocates
 * nothing per batch that outlives it. (onnxruntime-node refuses SharedArrayBuffer-backed tensors,
 * "Invalid argument", so sharing memory instead of moving it is not an option.)
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { SlipwayError } from '../core/errors.js';
import type { Signature } from '../core/tensor-types.js';
import type { InferenceRuntime, InferenceRuntimeOptions } from '../runtime/inference-runtime.js';
import { type TensorMap, tensorBuffers } from '../runtime/tensor.js';
import type { ThreadData, ThreadReply, ThreadTask } from './inference-thread.js';

export interface BatchInference {
  /**
   * Run one batch. `inputs`' buffers are moved away and handed back in `inputs` of the result;
   * `outputBuffer`, when given, is moved too, comes back as `buffer` and holds the outputs when they fit.
   */
  run(inputs: TensorMap, outputBuffer?: ArrayBuffer | null): Promise<BatchResult>;
  close(): Promise<void>;
}

export interface BatchResult {
  inputs: TensorMap;
  outputs: TensorMap;
  /** The output buffer given to `run`, back again (null when none was given). */
  buffer: ArrayBuffer | null;
}

export interface BatchInferenceOptions {
  /** 0: inline through `runtime`; otherwise this many threads of the batch's own. */
  workers: number;
  batchSize: number;
  createRuntime: (options: InferenceRuntimeOptions) => InferenceRuntime;
}

export async function openBatchInference(
  bytes: Uint8Array,
  signature: Signature,
  options: BatchInferenceOptions,
): Promise<BatchInference> {
  return options.workers === 0
    ? openInline(bytes, signature, options)
    : openThreads(bytes, signature, options);
}

async function openInline(
  bytes: Uint8Array,
  signature: Signature,
  options: BatchInferenceOptions,
): Promise<BatchInference> {
  const runtime = options.createRuntime({ workers: 1, intraOpNumThreads: 1 });
  try {
    await runtime.load('batch', { bytes }, signature, {
      placement: 'inline',
      maxBatchSize: options.batchSize,
      maxQueueRows: options.batchSize * 4,
      maxQueueRequests: 4,
      maxQueueDelayMs: 0,
      timeoutMs: 0,
    });
  } catch (error) {
    await runtime.close();
    throw error;
  }
  return {
    async run(inputs, outputBuffer = null) {
      const result = await runtime.infer('batch', inputs, { timeoutMs: 0 });
      return { inputs, outputs: result.outputs, buffer: outputBuffer };
    },
    close: () => runtime.close(),
  };
}

/**
 * Under vitest and tsx this module runs from its `.ts` source, so the threads must too, with tsx
 * registered in them; compiled, plain Node loads the `.js` (as runtime/worker-pool.ts does).
 */
function threadEntry(): { filename: string; execArgv: string[] } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const tsx = pathToFileURL(createRequire(here).resolve('tsx')).href;
    return { filename: new URL('./inference-thread.ts', here).href, execArgv: ['--import', tsx] };
  }
  return { filename: new URL('./inference-thread.js', here).href, execArgv: [] };
}

async function openThreads(
  bytes: Uint8Array,
  signature: Signature,
  options: BatchInferenceOptions,
): Promise<BatchInference> {
  const { filename, execArgv } = threadEntry();
  const workerData: ThreadData = { bytes, signature, batchSize: options.batchSize };
  const pool = new Piscina({
    filename,
    execArgv,
    workerData,
    minThreads: options.workers,
    maxThreads: options.workers,
    recordTiming: false,
    // A small young generation makes the thread collect often, so onnxruntime's output buffers (copied
    // into the batch's own output buffer, then dropped) die young instead of piling up until a major GC.
    resourceLimits: { maxYoungGenerationSizeMb: 4 },
  });
  const call = async (task: ThreadTask, transferList: ArrayBuffer[]): Promise<ThreadReply> => {
    let reply: ThreadReply;
    try {
      reply = (await pool.run(task, { transferList })) as ThreadReply;
    } catch (error) {
      throw new SlipwayError(
        'RUNTIME_WORKER_EXITED',
        `a batch inference thread exited (${error instanceof Error ? error.message : String(error)})`,
      );
    }
    if (reply.type === 'error') throw SlipwayError.fromPlain(reply.error);
    return reply;
  };
  try {
    // One load per thread, so sessions open while the caller parses its first batches.
    await Promise.all(Array.from({ length: options.workers }, () => call({ type: 'load' }, [])));
  } catch (error) {
    await pool.destroy();
    throw error;
  }
  return {
    async run(inputs, outputBuffer = null) {
      const transfer = tensorBuffers(inputs);
      if (outputBuffer !== null) transfer.push(outputBuffer);
      const reply = await call({ type: 'run', inputs, outputs: outputBuffer }, transfer);
      if (reply.type !== 'result') throw new Error(`unexpected reply ${reply.type}`);
      return { inputs: reply.inputs, outputs: reply.outputs, buffer: reply.buffer };
    },
    close: () => pool.destroy(),
  };
}
