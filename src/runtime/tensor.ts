/**
 * The runtime's tensor: a V2 datatype, a shape and one flat, row-major buffer.
 *
 * The buffer type follows the datatype exactly, so decode, merge, the worker hop and onnxruntime all
 * share one representation and nothing converts element by element between them. The element types
 * are the ones onnxruntime-node expects for each ORT type (onnxruntime-common `Tensor.DataTypeMap`):
 * 64-bit integers are BigInt arrays, BOOL is one byte per element, FP16 is the raw half-precision bits
 * (Node 20 has no Float16Array), BYTES are JavaScript strings (ORT `string` tensors are UTF-8 text).
 */

import type { Datatype } from '../core/tensor-types.js';

/** The buffer type of each datatype. */
export interface TensorDataMap {
  BOOL: Uint8Array;
  UINT8: Uint8Array;
  UINT16: Uint16Array;
  UINT32: Uint32Array;
  UINT64: BigUint64Array;
  INT8: Int8Array;
  INT16: Int16Array;
  INT32: Int32Array;
  INT64: BigInt64Array;
  FP16: Uint16Array;
  FP32: Float32Array;
  FP64: Float64Array;
  BYTES: string[];
}

export type TensorData = TensorDataMap[Datatype];

/** Numeric datatypes: every datatype but BYTES, whose elements live in a typed array. */
export type NumericDatatype = Exclude<Datatype, 'BYTES'>;

export type TypedTensorData = TensorDataMap[NumericDatatype];

/**
 * A tensor, discriminated by `datatype` so that `data` narrows with it
 * (`if (t.datatype === 'INT64') t.data` is a BigInt64Array).
 */
export type Tensor<D extends Datatype = Datatype> = {
  [K in D]: { datatype: K; shape: number[]; data: TensorDataMap[K] };
}[D];

/** Named tensors, as a model takes and gives them. */
export type TensorMap = Record<string, Tensor>;

interface TypedArrayConstructor<T> {
  new (length: number): T;
  readonly BYTES_PER_ELEMENT: number;
}

/** The typed array constructor of each numeric datatype. */
export const TYPED_ARRAY_CONSTRUCTORS: {
  readonly [K in NumericDatatype]: TypedArrayConstructor<TensorDataMap[K]>;
} = Object.freeze({
  BOOL: Uint8Array,
  UINT8: Uint8Array,
  UINT16: Uint16Array,
  UINT32: Uint32Array,
  UINT64: BigUint64Array,
  INT8: Int8Array,
  INT16: Int16Array,
  INT32: Int32Array,
  INT64: BigInt64Array,
  FP16: Uint16Array,
  FP32: Float32Array,
  FP64: Float64Array,
});

/** onnxruntime's tensor type names (`Tensor.Type`) for each V2 datatype. */
export const DATATYPE_TO_ORT_TYPE = Object.freeze({
  BOOL: 'bool',
  UINT8: 'uint8',
  UINT16: 'uint16',
  UINT32: 'uint32',
  UINT64: 'uint64',
  INT8: 'int8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  FP16: 'float16',
  FP32: 'float32',
  FP64: 'float64',
  BYTES: 'string',
} as const satisfies Record<Datatype, string>);

export type OrtTypeName = (typeof DATATYPE_TO_ORT_TYPE)[Datatype];

const ORT_TYPE_TO_DATATYPE_MAP: Readonly<Record<string, Datatype>> = Object.freeze(
  Object.fromEntries(
    Object.entries(DATATYPE_TO_ORT_TYPE).map(([datatype, ort]) => [ort, datatype]),
  ) as Record<string, Datatype>,
);

/** The V2 datatype of an onnxruntime type name, or null for types V2 cannot carry (int4, uint4). */
export function datatypeOfOrtType(ortType: string): Datatype | null {
  return ORT_TYPE_TO_DATATYPE_MAP[ortType] ?? null;
}

/** Number of elements a shape holds (1 for a scalar, whose shape is `[]`). */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

/** A zero-filled buffer of `length` elements of `datatype` (empty strings for BYTES). */
export function allocateTensorData<D extends Datatype>(datatype: D, length: number): TensorDataMap[D];
export function allocateTensorData(datatype: Datatype, length: number): TensorData {
  if (datatype === 'BYTES') return new Array<string>(length).fill('');
  return new TYPED_ARRAY_CONSTRUCTORS[datatype](length);
}

/** Whether `datatype`'s buffer holds BigInts (64-bit integers). */
export function isBigIntDatatype(datatype: Datatype): datatype is 'INT64' | 'UINT64' {
  return datatype === 'INT64' || datatype === 'UINT64';
}

/** `[2,30]`, the way messages print shapes (protocols.md metadata uses -1 for dynamic dims). */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/**
 * The distinct ArrayBuffers behind named tensors, to transfer them to or from a worker instead of
 * copying. SharedArrayBuffers are left out: they are shared, not moved.
 */
export function tensorBuffers(tensors: TensorMap): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const name in tensors) {
    const data = tensors[name].data;
    if (Array.isArray(data)) continue;
    if (data.buffer instanceof ArrayBuffer) buffers.add(data.buffer);
  }
  return [...buffers];
}
