/**
 * Open Inference Protocol (V2) JSON tensors <-> runtime tensors (protocols.md A.6-A.8). Pure: no I/O.
 *
 * Decoding checks each input against the model's TensorSpec before it touches the data, then fills one
 * typed array in one loop. `data` may be flat or nested to any depth (A.7: both mean the same
 * row-major tensor); the flat form, which every generated client sends, skips flattening entirely.
 * Encoding writes flat arrays, as Triton does.
 */

import { SlipwayError } from '../core/errors.js';
import type { Datatype, TensorSpec } from '../core/tensor-types.js';
import { fromFloat16Bits, toFloat16Bits } from './float16.js';
import { checkDatatype, checkLength, checkShape, type SignatureIndex } from './signature-index.js';
import { allocateTensorData, elementCount, type Tensor, type TensorMap } from './tensor.js';

export type V2Parameters = Record<string, string | number | boolean>;

/** One element of a V2 request's `inputs` (A.6), as it arrives from JSON.parse. */
export interface V2RequestInput {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown;
  parameters?: V2Parameters;
}

/** One element of a V2 response's `outputs`. */
export interface V2ResponseOutput {
  name: string;
  shape: number[];
  datatype: Datatype;
  data: number[] | boolean[] | string[];
  parameters?: V2Parameters;
}

/**
 * Nesting deeper than this is refused rather than walked: a hostile body of 100k nested brackets would
 * otherwise overflow the stack (Triton bounds the depth too, A.7).
 */
const MAX_NESTING = 32;

/** Decodes a model's V2 inputs and encodes its outputs; built once per loaded model. */
export class TensorCodec {
  readonly #index: SignatureIndex;
  /** `{"name":"<output>","datatype":"` per output, JSON-quoted once rather than per answer. */
  readonly #outputHeads: ReadonlyMap<string, string>;
  #answerHead: string | null = null;

  constructor(index: SignatureIndex) {
    this.#index = index;
    this.#outputHeads = new Map(index.outputNames.map((n) => [n, outputHead(n)]));
  }

  /**
   * The start of this model version's V2 answers, `{"model_name":...,"model_version":...`, built
   * on first use (a codec belongs to one served version, so it never changes).
   */
  answerHead(model: string, version: string): string {
    this.#answerHead ??= `{"model_name":${JSON.stringify(model)},"model_version":${JSON.stringify(version)}`;
    return this.#answerHead;
  }

  /** Decode a request's `inputs` array into named tensors, all checked against the signature. */
  decodeInputs(inputs: readonly unknown[]): TensorMap {
    const out: TensorMap = {};
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i];
      const name = inputName(input, i);
      if (name in out) {
        throw new SlipwayError('RUNTIME_INVALID_INPUT', `input "${name}" is given more than once`, {
          input: name,
        });
      }
      out[name] = decodeTensor(input as V2RequestInput, this.#index.inputSpec(name));
    }
    this.#index.checkInputs(out);
    return out;
  }

  /**
   * The JSON text of `encodeOutputs(outputs, names)`, exactly as `JSON.stringify` would write it,
   * without building the intermediate arrays and objects: per single-row request this took the
   * response from ~2.1 µs (encode + stringify) to a fraction of it (bench/serving/README.md).
   */
  encodeOutputsJson(outputs: TensorMap, names?: readonly string[] | null): string {
    const order = names ?? this.#index.outputNames;
    let text = '[';
    let first = true;
    for (const name of order) {
      const tensor = outputs[name];
      if (tensor === undefined) continue;
      if (!first) text += ',';
      first = false;
      text += `${this.#outputHeads.get(name) ?? outputHead(name)}${tensor.datatype}","shape":[${tensor.shape.join(',')}],"data":${dataJson(tensor)}}`;
    }
    return `${text}]`;
  }

  /** Encode named output tensors (in the model's output order), or only those named in `names`. */
  encodeOutputs(outputs: TensorMap, names?: readonly string[] | null): V2ResponseOutput[] {
    const order = names ?? this.#index.outputNames;
    const result: V2ResponseOutput[] = [];
    for (const name of order) {
      const tensor = outputs[name];
      if (tensor !== undefined) result.push(encodeTensor(name, tensor));
    }
    return result;
  }
}

function outputHead(name: string): string {
  return `{"name":${JSON.stringify(name)},"datatype":"`;
}

function inputName(input: unknown, position: number): string {
  if (typeof input !== 'object' || input === null || typeof (input as { name?: unknown }).name !== 'string') {
    throw new SlipwayError(
      'RUNTIME_INVALID_INPUT',
      `inputs[${position}]: expected an object with a string "name"`,
      {
        position,
      },
    );
  }
  return (input as { name: string }).name;
}

/**
 * Decode one V2 input against its spec: datatype, then shape, then data length, then every value.
 * The data is checked against the shape before anything is allocated, so a huge claimed shape costs
 * nothing.
 */
export function decodeTensor(input: V2RequestInput, spec: TensorSpec): Tensor {
  const name = spec.name;
  checkDatatype(spec, input.datatype);
  const shape = input.shape;
  if (!Array.isArray(shape)) {
    throw new SlipwayError('RUNTIME_INVALID_INPUT', `input "${name}": "shape" must be a list of integers`, {
      input: name,
    });
  }
  checkShape(spec, shape);
  const given = input.data;
  if (given instanceof Float32Array || given instanceof Float64Array) return typedTensor(spec, shape, given);
  const data = flatData(name, given, elementCount(shape));
  checkLength(name, shape, data.length);
  const datatype = spec.datatype;
  if (datatype === 'BYTES') {
    return { datatype, shape: shape.slice(), data: decodeStrings(name, data, input.parameters) };
  }
  const out = allocateTensorData(datatype, data.length);
  fillNumeric(name, datatype, data, out);
  return { datatype, shape: shape.slice(), data: out } as Tensor;
}

/**
 * An input whose `data` is already a flat typed array (the V2 body reader decodes FP32 and FP64
 * data straight into one): used as it is when it is the datatype's own array type.
 */
function typedTensor(spec: TensorSpec, shape: number[], data: Float32Array | Float64Array): Tensor {
  checkLength(spec.name, shape, data.length);
  if (spec.datatype === 'FP32' && data instanceof Float32Array)
    return { datatype: 'FP32', shape: shape.slice(), data };
  if (spec.datatype === 'FP64' && data instanceof Float64Array)
    return { datatype: 'FP64', shape: shape.slice(), data };
  throw new SlipwayError(
    'RUNTIME_INVALID_INPUT',
    `input "${spec.name}": "data" holds ${data instanceof Float32Array ? 'FP32' : 'FP64'} values, expected ${spec.datatype}`,
    { input: spec.name },
  );
}

/** The values of `data` in row-major order; a flat array comes back as it is. */
function flatData(name: string, data: unknown, expected: number): readonly unknown[] {
  if (!Array.isArray(data)) {
    throw new SlipwayError('RUNTIME_INVALID_INPUT', `input "${name}": "data" must be an array`, {
      input: name,
    });
  }
  if (data.length === expected && (data.length === 0 || !Array.isArray(data[0]))) {
    // Flat (the common case): a nested array hiding further along still fails the value check.
    return data;
  }
  const flat: unknown[] = [];
  flatten(name, data, flat, 0);
  return flat;
}

function flatten(name: string, data: readonly unknown[], out: unknown[], depth: number): void {
  if (depth > MAX_NESTING) {
    throw new SlipwayError(
      'RUNTIME_INVALID_INPUT',
      `input "${name}": "data" is nested deeper than ${MAX_NESTING}`,
      {
        input: name,
      },
    );
  }
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (Array.isArray(v)) flatten(name, v, out, depth + 1);
    else out.push(v);
  }
}

type NumericTensorData = Exclude<Tensor['data'], string[]>;

/** Fill `out` from JSON values in one loop per datatype family, allocating nothing per element. */
function fillNumeric(
  name: string,
  datatype: Exclude<Datatype, 'BYTES'>,
  data: readonly unknown[],
  out: NumericTensorData,
): void {
  const n = data.length;
  switch (datatype) {
    case 'FP32':
    case 'FP64': {
      const f = out as Float32Array | Float64Array;
      for (let i = 0; i < n; i++) {
        const v = data[i];
        if (typeof v !== 'number') throw badValue(name, i, v, 'a number');
        f[i] = v;
      }
      return;
    }
    case 'FP16': {
      const h = out as Uint16Array;
      for (let i = 0; i < n; i++) {
        const v = data[i];
        if (typeof v !== 'number') throw badValue(name, i, v, 'a number');
        h[i] = toFloat16Bits(v);
      }
      return;
    }
    case 'BOOL': {
      const b = out as Uint8Array;
      for (let i = 0; i < n; i++) {
        const v = data[i];
        // 0 and 1 are accepted too: numpy-minded clients serialise bool arrays as integers.
        if (v === true || v === 1) b[i] = 1;
        else if (v !== false && v !== 0) throw badValue(name, i, v, 'true or false');
      }
      return;
    }
    case 'INT64':
    case 'UINT64': {
      const big = out as BigInt64Array | BigUint64Array;
      const [min, max] = BIGINT_RANGES[datatype];
      for (let i = 0; i < n; i++) {
        const b = toBigInt(data[i]);
        if (b === null || b < min || b > max)
          throw badValue(name, i, data[i], `an integer in [${min}, ${max}]`);
        big[i] = b;
      }
      return;
    }
    default: {
      const [min, max] = INT_RANGES[datatype];
      const int = out as Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;
      for (let i = 0; i < n; i++) {
        const v = data[i];
        if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
          throw badValue(name, i, v, `an integer in [${min}, ${max}]`);
        }
        int[i] = v;
      }
    }
  }
}

const INT_RANGES: Readonly<
  Record<'INT8' | 'INT16' | 'INT32' | 'UINT8' | 'UINT16' | 'UINT32', readonly [number, number]>
> = Object.freeze({
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-2147483648, 2147483647],
  UINT8: [0, 255],
  UINT16: [0, 65535],
  UINT32: [0, 4294967295],
});

const BIGINT_RANGES: Readonly<Record<'INT64' | 'UINT64', readonly [bigint, bigint]>> = Object.freeze({
  INT64: [-(2n ** 63n), 2n ** 63n - 1n],
  UINT64: [0n, 2n ** 64n - 1n],
});

const DECIMAL_INTEGER = /^-?\d+$/;

/**
 * 64-bit integers arrive as JSON numbers (exact up to 2^53) or, from clients that care about the
 * rest of the range, as decimal strings (protocols.md A.8).
 */
function toBigInt(v: unknown): bigint | null {
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : null;
  if (typeof v === 'string') return DECIMAL_INTEGER.test(v) ? BigInt(v) : null;
  if (typeof v === 'bigint') return v;
  return null;
}

/** BYTES elements are strings; `content_type: "base64"` marks them base64-encoded (MLServer, A.8). */
function decodeStrings(
  name: string,
  data: readonly unknown[],
  parameters: V2Parameters | undefined,
): string[] {
  const base64 = parameters?.content_type === 'base64';
  const out = new Array<string>(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v !== 'string') throw badValue(name, i, v, 'a string');
    out[i] = base64 ? Buffer.from(v, 'base64').toString('utf8') : v;
  }
  return out;
}

function badValue(name: string, index: number, value: unknown, expected: string): SlipwayError {
  const shown = typeof value === 'bigint' ? `${value}` : (JSON.stringify(value) ?? String(value));
  return new SlipwayError(
    'RUNTIME_INVALID_INPUT',
    `input "${name}": value at index ${index} is ${shown.length > 40 ? `${shown.slice(0, 40)}...` : shown}, expected ${expected}`,
    { input: name, index, expected },
  );
}

/**
 * One tensor as a V2 output with flat data: numbers for numeric types (INT64/UINT64 become numbers,
 * exact up to 2^53), true/false for BOOL, strings for BYTES.
 */
export function encodeTensor(name: string, tensor: Tensor): V2ResponseOutput {
  return { name, datatype: tensor.datatype, shape: tensor.shape.slice(), data: encodeData(tensor) };
}

/** `JSON.stringify(encodeData(tensor))`, written directly (non-finite numbers are null, as there). */
function dataJson(tensor: Tensor): string {
  const d = tensor.data;
  if (d.length === 0) return '[]';
  switch (tensor.datatype) {
    case 'BYTES':
      return JSON.stringify(d);
    case 'BOOL': {
      let text = d[0] !== 0 ? '[true' : '[false';
      for (let i = 1; i < d.length; i++) text += d[i] !== 0 ? ',true' : ',false';
      return `${text}]`;
    }
    case 'INT64':
    case 'UINT64': {
      let text = `[${Number(d[0])}`;
      for (let i = 1; i < d.length; i++) text += `,${Number(d[i])}`;
      return `${text}]`;
    }
    case 'FP16': {
      let text = `[${jsonNumber(fromFloat16Bits(d[0] as number))}`;
      for (let i = 1; i < d.length; i++) text += `,${jsonNumber(fromFloat16Bits(d[i] as number))}`;
      return `${text}]`;
    }
    default: {
      const n = d as Float32Array;
      let text = `[${jsonNumber(n[0])}`;
      for (let i = 1; i < n.length; i++) text += `,${jsonNumber(n[i])}`;
      return `${text}]`;
    }
  }
}

/** A number as JSON writes it: its shortest decimal form, or null when it is not finite. */
function jsonNumber(x: number): string {
  return Number.isFinite(x) ? String(x) : 'null';
}

function encodeData(tensor: Tensor): number[] | boolean[] | string[] {
  switch (tensor.datatype) {
    case 'BYTES':
      return tensor.data.slice();
    case 'BOOL': {
      const d = tensor.data;
      const out = new Array<boolean>(d.length);
      for (let i = 0; i < d.length; i++) out[i] = d[i] !== 0;
      return out;
    }
    case 'INT64':
    case 'UINT64': {
      const d = tensor.data;
      const out = new Array<number>(d.length);
      for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
      return out;
    }
    case 'FP16': {
      const d = tensor.data;
      const out = new Array<number>(d.length);
      for (let i = 0; i < d.length; i++) out[i] = fromFloat16Bits(d[i]);
      return out;
    }
    default:
      return Array.from(tensor.data);
  }
}
