import type { Datatype } from '../core/tensor-types.js';

/** ONNX TensorProto.DataType numbers to V2 datatypes; absent ones (complex, bfloat16) are unservable. */
export const ONNX_ELEMENT_TO_DATATYPE: Readonly<Record<number, Datatype>> = {
  1: 'FP32',
  2: 'UINT8',
  3: 'INT8',
  4: 'UINT16',
  5: 'INT16',
  6: 'INT32',
  7: 'INT64',
  8: 'BYTES',
  9: 'BOOL',
  10: 'FP16',
  11: 'FP64',
  12: 'UINT32',
  13: 'UINT64',
};

export const ONNX_ELEMENT_NAMES: Readonly<Record<number, string>> = {
  0: 'UNDEFINED',
  14: 'COMPLEX64',
  15: 'COMPLEX128',
  16: 'BFLOAT16',
  17: 'FLOAT8E4M3FN',
  18: 'FLOAT8E4M3FNUZ',
  19: 'FLOAT8E5M2',
  20: 'FLOAT8E5M2FNUZ',
  21: 'UINT4',
  22: 'INT4',
};
