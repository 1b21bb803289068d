import type { Signature } from '../core/tensor-types.js';
import type { Tensor } from '../runtime/tensor.js';

export type TensorInputs = Record<string, Tensor>;

export interface InferOptions {
  /** Only these outputs; null for all. */
  outputs?: string[] | null;
  timeoutMs?: number;
}

export interface InferResult {
  outputs: Record<string, Tensor>;
  queueMs: number;
  inferenceMs: number;
  batchSize: number;
}

/**
 * What serving needs from the inference runtime. The runtime in `runtime/` implements it; the
 * seam keeps the repository testable on its own and lets a remote engine slot in later.
 */
export interface InferenceEngine {
  load(key: string, bytes: Uint8Array, signature: Signature): Promise<unknown>;
  unload(key: string): Promise<void>;
  infer(key: string, inputs: TensorInputs, options: InferOptions): Promise<InferResult>;
}
