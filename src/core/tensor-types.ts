/**
 * Tensor element types and model signatures, in the Open Inference Protocol's names (protocols.md A.8).
 */

export const DATATYPES = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BYTES',
] as const;

export type Datatype = (typeof DATATYPES)[number];

export function isDatatype(value: unknown): value is Datatype {
  return typeof value === 'string' && (DATATYPES as readonly string[]).includes(value);
}

/** One input or output of a model. Dynamic dimensions are -1; `dimNames` keeps their symbolic names. */
export interface TensorSpec {
  name: string;
  datatype: Datatype;
  shape: number[];
  /** Symbolic name per dimension (`batch`, `seq`), or null where the dimension is fixed or unnamed. */
  dimNames?: (string | null)[];
}

export interface Signature {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

/** numpy dtype names (fixtures' meta.json, MLflow signatures) to V2 datatypes. */
export const NUMPY_TO_DATATYPE: Readonly<Record<string, Datatype>> = {
  bool: 'BOOL',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  float16: 'FP16',
  float32: 'FP32',
  float64: 'FP64',
  double: 'FP64',
  float: 'FP32',
  str: 'BYTES',
  string: 'BYTES',
  object: 'BYTES',
};
