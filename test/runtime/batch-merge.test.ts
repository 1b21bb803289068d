/**
 * Merge and split as properties over random requests (seeded, so a failure replays): merging stacks
 * rows in request order, and splitting a batch's outputs gives each request exactly its own rows.
 */

import { describe, expect, it } from 'vitest';
import { SlipwayError } from '../../src/core/errors.js';
import type { Datatype } from '../../src/core/tensor-types.js';
import {
  batchRows,
  concatRows,
  mergeInputs,
  mergeKey,
  sliceRows,
  splitOutputs,
} from '../../src/runtime/batch-merge.js';
import { allocateTensorData, elementCount, type Tensor, type TensorMap } from '../../src/runtime/tensor.js';
import { readFixture } from './fixtures.js';

/** mulberry32: a tiny seeded generator, so each property run is reproducible. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DATATYPES: Datatype[] = ['FP32', 'FP64', 'INT64', 'INT32', 'UINT8', 'BOOL', 'BYTES'];

/** A tensor whose every element encodes (request, row, position) so crossed rows are visible. */
function tagged(datatype: Datatype, request: number, rows: number, rest: number[]): Tensor {
  const shape = [rows, ...rest];
  const n = elementCount(shape);
  const rowSize = n / Math.max(1, rows);
  const data = allocateTensorData(datatype, n);
  for (let i = 0; i < n; i++) {
    const row = Math.floor(i / rowSize);
    const tag = request * 10_000 + row * 100 + (i % rowSize);
    if (datatype === 'BYTES') (data as string[])[i] = `r${request}.${row}.${i % rowSize}`;
    else if (datatype === 'INT64') (data as BigInt64Array)[i] = BigInt(tag);
    else if (datatype === 'BOOL' || datatype === 'UINT8') (data as Uint8Array)[i] = (request + row) % 2;
    else (data as Float32Array)[i] = tag;
  }
  return { datatype, shape, data } as Tensor;
}

describe('mergeInputs / splitOutputs', () => {
  it('round-trips random requests without crossing rows (200 seeded cases)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rand = random(seed);
      const inputCount = 1 + Math.floor(rand() * 3);
      const names = Array.from({ length: inputCount }, (_, i) => `in${i}`);
      const layouts = names.map(() => ({
        datatype: DATATYPES[Math.floor(rand() * DATATYPES.length)],
        rest: Array.from({ length: Math.floor(rand() * 3) }, () => 1 + Math.floor(rand() * 4)),
      }));
      const requests = Array.from({ length: 1 + Math.floor(rand() * 12) }, (_, r) => {
        const rows = Math.floor(rand() * 5); // zero-row requests included
        const inputs: TensorMap = {};
        names.forEach((name, i) => {
          inputs[name] = tagged(layouts[i].datatype, r, rows, layouts[i].rest);
        });
        return inputs;
      });
      const rowCounts = requests.map((inputs) => batchRows(inputs, names));
      const merged = mergeInputs(requests, names);
      const total = rowCounts.reduce((a, b) => a + b, 0);

      for (const [i, name] of names.entries()) {
        expect(merged[name].shape).toEqual([total, ...layouts[i].rest]);
        // Row order is request order.
        const concatenated = requests.flatMap((inputs) =>
          Array.from(inputs[name].data as ArrayLike<unknown>),
        );
        expect(Array.from(merged[name].data as ArrayLike<unknown>)).toEqual(concatenated);
      }

      // The "model" is the identity: splitting the merged batch must give back each request's own rows.
      const parts = splitOutputs(merged, rowCounts);
      expect(parts).toHaveLength(requests.length);
      parts.forEach((part, r) => {
        for (const name of names) {
          expect(part[name].shape).toEqual(requests[r][name].shape);
          expect(Array.from(part[name].data as ArrayLike<unknown>)).toEqual(
            Array.from(requests[r][name].data as ArrayLike<unknown>),
          );
        }
      });
    }
  });

  it('gives merged batches fresh buffers (safe to transfer) and splits into views (no copy)', () => {
    const a = tagged('FP32', 0, 2, [3]);
    const b = tagged('FP32', 1, 1, [3]);
    const merged = mergeInputs([{ x: a }, { x: b }], ['x']);
    const mergedData = merged.x.data as Float32Array;
    expect(mergedData.buffer).not.toBe((a.data as Float32Array).buffer);
    const [pa, pb] = splitOutputs(merged, [2, 1]);
    expect((pa.x.data as Float32Array).buffer).toBe(mergedData.buffer);
    expect((pb.x.data as Float32Array).byteOffset).toBe(6 * 4);
  });

  it('refuses to split an output whose first dimension is not the batch', () => {
    const outputs: TensorMap = { total: { datatype: 'FP32', shape: [1], data: new Float32Array(1) } };
    let error: unknown;
    try {
      splitOutputs(outputs, [2, 1]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SlipwayError);
    expect((error as SlipwayError).code).toBe('RUNTIME_INFERENCE_FAILED');
    expect((error as SlipwayError).message).toBe(
      'output "total" has shape [1], but the batch had 3 rows: it cannot be split per request',
    );
  });
});

describe('sliceRows / concatRows', () => {
  it('cut a real fixture into uneven chunks and stack them back to the same tensors', () => {
    const tokens = readFixture('token_classifier').inputs;
    const rows = tokens.input_ids.shape[0];
    const chunks = [sliceRows(tokens, 0, 3), sliceRows(tokens, 3, 4), sliceRows(tokens, 4, rows)];
    expect(chunks.map((c) => c.input_ids.shape[0])).toEqual([3, 1, rows - 4]);
    expect(chunks[1].attention_mask.shape).toEqual([1, tokens.attention_mask.shape[1]]);
    const back = concatRows(chunks);
    for (const name of ['input_ids', 'attention_mask']) {
      expect(back[name].shape).toEqual(tokens[name].shape);
      expect(Array.from(back[name].data as BigInt64Array)).toEqual(
        Array.from(tokens[name].data as BigInt64Array),
      );
    }
    // Slices own their buffers: writing one leaves the source untouched.
    (chunks[0].input_ids.data as BigInt64Array)[0] = -1n;
    expect((tokens.input_ids.data as BigInt64Array)[0]).not.toBe(-1n);
    expect(concatRows([chunks[1]])).toBe(chunks[1]);
    expect(concatRows([])).toEqual({});
  });
});

describe('mergeKey', () => {
  const seq = (n: number, rows = 1): TensorMap => ({
    input_ids: tagged('INT64', 0, rows, [n]),
    attention_mask: tagged('INT64', 0, rows, [n]),
  });

  it('groups by the non-batch dimensions only', () => {
    const names = ['input_ids', 'attention_mask'];
    expect(mergeKey(seq(12), names)).toBe(mergeKey(seq(12, 5), names));
    expect(mergeKey(seq(12), names)).not.toBe(mergeKey(seq(8), names));
    expect(mergeKey(seq(12), names)).toBe('12|12');
    expect(mergeKey({ x: tagged('FP32', 0, 2, [1, 8, 8]) }, ['x'])).toBe('1,8,8');
    expect(mergeKey({ x: tagged('FP32', 0, 2, [3]) })).toBe('3'); // input order defaults to sorted names
  });

  it('tells apart keys that concatenation alone would confuse', () => {
    const a: TensorMap = { p: tagged('FP32', 0, 1, [1, 2]), q: tagged('FP32', 0, 1, [3]) };
    const b: TensorMap = { p: tagged('FP32', 0, 1, [1]), q: tagged('FP32', 0, 1, [2, 3]) };
    expect(mergeKey(a, ['p', 'q'])).not.toBe(mergeKey(b, ['p', 'q']));
  });
});
