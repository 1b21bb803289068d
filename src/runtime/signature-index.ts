/**
 * A model's signature, indexed once at load so that per-request checks are map lookups
 * (STYLE.md 22: the input-name-to-spec map, dtype and shape rules are built at load time).
 *
 * Every check throws a SlipwayError whose message names the input, what was expected and what came
 * in (STYLE.md 10), e.g. `input "features": expected shape [-1,30], got [2,29]`.
 */

import { SlipwayError } from '../core/errors.js';
import type { Datatype, Signature, TensorSpec } from '../core/tensor-types.js';
import { elementCount, formatShape, type TensorMap } from './tensor.js';

export class SignatureIndex {
  readonly signature: Signature;
  /** Input names in the model's order: merge keys, warm-up inputs and worker feeds follow it. */
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /**
   * Whether requests may be merged along dim 0: every input and output has a dynamic first dimension.
   * A model with a fixed first dimension (e.g. `[1,3,224,224]`) has no batch axis to merge along, and an
   * output without one could not be split back per request.
   */
  readonly batchable: boolean;
  readonly #inputs: ReadonlyMap<string, TensorSpec>;
  readonly #outputs: ReadonlySet<string>;

  constructor(signature: Signature) {
    this.signature = signature;
    this.inputNames = signature.inputs.map((s) => s.name);
    this.outputNames = signature.outputs.map((s) => s.name);
    this.#inputs = new Map(signature.inputs.map((s) => [s.name, s]));
    this.#outputs = new Set(this.outputNames);
    const batched = (s: TensorSpec) => s.shape.length > 0 && s.shape[0] === -1;
    this.batchable =
      signature.inputs.length > 0 && signature.inputs.every(batched) && signature.outputs.every(batched);
  }

  /** The spec of input `name`; RUNTIME_UNKNOWN_INPUT if the model has none. */
  inputSpec(name: string): TensorSpec {
    const spec = this.#inputs.get(name);
    if (spec === undefined) {
      throw new SlipwayError(
        'RUNTIME_UNKNOWN_INPUT',
        `input "${name}" is not an input of the model; expected one of: ${this.inputNames.join(', ')}`,
        { input: name, expected: this.inputNames },
      );
    }
    return spec;
  }

  /**
   * Check a complete set of named tensors (library callers of `infer` bypass the JSON codec): every
   * input present and known, datatypes and shapes as the spec says, buffers that fill their shapes,
   * and one batch size shared by all inputs of a batchable model. Returns the rows (dim 0) when the
   * model is batchable, else 1.
   */
  checkInputs(inputs: TensorMap): number {
    let count = 0;
    for (const name in inputs) {
      const spec = this.inputSpec(name);
      const tensor = inputs[name];
      checkDatatype(spec, tensor.datatype);
      checkShape(spec, tensor.shape);
      checkLength(spec.name, tensor.shape, tensor.data.length);
      count++;
    }
    if (count !== this.inputNames.length) {
      const missing = this.inputNames.filter((n) => !(n in inputs));
      throw new SlipwayError(
        'RUNTIME_MISSING_INPUT',
        `input "${missing[0]}" is missing; the model takes ${this.inputNames.join(', ')}`,
        { missing, expected: this.inputNames },
      );
    }
    return this.batchable ? this.batchRows(inputs) : 1;
  }

  /** Rows along dim 0, checking every input agrees on it (a model's inputs share one batch axis). */
  batchRows(inputs: TensorMap): number {
    const first = this.inputNames[0];
    const rows = inputs[first].shape[0];
    for (let i = 1; i < this.inputNames.length; i++) {
      const name = this.inputNames[i];
      const other = inputs[name].shape[0];
      if (other !== rows) {
        throw new SlipwayError(
          'RUNTIME_INPUT_SHAPE_MISMATCH',
          `inputs disagree on the batch dimension: "${first}" has ${rows} rows, "${name}" has ${other}`,
          { inputs: [first, name], rows: [rows, other] },
        );
      }
    }
    return rows;
  }

  /** The outputs a request asked for, checked; null means all of them (the common case). */
  selectOutputs(names: readonly string[] | undefined | null): readonly string[] | null {
    if (names == null) return null;
    for (const name of names) {
      if (!this.#outputs.has(name)) {
        throw new SlipwayError(
          'RUNTIME_UNKNOWN_OUTPUT',
          `output "${name}" is not an output of the model; expected one of: ${this.outputNames.join(', ')}`,
          { output: name, expected: this.outputNames },
        );
      }
    }
    return names;
  }
}

export function checkDatatype(spec: TensorSpec, datatype: unknown): asserts datatype is Datatype {
  if (datatype !== spec.datatype) {
    throw new SlipwayError(
      'RUNTIME_INPUT_DATATYPE_MISMATCH',
      `input "${spec.name}": expected datatype ${spec.datatype}, got ${typeof datatype === 'string' ? datatype : JSON.stringify(datatype)}`,
      { input: spec.name, expected: spec.datatype, got: datatype },
    );
  }
}

/** Same rank as the spec, and equal wherever the spec fixes a dimension (-1 is free). */
export function checkShape(spec: TensorSpec, shape: readonly number[]): void {
  const expected = spec.shape;
  let ok = shape.length === expected.length;
  for (let i = 0; ok && i < expected.length; i++) {
    const dim = shape[i];
    ok = Number.isInteger(dim) && dim >= 0 && (expected[i] < 0 || expected[i] === dim);
  }
  if (!ok) {
    throw new SlipwayError(
      'RUNTIME_INPUT_SHAPE_MISMATCH',
      `input "${spec.name}": expected shape ${formatShape(expected)}, got ${formatShape(shape)}`,
      { input: spec.name, expected: expected, got: shape },
    );
  }
}

export function checkLength(name: string, shape: readonly number[], length: number): void {
  const expected = elementCount(shape);
  if (length !== expected) {
    throw new SlipwayError(
      'RUNTIME_INPUT_SHAPE_MISMATCH',
      `input "${name}": shape ${formatShape(shape)} holds ${expected} values, got ${length}`,
      { input: name, shape, expected, got: length },
    );
  }
}
