/**
 * Synthetic inputs built from a signature alone, to warm a session up and to time batches at load.
 *
 * Zeros everywhere (empty strings for BYTES): every model accepts them and no request data is needed.
 * The first dynamic dimension is the batch; other dynamic dimensions (token_classifier's sequence
 * length) are 1, the smallest shape every such model accepts. That makes the timing a lower bound
 * for sequence models, which is the safe side for the inline-or-worker decision only when their
 * cost does not grow much with length; models that are slow at length 1 go to workers anyway.
 */

import type { Signature } from '../core/tensor-types.js';
import { allocateTensorData, elementCount, type Tensor, type TensorMap } from './tensor.js';

/** Zero inputs of `rows` rows (a fixed first dimension wins over `rows`). */
export function warmupInputs(signature: Signature, rows: number): TensorMap {
  const inputs: TensorMap = {};
  for (const spec of signature.inputs) {
    const shape = spec.shape.map((dim, i) => (dim >= 0 ? dim : i === 0 ? rows : 1));
    inputs[spec.name] = {
      datatype: spec.datatype,
      shape,
      data: allocateTensorData(spec.datatype, elementCount(shape)),
    } as Tensor;
  }
  return inputs;
}

/** Rows a warm-up batch really has: `rows`, unless the model fixes its first dimension. */
export function warmupRows(signature: Signature, rows: number): number {
  const first = signature.inputs[0]?.shape[0];
  return first !== undefined && first >= 0 ? first : rows;
}
