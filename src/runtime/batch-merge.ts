/**
 * Merging requests into one batch along dim 0, and splitting a batch's outputs back per request.
 * Pure and synchronous, like MLServer's `batching/requests.py` (BatchedRequests), so it is tested with
 * no server, no batcher and no model.
 *
 * Merging copies each request's rows into one preallocated typed array per input (STYLE.md 24);
 * splitting hands out `subarray` views of the batch's output buffers, so no output is copied.
 */

import { SlipwayError } from '../core/errors.js';
import { allocateTensorData, elementCount, formatShape, type Tensor, type TensorMap } from './tensor.js';

/**
 * The grouping key of a request: the non-batch dimensions of each input, in `inputNames` order.
 * Requests may share a batch only when their keys are equal (token_classifier requests with different
 * sequence lengths cannot be stacked). Datatypes are not part of the key: the signature fixes them.
 */
export function mergeKey(
  inputs: TensorMap,
  inputNames: readonly string[] = Object.keys(inputs).sort(),
): string {
  let key = '';
  for (let i = 0; i < inputNames.length; i++) {
    const shape = inputs[inputNames[i]].shape;
    if (i > 0) key += '|';
    for (let d = 1; d < shape.length; d++) key += d === 1 ? `${shape[d]}` : `,${shape[d]}`;
  }
  return key;
}

/** Rows (dim 0) of a request; every input of a batchable model shares it (SignatureIndex checks). */
export function batchRows(inputs: TensorMap, inputNames: readonly string[]): number {
  return inputs[inputNames[0]].shape[0];
}

/**
 * Stack the requests' inputs along dim 0. All parts must share one merge key. The result owns fresh
 * buffers, which the caller may transfer to a worker.
 */
export function mergeInputs(parts: readonly TensorMap[], inputNames: readonly string[]): TensorMap {
  const merged: TensorMap = {};
  for (const name of inputNames) {
    const first = parts[0][name];
    let rows = 0;
    let length = 0;
    for (let p = 0; p < parts.length; p++) {
      const t = parts[p][name];
      rows += t.shape[0];
      length += t.data.length;
    }
    const shape = first.shape.slice();
    shape[0] = rows;
    if (first.datatype === 'BYTES') {
      const data: string[] = [];
      for (let p = 0; p < parts.length; p++) {
        const strings = parts[p][name].data as string[];
        for (let i = 0; i < strings.length; i++) data.push(strings[i]);
      }
      merged[name] = { datatype: 'BYTES', shape, data };
      continue;
    }
    const data = allocateTensorData(first.datatype, length);
    let offset = 0;
    for (let p = 0; p < parts.length; p++) {
      const src = parts[p][name].data as typeof data;
      // biome-ignore lint/suspicious/noExplicitAny: every part has `first`'s datatype, so the arrays match; TS cannot see it
      (data as any).set(src, offset);
      offset += src.length;
    }
    merged[name] = { datatype: first.datatype, shape, data } as Tensor;
  }
  return merged;
}

/** Rows [start, end) of every tensor, as fresh buffers: chunking a large table for a model. */
export function sliceRows(inputs: TensorMap, start: number, end: number): TensorMap {
  const out: TensorMap = {};
  for (const name in inputs) {
    const t = inputs[name];
    const width = elementCount(t.shape.slice(1));
    const shape = t.shape.slice();
    shape[0] = end - start;
    out[name] = { datatype: t.datatype, shape, data: t.data.slice(start * width, end * width) } as Tensor;
  }
  return out;
}

/** Chunks' tensors (inputs or outputs, same names in each) stacked back along dim 0. */
export function concatRows(parts: readonly TensorMap[]): TensorMap {
  if (parts.length === 0) return {};
  if (parts.length === 1) return parts[0];
  return mergeInputs(parts, Object.keys(parts[0]));
}

/**
 * Cut a batch's outputs into one set per request, `rowCounts[i]` rows for request i, in order.
 * An output whose first dimension is not the batch's total rows cannot be split: that is a model
 * that does not batch the way its signature says, reported as RUNTIME_INFERENCE_FAILED.
 */
export function splitOutputs(outputs: TensorMap, rowCounts: readonly number[]): TensorMap[] {
  let total = 0;
  for (let i = 0; i < rowCounts.length; i++) total += rowCounts[i];
  const parts: TensorMap[] = new Array(rowCounts.length);
  for (let i = 0; i < rowCounts.length; i++) parts[i] = {};
  for (const name in outputs) {
    const tensor = outputs[name];
    const shape = tensor.shape;
    if (shape.length === 0 || shape[0] !== total) {
      throw new SlipwayError(
        'RUNTIME_INFERENCE_FAILED',
        `output "${name}" has shape ${formatShape(shape)}, but the batch had ${total} rows: it cannot be split per request`,
        { output: name, shape, rows: total },
      );
    }
    const rowSize = elementCount(shape.slice(1));
    let offset = 0;
    for (let i = 0; i < rowCounts.length; i++) {
      const rows = rowCounts[i];
      const partShape = shape.slice();
      partShape[0] = rows;
      const end = offset + rows * rowSize;
      const data =
        tensor.datatype === 'BYTES' ? tensor.data.slice(offset, end) : tensor.data.subarray(offset, end);
      parts[i][name] = { datatype: tensor.datatype, shape: partShape, data } as Tensor;
      offset = end;
    }
  }
  return parts;
}
