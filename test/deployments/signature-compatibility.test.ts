import { describe, expect, it } from 'vitest';
import { signatureCheck } from '../../src/deployments/signature-compatibility.js';
import type { Signature } from '../../src/index.js';

const sig = (inputs: [string, string, number[]][], outputs: [string, string, number[]][]): Signature => ({
  inputs: inputs.map(([name, datatype, shape]) => ({ name, datatype: datatype as 'FP32', shape })),
  outputs: outputs.map(([name, datatype, shape]) => ({ name, datatype: datatype as 'FP32', shape })),
});

describe('signatureCheck', () => {
  const current = sig([['features', 'FP32', [-1, 30]]], [['probabilities', 'FP32', [-1, 2]]]);

  it('passes a candidate that takes the same inputs and gives at least the same outputs', () => {
    const gbdt = sig(
      [['features', 'FP32', [-1, 30]]],
      [
        ['label', 'INT64', [-1]],
        ['probabilities', 'FP32', [-1, 2]],
      ],
    );
    expect(signatureCheck(current, gbdt)).toMatchObject({ check: 'signature', passed: true, by: null });
  });

  it('lists every mismatch: missing and extra inputs, datatypes, dimensions, outputs', () => {
    const other = sig(
      [
        ['features', 'FP64', [1, 31]],
        ['mask', 'INT64', [-1]],
      ],
      [['logits', 'FP32', [-1, 2]]],
    );
    const c = signatureCheck(current, other);
    expect(c.passed).toBe(false);
    expect(c.by).toBe(5);
    expect(c.message).toContain('input "features": expected FP32, the candidate has FP64');
    expect(c.message).toContain('input "features" dimension 0: current dynamic, candidate 1');
    expect(c.message).toContain('input "features" dimension 1: current 30, candidate 31');
    expect(c.message).toContain('the candidate needs input "mask"');
    expect(c.message).toContain('output "probabilities" is missing from the candidate');
  });

  it('accepts a candidate that is more permissive than the current version', () => {
    const fixed = sig([['features', 'FP32', [8, 30]]], [['probabilities', 'FP32', [8, 2]]]);
    const dynamic = sig([['features', 'FP32', [-1, -1]]], [['probabilities', 'FP32', [-1, 2]]]);
    expect(signatureCheck(fixed, dynamic).passed).toBe(true);
    expect(signatureCheck(dynamic, fixed).passed).toBe(false);
  });
});
