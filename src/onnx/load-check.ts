import ort from 'onnxruntime-node';
import { SlipwayError } from '../core/errors.js';
import type { Signature, TensorSpec } from '../core/tensor-types.js';

export interface LoadCheckResult {
  loadMs: number;
  /** One run of a one-row batch of zeros, after the load. */
  firstRunMs: number;
  /** Resident memory gained while loading and running once, in bytes (a rough, process-wide figure). */
  residentBytes: number;
  onnxruntimeVersion: string;
}

/**
 * Proves a model runs: loads it in onnxruntime-node and runs one row of zeros through it.
 * Registration refuses a model that fails here, so a version in the registry is known to load.
 */
export async function loadCheck(
  bytes: Uint8Array,
  signature: Signature,
  fileLabel: string,
): Promise<LoadCheckResult> {
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
    });
  } catch (err) {
    throw new SlipwayError(
      'ONNX_LOAD_FAILED',
      `${fileLabel}: onnxruntime could not load the model: ${firstLine(err)}`,
    );
  }
  const loadMs = performance.now() - t0;
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const input of signature.inputs) feeds[input.name] = zeros(input);
    const t1 = performance.now();
    try {
      await session.run(feeds);
    } catch (err) {
      throw new SlipwayError(
        'ONNX_LOAD_FAILED',
        `${fileLabel}: the model loads but fails on one row of zeros: ${firstLine(err)}`,
      );
    }
    const firstRunMs = performance.now() - t1;
    return {
      loadMs,
      firstRunMs,
      residentBytes: Math.max(0, process.memoryUsage().rss - rssBefore),
      onnxruntimeVersion: ort.env.versions.node ?? ort.env.versions.common,
    };
  } finally {
    await session.release();
  }
}

function zeros(spec: TensorSpec): ort.Tensor {
  const dims = spec.shape.map((d) => (d < 0 ? 1 : d));
  const size = dims.reduce((a, b) => a * b, 1);
  switch (spec.datatype) {
    case 'FP32':
      return new ort.Tensor('float32', new Float32Array(size), dims);
    case 'FP64':
      return new ort.Tensor('float64', new Float64Array(size), dims);
    case 'FP16':
      return new ort.Tensor('float16', new Uint16Array(size), dims);
    case 'INT8':
      return new ort.Tensor('int8', new Int8Array(size), dims);
    case 'INT16':
      return new ort.Tensor('int16', new Int16Array(size), dims);
    case 'INT32':
      return new ort.Tensor('int32', new Int32Array(size), dims);
    case 'INT64':
      return new ort.Tensor('int64', new BigInt64Array(size), dims);
    case 'UINT8':
      return new ort.Tensor('uint8', new Uint8Array(size), dims);
    case 'UINT16':
      return new ort.Tensor('uint16', new Uint16Array(size), dims);
    case 'UINT32':
      return new ort.Tensor('uint32', new Uint32Array(size), dims);
    case 'UINT64':
      return new ort.Tensor('uint64', new BigUint64Array(size), dims);
    case 'BOOL':
      return new ort.Tensor('bool', new Uint8Array(size), dims);
    case 'BYTES':
      return new ort.Tensor('string', new Array<string>(size).fill(''), dims);
  }
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0].trim();
}
