/**
 * The shared fixture models (../shared/fixtures from the project root; see its README.md), read the
 * way the runtime's users see them: a signature, the model file, and the sample inputs and expected
 * outputs as V2 tensors.
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NUMPY_TO_DATATYPE, type Signature, type TensorSpec } from '../../src/core/tensor-types.js';
import { SignatureIndex } from '../../src/runtime/signature-index.js';
import type { TensorMap } from '../../src/runtime/tensor.js';
import { TensorCodec } from '../../src/runtime/tensor-codec.js';

export const FIXTURE_MODELS = [
  'breast_cancer_mlp',
  'breast_cancer_gbdt',
  'digits_cnn',
  'token_classifier',
  'image_mobilenet_v3_small',
] as const;

export type FixtureModel = (typeof FIXTURE_MODELS)[number];

const FIXTURES = new URL('../../../shared/fixtures/', import.meta.url);

interface MetaTensor {
  name: string;
  dtype: string;
  shape: (number | null)[];
}

export interface Fixture {
  name: FixtureModel;
  path: string;
  signature: Signature;
  /** The sample's inputs, decoded through the codec as a V2 client would send them. */
  inputs: TensorMap;
  /** Expected outputs, flat, with their shapes. */
  expected: Record<string, { shape: number[]; data: number[] }>;
  rows: number;
}

function specOf(t: MetaTensor): TensorSpec {
  return { name: t.name, datatype: NUMPY_TO_DATATYPE[t.dtype], shape: t.shape.map((d) => d ?? -1) };
}

export function shapeOf(data: unknown): number[] {
  return Array.isArray(data) ? [data.length, ...shapeOf(data[0])] : [];
}

export function flat(data: unknown): number[] {
  return Array.isArray(data) ? data.flatMap(flat) : [data as number];
}

export function readFixture(name: FixtureModel): Fixture {
  const meta = JSON.parse(readFileSync(new URL(`${name}/meta.json`, FIXTURES), 'utf8'));
  const sample = JSON.parse(readFileSync(new URL(`${name}/sample.json`, FIXTURES), 'utf8'));
  const signature: Signature = { inputs: meta.inputs.map(specOf), outputs: meta.outputs.map(specOf) };
  const codec = new TensorCodec(new SignatureIndex(signature));
  const inputs = codec.decodeInputs(
    signature.inputs.map((spec) => ({
      name: spec.name,
      datatype: spec.datatype,
      shape: shapeOf(sample.inputs[spec.name]),
      data: sample.inputs[spec.name],
    })),
  );
  const expected: Fixture['expected'] = {};
  for (const [output, data] of Object.entries(sample.expected)) {
    expected[output] = { shape: shapeOf(data), data: flat(data) };
  }
  return {
    name,
    path: fileURLToPath(new URL(`${name}/model.onnx`, FIXTURES)),
    signature,
    inputs,
    expected,
    rows: inputs[signature.inputs[0].name].shape[0],
  };
}

/** Rows `start` to `end` of every tensor (a request of its own): the runtime's own helper. */
export { sliceRows } from '../../src/runtime/batch-merge.js';

/**
 * Whether `actual` matches `expected` at 1e-4 relative (numpy.allclose with rtol 1e-4 and an atol of
 * 1e-5 of the output's largest magnitude, so float32 noise on logits near zero is not a failure).
 * Integer outputs must match exactly. Returns the first mismatch, or null.
 */
export function mismatch(
  actual: ArrayLike<number | bigint>,
  expected: readonly number[],
  integer: boolean,
): string | null {
  if (actual.length !== expected.length) return `length ${actual.length}, expected ${expected.length}`;
  let scale = 0;
  for (const e of expected) scale = Math.max(scale, Math.abs(e));
  const atol = 1e-5 * scale;
  for (let i = 0; i < expected.length; i++) {
    const a = Number(actual[i]);
    const e = expected[i];
    const ok = integer ? a === e : Math.abs(a - e) <= 1e-4 * Math.abs(e) + atol;
    if (!ok) return `index ${i}: got ${a}, expected ${e}`;
  }
  return null;
}
