import { describe, expect, it } from 'vitest';
import { compareOutputs } from '../../src/deployments/output-comparison.js';
import type { TensorMap } from '../../src/runtime/tensor.js';

const probs = (rows: number[][]): TensorMap => ({
  probabilities: { datatype: 'FP32', shape: [rows.length, 2], data: Float32Array.from(rows.flat()) },
});

describe('compareOutputs', () => {
  it('agrees on a row when the class with the highest score is the same, and measures the deltas', () => {
    const a = probs([
      [0.9, 0.1],
      [0.4, 0.6],
      [0.2, 0.8],
    ]);
    const b = probs([
      [0.7, 0.3],
      [0.6, 0.4],
      [0.2, 0.8],
    ]);
    const c = compareOutputs(a, b);
    expect(c.rows).toBe(3);
    expect(c.agreeingRows).toBe(2);
    expect(c.deltaCount).toBe(6);
    expect(c.deltaMax).toBeCloseTo(0.2, 6);
    expect(c.deltaSum).toBeCloseTo(0.8, 6);
  });

  it('compares labels exactly and skips outputs only one side has', () => {
    const a: TensorMap = {
      ...probs([
        [1, 0],
        [0, 1],
      ]),
      label: { datatype: 'INT64', shape: [2], data: BigInt64Array.from([0n, 1n]) },
    };
    const b: TensorMap = {
      ...probs([
        [1, 0],
        [0, 1],
      ]),
      label: { datatype: 'INT64', shape: [2], data: BigInt64Array.from([0n, 0n]) },
    };
    expect(compareOutputs(a, b)).toMatchObject({ rows: 2, agreeingRows: 1 });
    expect(
      compareOutputs(
        a,
        probs([
          [1, 0],
          [0, 1],
        ]),
      ),
    ).toMatchObject({ rows: 2, agreeingRows: 2 });
    expect(compareOutputs(a, { other: a.label })).toMatchObject({ rows: 0, agreeingRows: 0, deltaCount: 0 });
  });

  it('compares regression values with a relative tolerance', () => {
    const t = (v: number[]): TensorMap => ({
      y: { datatype: 'FP64', shape: [v.length], data: Float64Array.from(v) },
    });
    expect(compareOutputs(t([1, 100, 5]), t([1 + 1e-9, 100.5, 5]))).toMatchObject({
      rows: 3,
      agreeingRows: 2,
    });
  });
});
