import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** ../shared/fixtures, beside the repository (CI lays it out the same way). */
export const FIXTURES = path.resolve(process.cwd(), '../shared/fixtures');

export const FIXTURE_MODELS = [
  'breast_cancer_mlp',
  'breast_cancer_gbdt',
  'digits_cnn',
  'token_classifier',
  'image_mobilenet_v3_small',
] as const;
export type FixtureModel = (typeof FIXTURE_MODELS)[number];

export interface FixtureSample {
  inputs: Record<string, unknown[]>;
  expected: Record<string, unknown[]>;
}

export interface FixtureMeta {
  inputs: { name: string; dtype: string; shape: (number | null)[] }[];
  outputs: { name: string; dtype: string; shape: (number | null)[] }[];
  feature_names?: string[];
  class_labels?: string[];
}

export function fixtureModelPath(model: FixtureModel): string {
  return path.join(FIXTURES, model, 'model.onnx');
}

export function fixtureSample(model: FixtureModel): FixtureSample {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, model, 'sample.json'), 'utf8'));
}

export function fixtureMeta(model: FixtureModel): FixtureMeta {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, model, 'meta.json'), 'utf8'));
}

/** Registered names use dashes, as users would type them. */
export function modelName(model: FixtureModel): string {
  return model.replace(/_/g, '-');
}

export function tempHome(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-test-'));
}

/** The shape of a nested array. */
export function shapeOf(data: unknown): number[] {
  const shape: number[] = [];
  let cur = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  return shape;
}

/**
 * Every element of `actual` within `rel` of `expected`, relative to the element or, for values
 * near zero (a logit of -0.0002 beside others of 10), to the largest magnitude in the tensor:
 * float32 rounding is relative to the scale of the sums that produced the value.
 */
export function expectClose(actual: number[], expected: number[], rel = 1e-4, what = 'value'): void {
  if (actual.length !== expected.length) {
    throw new Error(`${what}: expected ${expected.length} values, got ${actual.length}`);
  }
  const scale = expected.reduce((m, e) => Math.max(m, Math.abs(e)), 0);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (!(Math.abs(a - e) <= rel * Math.max(Math.abs(e), scale * 1e-2) + 1e-7)) {
      throw new Error(`${what}[${i}]: expected ${e}, got ${a} (relative tolerance ${rel})`);
    }
  }
}
